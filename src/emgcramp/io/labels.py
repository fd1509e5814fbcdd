"""What the person said of a night's events: ``labels.csv`` in the night folder.

One line per answer, appended and made durable at once (a crash or a kill
loses at most the answer being written, never one given before):

``onset_s,offset_s,label,given_at,listed``

- ``onset_s``, ``offset_s``: the event's span, seconds from the night's first sample;
- ``label``: ``cramp``, ``not_cramp`` or ``unsure`` (:data:`LABELS`);
- ``given_at``: when the answer was given (ISO 8601, local time, seconds);
- ``listed``: what the answered event was listed as, ``cramp`` or ``possible_cramp``; empty for a cramp
  the person added (earlier versions wrote no such column).

An event answered twice keeps its latest answer: :func:`read_labels`
returns one label per span. A span that matches no detected event, and was
not listed when answered, is a cramp the person marked as missed.

A monitor night folder keeps its own ``labels.csv``; a plain recording file
``NIGHT.edf`` keeps it in a folder beside it, ``NIGHT.edf.labels/``
(:func:`folder_for`), so that two recordings in one folder never share answers.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

try:
    import fcntl
except ImportError:  # not on Windows: answers there are not guarded against a second server
    fcntl = None  # type: ignore[assignment]

from emgcramp.core.errors import InputError, settings_note
from emgcramp.io.secure import ANSWERS_SUFFIX, LABELS_FILE, check_regular

LABELS = ("cramp", "not_cramp", "unsure")
LISTED = ("cramp", "possible_cramp", "")
HEADER = "onset_s,offset_s,label,given_at,listed\n"
_SAID: set[tuple] = set()  # the unreadable lines of each labels file said so far in this process
_WHEN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")  # given_at, to the second, as written


@dataclass(frozen=True)
class Label:
    """One answer: the span (s from the night's start), the label, when it was given, and what it answered
    (``listed``: a listed cramp or possible cramp; empty for a cramp the person added)."""

    onset_s: float
    offset_s: float
    label: str
    given_at: str = ""
    listed: str = ""

    def overlaps(self, onset_s: float, offset_s: float) -> bool:
        """True when the span ``onset_s``–``offset_s`` (s) shares time with this label's."""
        return self.onset_s < offset_s and onset_s < self.offset_s


def labels_path(folder: str) -> str:
    """Where a night folder keeps its labels."""
    return os.path.join(folder, LABELS_FILE)


def folder_for(recording: str) -> str:
    """The folder holding the labels of ``recording``: a night folder itself, else ``RECORDING.labels``."""
    return recording if os.path.isdir(recording) else recording + ANSWERS_SUFFIX


def add_label(folder: str, onset_s: float, offset_s: float, label: str,
              given_at: datetime | None = None, listed: str = "") -> Label:
    """Append one answer to the folder's ``labels.csv`` (created 0600) and make it durable before returning."""
    if label not in LABELS:
        raise InputError(f"label must be one of {', '.join(LABELS)}, not {label!r}")
    if listed not in LISTED:
        raise InputError(f"an answered event is listed as cramp or possible_cramp, or not at all, not {listed!r}")
    onset_s, offset_s = round(onset_s, 3), round(offset_s, 3)  # as written: a span checked after, not before
    if not _within_a_day(onset_s, offset_s):
        raise InputError(f"a label needs 0 ≤ onset < offset within a day, to the ms, not {onset_s}–{offset_s} s")
    when = (given_at or datetime.now()).replace(microsecond=0).isoformat()
    _not_linked(folder)
    recording = folder[:-len(ANSWERS_SUFFIX)] if folder.endswith(ANSWERS_SUFFIX) else ""
    if recording and os.path.isfile(recording):
        os.makedirs(folder, mode=0o700, exist_ok=True)  # a plain recording's label folder, at its first answer
    elif not os.path.isdir(folder):  # no folder made for what is gone: a night moved away came back empty
        raise InputError(f"{recording or folder}: no longer there (moved or removed since it was read?)")
    check_regular(labels_path(folder), "the answers as emgcramp review writes them")  # a pipe: a wait for ever
    with _answering(folder):
        path = labels_path(folder)
        _with_current_header(path)
        _append(path, f"{onset_s:.3f},{offset_s:.3f},{label},{when},{listed}\n")
    return Label(onset_s, offset_s, label, when, listed)


@contextlib.contextmanager
def _answering(folder: str) -> Iterator[None]:
    """One answer at a time in ``folder``, across threads and processes (two tabs, two servers): an earlier
    version's file is rewritten whole for its header, and an answer appended meanwhile would be lost."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released as the descriptor closes
        yield
    finally:
        os.close(fd)


def _append(path: str, line: str) -> None:
    """Append ``line`` whole and durably, or leave the file as it was and raise :class:`OSError` (a full disk)."""
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        size = os.fstat(fd).st_size
        if size == 0:
            line = HEADER + line
        elif not _ends_with_newline(fd):  # a line cut by a crash: end it, so this one stands alone
            line = "\n" + line
        data = line.encode("utf-8")
        try:
            if os.write(fd, data) != len(data):
                raise OSError(errno.ENOSPC, "only part of the answer could be written", path)
            os.fsync(fd)
        except OSError:
            os.ftruncate(fd, size)  # no half answer left to be read as one
            raise
    finally:
        os.close(fd)


def _with_current_header(path: str) -> None:
    """Give an earlier version's ``labels.csv`` (four columns) the current header before a line of five is
    appended, so that a table reader takes the whole file; its lines are kept as they are."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as f:
            if f.readline() != HEADER.replace(",listed", ""):
                return
            rest = f.read()
    except FileNotFoundError:
        return
    from emgcramp.io.secure import private_file

    with private_file(path) as out:
        out.write(HEADER + rest)


def _not_linked(folder: str) -> None:
    """:class:`InputError` when the answers' folder or their file is a symbolic link: as a night's own files,
    they are read and written where they are (through a link, answers went to a folder elsewhere, and a
    linked file was read but could not be written)."""
    for path in (folder, labels_path(folder)):
        if os.path.islink(path):
            raise InputError(f"{path}: is a symbolic link, not the answers as emgcramp review writes them")
    if os.path.exists(folder) and not os.path.isdir(folder):  # RECORDING.labels made a file: no folder to read
        raise InputError(f"{folder}: is a file, not the folder of answers emgcramp review writes")


def _ends_with_newline(fd: int) -> bool:
    size = os.fstat(fd).st_size
    return size == 0 or os.pread(fd, 1, size - 1) == b"\n"


def read_labels(folder: str) -> list[Label]:
    """The latest answer for each span, in time order (``[]`` when nothing was labelled).

    A line cut by a crash (the last, with no line end) is skipped: the answers
    around it stand. Any other line that holds no answer (written by hand in
    another form) is left out too, and a :class:`SettingsWarning` names it.
    """
    path = labels_path(folder)
    _not_linked(folder)
    check_regular(path, "a labels file")
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            text = f.read()
    except FileNotFoundError:
        return []
    latest: dict[tuple[float, float], Label] = {}
    unread = []
    lines = text.splitlines(keepends=True)
    for number, line in enumerate(lines, 1):
        row = next(csv.reader([line]), [])
        label = _parse(row)
        if label is not None:
            latest[(label.onset_s, label.offset_s)] = label
        elif row and row[0] != "onset_s" and (line.endswith("\n") or number < len(lines)):  # no header, no cut end
            unread.append(str(number))
    said = (path, len(text), tuple(unread))  # once for a file as it is: the review page reads it at every look
    if unread and said not in _SAID:
        _SAID.add(said)
        settings_note(
            f"{path}: line{'s' * (len(unread) > 1)} {', '.join(unread)} hold{'s' * (len(unread) == 1)} no answer "
            f"and {'are' if len(unread) > 1 else 'is'} left out (an answer: {HEADER.strip()}, the label one of "
            f"{', '.join(LABELS)}, given_at as 2026-01-05T23:40:00)")
    return sorted(latest.values(), key=lambda lab: (lab.onset_s, lab.offset_s))


def _parse(row: list[str]) -> Label | None:
    # What a person may write by hand, or a spreadsheet save, is read as the page writes it: Cramp, a space
    # between date and time, spaces around a cell.
    row = [cell.strip() for cell in row]
    listed = row[4].lower() if len(row) == 5 else ""  # earlier versions wrote four columns
    if len(row) not in (4, 5) or row[2].lower() not in LABELS or listed not in LISTED:
        return None  # the header, or a line cut short
    when = row[3].replace(" ", "T", 1)
    try:
        onset, offset = float(row[0]), float(row[1])
        if not _WHEN.match(when):  # a line cut inside it is no answer (2026-01-05T23:40 would parse)
            return None
        datetime.fromisoformat(when)
    except ValueError:
        return None
    return Label(onset, offset, row[2].lower(), when, listed) if _within_a_day(onset, offset) else None


def _within_a_day(onset_s: float, offset_s: float) -> bool:
    """A span an answer may cover (s): it starts at or after 0, ends after it starts, and lasts a day at most."""
    return 0 <= onset_s < offset_s and offset_s - onset_s <= 24 * 3600


def confirmed(labels: list[Label], spans: list[tuple[float, float]]) -> dict[str, int]:
    """How the detected ``spans`` (s) were answered, and how many cramps were marked as missed.

    Keys: ``cramp``, ``not_cramp``, ``unsure``, ``unanswered`` (counts of
    detected spans by their latest overlapping answer) and ``missed``
    (``cramp`` labels overlapping no detected span; marks that overlap each other count once). An event
    that was listed when answered but is not among ``spans`` (a possible cramp, which
    an events table does not carry) counts by its latest answer too: a
    ``cramp`` answer on it is confirmed, not missed.
    """
    out = {"cramp": 0, "not_cramp": 0, "unsure": 0, "unanswered": 0, "missed": 0}
    for on, off in spans:
        answers = [lab for lab in labels if lab.overlaps(on, off)]
        out[max(answers, key=lambda lab: lab.given_at).label if answers else "unanswered"] += 1
    latest: dict[tuple[float, float], Label] = {}  # answers on no span, by the event (its span) they answered
    for lab in labels:
        if not any(lab.overlaps(on, off) for on, off in spans):
            key = (lab.onset_s, lab.offset_s)
            latest[key] = max(latest.get(key, lab), lab, key=lambda a: a.given_at)
    end = -1.0
    for lab in sorted(latest.values(), key=lambda a: (a.onset_s, a.offset_s)):
        if lab.listed:
            out[lab.label] += 1
        elif lab.label == "cramp":  # marks that overlap are one cramp marked again (a second drag over it)
            out["missed"] += lab.onset_s >= end
            end = max(end, lab.offset_s) if lab.onset_s < end else lab.offset_s
    return out


def tally(labels: list[Label], cramps: list[tuple[float, float]],
          possible: list[tuple[float, float]] = ()) -> dict[str, int]:
    """The answers over a night's listed events, and the night's cramps as the person counts them.

    ``cramps`` and ``possible``: the spans (s) of the detected cramps and of
    the possible cramps. Keys: ``confirmed``, ``not_cramp``, ``unsure``
    (listed events by their latest answer), ``unanswered`` (the cramps without
    one: a possible cramp may be left unanswered, and an events table, which
    ``trend`` counts from, does not list them), ``missed`` (cramps marked where
    nothing was listed) and ``cramps`` (confirmed + missed).
    """
    c = confirmed(labels, list(cramps) + list(possible))
    waiting = sum(not any(lab.overlaps(on, off) for lab in labels) for on, off in cramps)
    return {"confirmed": c["cramp"], "not_cramp": c["not_cramp"], "unsure": c["unsure"],
            "unanswered": waiting, "missed": c["missed"], "cramps": c["cramp"] + c["missed"]}


def tally_for(recording: str, analysis) -> dict[str, int] | None:
    """:func:`tally` of the answers given on ``recording`` (a night folder or a file) over its analysis.

    ``analysis``: anything with ``episodes`` and ``possible_cramps`` (episodes with ``onset_s``,
    ``offset_s`` in s), as :class:`~emgcramp.core.types.Analysis`. ``None`` when nothing was answered.
    """
    labels = read_labels(folder_for(recording))
    if not labels:
        return None
    return tally(labels, [(e.onset_s, e.offset_s) for e in analysis.episodes],
                 [(e.onset_s, e.offset_s) for e in analysis.possible_cramps])


def tally_line(t: dict[str, int]) -> str:
    """:func:`tally` in one line: ``labels: 1 confirmed, 1 not a cramp, 0 unsure, 1 missed``."""
    rest = f" ({t['unanswered']} cramp(s) not answered)" if t["unanswered"] else ""
    return (f"labels: {t['confirmed']} confirmed, {t['not_cramp']} not a cramp, {t['unsure']} unsure, "
            f"{t['missed']} missed{rest}")
