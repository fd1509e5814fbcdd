"""The night report written: as an image, or as one self-contained HTML page (the figure, the cramps' table, the
possible cramps in words)."""

from __future__ import annotations

import base64
import html
import io
from datetime import datetime

from emgcramp.core.types import Episode
from emgcramp.viz.report import NOT_A_DIAGNOSIS, TABLE_HEAD, ZOOMS_DRAWN, clock_text, numbers, plain_summary, table_row

# A morning's reading: the likeliest possible cramps by name, the rest counted (all are in --json and review).
POSSIBLE_LISTED = ZOOMS_DRAWN  # as many as the cramps the figure draws


def possible_html(possible: list[dict], start: datetime | None, cramps: list[float] = ()) -> str:
    """The possible cramps (listed, never counted) as one paragraph, likeliest first: number (among them and the
    ``cramps``' onsets, s, as on the review page), clock, duration, kind, probability, reason; past
    :data:`POSSIBLE_LISTED`, how many more and below which probability."""
    if not possible:
        return ""
    number = dict(zip(map(id, possible), numbers(list(cramps), [p["onset_s"] for p in possible])[1]))
    ranked = sorted(possible, key=lambda p: -p["probability"])
    items = [f"#{number[id(p)]} {clock_text(start, p['onset_s'])} {p['duration_s']:.0f} s {p['kind']}, probability "
             f"{p['probability']:.2f} ({p['reason'].replace('_', ' ')})" for p in ranked[:POSSIBLE_LISTED]]
    rest = ranked[POSSIBLE_LISTED:]
    more = (f"; and {len(rest)} more, each at probability {rest[0]['probability']:.2f} or less (all of them in "
            "emgcramp review and analyze --json)") if rest else ""
    return (f"<p>{len(possible)} possible cramp(s), listed but not counted (a burst that may be a cramp or a "
            f"look-alike), likeliest first: {html.escape('; '.join(items) + more)}.</p>")


def page_html(png_b64: str, episodes: list[Episode], start: datetime | None, summary: dict, title: str) -> str:
    """The page: ``title``, the night in a sentence, the figure (a base64 PNG), the cramps and the possible cramps
    (``summary``'s, as :meth:`~emgcramp.core.types.Analysis.summary` gives them), numbered as on the review page."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in TABLE_HEAD)
    onsets = [e.onset_s for e in episodes]
    nums = numbers(onsets, [p["onset_s"] for p in summary.get("possible_cramps", [])])[0]
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in table_row(k, e, start)) + "</tr>"
                   for k, e in zip(nums, episodes))
    q = next(iter(summary.get("quality", {}).values()), {})
    level = (f"Rest level {q['rest_uv']:.1f} µV" if q.get("rest_uv") is not None else
             f"Typical level {summary['typical_uv']:.1f} µV (the night's median; no cramp in the events table "
             "gives a rest level)" if "typical_uv" in summary else "Rest level not measured")
    lost = q.get("flat_fraction", summary.get("flat_fraction", 0.0))
    facts = plain_summary(episodes, summary) + f" {level}; signal lost {100 * lost:.1f} % of the night."
    return (f"<!doctype html><html><head><meta charset='utf-8'><meta name='generator' content='emgcramp report'><title>{html.escape(title)}</title>"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:4px 8px}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(facts)}</p>"
            f"<img alt='night report' style='max-width:100%' src='data:image/png;base64,{png_b64}'>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"{possible_html(summary.get('possible_cramps', []), start, onsets)}"
            f"<p><small>{html.escape(NOT_A_DIAGNOSIS)}</small></p>"
            "</body></html>")


def write(path: str, fig, episodes: list[Episode], start: datetime | None, summary: dict, title: str) -> None:
    """Save :func:`~emgcramp.viz.report.figure` ``fig`` as an image (PNG, PDF, SVG: by extension) or as
    :func:`page_html`, owner-only. Any other extension: :class:`~emgcramp.core.errors.InputError`, before anything
    is written."""
    from emgcramp.io.secure import FIGURE_FORMATS, PAGE_FORMATS, REPORT, output_format, private_path, save_figure

    if output_format(path, PAGE_FORMATS + FIGURE_FORMATS, "report") in FIGURE_FORMATS:
        save_figure(fig, path, REPORT, dpi=110)
        return
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    with private_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(page_html(base64.b64encode(buf.getvalue()).decode(), episodes, start, summary, title))
