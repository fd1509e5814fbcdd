"""The nights a trend counts: one events CSV each (from ``analyze --events`` or a monitor night folder).

A night's date is the recording start (an episode's clock time less its
onset), else from a ``night-YYYYmmdd-…`` folder name or a date in the file
name; without these it is placed by its file's time, and left out of the rate
(:attr:`Night.dated`). A night folder records the
``--cramp-threshold`` its ``events.csv`` was written with (``raw.json``);
:func:`count_at` counts every night at one (the cramps whose probability clears it).
"""

from __future__ import annotations

import csv
import math
import os
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from emgcramp.core.blocks import MIN_SIGNAL_S
from emgcramp.core.errors import InputError, settings_note
from emgcramp.core.types import Episode
from emgcramp.io.events import COLUMNS, REQUIRED, is_activity_csv, read_rows
from emgcramp.io.secure import LABELS_FILE, is_night_folder


@dataclass
class Night:
    """One night: its file, date, start clock (if known), episodes, and the cramp threshold they were counted at.

    ``folder``: the events are a night folder's, whose ``raw.json`` says at
    which ``threshold`` (probability, 0–1) they were counted; ``None``
    there: the decision's own. Any other events CSV does not say.
    ``uncounted``: cramps :func:`count_at` left out. ``same``: the other
    files that held this same night (:func:`load_nights`). ``table``: the
    batch table a recording's night was read from. ``dated``: ``date`` is the night's, not its file's.
    """

    path: str
    date: datetime
    clocks: list[datetime | None]
    episodes: list[Episode]
    threshold: float | None = None
    folder: bool = False
    uncounted: list[Episode] = field(default_factory=list)
    same: list[str] = field(default_factory=list)
    table: str = ""
    dated: bool = True


def _date_from_name(path: str) -> datetime | None:
    """The date in a name (``S1_2026-01-04.csv``: the night of that evening, placed at its noon) with its time when
    one follows (``night-20260104-230000``, the monitor's folders), else None. Nights are told apart noon to noon:
    at midnight, a date alone filed the night under the evening before."""
    pattern = r"(20\d\d)-?(\d\d)-?(\d\d)(?:[-_T ](\d\d)[:.-]?(\d\d)(?:[:.-]?(\d\d))?(?!\d))?"
    for part in os.path.normpath(path).split(os.sep)[::-1]:  # its own name first, then the folders above it
        at = 0
        while m := re.search(pattern, part[at:]):  # digits that are no date (20261399, an id) are passed over
            at += m.start() + 1
            day = [int(g) for g in m.groups()[:3]]
            for clock in ([int(g) for g in m.groups()[3:] if g is not None] or [12], [12]):
                try:
                    return datetime(*day, *clock)  # type: ignore[misc]
                except ValueError:  # digits that are no time (25:61): the date alone
                    continue
    return None


