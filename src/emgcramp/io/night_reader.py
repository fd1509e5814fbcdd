"""Reading a monitor's night folder (:mod:`emgcramp.io.night` writes it): its event log, its samples with their gaps."""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Iterator
from datetime import datetime

import numpy as np

from emgcramp.core.blocks import MAX_FS_HZ, Block
from emgcramp.core.errors import InputError
from emgcramp.core.samples import MAX_INPUT_UV
from emgcramp.core.settings import settings_problem
from emgcramp.io.base import Recording
from emgcramp.io.events import write_json
from emgcramp.io.secure import check_night_files

GAP_LINE = re.compile(rb'"type"\s*:\s*"gap"')  # a damaged line that may have been a gap record
SHOWN = 3  # damaged lines named in the note; the rest are counted
_SAID: set[str] = set()  # the notes given so far in this process


def read_events(folder: str) -> list[dict]:
    """The event log's records (a line torn by a crash, or damaged, is skipped: :func:`read_log`)."""
    return read_log(folder)[0]


def read_log(folder: str) -> tuple[list[dict], list[str]]:
    """The event log's records, and the damaged lines skipped, each as ``line N (what it is)``.

    The last line without its newline was torn by a crash (``kill -9`` while writing it): it is skipped without a
    word, as the format says. Any other line that is not a record is damage: skipped and named, unless it was or may
    have been a gap record, whose length every time after it depends on; then the night cannot be read and
    ``InputError`` says which line.
    """
    path = os.path.join(folder, "events.jsonl")
    records, skipped = [], []
    check_night_files(folder)
    if not os.path.isfile(path):
        raise InputError(f"{path}: the night's event log is missing; without it the gaps in the night, and so the "
                         "time of every sample after one, cannot be known")
    with open(path, "rb") as f:  # bytes: a line that is not UTF-8 is one damaged line, not the whole log
        for n, line in enumerate(f, 1):
            try:
                record = json.loads(line)
            except (ValueError, RecursionError):  # also UnicodeDecodeError; nested deeper than the parser goes
                if not line.endswith(b"\n"):
                    continue
                if GAP_LINE.search(line):
                    raise InputError(f"{path} line {n}: a damaged gap record (not JSON); the length of the gap, "
                                     "and so every time after it, cannot be known") from None
                skipped.append(f"line {n} (not JSON)")
                continue
            why = _damage(record)
            if why and isinstance(record, dict) and record.get("type") == "gap":
                raise InputError(f"{path} line {n}: {why}; the length of the gap, and so every time after it, "
                                 "cannot be known")
            if why:
                skipped.append(f"line {n} ({why})")
            else:
                records.append(record)
    return records, skipped


# What the reader uses of each record type it reads: key -> what it must be.
COUNT, SECONDS, NAME = "a whole number of samples, 0 to 10¹²", "a number of seconds", "a channel name"
NEEDS = {"gap": {"file_sample": COUNT, "missing": COUNT}, "signal_lost": {"channel": NAME, "onset_s": SECONDS},
         "signal_back": {"channel": NAME, "offset_s": SECONDS}}


def _damage(record: object) -> str:
    """What is wrong with a parsed line (``""``: a record the reader can use; other types pass as they are)."""
    if not isinstance(record, dict):
        return f"a JSON {_json_kind(record)}, not a record object"
    kind = record.get("type")
    needs = NEEDS.get(kind, {}) if isinstance(kind, str) else {}  # a type that is not text is no type we read
    for key, wanted in needs.items():
        value = record.get(key)
        if not _fits(value, wanted):
            return f"a {kind} record with " + (f"no {key!r}" if value is None else f"{key!r} {value!r}") \
                + f" (expected {wanted})"
    return ""


def _fits(value: object, wanted: str) -> bool:
    """Whether ``value`` is what :data:`NEEDS` says (``wanted``: :data:`COUNT`, :data:`SECONDS` or :data:`NAME`)."""
    if wanted is NAME:
        return isinstance(value, str)
    if isinstance(value, bool) or not isinstance(value, (int, float)):  # JSON true is a Python int
        return False
    return isinstance(value, int) and 0 <= value <= 10**12 if wanted is COUNT else math.isfinite(value)


def _json_kind(value: object) -> str:
    """What JSON calls the value's type (``array``, not Python's ``list``)."""
    return {list: "array", str: "string", int: "number", float: "number", bool: "true or false",
            type(None): "null", dict: "object"}.get(type(value), type(value).__name__)


