"""Serve a review on 127.0.0.1: a free port, a secret in the URL, gone when the page is closed.

The server stops on Ctrl-C, and by itself once the page has stopped sending
its heartbeat for ``idle_exit_s`` (the tab was closed), or was never opened
in ten minutes: a review left behind does not keep a port open all day.
"""

from __future__ import annotations

import logging
import secrets
import signal
import socket
import threading
import time
import webbrowser
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from emgcramp.core.clock import duration_words
from emgcramp.core.errors import InputError, Stopped
from emgcramp.review.app import Heartbeat, create_app
from emgcramp.review.nights import Library
from emgcramp.review.words import shown

HOST = "127.0.0.1"  # this machine only: the page shows a person's nights
# A connection that says nothing for this long (s) is closed, its thread with it: a local program that opened
# thousands and sent half a request held a thread each for ever, and the server answered nothing for minutes.
# (No cap on connections: one reached before the token is checked would let 32 of them keep the page out.)
IDLE_CONNECTION_S = 30.0


class _Handler(WSGIRequestHandler):
    timeout = IDLE_CONNECTION_S  # socketserver sets it on each connection

    def log_error(self, format: str, *args: Any) -> None:
        if not format.startswith("Request timed out"):  # a browser's idle spare connection, closed: nothing wrong
            super().log_error(format, *args)


def serve(library: Library, port: int = 0, open_browser: bool = True, idle_exit_s: float = 60.0) -> int:
    """Serve ``library`` until Ctrl-C or the page goes quiet; print the URL first. Returns the exit status."""
    token, launch = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    heartbeat = Heartbeat(idle_exit_s)
    app = create_app(library, token, heartbeat, launch)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # each request's line would print the token
    _check_port(port)
    server = ThreadedWSGIServer(HOST, port, app, _Handler)
    app.config["PORT"] = server.server_port
    url = f"http://{HOST}:{server.server_port}/?token={token}"
    what = "nights in " if library.many else ""
    expired = threading.Event()
    watch = threading.Thread(target=_watch, args=(server, heartbeat, expired), daemon=True)
    signals: list[int] = []  # SIGTERM or SIGHUP: Werkzeug's loop ends on them as on Ctrl-C, and they are told

    def stop(signum: int, frame: object) -> None:
        signals.append(signum)
        raise Stopped(signum)

    main = threading.current_thread() is threading.main_thread()  # only it may set handlers
    before = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)} if main else {}
    try:  # from the moment the address is out, Ctrl-C is the way to stop, and a plain one
        print(f"review of {what}{shown(library.path)} at {url} (Ctrl-C stops it)", flush=True)
        watch.start()
        if open_browser:  # a code used once, not the token: the browser's command line is any local user's to read
            webbrowser.open(f"http://{HOST}:{server.server_port}/?launch={launch}")
        server.serve_forever(poll_interval=0.2)  # werkzeug's returns on Ctrl-C, as on shutdown()
    except KeyboardInterrupt:
        pass  # Ctrl-C before serving began
    finally:
        server.server_close()
        for sig, handler in before.items():
            signal.signal(sig, handler)
    if signals:  # the command line says it stopped, and its status says by what
        raise Stopped(signals[0])
    if expired.is_set() and heartbeat.last is None:
        print(f"review stopped: its page was not opened in {duration_words(heartbeat.first_s)} (start it again "
              "to review)", flush=True)
    elif expired.is_set():
        print(f"review stopped: the page has been closed for {idle_exit_s:g} s", flush=True)
    else:
        print("review stopped", flush=True)
    return 0


def _check_port(port: int) -> None:
    """:class:`InputError` when ``port`` (0: any free one) cannot be listened on: Werkzeug would print two lines
    of its own and exit 1. Bound as it binds (the address reused, so a port still closing is free)."""
    if not port:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as e:
            raise InputError(f"cannot listen on {HOST}:{port} ({e.strerror}); give another --port, "
                             "or 0 for any free one") from None


def _watch(server, heartbeat, expired: threading.Event) -> None:
    """Stop ``server`` once the heartbeat has expired, and say so in ``expired``."""
    while True:
        time.sleep(0.25)
        if heartbeat.expired():
            expired.set()
            server.shutdown()
            return
