"""Delimited text (CSV, TSV, whitespace) read in chunks of lines.

The first line may be a header. A first column named like ``time``,
``time_s``, ``t`` or ``time_ms``, or with its unit (``Time (s)``,
``time [ms]``, ``elapsed_s``), is the time axis: it gives the sampling
rate and is not a channel. Its times may be rounded to the digits printed
(``7.0005`` at 2048 Hz): each step may be off by one unit of the last digit
(two roundings of half a unit) and the rate is a least-squares fit of the
times, not the first step. A channel whose name ends in a unit (``_uV``,
``_mV``, ``_V``, or ``[mV]``) is scaled to µV; one named in another unit
(``pressure [kPa]``) is refused; others are taken as µV, or multiplied by
``scale``. A UTF-8 byte-order mark (as Excel writes) is skipped.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Iterator

import numpy as np

from emgcramp.core.channels import default_names
from emgcramp.core.errors import InputError, SettingsWarning
from emgcramp.io.base import Recording
from emgcramp.io.encoding import LEGACY_BYTES
from emgcramp.io.text_fields import (
    HINTS,
    cut_separator,
    decimal_comma_row,
    decimal_commas,
    decimals,
    ends_in_separator,
    foreign_unit,
    is_number,
    kind,
    named,
    split_header,
    start_note,
    table_below,
    unended,
    unit_of,
)
from emgcramp.io.text_time import TimeColumn

TIME_NAMES = {"time": 1.0, "t": 1.0, "time_s": 1.0, "seconds": 1.0, "sec": 1.0, "s": 1.0,
              "timestamp": 1.0, "time_ms": 1e-3, "ms": 1e-3, "t_ms": 1e-3}
# The same with its unit written as a spreadsheet or a logger writes it: "Time (s)", "time [ms]", "time_sec",
# "elapsed_s", "Elapsed time (ms)", and in the languages of the spreadsheets that save with ";" ("Zeit (s)").
_TIME = re.compile(r"^(time|t|elapsed|elapsed[ _]time|timestamp|zeit|zeitstempel|messzeit|temps|tiempo|tempo|tijd|"
                   r"tid|czas)[ _]*(?:[(\[]\s*(\w+)\s*[)\]]|_?(s|sec|secs|seconds|ms|msec|milliseconds|us|usec|min))?$",
                   re.I)
_TIME_UNITS = {"s": 1.0, "sec": 1.0, "secs": 1.0, "seconds": 1.0, "ms": 1e-3, "msec": 1e-3, "milliseconds": 1e-3,
               "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "usec": 1e-6, "microseconds": 1e-6, "min": 60.0, "h": 3600.0}


def time_scale(name: str) -> float | None:
    """Seconds per unit of a first column named for time (:data:`TIME_NAMES`, or with its unit), else ``None``."""
    name = name.strip()
    if name.lower() in TIME_NAMES:
        return TIME_NAMES[name.lower()]
    m = _TIME.match(name)
    return _TIME_UNITS.get((m.group(2) or m.group(3) or "s").lower()) if m else None
# A first column of these names counts the samples (0, 1, 2 …): not a channel, and no rate (--fs gives it).
INDEX_NAMES = {"sample", "samples", "index", "idx", "n", "sample_index", "sample_no", "sample_number", "#"}
PROBE_ROWS = 4000
MAX_LINE_CHARS = 100_000  # a header of 1000s of channels fits; a whole signal on one line does not
EXPECTED = "expected columns of numbers (CSV/TSV/text)"


class NotATable(InputError):
    """Text with no row of numbers where the table should start, or no text at all: no samples in it."""


class EventTimes(NotATable):
    """A table whose header names every column a time (``touchdown_s,liftoff_s``): marks or events kept beside a
    recording, no samples."""


_SECONDS = re.compile(r"[_\s(\[](s|ms|sec|secs|seconds)[)\]]?$", re.I)


def header_facts(path: str) -> tuple[bool, bool]:
    """(a time column that gives the rate, every column's unit named) in the header of text file ``path``: a
    first column named for time (:data:`TIME_NAMES`) gives the rate, names ending in a voltage unit (``calf_uV``)
    the scale; ``--scale`` goes to the others, so a file takes none only when every column names its unit."""
    with open(path, encoding="utf-8-sig", errors=LEGACY_BYTES) as f:
        first, comment, _ = _table_start(f)
    if not first.strip():  # only comments or blank lines: opening it says so
        return False, False
    _, header, names, first_col = _columns(first, comment)  # a time column, or one that counts samples
    timed = first_col and names[0].lower() not in INDEX_NAMES
    return timed, header and all(unit_of(n) is not None for n in names[1 if first_col else 0:])


def _table_start(f) -> tuple[str, str | None, int]:
    """(the first line of ``f`` neither blank nor a comment, the last comment before it, that line's number).

    NumPy's readers skip the blank and ``#`` lines before a table; the last
    comment, stripped of its ``#``, may be the header :func:`numpy.savetxt`
    writes (``# time,calf``). An empty first line means the file holds no other.
    """
    line, skipped, comment = f.readline(MAX_LINE_CHARS), 0, None
    while line and (not line.strip() or line.lstrip().startswith("#")):
        if line.strip():
            comment = line.strip().lstrip("#").strip()
        skipped += line.endswith("\n")  # a longer run of spaces comes in several reads
        line = f.readline(MAX_LINE_CHARS)
    return line, comment, skipped + 1


def _columns(first: str, comment: str | None = None) -> tuple[str | None, bool, list[str], bool]:
    """(delimiter, a header, column names, the first a time column) of a table whose first line is ``first``.

    Without a header (the line is numbers) a ``comment`` just before it that names one column each, with
    the same delimiter and no number among them, names them (``# time,calf``); else they are named as
    :func:`~emgcramp.core.channels.default_names` names them (``calf`` for one, else ``ch0``, ``ch1``, …).
    """
    delim, fields = unended(*split_header(first))
    point = (lambda f: f.replace(",", ".")) if delim in (";", "\t") else (lambda f: f)  # a decimal comma: see below
    header = not all(is_number(point(f)) for f in fields if f)
    names = fields if header else default_names(len(fields))
    if not header and comment:
        c_delim, c_fields = unended(*split_header(comment))
        if c_delim == delim and len(c_fields) == len(fields) and all(f and not is_number(f) for f in c_fields):
            names = c_fields
    first = time_scale(names[0]) is not None or names[0].lower() in INDEX_NAMES
    return delim, header, names, first and len(names) > 1


def _ramp(x: np.ndarray) -> bool:
    """True when ``x`` (a column's first rows) rises by one step a row: a line, to 1 % of its span. EMG never does
    over more than a few rows."""
    if len(x) < 10 or not (np.diff(x) >= 0).all() or x[-1] <= x[0]:
        return False
    line = np.linspace(x[0], x[-1], len(x))
    return bool(np.abs(x - line).max() <= 0.01 * (x[-1] - x[0]))


class TextRecording(Recording):
    """A CSV/TSV/TXT file; fs from the time column or ``fs`` (Hz)."""

    def __init__(self, path: str, fs: float | None = None, scale: float | None = None):
        self.path = path
        with open(path, "rb") as raw:  # a spreadsheet's "Unicode Text": read as 8-bit text, no line is a row
            head = raw.read(64)
            if head[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(head) > 8 and head.count(0) >= len(head) // 3):
                raise InputError(f"{path}: saved as UTF-16 (a spreadsheet's 'Unicode Text'); save it as CSV (UTF-8)")
        self._f = open(path, encoding="utf-8-sig", errors=LEGACY_BYTES)
        try:
            self._probe(fs, scale)
        except BaseException:
            self._f.close()
            raise

    def _first_line(self) -> tuple[str, str | None]:
        """The first line neither blank nor a comment, and the comment before it; sets :attr:`_text_line`."""
        first, comment, self._text_line = _table_start(self._f)
        if not first:
            what = "is empty" if self._text_line == 1 else \
                "holds only comments" if comment is not None else "holds only blank lines"
            raise NotATable(f"{self.path}: the file {what}")
        return first, comment

    def _probe(self, fs: float | None, scale: float | None) -> None:
        """Read the header and the first rows: names, units, time column, rate."""
        path = self.path
        first, comment = self._first_line()
        if len(first) == MAX_LINE_CHARS and not first.endswith("\n"):
            raise InputError(f"{path}: the first line is over {MAX_LINE_CHARS // 1000} kB long; "
                             "expected one row per sample")
        self._delim, self._header, names, self._time_col = _columns(first, comment)
        if self._header and len(names) == 1 and time_scale(names[0]) is not None:  # it was analysed as a muscle
            raise InputError(f"{path}: its one column, {names[0]!r}, is a time column: no channel of samples in it")
        self._time_scale = time_scale(names[0]) or 1.0
        if self._time_col and names[0].lower() in INDEX_NAMES:  # counts samples: a step of one, at --fs
            if fs is None:
                raise InputError(f"{path}: its first column, {names[0]!r}, counts the samples and gives no "
                                 "sampling rate: give --fs HZ")
            self._time_scale = 1.0 / fs
        self._offset = 1 if self._time_col else 0
        units = [unit_of(n) for n in names[self._offset:]]
        if scale is not None and None not in units:  # never applied to a column that says its unit, nor dropped unsaid
            raise InputError(f"{path}: --scale is for columns without a unit, and each column here names its own "
                             f"({', '.join(names[self._offset:][:3])}); if one's unit is wrong, rename the column")
        self._scale = np.array([u if u is not None else (1.0 if scale is None else scale) for u in units])
        self.channel_names = named(names[self._offset:])
        self.aliases = {h.lower(): n for h, n in zip(names[self._offset:], self.channel_names) if h != n}
        self._first_rows = [] if self._header else [first]
        self._first_rows += list(itertools.islice(self._f, PROBE_ROWS))
        self._trailing = ends_in_separator(self._first_rows, self._delim, len(names))
        self._comma = decimal_commas(self._first_rows, self._delim)  # 0,001;-3,25: read as 0.001;-3.25
        self._data_line = self._text_line + (1 if self._header else 0)  # the line _first_rows starts at
        probe = self._parse(self._first_rows, self._data_line)
        if len(probe) == 0:
            raise NotATable(f"{path}: not a recording: {EXPECTED}, found text at line {self._text_line} "
                             "and no numeric samples after it")
        if self._delim == "," and not self._header:
            self._refuse_decimal_commas()
        if self._header and not self._time_col and len(names) > 1 and all(_SECONDS.search(n) for n in names) \
                and (np.diff(probe, axis=0) > 0).all():  # times, each column rising: marks, not samples
            raise EventTimes(f"{path}: not a recording: every column is a time ({', '.join(names[:4])}): "
                             "a table of events or marks, not of samples")
        if not self._header and len(names) > 1 and not self._time_col and _ramp(probe[:, 0]):
            warnings.warn(SettingsWarning(
                f"{path}: its first column climbs row by row as a time or sample count does, but with no header "
                "to name it, it is read as a channel; if it is time, add a header line that names it time (or "
                "time_ms, or sample for a count) and the channels after it"))
        self._times = None
        if self._time_col:
            firsts = [(ln.split(self._delim, 1)[0] if self._delim else (ln.split() or [""])[0]).replace(",", ".")
                      for ln in self._first_rows]
            dec = max((decimals(f) for f in firsts if f.strip()), default=0)  # s a time may be off: its digits
            self._times = TimeColumn(path, self._time_scale, 10.0 ** -dec * self._time_scale
                                     if names[0].lower() not in INDEX_NAMES else 0.0)
        self.fs = self._times.rate(probe[:, 0], fs) if self._times else fs
        if self._time_col and self.fs and names[0].lower() not in INDEX_NAMES and (note := start_note(
                path, float(probe[0, 0]) * self._time_scale)):
            warnings.warn(SettingsWarning(note))

    def _refuse_decimal_commas(self) -> None:
        """Refuse a table without a header that is one column of decimal-comma numbers (``-0,05``) read as two
        (:func:`~emgcramp.io.text_fields.decimal_comma_row`)."""
        bad = decimal_comma_row([line.split("#", 1)[0] for line in self._first_rows])
        if bad is not None:
            raise InputError(f"{self.path}: not a table of numbers: line {self._data_line + bad} holds "
                             f"{self._first_rows[bad].strip()[:40]!r}, {HINTS['decimal_comma']}; if they are two "
                             "columns of whole numbers, name them in a first line (such as ch0,ch1)")

    def _parse(self, lines: list[str], at: int) -> np.ndarray:
        """Rows of numbers from ``lines``, which begin at line ``at`` of the file (1-based)."""
        if (self._trailing or self._comma) and self._delim:  # one pass over the chunk, not a loop over its rows
            text = cut_separator("".join(lines), self._delim) if self._trailing else "".join(lines)
            lines = (text.replace(",", ".") if self._comma else text).split("\n")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # an empty chunk is reported by the caller
                data = np.loadtxt(lines, delimiter=self._delim, ndmin=2, dtype=np.float64)
        except ValueError as e:
            raise self._bad_line(lines, at, str(e).splitlines()[0]) from None
        if data.size and data.shape[1] != len(self.channel_names) + self._offset:
            raise InputError(f"{self.path}: rows have {data.shape[1]} columns, the header names "
                             f"{len(self.channel_names) + self._offset}")
        return data

    def _bad_line(self, lines: list[str], at: int, why: str) -> InputError:
        """The error for the first of ``lines`` (from line ``at``) that is not a row of numbers.

        Says where, rather than NumPy's row number within a chunk: text where the table should start (words,
        or a line without the header's columns) is not a recording at all; one bad row further on, or a first
        row of the header's width with a field that is no number, is a damaged table."""
        want = len(self.channel_names) + self._offset
        seen = at > self._data_line  # rows of numbers came before these lines
        for i, line in enumerate(lines):
            body = line.split("#", 1)[0]  # NumPy's comments
            if not body.strip():
                continue
            fields = body.split(self._delim) if self._delim else body.split()
            bad = next((f.strip() for f in fields if not is_number(f)), None)
            if bad is not None and HINTS.get(kind(bad)):  # the whole table is written so: say how to read it
                return InputError(f"{self.path}: not a table of numbers: line {at + i} holds {bad[:40]!r}, "
                                  f"{HINTS[kind(bad)]}")
            if bad is not None and not seen and (not any(is_number(f) for f in fields) or len(fields) != want):
                return NotATable(f"{self.path}: not a recording: {EXPECTED}, found text at line {self._text_line}"
                                 + self._below())
            if bad is not None:
                tail = ((line[len(body):].split(self._delim) if self._delim else line[len(body):].split()) or [""])[0]
                tail = tail.strip() if not fields[-1].strip() and all(f.strip() for f in fields[:-1]) else ""
                what = repr(bad[:40]) if bad else f"{tail[:40]!r} (a # begins a comment)" if tail else "an empty field"
                return InputError(f"{self.path}: not a table of numbers: line {at + i} holds {what} where a "
                                  "number was expected; fix or remove that line")
            if len(fields) != want:
                return InputError(f"{self.path}: not a table of numbers: line {at + i} has {len(fields)} "
                                  f"column(s) where the first line has {want}; fix or remove that line")
            seen = True
        return InputError(f"{self.path}: not a table of numbers ({why})")

    def _below(self) -> str:
        """Where a table seems to start below lines of text, said as what to do, else nothing."""
        self._f.seek(0)
        at = table_below(list(itertools.islice(self._f, 200)))
        return f"; its table seems to start at line {at}: remove the lines above it" if at and at > 1 else ""

    def foreign_units(self) -> dict[int, str]:
        """The columns whose header names a unit that is no voltage (index: unit)."""
        return {c: u for c, name in enumerate(self.channel_names) if (u := foreign_unit(name)) is not None}

    def _read(self, channels: list[int], chunk: int) -> Iterator[np.ndarray]:
        for c, unit in self.foreign_units().items():
            if c in channels:
                raise InputError(f"{self.path}: channel {self.channel_names[c]!r} is in {unit!r}, "
                                 "not a voltage (V, mV, uV or nV)")
        cols = [c + self._offset for c in channels]
        if self._times:
            self._times.restart()
        rows = iter(self._first_rows)
        rest, at = itertools.chain(rows, self._f), self._data_line
        while True:
            lines = list(itertools.islice(rest, chunk))
            if not lines:
                return
            data, at = self._parse(lines, at), at + len(lines)
            if len(data):
                if self._times and self.fs:
                    self._times.check(data[:, 0], self.fs)
                yield data[:, cols] * self._scale[channels]

    def close(self) -> None:
        self._f.close()