def _note_skipped(folder: str, skipped: list[str], torn: int = 0) -> None:
    """Say on stderr what a night is read without: damaged lines of its log, ``torn`` bytes of a sample a crash
    cut short; each once in a process (a night read twice, for an EDF copy or in review, is told once)."""
    notes = [f"raw.f32: ends in {torn} byte(s) of a sample cut short by a crash; the night is read without it"] \
        if torn else []
    if skipped:
        more = f" and {len(skipped) - SHOWN} more" if len(skipped) > SHOWN else ""
        notes.append(f"events.jsonl: skipped {len(skipped)} damaged line(s): {', '.join(skipped[:SHOWN])}{more}; "
                     "the night is read without them")
    for note in (os.path.join(folder, n) for n in notes if os.path.join(folder, n) not in _SAID):
        _SAID.add(note)
        print(f"emgcramp: note: {note}", file=sys.stderr)


def unstored(folder: str, seen_s: float, told: int) -> tuple[float, int, str]:
    """What a closed night folder lacks: seconds of samples, event lines, and why (``""``: not said).

    ``seen_s``: seconds of samples the night had (the link's gaps not counted), less those in raw.f32;
    ``told``: records its log was given (each one line once stored), less the lines in events.jsonl.
    """
    try:
        events, rec = read_events(folder), NightRecording(folder)
    except (InputError, OSError):
        return seen_s, told, "the night folder cannot be read back"
    logged = sum(e["missing"] for e in events if e.get("type") == "gap")
    why = next((e["error"] for e in events if e.get("error")), "")
    return seen_s - (rec.n_samples - logged) / rec.fs, told - len(events), why


