"""``python -m emgcramp`` and the ``emgcramp`` console script (:func:`run`)."""

import sys


def run() -> int:
    """Import the command line and run it; Ctrl-C at any point, even while it loads, is one line and status 130.

    The console script calls this rather than :func:`emgcramp.cli.main` itself:
    a script importing ``emgcramp.cli`` directly would show Python's traceback
    for a Ctrl-C in the first tenth of a second, while the modules load.
    """
    try:
        from emgcramp.cli import main

        return main()
    except KeyboardInterrupt:
        print("emgcramp: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(run())
