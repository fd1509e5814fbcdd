"""``python -m emgcramp`` and the ``emgcramp`` console script (:func:`run`)."""

import signal
import sys


def run() -> int:
    """Import the command line and run it; Ctrl-C at any point, even while it loads, is one line and status 130.

    The console script calls this rather than :func:`emgcramp.cli.main` itself:
    a script importing ``emgcramp.cli`` directly would show Python's traceback
    for a Ctrl-C in the first tenth of a second, while the modules load; here
    such a Ctrl-C ends the process at once.
    """
    # While the modules load, Ctrl-C ends the process as it ends any program that has not set it (status 130
    # in a shell): a KeyboardInterrupt raised inside an import can be swallowed there ("Exception ignored in
    # ... _get_module_lock", and a monitor ran on) or leave a module half made (numpy's "failed to import").
    # Python's own Ctrl-C is back once the command's module and NumPy are in (``loaded``).
    # Only Python's own Ctrl-C is changed: one ignored (a job started with `&` by a script) stays ignored.
    plain = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    try:
        if plain:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
    except ValueError:  # not the main thread: signals are not this one's to set
        plain = False
    try:
        from emgcramp.cli import main

        return main(loaded=(lambda: signal.signal(signal.SIGINT, signal.default_int_handler)) if plain else None)
    except KeyboardInterrupt:
        print("emgcramp: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(run())
