"""The review server's routes (Flask): the pages, the night's data, the answers, the heartbeat.

Every request must carry the session's token (``?token=`` or the
``X-Review-Token`` header) and name the server itself as its host (a page
elsewhere that points a name at 127.0.0.1 is refused); a request that
changes anything must also come from the server's own page (its
``Origin``). Nights are addressed by their number in the
:class:`~emgcramp.review.nights.Library`, never by a path.
"""

from __future__ import annotations

import math
import os
import secrets
import threading
import time

from flask import Flask, Response, abort, jsonify, redirect, request, send_from_directory

from emgcramp.core.errors import InputError
from emgcramp.io.labels import add_label
from emgcramp.review import page
from emgcramp.review.data import levels_bytes, night_json
from emgcramp.review.nights import Library
from emgcramp.review.words import shown

# The page's own scripts and styles, and data fetched from the page only; it may not be framed.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
MAX_FACTOR = 5000  # coarsest level timeline asked for: one value per 100 s at 50 Hz


# How long a review waits for its page to be opened at all (s): a review started and never opened (--no-browser
# on a board without a screen) kept its port open for ever.
FIRST_PAGE_S = 600.0


class Heartbeat:
    """When the page last said it is open (``time.monotonic`` s; ``None`` before its first word)."""

    def __init__(self, timeout_s: float, first_s: float | None = None):
        # a longer --idle-exit waits as long for the first page too
        self.timeout_s, self.first_s = timeout_s, max(FIRST_PAGE_S, timeout_s) if first_s is None else first_s
        self.last: float | None = None
        self.started = time.monotonic()

    def beat(self) -> None:
        self.last = time.monotonic()

    def expired(self) -> bool:
        """True once the page has been silent ``timeout_s`` after it first spoke, or never spoke in ``first_s``."""
        if self.last is None:
            return time.monotonic() - self.started > self.first_s
        return time.monotonic() - self.last > self.timeout_s


def create_app(library: Library, token: str, heartbeat: Heartbeat, launch: str = "") -> Flask:
    """The Flask app of one review; ``app.config["PORT"]`` must be set to the bound port before serving.

    ``launch``: a code that opens the page once (``/?launch=``), as the browser is started with it: the
    address with the token itself would stand in the browser's command line, which every local user can
    read (``/proc/PID/cmdline``) for as long as the browser runs. Used, it leads to the page with the token.
    """
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = 4096  # an answer is a few numbers
    app.config["LAUNCH"] = [launch] if launch else []  # emptied at its first use
    _guard(app, token)
    _pages(app, library, token, max(0.5, min(5.0, heartbeat.timeout_s / 4)))
    _answers(app, library, heartbeat)

    @app.errorhandler(InputError)
    def _bad_night(e: InputError):
        return jsonify(error=str(e)), 422  # a night of a folder that cannot be analysed: said on the page

    return app


def _guard(app: Flask, token: str) -> None:
    """Refuse what does not carry the token, names another host, or writes from another page; and the headers."""
    launching = threading.Lock()

    @app.before_request
    def _check():
        port = app.config["PORT"]
        hosts = [f"{name}:{port}" for name in ("127.0.0.1", "localhost")]
        hosts += ["127.0.0.1", "localhost"] if port == 80 else []  # HTTP's own port goes unsaid in Host and Origin
        if request.host not in hosts:
            abort(403)
        if request.path == "/" and "launch" in request.args and request.method == "GET":
            codes, code = app.config["LAUNCH"], request.args["launch"].encode()
            with launching:  # once: two requests at once (a thread each) are not both let in
                used = bool(codes) and secrets.compare_digest(code, codes[0].encode())
                if used:
                    codes.clear()
            if used:
                return redirect(f"/?token={token}", 303)
            abort(403, description="This address opens the page once, and it has been used: open the whole "
                                   "address emgcramp review printed (the part after ?token= included).")
        given = request.args.get("token") or request.headers.get("X-Review-Token") or ""
        if not secrets.compare_digest(given.encode(), token.encode()):
            abort(403, description="This page needs its secret: open the whole address emgcramp review printed "
                                   "(the part after ?token= included).")
        if request.method != "GET" and request.headers.get("Origin") not in [f"http://{h}" for h in hosts]:
            abort(403)

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Cache-Control"] = "no-store"
        return resp


