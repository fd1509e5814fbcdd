"""The events CSV and JSON summary described in README.md, *Analyse a recording* (columns fixed, files 0600)."""

from __future__ import annotations

import csv
import json
import math
import numbers
import os
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from emgcramp.core.errors import InputError, settings_note
from emgcramp.core.types import EPISODE_FIELDS, CrampWarning, Episode, LegMovement, clock_time, episode_record
from emgcramp.io.secure import check_regular, private_file

COLUMNS = ["onset_s", "offset_s", "duration_s", "kind", "peak_intensity", "mean_intensity",
           "channel", "onset_clock", "rest_uv", "peak_x_rest", "mean_x_rest", "pct_mvc", "duty", "flags",
           "warning_lead_s", "muscles", "probability", "freq_hz", "freq_drift"]
FIRST_WRITTEN = 14  # the columns of the first events CSV written (up to flags): each later one was added after
ACTIVITY_COLUMNS = ["onset_s", "offset_s", "duration_s", "kind", "channel", "onset_clock", "peak_uv", "rest_uv",
                    "plm_series", "level_x_rest", "twitches", "lead_s", "probability", "reason"]


def episode_cells(e: Episode, start: datetime | None = None, empty: str = "", sep: str = ";") -> dict[str, str]:
    """The same values as text, fixed decimals; ``empty`` for none, flags joined by ``sep``."""
    cells = {}
    for name, v in episode_record(e, start).items():
        decimals = EPISODE_FIELDS[name]
        if name == "flags":
            v = sep.join(v) or None
        cells[name] = empty if v in (None, "") else f"{v:.{decimals}f}" if decimals is not None else str(v)
    return cells


def episode_row(e: Episode, start: datetime | None = None) -> dict[str, object]:
    """One events-CSV row (:data:`COLUMNS`): times in s, intensities in µV RMS, ratios × rest."""
    cells = episode_cells(e, start)
    return {name: cells[name] for name in COLUMNS}


