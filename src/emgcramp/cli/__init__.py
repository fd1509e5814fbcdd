"""Command line: ``emgcramp COMMAND``, one of ``analyze``, ``demo``, ``simulate``, ``report``, ``trend``,
``review``, ``monitor``, ``emulate``, ``calibrate``, ``recover`` and ``bench`` (:data:`COMMANDS`).

Only argparse and the table of formats (:data:`emgcramp.io.FORMATS`, which
loads no reader) are imported up front; each command lives in a module of
:mod:`emgcramp.cli`, and Numba and the readers load inside the command that
needs them, so ``--help`` and bad input answer at once.
Every :class:`~emgcramp.core.errors.InputError` becomes one line on stderr and
exit status 2; a :class:`~emgcramp.core.errors.SettingsWarning`, one line
``emgcramp: note: …``. SIGTERM and SIGHUP stop a command as Ctrl-C does (its
outputs not yet complete are removed, its workers ended), with status 128 + the signal.
"""

from __future__ import annotations

import errno
import functools
import importlib
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable

from emgcramp.cli.parser import build_parser
from emgcramp.core.errors import InputError, SettingsWarning, Stopped

EXIT_INPUT = 2
EXIT_INTERNAL = 3


COMMANDS = {"analyze": "offline", "demo": "offline", "simulate": "offline", "report": "report",
            "trend": "offline", "monitor": "live", "emulate": "live", "calibrate": "calibrate", "recover": "recover",
            "bench": "bench", "review": "review"}


def _reading(args: object, e: OSError) -> str:
    """What a command was reading when an OS error named no file (a read's error does not): its inputs; nothing
    for an error only a write meets (a full disk under stdout is no input's fault)."""
    if e.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EPIPE, errno.EROFS, errno.EBADF):
        return ""
    given = [str(v) for k in ("file", "folder", "events") if isinstance(v := getattr(args, k, None), (str, os.PathLike))]
    return f"while reading {' or '.join(given)}" if given else ""


def _stopped(signum: int, frame: object) -> None:
    raise Stopped(signum)


def main(argv: list[str] | None = None, loaded: Callable[[], object] | None = None) -> int:
    """Entry point of the ``emgcramp`` console script; returns the exit status.

    ``loaded``: called once the command's module and NumPy are imported (:func:`emgcramp.__main__.run` gives
    Python's Ctrl-C back there).
    """
    closed = [name for name in ("stdout", "stderr") if getattr(sys, name) is None]
    for name in closed:  # started with it closed (`>&-`): what it would say goes nowhere, not a crash
        setattr(sys, name, open(os.devnull, "w"))
    parser = build_parser()
    given = sys.argv[1:] if argv is None else argv
    empty = next((i for i, a in enumerate(given) if not a.strip() or a.startswith("--") and a.endswith("=")
                  and a.count("=") == 1), None)
    if empty is not None:  # an unset shell variable ("--events $OUT"): taken as no file, the table went unwritten
        blank = not given[empty].strip()
        after = f" in {given[empty]!r}" if not blank else f" after {given[empty - 1]}" if empty else " first"
        parser.error(f"an empty argument{after}: give the name or value it stands for")
    args = parser.parse_args(argv)
    if "stdout" in closed and getattr(args, "json", False):  # the summary is all --json gives: it would be lost
        parser.error("--json prints to standard output, which is closed: give it a file (> summary.json)")
    if not args.command:
        parser.print_help()
        return EXIT_INPUT
    # A command that ends a night on these signals installs its own handlers; the caller's are put back after.
    main_thread = threading.current_thread() is threading.main_thread()  # only it may set handlers
    before = {sig: signal.signal(sig, _stopped) for sig in (signal.SIGTERM, signal.SIGHUP)} if main_thread else {}
    try:
        return _run(args, loaded)
    finally:
        for sig, handler in before.items():
            if handler is not None:  # None: set outside Python, and not Python's to put back
                signal.signal(sig, handler)


def _run(args, loaded: Callable[[], object] | None = None) -> int:
    try:
        with warnings.catch_warnings():
            warnings.showwarning = functools.partial(_note, warnings.showwarning)
            warnings.simplefilter("always", SettingsWarning)  # each night's, however many share a message
            module = importlib.import_module(f"emgcramp.cli.{COMMANDS[args.command]}")
            if loaded:
                import numpy  # noqa: F401  (every command reads or writes arrays: loaded before Ctrl-C is Python's)

                loaded()
            status = getattr(module, f"cmd_{args.command}")(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return status
    except InputError as e:
        print(f"emgcramp: error: {one_line(str(e))}", file=sys.stderr)
        return EXIT_INPUT
    except Stopped as e:
        print(f"emgcramp: stopped ({signal.Signals(e.signum).name})", file=sys.stderr)
        return 128 + e.signum
    except KeyboardInterrupt:
        print("emgcramp: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `emgcramp … | head` stopped reading: that is fine, and nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:
        full = e.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT) and e.filename  # our writers name the output
        print(one_line(f"emgcramp: error: writing {e.filename} failed ({e.strerror}: disk full or file-size limit?); "
                       "nothing is left under its name" if full else
                       f"emgcramp: error: {e.strerror or e}: {e.filename or _reading(args, e)}".rstrip(": ")),
              file=sys.stderr)
        return EXIT_INPUT
    except Exception as e:  # a bug: say so in one line; EMGCRAMP_DEBUG=1 shows the traceback
        if os.environ.get("EMGCRAMP_DEBUG"):
            raise
        print(one_line(f"emgcramp: internal error: {type(e).__name__}: {e} (set EMGCRAMP_DEBUG=1 for details)"),
              file=sys.stderr)
        return EXIT_INTERNAL


def one_line(text: str) -> str:
    """``text`` with its control characters escaped (``\\n``, ``\\x1b``): a file's name may hold a newline or a
    terminal's escape, and a message is one line that moves no cursor."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _note(shown, message, category, filename, lineno, file=None, line=None) -> None:
    """Show a :class:`SettingsWarning` as one line for the user; any other warning as ``shown`` does."""
    if issubclass(category, SettingsWarning):
        from emgcramp.cli.status import say

        # in a night, as its status lines: never waiting on the reader
        say(f"emgcramp: note: {one_line(str(message))}\n")
    else:
        shown(message, category, filename, lineno, file, line)