def _night_number(library: Library, k: int) -> int:
    """``k`` when the library has such a night, else 404."""
    if not 0 <= k < len(library.paths):
        abort(404)
    return k


def _pages(app: Flask, library: Library, token: str, beat_s: float) -> None:
    """The pages, their assets, and what they read: the nights' overview, a night, its level timeline."""

    def page_of(mode: str, k: int = 0) -> str:
        title = "Your nights" if mode == "nights" else f"Night {library.name(k)}"
        return page.served(title, {"mode": mode, "night": k, "many": library.many, "heartbeat_s": beat_s}, token)

    @app.get("/")
    def index():
        return page_of("nights" if library.many else "night")

    @app.get("/night/<int:k>")
    def night_page(k: int):
        return page_of("night", _night_number(library, k))

    @app.get("/static/<name>")
    def static(name: str):
        if name not in page.ASSETS:
            abort(404)
        return send_from_directory(page.STATIC, name, max_age=0)

    @app.get("/api/nights")
    def nights():
        return jsonify(library.overview())

    @app.get("/api/night/<int:k>")
    def night(k: int):
        return jsonify(night_json(library.night(_night_number(library, k))))

    @app.get("/api/night/<int:k>/levels")
    def levels(k: int):
        factor = min(max(request.args.get("factor", 1, type=int), 1), MAX_FACTOR)
        data = levels_bytes(library.night(_night_number(library, k)), factor)
        return Response(data, mimetype="application/octet-stream")


def _listed_as(night, onset_s: float, offset_s: float) -> str:
    """What the answered span (s) is listed as on the page: ``cramp``, ``possible_cramp``, or ``""`` (added)."""
    return next((e.tier for e in night.listed() if e.onset_s < offset_s and onset_s < e.offset_s), "")


def _answers(app: Flask, library: Library, heartbeat: Heartbeat) -> None:
    """What the page sends: an answer on a span of a night (into its labels.csv), and the heartbeat."""

    @app.post("/api/night/<int:k>/label")
    def label(k: int):
        n = library.night(_night_number(library, k))
        try:  # nested past Python's recursion limit within the 4 kB allowed: no answer of the page's either
            body = request.get_json(silent=True)
        except RecursionError:
            body = None
        if not isinstance(body, dict):  # a list, a number: no answer of the page's
            return jsonify(error="an answer is a JSON object of onset_s, offset_s and label"), 400
        spans = [body.get("onset_s"), body.get("offset_s")]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in spans):  # JSON numbers only
            return jsonify(error="onset_s and offset_s must be numbers of seconds"), 400
        onset, offset = (float(min(max(v, -1e300), 1e300)) for v in spans)  # an integer of 400 digits is no float
        if not (math.isfinite(onset) and math.isfinite(offset)) or offset > n.analysis.duration_s + 1.0:
            return jsonify(error="the span must lie within the night"), 400
        if not os.path.exists(n.path):  # else a recording's answers would go to a folder beside where it was
            gone = f"the answer was not saved: {shown(n.path)} is no longer there (moved or deleted)"
            return jsonify(error=gone), 410
        try:
            add_label(n.labels_folder, onset, offset, str(body.get("label")), listed=_listed_as(n, onset, offset))
        except InputError as e:
            return jsonify(error=str(e)), 400
        except OSError as e:  # a folder that may not be written, a full disk: said on the page, the answer not kept
            return jsonify(error=f"the answer was not saved: {e.filename or n.labels_folder}: "
                                 f"{e.strerror or e}"), 500
        return jsonify(night_json(n))

    @app.post("/api/heartbeat")
    def beat():
        heartbeat.beat()
        return "", 204
