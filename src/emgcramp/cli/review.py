"""``emgcramp review NIGHT|FOLDER``: the morning review, a local web page to read and answer a night."""

from __future__ import annotations

import argparse

from emgcramp.cli.common import FIRST_CHANNEL, SCALE_HELP, ProgressBar, detector_settings, read_options, scale_arg
from emgcramp.core.errors import InputError


def add_parser(sub, positive, add_detector_args) -> None:
    """The ``review`` command's options (``positive``, ``add_detector_args``: the parser's own helpers)."""
    v = sub.add_parser("review", help="the morning review: a local web page to read a night and confirm its cramps",
                       description="A page on this machine only: the night's timeline and each cramp in plain words, "
                                   "with buttons to confirm or correct it (saved to the night folder's labels.csv, "
                                   "or FILE.labels/); for a folder of nights, cramps per night and the trend.")
    v.add_argument("target", metavar="NIGHT|FOLDER", help="a night folder or recording, or a folder of them")
    v.add_argument("--port", type=_port, default=0, help="port on 127.0.0.1 (default 0: a free one)")
    v.add_argument("--no-browser", action="store_true", help="only print the page's address")
    v.add_argument("--idle-exit", type=positive, default=60.0, metavar="S",
                   help="stop once the page has been closed this long, s (default 60)")
    v.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    v.add_argument("--channel", help=f"channel name or index, 'all' or NAME,NAME ({FIRST_CHANNEL})")
    v.add_argument("--fs", type=positive, metavar="HZ", help="sampling rate when the file has none")
    v.add_argument("--scale", type=scale_arg, metavar="UV", help=SCALE_HELP)
    add_detector_args(v)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"a port is a whole number from 0 to 65535, not {text!r}")
    return int(text)


def cmd_review(args: argparse.Namespace) -> int:
    from emgcramp.review.nights import Library

    # A bad option or profile is one line now, not a message on the page later. Each night with the settings it
    # was monitored with (its personal adjustment too); an option given replaces one.
    library = Library(args.target, read_options(args), detector_settings(args))
    if not library.many:  # a night that cannot be read says so now, in one line, not on the page
        bar = ProgressBar("analyze", not args.no_progress)
        library.progress = lambda path: bar
        try:
            library.night(0)
        finally:
            bar.close()
            library.progress = lambda path: None  # nights opened later from the page draw no bar
    else:  # the nights a folder's page cannot count unopened are read behind it, the page filling in
        library.count_behind()
    try:
        from emgcramp.review.server import serve
    except ImportError as e:  # the review extra is not installed: Flask is only needed here
        raise InputError(f"the review page needs Flask, which is not installed here (no {e.name}): "
                         "pip install 'emgcramp[review]'") from None
    return serve(library, args.port, not args.no_browser, args.idle_exit)