def load_nights(folder: str, damaged: list[str] | None = None) -> list[Night]:
    """Every events CSV under ``folder`` (recursively) as a night, oldest first.

    A CSV that is not an events CSV (another table, ``--lm-events``) is
    passed over; one that is but cannot be read (a bad cell, a night
    folder's damaged ``raw.json``) is said in one line naming the file, the
    line and the column, as a trend that quietly left a night out would
    undercount: it stops the trend, or, given a ``damaged`` list, goes
    there and the other nights are counted (no night left: it stops the
    trend all the same). Files that hold the same cramps at the same clock
    times are one recording analysed twice (``analyze --events`` and a
    replay, say): it counts once (:attr:`Night.same`).
    """
    from emgcramp.io.night import being_monitored
    from emgcramp.io.unstored import no_night

    nights, other, tables, open_, stub = [], [], [], [], []
    for root, _, files in os.walk(folder):
        if is_night_folder(root) and "events.csv" not in files:  # its cramps are in no table yet
            watched = being_monitored(root)
            (stub if not watched and no_night(root) else open_).append(root + (" (still being monitored)"
                                                                              if watched else ""))
        for name in sorted(files):
            if name.endswith(".csv") and os.path.isfile(os.path.join(root, name)):  # no pipe: it would wait
                try:
                    try:
                        found, table = _nights_in(os.path.join(root, name))
                    except OSError as e:  # a read's error names no file: among thousands, which one
                        raise InputError(f"{os.path.join(root, name)}: not readable ({e.strerror or e})") from None
                except InputError as e:
                    if damaged is None:
                        raise
                    damaged.append(str(e))
                    continue
                nights, tables = nights + found, tables + ([os.path.join(root, name)] if table else [])
                other += [] if found or table else [os.path.join(root, name)]
    # said: a damaged header passes a night over (our --lm-events tables and answers are not nights)
    if other := [p for p in other if os.path.basename(p) != LABELS_FILE and not is_activity_csv(p)]:
        settings_note(f"passed over, not events CSVs: {', '.join(other[:3])}"
                      + (f" and {len(other) - 3} more" if len(other) > 3 else ""))
    unclosed = (f"night folders without their events.csv, which the monitor writes as the night ends (emgcramp "
                f"recover FOLDER writes it for one stopped): {', '.join(sorted(open_)[:3])}"
                f"{f' and {len(open_) - 3} more' if len(open_) > 3 else ''}") if open_ else ""
    if stub:  # a monitor stopped within its first seconds: no night, and nothing recover could make of it
        settings_note(f"passed over, night folders of under {MIN_SIGNAL_S:g} s of signal (a monitor stopped as it "
                      f"began; remove them): {', '.join(sorted(stub)[:3])}" + (f" and {len(stub) - 3} more"
                                                                                 if len(stub) > 3 else ""))
    if not nights and damaged:
        raise InputError(damaged[0])
    if not nights:
        if not os.path.isdir(folder):
            what = "is a file; trend reads a folder of events CSVs" if os.path.exists(folder) else "no such folder"
            raise InputError(f"{folder}: {what}")
        if tables:
            raise InputError(f"{folder}: no night to count: {tables[0]} is a batch table with no cramp in it, so it "
                             "lists no recording (one events CSV per night, from analyze FILE --events, counts them)")
        if unclosed:
            raise InputError(f"{folder}: no events CSV to count, only {unclosed}")
        raise InputError(f"{folder}: no events CSV files found (write them with analyze --events or monitor)")
    if unclosed:
        settings_note(f"not counted, {unclosed}")
    if tables:
        # A batch table has a row per cramp: the recordings it found none in are not in it, and a rate over its
        # nights would leave them out. Said, as it cannot be undone here.
        settings_note(
            f"{', '.join(tables[:2])}{' …' if len(tables) > 2 else ''}: a batch table lists only the recordings it "
            "found cramps in; the nights without any are not counted here (one events CSV per night, from "
            "analyze FILE --events or monitor, counts them)")
    return sorted(once(nights), key=lambda n: n.date)


def once(nights: list[Night]) -> list[Night]:
    """Each night once, a night folder's first (it records its threshold); only cramps with clock times tell."""
    first: dict[tuple[str, ...], Night] = {}
    kept: set[int] = set()  # ids of the nights counted
    for n in sorted(nights, key=lambda n: not n.folder):
        key = tuple(c.isoformat() for c in n.clocks if c is not None)
        told = bool(n.episodes) and len(key) == len(n.episodes)  # every cramp with its clock time
        seen = first.get(key) if told else None
        if seen is not None and not (n.table and n.table == seen.table):  # a batch table's recordings stay apart
            seen.same.append(n.path)
            continue
        if told:
            first.setdefault(key, n)
        kept.add(id(n))
    return [n for n in nights if id(n) in kept]  # in the order given


Row = tuple[int, dict[str, str | None], Episode]  # line number, cells, the episode they give


def _ends_a_line(f) -> bool:
    """Whether the text file ``f`` ends with a line end (every table written whole does)."""
    f.seek(0)
    text = f.read()
    return text.endswith(("\n", "\r"))