class NightRecording(Recording):
    """A night folder as a recording; gaps come back as zeros of the right length."""

    def __init__(self, folder: str):
        self.path = folder
        head = _header(folder)
        self.fs = float(head["fs"])
        self.channel_names = list(head["channels"])
        self.start = datetime.fromisoformat(head["start"]) if head["start"] is not None else None
        self.settings: dict = dict(head.get("settings") or {})  # as monitored: core.settings.config_from reads them
        try:
            size = os.path.getsize(os.path.join(folder, "raw.f32"))
        except OSError as e:
            raise InputError(f"{folder}: the night's samples (raw.f32) cannot be read: {e.strerror}") from None
        width = 4 * len(self.channel_names)
        self._stored = size // width  # a sample torn by a crash is dropped (and said)
        shape = (self._stored, len(self.channel_names))
        self._raw = np.memmap(os.path.join(folder, "raw.f32"), "<f4", "r", shape=shape) \
            if self._stored else np.zeros(shape, "<f4")
        self.damaged: dict[int, int] = {}  # first sample: samples, of each damaged stretch read so far
        events, skipped = read_log(folder)
        self._gaps = sorted((e["file_sample"], e["missing"]) for e in events if e.get("type") == "gap")
        self.n_samples = self._stored + sum(m for _, m in self._gaps)
        logged = [e.get("fs_hz") for e in events if e.get("type") == "end"]  # the rate the night was analysed at
        if logged and isinstance(logged[-1], (int, float)) and abs(logged[-1] - self.fs) > 1e-6 * self.fs:
            raise InputError(f"{os.path.join(folder, 'raw.json')}: gives {self.fs:g} Hz, but the night was monitored "
                             f"at {logged[-1]:g} Hz (its log's end record): raw.json was edited, or is another night's")
        stored_as = _channels_stored(events, size, self.fs, self.n_samples - self._stored, len(self.channel_names))
        if stored_as != len(self.channel_names):
            raise InputError(f"{os.path.join(folder, 'raw.json')}: names {len(self.channel_names)} channel(s) at "
                             f"{self.fs:g} Hz, but raw.f32 holds the night's length (its log's end record) only as "
                             f"{stored_as}: raw.json's rate or channels were edited, or it belongs to another night")
        _note_skipped(folder, skipped, size % width)  # once the header is known to fit the samples

    def channel_indices(self, spec: str | int | list[str | int] | None) -> list[int]:
        """Every channel stored, whatever its name (the monitor stores those it analysed), unless ``spec`` narrows."""
        every = spec is None or isinstance(spec, str) and spec.strip().lower() == "all"  # all it holds: monitored
        return list(range(len(self.channel_names))) if every else super().channel_indices(spec)

    def blocks(self, channels: list[int], chunk: int) -> Iterator[Block]:
        """Blocks as the monitor saw them: each gap is a ``gap_before``, as live."""
        pos, t0, gap = 0, 0, 0
        for at, missing in self._gaps + [(self._stored, 0)]:
            at = min(at, self._stored)
            for i in range(pos, at, chunk):
                x = np.asarray(self._raw[i:min(i + chunk, at), channels], dtype=np.float64)
                for rows, damaged in self._sound(x, t0):
                    t0, gap = t0 + damaged, gap + damaged
                    if len(rows):
                        yield Block(t0, rows, gap)
                        t0, gap = t0 + len(rows), 0
            gap += missing
            t0 += missing
            pos = at
        if gap:  # the night ended inside a gap (not stored to the end): say how long it was
            yield Block(t0, np.zeros((0, len(channels))), gap)

    def _sound(self, x: np.ndarray, t0: int) -> list[tuple[np.ndarray, int]]:
        """(rows, damaged rows before them) of block ``x`` (from sample ``t0``): a damaged row is read as not stored.

        The monitor stores only samples it has checked, so a NaN, an infinity or a value beyond any electrode's
        input in raw.f32 is damage to the file (a disk, a copy): the rest of the night is read as it was, where a
        whole night refused for one bad sample would lose it all.
        """
        bad = ~(np.abs(x) <= MAX_INPUT_UV).all(axis=1)  # NaN fails the comparison too
        if not bad.any():
            return [(x, 0)]
        note = os.path.join(self.path, f"raw.f32: damaged samples (NaN, infinite or beyond any electrode's input) "
                                       f"from {(t0 + int(np.argmax(bad))) / self.fs:.3f} s; read as not stored")
        if not any(n.startswith(os.path.join(self.path, "raw.f32: damaged")) for n in _SAID):  # the first, once
            _SAID.add(note)
            print(f"emgcramp: note: {note}", file=sys.stderr)
        flips = np.flatnonzero(np.diff(np.concatenate([[0], bad.view(np.int8), [0]])))  # each damaged run [a, b)
        out, start, skip = [], 0, 0
        for a, b in zip(flips[::2], flips[1::2]):
            out.append((x[start:a], skip))
            start, skip = b, b - a
            self.damaged[t0 + int(a)] = int(b - a)
        return out + [(x[start:], skip)]

    def damaged_spans(self) -> list[tuple[float, float]]:
        """The stretches (s) of samples damaged in raw.f32 that reading the night has met (:meth:`_sound`)."""
        return [(a / self.fs, (a + n) / self.fs) for a, n in sorted(self.damaged.items())]

    def filled(self, channels: list[int], chunk: int) -> Iterator[np.ndarray]:
        """Samples with each gap filled by zeros (for formats without gaps, e.g. EDF)."""
        for b in self.blocks(channels, chunk):
            for i in range(0, b.gap_before, chunk):
                yield np.zeros((min(chunk, b.gap_before - i), len(channels)))
            yield b.samples


def _channels_stored(events: list[dict], size: int, fs: float, gap_samples: int, named: int) -> int:
    """The number of channels raw.f32 (``size`` bytes) holds by the length the log's end record gives, if it closed.

    The end record counts the samples analysed: those stored, and those a full disk kept out (logged as gaps, as are
    stretches that never arrived), so the samples stored lie between that count less the gaps and that count.
    ``named`` when it fits, or none does (a night that never closed, a disk that filled); else the whole number of
    channels that fits.
    """
    ends = [e.get("duration_s") for e in events if e.get("type") == "end"]
    if not ends or isinstance(ends[-1], bool) or not isinstance(ends[-1], (int, float)):
        return named
    slack = 1 + 0.0005 * fs  # the end record gives the length to the ms
    most = ends[-1] * fs + slack
    least = most - gap_samples - 2 * slack
    if not least >= fs:  # under a second stored: too short to tell one count from another
        return named
    fits = [k for k in range(1, int(size / 4 / least) + 2) if least <= size / 4 / k <= most]
    return named if named in fits or not fits else fits[0]


def recorded_settings(folder: str) -> dict:
    """The settings night ``folder`` was monitored with (:func:`emgcramp.core.settings.settings_of`), checked."""
    return dict(_header(folder).get("settings") or {})


