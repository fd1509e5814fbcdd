"""The raw files the OpenBCI GUI saves (``OpenBCI-RAW-….txt``): its ExG channels in µV at the rate it names.

The GUI writes a few ``%`` lines (the board, ``%Sample Rate = 250 Hz``),
a header row (``Sample Index, EXG Channel 0, …, Accel Channel 0, …,
Timestamp, Timestamp (Formatted)``), then one row per sample. What the
file holds besides the ExG channels is no muscle: the sample index is the
board's packet counter (it wraps at 255 on the Cyton, so it gives no time),
the accelerometer is in g, the analogue and "Other" columns are the board's
auxiliary bytes, and the timestamps are when the computer received each
packet (they come in bursts). The ExG channels are read; the accelerometer
is named, in g, so that the commands can say why they leave it out; the
first formatted timestamp is the recording's start (the computer's clock,
local time).

Samples the radio dropped leave no gap here: the GUI writes the packets it
got one after another, as the boards' own tools read them.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Iterator
from datetime import datetime

import numpy as np

from emgcramp.core.errors import InputError
from emgcramp.io.base import Recording
from emgcramp.io.encoding import LEGACY_BYTES

_RATE = re.compile(r"^%\s*sample rate\s*=\s*([0-9.]+)\s*hz", re.I)
_EXG = re.compile(r"^(?:exg|eeg) channel \d+$", re.I)  # "EEG Channel" in the GUI's files before version 5
_ACCEL = re.compile(r"^accel channel \d+$", re.I)


class OpenBCIRecording(Recording):
    """An OpenBCI GUI raw file; its rate (Hz) from its ``%Sample Rate`` line, else ``fs``."""

    def __init__(self, path: str, fs: float | None = None):
        self.path = path
        self._f = open(path, encoding="utf-8-sig", errors=LEGACY_BYTES)
        try:
            self._probe()
            if fs is not None and self.fs is not None and abs(fs - self.fs) > 1e-6 * self.fs:
                raise InputError(f"{path}: --fs {fs:g} Hz disagrees with the file's {self.fs:g} Hz")
            self.fs = self.fs or fs
        except BaseException:
            self._f.close()
            raise

    def _probe(self) -> None:
        self.fs, self._line = None, 0
        line = self._next()
        while line and (line.startswith("%") or not line.strip()):  # "": the end of the file
            if m := _RATE.match(line.strip()):
                self.fs = float(m.group(1))
            line = self._next()
        if not line:
            raise InputError(f"{self.path}: an OpenBCI GUI file with no header row and no samples")
        names = [n.strip() for n in line.split(",")]
        exg = [i for i, n in enumerate(names) if _EXG.match(n)]
        accel = [i for i, n in enumerate(names) if _ACCEL.match(n)]
        if not exg:
            raise InputError(f"{self.path}: an OpenBCI GUI file whose header names no EXG channel: "
                             f"{line.strip()[:80]!r}")
        self._cols, self._width = exg + accel, len(names)
        # The GUI named them "EEG Channel N" before version 5: EXG here (it is EMG on a leg), the old name an alias
        self.channel_names = [re.sub(r"^eeg", "EXG", names[i], flags=re.I) for i in self._cols]
        self.aliases = {names[i].lower(): n for i, n in zip(self._cols, self.channel_names) if names[i] != n}
        self._foreign = {len(exg) + k: "g" for k in range(len(accel))}
        self._stamp = names.index("Timestamp (Formatted)") if "Timestamp (Formatted)" in names else None
        self._data_line = self._line + 1
        self._first = list(itertools.islice(self._f, 1))
        self.start = self._start(self._first[0]) if self._first else None

    def _next(self) -> str:
        self._line += 1
        return self._f.readline(100_000)

    def _start(self, row: str) -> datetime | None:
        """The first row's formatted timestamp (the computer's local time), if the file has one."""
        fields = row.split(",")
        if self._stamp is None or len(fields) <= self._stamp:
            return None
        try:
            return datetime.fromisoformat(fields[self._stamp].strip())
        except ValueError:
            return None

    def _read(self, channels: list[int], chunk: int) -> Iterator[np.ndarray]:
        for c in channels:
            if c in self._foreign:
                raise InputError(f"{self.path}: channel {self.channel_names[c]!r} is the accelerometer, "
                                 "in g, not a voltage")
        cols = [self._cols[c] for c in channels]
        rows, at = itertools.chain(self._first, self._f), self._data_line
        while lines := list(itertools.islice(rows, chunk)):
            yield self._parse(lines, at, cols)
            at += len(lines)

    def _parse(self, lines: list[str], at: int, cols: list[int]) -> np.ndarray:
        """The ``cols`` of ``lines`` (from line ``at`` of the file) as float64 µV; a damaged row is named."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # an empty chunk (blank lines) is no error
                data = np.loadtxt(lines, delimiter=",", usecols=cols, ndmin=2, dtype=np.float64)
        except (ValueError, IndexError):
            data = None
        # a row cut short (by a crash) may still hold the columns read: every row has the header's width
        if data is None or "".join(lines).count(",") != (self._width - 1) * len(data):
            raise self._damaged(lines, at)
        return data.reshape(-1, len(cols))

    def _damaged(self, lines: list[str], at: int) -> InputError:
        bad = next((i for i, ln in enumerate(lines) if ln.strip() and len(ln.split(",")) != self._width), None)
        where = f"line {at + bad} has {len(lines[bad].split(','))} columns where the header names " \
            f"{self._width}" if bad is not None else f"a row from line {at} on holds a field that is no number"
        return InputError(f"{self.path}: not an OpenBCI GUI table: {where}; fix or remove that line")

    def close(self) -> None:
        self._f.close()
