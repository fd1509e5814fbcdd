"""What a night folder lacks of its night: the stretches whose samples were not stored, and the cramps alerted there.

A monitor that could not store (a full disk, a crash before the last block reached it) still detected and
alerted; the night's log holds those cramps, and both the live events table and ``recover`` flag them
``not_stored`` by the same stretches (:func:`unstored_spans`).
"""

from __future__ import annotations

import contextlib
import math
import os
from datetime import datetime

from emgcramp.core.errors import InputError, settings_note
from emgcramp.core.types import Episode
from emgcramp.io.events import episode_from_row, write_events_csv
from emgcramp.io.night_reader import NightRecording, read_events


def unstored_spans(rec: NightRecording, events: list[dict] | None = None) -> list[tuple[float, float]]:
    """(start s, end s) of each stretch of the night whose samples are not in its folder.

    Past the last stored sample (to the end of time: the log may know of cramps after it), and each stretch
    the log records as not stored. ``events``: the night's log records, when already read.
    """
    events = read_events(rec.path) if events is None else events
    holes, before = [(rec.n_samples / rec.fs, math.inf)], 0
    for e in sorted((e for e in events if e.get("type") == "gap"), key=lambda e: e["file_sample"]):
        if e.get("reason") == "not stored":
            holes.append(((e["file_sample"] + before) / rec.fs, (e["file_sample"] + before + e["missing"]) / rec.fs))
        before += e["missing"]
    return holes


def night_events(folder: str, episodes: list[Episode]) -> tuple[list[Episode], datetime | None]:
    """A monitor night's cramps as its ``events.csv`` holds them (flagged ``not_stored`` where nothing of them
    reached the folder, as ``recover`` flags them), and the night's start (``None`` when its header cannot be
    read: the table is then written without clock times)."""
    with contextlib.suppress(InputError, OSError):
        night = NightRecording(folder)
        return flag_unstored(episodes, unstored_spans(night)), night.start
    return episodes, None


def store_night_events(folder: str, episodes: list[Episode]) -> None:
    """Write a night folder's ``events.csv`` (:func:`night_events`); a disk that refuses it is said, not raised."""
    try:
        write_events_csv(os.path.join(folder, "events.csv"), *night_events(folder, episodes))
    except OSError as e:
        settings_note(f"{folder}: its events.csv was not written: {e.strerror or e}")


def flag_unstored(episodes: list[Episode], holes: list[tuple[float, float]]) -> list[Episode]:
    """``episodes``, each whose samples are not all stored (it overlaps a stretch not stored) flagged ``not_stored``.

    ``recover`` flags such a cramp so from the log, unless the stored samples hold a cramp there of their own.
    """
    from dataclasses import replace

    return [replace(e, flags=[*e.flags, "not_stored"])
            if "not_stored" not in e.flags and any(a < e.offset_s and e.onset_s < b for a, b in holes) else e
            for e in episodes]


def unstored_cramps(folder: str, rec: NightRecording, found: list[Episode]) -> list[Episode]:
    """The cramps the night's log holds (alerted live) where no samples were stored, flagged ``not_stored``.

    Past the last stored sample (a crash before it reached the disk) or in a stretch not stored (a full
    disk), the samples' own analysis (``found``) cannot hold them; the log's record is all there is, so a
    recovered night keeps it rather than lose a cramp that was alerted. A logged cramp that one of ``found``
    overlaps is left to it.
    """
    events = read_events(folder)  # gap records are checked there; cramp records are checked here, one by one
    holes = unstored_spans(rec, events)
    retracted = {round(e["onset_s"], 3) for e in events if e.get("type") == "retracted" and _seconds(e, "onset_s")}
    closed = [r for r in events if r.get("type") == "cramp" and _seconds(r, "onset_s") and _seconds(r, "offset_s")]
    out: list[Episode] = []
    for r in closed + [_still_open(a) for a in events if _alerted_open(a, closed)]:
        on, off = r["onset_s"], r["offset_s"]
        if (round(on, 3) in retracted or any(f.onset_s < off and on < f.offset_s for f in found + out)
                or not any(a < off and on < b for a, b in holes)):
            continue
        cells = {k: ";".join(map(str, v)) if isinstance(v, list) else "" if v is None else str(v) for k, v in r.items()}
        cells["flags"] = ";".join(filter(None, (cells.get("flags", ""), "not_stored")))
        try:
            out.append(episode_from_row(cells))
        except ValueError:
            continue  # a record damaged: the stored samples' analysis stands alone there
    return out


def _alerted_open(record: dict, closed: list[dict]) -> bool:
    """A cramp alert (not a warning's) whose cramp never closed in the log: the monitor stopped under it."""
    if record.get("type") != "alert" or record.get("kind") == "warning" or not (
            _seconds(record, "onset_s") and _seconds(record, "at_s")):
        return False
    return not any(c["onset_s"] <= record["at_s"] and record["onset_s"] <= c["offset_s"] for c in closed)


def _still_open(alert: dict) -> dict:
    """The cramp an alert announced, as far as the log knows it: from its onset to the alert (s), its level then."""
    peak = alert.get("peak_uv")
    peak = peak if isinstance(peak, (int, float)) and not isinstance(peak, bool) else math.nan
    return {"onset_s": alert["onset_s"], "offset_s": alert["at_s"], "duration_s": alert["at_s"] - alert["onset_s"],
            "kind": alert["kind"], "peak_intensity": peak, "mean_intensity": math.nan,
            "channel": alert.get("channel") or "", "flags": "open_at_end"}


def _seconds(record: dict, key: str) -> bool:
    """The record holds a finite number of seconds at ``key``."""
    v = record.get(key)
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def no_night(folder: str) -> bool:
    """Whether night ``folder`` holds nothing to make a night of: under :data:`~emgcramp.core.blocks.MIN_SIGNAL_S`
    of samples stored and no cramp in its log (a monitor stopped as it began). A folder that cannot be read is not
    said to be one (what is wrong with it is for ``recover`` to say)."""
    from emgcramp.core.blocks import MIN_SIGNAL_S

    with contextlib.suppress(InputError, OSError, ValueError):
        rec = NightRecording(folder)
        return rec.n_samples < MIN_SIGNAL_S * rec.fs and not any(
            e.get("type") in ("cramp", "alert") for e in read_events(folder))
    return False