def _header(folder: str) -> dict:
    """raw.json, checked: each value the reader needs, or one line saying which is wrong and what it should be."""
    path = os.path.join(folder, "raw.json")
    check_night_files(folder)  # no link, pipe or device among them: each read below would be another file, or wait
    try:
        if os.path.exists(path) and not os.path.isfile(path):  # a folder: said here, not as a missing file below
            raise InputError(f"{path}: not a file; expected the header of a night folder written by emgcramp monitor")
        with open(path, encoding="utf-8") as f:
            head = json.load(f)
    except OSError as e:
        what = "not a folder" if os.path.exists(folder) and not os.path.isdir(folder) else \
            "no such folder" if not os.path.exists(folder) else f"raw.json: {(e.strerror or str(e)).lower()}"
        raise InputError(f"{folder}: {what}; expected a night folder written by emgcramp monitor") from None
    except (ValueError, RecursionError) as e:  # RecursionError: nested deeper than the parser goes
        raise InputError(f"{path}: not JSON ({str(e)[:200]}); expected the header of a night folder written by "
                         "emgcramp monitor") from None
    if not isinstance(head, dict):
        raise InputError(f"{path}: a JSON {_json_kind(head)}; expected an object with fs, channels and start")
    fs, channels, start = head.get("fs"), head.get("channels"), head.get("start")
    if isinstance(fs, bool) or not isinstance(fs, (int, float)) or not 0 < fs <= MAX_FS_HZ:
        raise InputError(f"{path}: 'fs' is {fs!r}; expected the sampling rate in Hz, a number above 0 and up to "
                         f"{MAX_FS_HZ:g}")
    if not isinstance(channels, list) or not channels or not all(isinstance(c, str) and c for c in channels):
        raise InputError(f"{path}: 'channels' is {channels!r}; expected the list of the night's channel names "
                         "(one at least), as its samples are stored")
    try:  # null: a night without a clock (a replay of a recording without a start); absent: not a night's header
        if (start is not None or "start" not in head) and not 1900 <= datetime.fromisoformat(start).year < 2200:
            raise ValueError("a year no night of ours was in: its clock times would overflow")
    except (ValueError, TypeError):
        raise InputError(f"{path}: 'start' is {start!r}; expected the night's start as a date and time "
                         "(ISO 8601), or null for a night without a clock") from None
    if head.get("dtype", "float32") != "float32":  # what monitor writes (io/night.py), the only layout read here
        raise InputError(f"{path}: 'dtype' is {head['dtype']!r}; the night's samples are float32, as emgcramp monitor "
                         "stores them: raw.json was edited, or was written by something else")
    if not isinstance(settings := head.get("settings") or {}, dict):
        raise InputError(f"{path}: 'settings' is {head['settings']!r}; expected an object (or none)")
    if problem := settings_problem(settings):
        raise InputError(f"{path}: {problem}")
    if (model := settings.get("model")) is not None and not re.fullmatch(r"[0-9a-f]{12}", str(model)):
        raise InputError(f"{path}: 'model' is {json.dumps(model)[:40]}; expected the id of the cramp decision that "
                         "judged the night (12 hexadecimal digits), or none")
    return head


def lost_stretches(folder: str, end_s: float) -> list[tuple[float, float, str]]:
    """(onset s, duration s, ``signal lost:CHANNEL``) of each stretch the monitor logged as a flat line.

    A stretch still lost when the log ends runs to ``end_s``.
    """
    out, open_at = [], {}
    for e in read_events(folder):
        if e.get("type") == "signal_lost":
            open_at[e["channel"]] = e["onset_s"]
        elif e.get("type") == "signal_back" and e["channel"] in open_at:
            on = open_at.pop(e["channel"])
            out.append((on, e["offset_s"] - on, f"signal lost:{e['channel']}"))
    return out + [(on, end_s - on, f"signal lost:{ch}") for ch, on in open_at.items()]


def record_settings(folder: str, settings: dict) -> None:
    """Make night ``folder``'s ``raw.json`` record ``settings`` (atomically, owner-only).

    ``recover`` records those it wrote ``events.csv`` with, so that
    ``review``, ``trend`` and a later ``recover`` read the night as its
    events were counted.
    """
    path = os.path.join(folder, "raw.json")
    with open(path, encoding="utf-8") as f:
        head = json.load(f)
    write_json(path, head | {"settings": settings})  # atomic: the old one, or the new one, never half of one
