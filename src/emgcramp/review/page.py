"""The review page's HTML: served (assets by URL, the data fetched) or saved whole (everything inline).

One template (``page.html``) and one script (``static/review.js``) serve
both: the server's page asks it for the data, the saved page carries the
data in it and hides the answer buttons. Data goes into the page as JSON
in a ``<script type="application/json">`` element, escaped so that no
value can close that element.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
STATIC = os.path.join(HERE, "static")
# The files /static/NAME serves: these and no others (nothing else of the disk is reachable by URL).
ASSETS = ("uPlot.iife.min.js", "uPlot.min.css", "review.js", "review.css", "uPlot.LICENSE")
SCRIPTS = ("uPlot.iife.min.js", "review.js")
STYLES = ("uPlot.min.css", "review.css")
# The saved page keeps the largest level of each 10 bins (5 per second at 50 Hz): every peak stays, and an
# 8-hour night's timeline is 0.6 MB instead of 6.
SAVED_FACTOR = 10


def _read(name: str, folder: str = STATIC) -> str:
    with open(os.path.join(folder, name), encoding="utf-8") as f:
        return f.read()


def _json_for_html(value: object) -> str:
    """JSON that is safe inside a script element: ``<``, ``>`` and ``&`` as unicode escapes."""
    text = json.dumps(value, separators=(",", ":"), default=float, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def served(title: str, boot: dict, token: str) -> str:
    """The page as the server sends it: scripts and styles by URL, each with the token."""
    q = f"?token={html.escape(token)}"
    styles = "".join(f'<link rel="stylesheet" href="/static/{n}{q}">' for n in STYLES)
    scripts = "".join(f'<script src="/static/{n}{q}"></script>' for n in SCRIPTS)
    return _fill(title, boot | {"token": token}, styles, scripts)


def saved(title: str, night: dict, levels: bytes) -> str:
    """The page with everything in it, for a file: the night's data and its levels (float32, base64), no server."""
    boot = {"mode": "night", "static": True, "night_data": night, "levels_b64": base64.b64encode(levels).decode()}
    styles = "".join(f"<style>{_read(n)}</style>" for n in STYLES)
    # A script's text may not hold "</script"; uPlot's and ours do not, and this keeps it so.
    scripts = "".join("<script>" + _read(n).replace("</script", "<\\/script") + "</script>" for n in SCRIPTS)
    return _fill(title, boot, styles, scripts)


def _fill(title: str, boot: dict, styles: str, scripts: str) -> str:
    parts = {"title": html.escape(title), "styles": styles, "boot": _json_for_html(boot), "scripts": scripts}
    # One pass: what is filled in is not read again, so a night named "…{{scripts}}" stays that text.
    return re.sub(r"\{\{(title|styles|boot|scripts)\}\}", lambda m: parts[m.group(1)], _read("page.html", HERE))


def saved_night(night, command: str = "") -> str:
    """A :class:`~emgcramp.review.data.NightData` as one self-contained page (``report --out night.html``).

    ``command``: the ``emgcramp review`` command the page names to answer it (default ``emgcramp review NIGHT``).
    """
    from emgcramp.review.data import levels_bytes, night_json

    data = night_json(night)
    data["review_command"] = command or "emgcramp review NIGHT"
    data["rate_hz"] = night.rate_hz / SAVED_FACTOR
    data["bins"] = -(-len(night.levels) // SAVED_FACTOR)
    return saved(data["title"], data, levels_bytes(night, SAVED_FACTOR))