def _header(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            return f.readline(4096).strip().split(",")
    except OSError:
        return []


def is_events_csv(path: str) -> bool:
    """True for an events CSV this package wrote: :data:`COLUMNS`, or as many of them as an earlier version wrote
    (14 or more; never only the six the contract names, which another tool's file may hold), then a batch's
    ``file,subject``. In that order: a table whose columns were moved was edited, and is no output to replace."""
    header = _header(path)
    own = header[:-2] if header[-2:] == ["file", "subject"] else header
    return len(own) >= FIRST_WRITTEN and own == COLUMNS[:len(own)]


def is_activity_csv(path: str) -> bool:
    """True for a leg-movement and warning CSV this package wrote (``--lm-events``)."""
    return _header(path) == ACTIVITY_COLUMNS


def write_events_csv(path: str, episodes: list[Episode], start: datetime | None = None) -> None:
    """Write the events CSV atomically; header only when there are no episodes."""
    with private_file(path) as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for e in episodes:
            w.writerow(episode_row(e, start))


# Decimals of the activity table's numbers (leg movements, warnings, possible cramps' probabilities), as
# written and as Result.records gives them: times to the ms, levels to 0.01 µV (or × rest), leads to 0.1 s.
ACTIVITY_DECIMALS = {"onset_s": 3, "offset_s": 3, "duration_s": 3, "peak_uv": 2, "rest_uv": 2, "level_x_rest": 2,
                     "lead_s": 1, "probability": 3}


def _cell(name: str, v: float | None) -> str:
    return "" if v is None else f"{v:.{ACTIVITY_DECIMALS[name]}f}"


def rounded(record: dict[str, object]) -> dict[str, object]:
    """``record`` with its numbers rounded as the activity table writes them (:data:`ACTIVITY_DECIMALS`)."""
    return {k: round(v, ACTIVITY_DECIMALS[k]) + 0.0 if k in ACTIVITY_DECIMALS and isinstance(v, float) else v
            for k, v in record.items()}


def timed(record: dict[str, Any], duration_s: float, clock: str) -> dict[str, Any]:
    """``record`` with ``duration_s`` and ``onset_clock`` (``None`` undated) after ``offset_s``, as the activity
    table gives them."""
    items = list(record.items())
    at = [k for k, _ in items].index("offset_s") + 1
    return dict(items[:at] + [("duration_s", duration_s), ("onset_clock", clock or None)] + items[at:])


def activity_names(record: dict) -> dict:
    """A leg movement's or warning's fields under the names the ``--lm-events`` table gives them
    (``series``: ``plm_series``)."""
    return {("plm_series" if k == "series" else k): v for k, v in record.items()}


def write_activity_csv(path: str, movements: list[LegMovement], warnings: list[CrampWarning],
                       start: datetime | None = None, possible: list[Episode] = ()) -> None:
    """Write leg movements (``lm``), pre-cramp warnings (``warning``) and possible cramps in time order.

    ``plm_series`` numbers the PLM series an LM belongs to (0: none); a
    warning's ``lead_s`` is how long before the cramp that followed it began;
    a ``possible_cramp`` row gives its probability and what spoke most against it.
    """
    rows = [(m.onset_s, {k: _cell(k, getattr(m, k)) for k in ("onset_s", "offset_s", "duration_s", "peak_uv",
                                                              "rest_uv")}
             | {"kind": "lm", "channel": m.channel, "onset_clock": clock_time(start, m.onset_s),
                "plm_series": m.series})
            for m in movements if m.is_lm]
    rows += [(w.onset_s, {k: _cell(k, getattr(w, k)) for k in ("onset_s", "offset_s", "duration_s", "level_x_rest",
                                                               "lead_s")}
              | {"kind": "warning", "channel": w.channel, "onset_clock": clock_time(start, w.onset_s),
                 "twitches": w.twitches})
             for w in warnings]
    for e in possible:
        c = episode_cells(e, start)
        rows.append((e.onset_s, {k: c[k] for k in ("onset_s", "offset_s", "duration_s", "channel", "onset_clock",
                                                   "rest_uv", "probability", "reason")}
                     | {"kind": "possible_cramp", "peak_uv": c["peak_intensity"]}))
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


def nulls(value: Any) -> Any:
    """``value`` with every NaN as ``None``: JSON has no NaN (strict readers refuse it), only null."""
    if isinstance(value, dict):
        return {k: nulls(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [nulls(v) for v in value]
    # a NumPy float too (a Real that is no int)
    return None if isinstance(value, numbers.Real) and not isinstance(value, int) and math.isnan(value) else value


REQUIRED = COLUMNS[:6]  # what a night's trend and report need of every row
TIMES = COLUMNS[:3]  # finite; a level may be nan (a rest level not known is written so)
MAX_TIME_S = 1e8  # s, three years: a time past it is no recording's (1e12 s overflowed the clocks made from it)
_NEEDED = object()


def episodes_from_rows(rows: list[dict[str, str]]) -> list[Episode]:
    """Episodes from the rows of an events CSV (``csv.DictReader``); a bad cell raises ``ValueError`` naming it."""
    return [episode_from_row(r) for r in rows]


def recording_events(path: str, recording: str, start: datetime | None) -> list[Episode]:
    """The cramps events CSV ``path`` holds for ``recording``, which starts at ``start`` (if known).

    A batch table's rows are those whose ``file`` is ``recording`` (as named from the working folder or
    from the table's, else the one file of its name); none is a recording without cramps, said in a note. A row dated another night than
    ``recording`` (its ``onset_clock`` not ``start`` plus its ``onset_s``, to the second) is
    :class:`InputError`: the table is another recording's.
    """
    check_regular(path, "an events CSV")
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
        reader = csv.DictReader(f)
        absent = [name for name in REQUIRED if name not in (reader.fieldnames or [])]
        if absent:
            raise InputError(f"{path}: not an emgcramp events CSV (no {absent[0]!r} column; expected "
                             f"the header {','.join(COLUMNS)})")
        rows = [(r, e) for _, r, e in read_rows(path, reader)]
    if "file" in (reader.fieldnames or []):
        named = {r["file"] for r, _ in rows}
        mine = [(r, e) for r, e in rows if _same_file(r["file"] or "", recording, os.path.dirname(path))]
        # written from another folder, its names lead nowhere from here: one of the recording's name is it
        alike = {f for f in named if os.path.basename(f or "") == os.path.basename(recording)}
        rows = mine or ([(r, e) for r, e in rows if r["file"] in alike] if len(alike) == 1 else [])
        if not rows and named:
            settings_note(f"{path}: a batch table; none of its rows is {recording}'s (it lists the "
                          f"cramps of {len(named)} other recording(s)): drawn without cramps")
    for r, e in rows:
        clock = (r.get("onset_clock") or "").strip()
        if clock and start is not None:
            try:
                off = (datetime.fromisoformat(clock) - start).total_seconds() - e.onset_s
            except (ValueError, TypeError):  # not a time, or one with a zone against one without
                continue
            if abs(off) > 2.0:
                raise InputError(f"{path}: its cramp at {e.onset_s:g} s is dated {clock}, and {recording} starts "
                                 f"{start.isoformat(sep=' ', timespec='seconds')}: events of another recording?")
    return [e for _, e in rows]


def _same_file(name: str, recording: str, table_dir: str) -> bool:
    """Whether a batch table's ``file`` cell ``name`` is ``recording``, from the working folder or the table's."""
    for candidate in (name, os.path.join(table_dir, name)):
        try:
            if name and os.path.samefile(candidate, recording):
                return True
        except OSError:
            continue
    return False


def episode_from_row(r: dict[str, str | None]) -> Episode:
    """One episode from one events-CSV row.

    Raises ``ValueError`` whose message names the column and what it
    expected, for the caller to put after the file and line.
    """
    missing = ([name for name in REQUIRED if r.get(name) is None]
               or [name for name, v in r.items() if name is not None and v is None])
    if missing:  # DictReader leaves the cells of a short row None: a row cut short, or another table's
        held = sum(v is not None for k, v in r.items() if k is not None)
        raise ValueError(f"the row stops after {held} cell(s), before column {missing[0]!r}; expected a cell "
                         "for each column of the header on every row (a file cut short?)")
    if any((cell or "").strip() for cell in r.get(None) or ()):  # DictReader puts cells past the header there
        raise ValueError(f"the row has {len(r[None])} more cell(s) than the header names columns; a row of another "
                         "table pasted in?")
    kind = r["kind"].strip().lower()  # as a spreadsheet may leave it: "Tonic", "tonic "
    if kind not in ("tonic", "clonic"):  # the report colours, counts and draws each kind it knows
        raise ValueError(f"column 'kind' is {r['kind']!r}; expected tonic or clonic (the cramps' table holds "
                         "no other: possible cramps and leg movements are in --lm-events)")
    clock = (r.get("onset_clock") or "").strip()
    if clock and not _is_clock(clock):  # the cramp would be dated nowhere, or the check of its recording skipped
        raise ValueError(f"column 'onset_clock' holds {clock!r}; expected a date and time such as "
                         "2026-01-05T23:40:00, or nothing")
    rest = _number(r, "rest_uv", float("nan"))
    if rest < 0:  # a level (0.00: one under 0.005 µV, written to the hundredth; its × rest is then not known)
        raise ValueError(f"column 'rest_uv' holds {r['rest_uv']!r}; expected the rest level, µV, or nothing")
    onset, offset, duration = (_number(r, k) for k in ("onset_s", "offset_s", "duration_s"))
    if onset < 0 or offset < onset or duration < 0:  # a negative length would take time off the night's totals
        raise ValueError(f"the cramp runs from {r['onset_s']} s to {r['offset_s']} s over {r['duration_s']} s; "
                         "expected 0 ≤ onset_s ≤ offset_s and a duration_s of 0 or more")
    # each cell rounded once, to the ms as written or coarser as a spreadsheet may save it: half a step each
    if abs(duration - (offset - onset)) > sum(_step(r[k]) for k in ("onset_s", "offset_s", "duration_s")) / 2 + 1e-6:
        raise ValueError(f"duration_s is {r['duration_s']} s for a cramp from {r['onset_s']} s to {r['offset_s']} s; "
                         "expected offset_s − onset_s")
    return Episode(onset, offset, duration, kind,
                   _number(r, "peak_intensity"), _number(r, "mean_intensity"),
                   rest, r.get("channel") or "", _number(r, "duty", 1.0),
                   _number(r, "pct_mvc", None), [x for x in (r.get("flags") or "").split(";") if x],
                   _number(r, "warning_lead_s", None), [x for x in (r.get("muscles") or "").split("+") if x],
                   _number(r, "probability", None), freq_hz=_number(r, "freq_hz", None),
                   freq_drift=_number(r, "freq_drift", None))


def _is_clock(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _step(cell: str | None) -> float:
    """The rounding step of a number's text (s): ``24.1``, 0.1; ``24``, 1; at least the ms the table is written to."""
    text = (cell or "").strip().lower()
    if "e" in text or "." not in text:
        return 1.0 if text.isdigit() else 0.001
    return max(10.0 ** -len(text.split(".")[1]), 0.001)


def _number(r: dict[str, str | None], name: str, default: float | None | object = _NEEDED) -> float | None:
    """The cell as a number (a time finite); ``default`` when it is empty and may be (a required cell may not)."""
    text = (r.get(name) or "").strip()
    if not text:
        if default is _NEEDED:
            raise ValueError(f"column {name!r} is empty; expected a number")
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"column {name!r} holds {text!r}; expected a number") from None
    if name in TIMES and not abs(value) <= MAX_TIME_S:  # an endless onset would overflow every clock made from it
        raise ValueError(f"column {name!r} holds {text!r}; expected seconds from the recording's start, a number "
                         f"up to {MAX_TIME_S:g}")
    if name == "probability" and not 0.0 <= value <= 1.0:  # nan stays: a probability not known
        raise ValueError(f"column {name!r} holds {text!r}; expected a probability between 0 and 1")
    return value


def read_rows(path: str, reader: csv.DictReader) -> Iterator[tuple[int, dict[str, str | None], Episode]]:
    """Each row of an open events CSV with its line number and its episode; a bad cell is one ``InputError``."""
    try:
        for r in reader:
            try:
                yield reader.line_num, r, episode_from_row(r)
            except ValueError as e:
                raise InputError(f"{path} line {reader.line_num}: {e}") from None
    except csv.Error as e:  # a cell past the csv module's size limit, a NUL byte
        raise InputError(f"{path} line {reader.line_num}: not readable as CSV ({e})") from None


def read_events_csv(path: str) -> list[Episode]:
    """Episodes back from an events CSV written by :func:`write_events_csv`."""
    check_regular(path, "an events CSV")
    try:
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:  # -sig: a spreadsheet's BOM
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            absent = [name for name in REQUIRED if name not in header]
            if absent:
                raise InputError(f"{path}: not an emgcramp events CSV (no {absent[0]!r} column; expected "
                                 f"the header {','.join(COLUMNS)})")
            return [e for _, _, e in read_rows(path, reader)]
    except FileNotFoundError:
        raise InputError(f"{path}: no such events file") from None
