from emgcramp.cli import main

raise SystemExit(main())
