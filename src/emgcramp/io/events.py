"""The events CSV and JSON summary of DESIGN.md (columns fixed, files 0600)."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta

from emgcramp.core.types import CrampWarning, Episode, LegMovement
from emgcramp.io.secure import private_file

COLUMNS = ["onset_s", "offset_s", "duration_s", "kind", "peak_intensity", "mean_intensity",
           "channel", "onset_clock", "rest_uv", "peak_x_rest", "mean_x_rest", "pct_mvc", "duty", "flags",
           "warning_lead_s", "muscles", "probability"]
ACTIVITY_COLUMNS = ["onset_s", "offset_s", "duration_s", "kind", "channel", "onset_clock", "peak_uv", "rest_uv",
                    "plm_series", "level_x_rest", "twitches", "lead_s", "probability", "reason"]


def episode_row(e: Episode, start: datetime | None = None) -> dict[str, object]:
    """One CSV row: times in s, intensities in µV RMS, ratios × rest."""
    clock = _clock(start, e.onset_s)
    return {"onset_s": f"{e.onset_s:.3f}", "offset_s": f"{e.offset_s:.3f}", "duration_s": f"{e.duration_s:.3f}",
            "kind": e.kind, "peak_intensity": f"{e.peak_intensity:.2f}", "mean_intensity": f"{e.mean_intensity:.2f}",
            "channel": e.channel, "onset_clock": clock, "rest_uv": f"{e.rest_uv:.2f}",
            "peak_x_rest": f"{e.peak_x_rest:.1f}", "mean_x_rest": f"{e.mean_x_rest:.1f}",
            "pct_mvc": "" if e.pct_mvc is None else f"{e.pct_mvc:.1f}", "duty": f"{e.duty:.2f}",
            "flags": ";".join(e.flags),
            "warning_lead_s": "" if e.warning_lead_s is None else f"{e.warning_lead_s:.1f}",
            "muscles": "+".join(e.muscles),
            "probability": "" if e.probability is None else f"{e.probability:.3f}"}


def _clock(start: datetime | None, t: float) -> str:
    return (start + timedelta(seconds=t)).isoformat(timespec="seconds") if start else ""


def write_events_csv(path: str, episodes: list[Episode], start: datetime | None = None) -> None:
    """Write the events CSV atomically; header only when there are no episodes."""
    with private_file(path) as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for e in episodes:
            w.writerow(episode_row(e, start))


def write_activity_csv(path: str, movements: list[LegMovement], warnings: list[CrampWarning],
                       start: datetime | None = None, possible: list[Episode] = ()) -> None:
    """Write leg movements (``lm``), pre-cramp warnings (``warning``) and possible cramps in time order.

    ``plm_series`` numbers the PLM series an LM belongs to (0: none); a
    warning's ``lead_s`` is how long before the cramp that followed it began;
    a ``possible_cramp`` row gives its probability and what spoke most against it.
    """
    rows = [(m.onset_s, {"onset_s": f"{m.onset_s:.3f}", "offset_s": f"{m.offset_s:.3f}",
                         "duration_s": f"{m.duration_s:.3f}", "kind": "lm", "channel": m.channel,
                         "onset_clock": _clock(start, m.onset_s), "peak_uv": f"{m.peak_uv:.2f}",
                         "rest_uv": f"{m.rest_uv:.2f}", "plm_series": m.series})
            for m in movements if m.is_lm]
    rows += [(w.onset_s, {"onset_s": f"{w.onset_s:.3f}", "offset_s": f"{w.offset_s:.3f}",
                          "duration_s": f"{w.duration_s:.3f}", "kind": "warning", "channel": w.channel,
                          "onset_clock": _clock(start, w.onset_s), "level_x_rest": f"{w.level_x_rest:.2f}",
                          "twitches": w.twitches, "lead_s": "" if w.lead_s is None else f"{w.lead_s:.1f}"})
             for w in warnings]
    rows += [(e.onset_s, {"onset_s": f"{e.onset_s:.3f}", "offset_s": f"{e.offset_s:.3f}",
                          "duration_s": f"{e.duration_s:.3f}", "kind": "possible_cramp", "channel": e.channel,
                          "onset_clock": _clock(start, e.onset_s), "peak_uv": f"{e.peak_intensity:.2f}",
                          "rest_uv": f"{e.rest_uv:.2f}", "probability": f"{e.probability:.3f}", "reason": e.reason})
             for e in possible]
    with private_file(path) as f:
        w = csv.DictWriter(f, fieldnames=ACTIVITY_COLUMNS)
        w.writeheader()
        for _, row in sorted(rows, key=lambda r: r[0]):
            w.writerow(row)


def write_json(path: str, data: dict) -> None:
    """Write JSON atomically, owner-only."""
    with private_file(path, newline=None) as f:
        json.dump(data, f, indent=2, default=float)
        f.write("\n")


def episodes_from_rows(rows: list[dict[str, str]]) -> list[Episode]:
    """Episodes from the rows of an events CSV (``csv.DictReader``)."""
    return [Episode(float(r["onset_s"]), float(r["offset_s"]), float(r["duration_s"]), r["kind"],
                    float(r["peak_intensity"]), float(r["mean_intensity"]), float(r.get("rest_uv") or "nan"),
                    r.get("channel", ""), float(r.get("duty") or 1.0),
                    float(r["pct_mvc"]) if r.get("pct_mvc") else None,
                    [x for x in (r.get("flags") or "").split(";") if x],
                    float(r["warning_lead_s"]) if r.get("warning_lead_s") else None,
                    [x for x in (r.get("muscles") or "").split("+") if x],
                    float(r["probability"]) if r.get("probability") else None) for r in rows]


def read_events_csv(path: str) -> list[Episode]:
    """Episodes back from an events CSV written by :func:`write_events_csv`."""
    from emgcramp.core.errors import InputError

    try:
        with open(path, newline="", encoding="utf-8") as f:
            return episodes_from_rows(list(csv.DictReader(f)))
    except FileNotFoundError:
        raise InputError(f"{path}: no such events file") from None
    except (KeyError, ValueError) as e:
        raise InputError(f"{path}: not an emgcramp events CSV ({e})") from None