def _nights_in(path: str) -> tuple[list[Night], bool]:
    """The nights of one CSV, and whether it is a batch table (a ``file`` column): no night when it is not an events
    CSV, else one (a batch table: one per file it lists, so none when it has no row)."""
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:  # -sig: a spreadsheet's BOM
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        # An events CSV starts onset_s, offset_s, duration_s, kind, peak_intensity (--lm-events has channel fifth),
        # or names every column the contract requires in another order (a spreadsheet's columns moved)
        ordered = header[:4] == COLUMNS[:4] and header[4:5] in ([], [COLUMNS[4]])
        if not (ordered or set(REQUIRED) <= set(header) and "peak_uv" not in header):
            if _night_folder_events(path):  # a night's own events: never passed over
                raise InputError(f"{path}: not an events CSV (its header is {','.join(header) or 'missing'}); "
                                 f"write it again with emgcramp recover {os.path.dirname(path)}")
            return [], False
        absent = [c for c in REQUIRED if c not in header]
        if absent:
            raise InputError(f"{path}: an events CSV with no {absent[0]!r} column; expected the columns "
                             f"{', '.join(REQUIRED)} first, as analyze --events writes them")
        by_file: dict[str, list[Row]] = {}  # a batch table (file column) holds a night per file
        for row in read_rows(path, reader):
            by_file.setdefault(row[1].get("file") or "", []).append(row)
        # A header that ends inside a column's name, with no line end, was cut: it would count as a night without
        # cramps. (A whole header without a line end is a spreadsheet's export of a night without cramps.)
        if not by_file and header[-1] not in (*COLUMNS, "file", "subject") and not _ends_a_line(f):
            raise InputError(f"{path}: cut short in its header (it ends inside it); copy or write it again")
    if "file" in header:
        return [_night(path, rows) for rows in by_file.values()], True
    return [_night(path, rows) for rows in _by_start(by_file.get("", []))], False


def _by_start(rows: list[Row]) -> list[list[Row]]:
    """The rows of one table by the recording they are of: its start, each row's clock less its onset (within
    2 s), so that tables of two nights pasted into one count as two; rows without a clock go with the first."""
    groups: list[tuple[datetime | None, list[Row]]] = []
    for row in rows:
        clock = _clock((row[1].get("onset_clock") or "").strip())
        start = clock - timedelta(seconds=row[2].onset_s) if clock is not None else None
        same = next((g for s, g in groups if start is None or s is None or abs((s - start).total_seconds()) <= 2.0),
                    None)
        if same is None:
            groups.append((start, [row]))
        else:
            same.append(row)
    return [g for _, g in groups] or [[]]


def _night(path: str, rows: list[Row]) -> Night:
    """One night from its rows, dated by its start clock, else by its name, else (undated) by the file's age."""
    clocks = [_clock((r.get("onset_clock") or "").strip()) for _, r, _ in rows]
    episodes = [e for _, _, e in rows]
    starts = [c - timedelta(seconds=e.onset_s) for c, e in zip(clocks, episodes) if c is not None]
    name = rows[0][1].get("file") or path if rows else path
    named = starts[0] if starts else _date_from_name(name)
    date = named or datetime.fromtimestamp(os.path.getmtime(path))
    if not _night_folder_events(path):
        return Night(name, date, clocks, episodes, table=path if name != path else "", dated=named is not None)
    from emgcramp.io.night_reader import recorded_settings

    threshold = recorded_settings(os.path.dirname(path)).get("cramp_probability")
    return Night(name, date, clocks, episodes, threshold, folder=True, dated=named is not None)


def _night_folder_events(path: str) -> bool:
    """``path`` is a night folder's ``events.csv`` (a ``raw.json`` beside it)."""
    return os.path.basename(path) == "events.csv" and is_night_folder(os.path.dirname(path))


def count_at(nights: list[Night], threshold: float) -> list[Night]:
    """``nights`` counting only the cramps of probability ``threshold`` (0–1) or more.

    Probabilities are written to three decimals: one that rounds to the
    threshold counts. A cramp with no probability (an events CSV written
    without one) stays: nothing says it would not clear the threshold.
    """
    def keep(e: Episode) -> bool:
        return e.probability is None or math.isnan(e.probability) or e.probability >= threshold - 5e-4

    return once([replace(n, clocks=[c for c, e in zip(n.clocks, n.episodes) if keep(e)],
                          episodes=[e for e in n.episodes if keep(e)],
                          uncounted=n.uncounted + [e for e in n.episodes if not keep(e)]) for n in nights])


def _clock(text: str | None) -> datetime | None:
    """A row's ``onset_clock`` (empty: none; the reader has checked it is a clock time)."""
    # the clock as it read that night: an offset (a table written from Python with a zone) is left aside
    return datetime.fromisoformat(text).replace(tzinfo=None) if text else None
