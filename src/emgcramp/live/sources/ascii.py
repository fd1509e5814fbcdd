"""Plain text lines from hobby setups (an Arduino printing MyoWare readings).

One or several numbers per line, separated by commas, spaces or tabs, each
named or not (``EMG:512``, as Arduino's Serial Plotter reads them). The
lines carry no rate and no unit, so ``fs`` (Hz) and ``scale`` (µV per
count) are given by the user. Time is counted in lines; a disconnect is
measured by the wall clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from emgcramp.core.blocks import Block
from emgcramp.dsp.samples import MAX_INPUT_UV
from emgcramp.live.sources.frames import RATE_TOLERANCE, counted

_SPLIT = re.compile(rb"[,;\s]+")
# A name before each value, as Arduino's Serial Plotter takes them (EMG:512 or EMG:512,ENV:30): the value is read.
_LABEL = re.compile(rb"[A-Za-z_]\w*:")
# A line of a few numbers is tens of bytes; a stream with no newline this long is not lines (held no longer).
MAX_LINE_BYTES = 4096
# The number of channels is taken once this many lines in a row agree on it: a first line cut or run into
# another at connection does not set it (then every later line would be refused, unsaid).
LOCK_LINES = 8


class LineLink:
    """Bytes of text lines → blocks of ``scale``·value µV at ``fs`` Hz."""

    def __init__(self, fs: float, scale: float = 1.0):
        self.fs, self.uv_per_count = float(fs), float(scale)
        self._scale_abs = abs(self.uv_per_count)
        self.bad_lines = 0
        self.gaps = 0
        self.missing_samples = 0
        self.lead_off = 0
        self._partial = b""
        self._pos = 0
        self._gap = 0
        self._width: int | None = None
        self._held: list[list[float]] = []  # lines agreeing on a width, before it is taken
        self._other: list[list[float]] = []  # lines in a row of another width than the one taken
        self.arrival_fs: float | None = None  # lines a second as they arrive, over RATE_WINDOW_S unbroken
        self._window: tuple[float, int] | None = None  # (start s, lines since) of the arrival count

    def feed(self, chunk: bytes, at: float | None = None) -> list[Block]:
        """Add bytes that arrived at ``at`` (monotonic s, if known); return a block of the complete lines (or
        nothing)."""
        # a line ends in LF, CR LF, or CR alone (as some terminals' and boards' settings send): a CR is an end,
        # and the empty line between the CR and the LF of CR LF is no line
        data = (self._partial + chunk).replace(b"\r", b"\n")
        *lines, self._partial = data.split(b"\n")
        if len(self._partial) > MAX_LINE_BYTES:  # no newline for too long: dropped, so nothing piles up
            self._partial, self.bad_lines = b"", self.bad_lines + 1
        blocks: list[Block] = []
        rows: list[list[float]] = []
        for line in lines:
            row = self._numbers(line)
            if self._width is None:
                rows += self._agreed("_held", row, self._bad) if row else []
                self.bad_lines += not row and bool(line.strip())
            elif row and len(row) != self._width:
                blocks += self._block(rows, at)
                rows = self._agreed("_other", row, lambda n: self._lost(n, at))
            elif row or line.strip():  # a sample's line, whole or garbled (its time stays, a gap)
                if self._other or not row:  # the lines of another width before it did not last: gaps too
                    blocks += self._block(rows, at)
                    rows, lost, self._other = [], len(self._other) + (not row), []
                    self._lost(lost, at)
                rows += [row] if row else []
        return blocks + self._block(rows, at)

    def _numbers(self, line: bytes) -> list[float]:
        """The line's numbers; none when it holds anything else, or a value beyond an electrode's input."""
        try:
            row = [float(f) for f in _SPLIT.split(_LABEL.sub(b"", line).strip()) if f]
        except ValueError:
            return []
        # "nan" and "inf" parse, and an Arduino prints them (a failed read): a bad line, not a sample; so is
        # one beyond what an electrode input holds (two readings run together where a newline was lost)
        return row if all(abs(v) * self._scale_abs <= MAX_INPUT_UV for v in row) else []

    def _bad(self, n: int) -> None:
        """``n`` lines before the width was taken that were the odd ones out: not samples, and no time kept."""
        self.bad_lines += n

    def _lost(self, n: int, at: float | None) -> None:
        """``n`` lines that held no sample: their time stays, as a gap."""
        self._gap, self.missing_samples, self.bad_lines = self._gap + n, self.missing_samples + n, self.bad_lines + n
        self._count(n, at)

    def _agreed(self, run: str, row: list[float], dropped: Callable[[int], None]) -> list[list[float]]:
        """Hold ``row`` in the run ``run`` (``_held``: lines before any width is taken; ``_other``: lines of
        another width than the night's) until LOCK_LINES lines in a row share its width; then take that width and
        give the run's lines as samples (another width: the board's new channel count, which ends the night). A
        run that a line of another width breaks goes to ``dropped`` (its length)."""
        lines = getattr(self, run)
        if lines and len(row) != len(lines[0]):
            dropped(len(lines))
            lines = []
        lines = lines + [row]
        taken = len(lines) >= LOCK_LINES
        setattr(self, run, [] if taken else lines)
        if taken:
            self._width = len(row)
        return lines if taken else []

    def _block(self, rows: list[list[float]], at: float | None) -> list[Block]:
        """The block of ``rows`` (none for none), after the gap of the lines lost before them."""
        if not rows:
            return []
        self._count(len(rows), at)
        x = np.asarray(rows) * self.uv_per_count
        gap, self._gap = self._gap, 0
        block = Block(self._pos + gap, x, gap)
        self._pos += gap + len(x)
        return [block]

    def _count(self, n: int, at: float | None) -> None:
        """Count ``n`` lines that arrived at ``at`` (s); over RATE_WINDOW_S, their rate is :attr:`arrival_fs`."""
        if at is None:
            return
        self._window, rate = counted(self._window, n, at)
        self.arrival_fs = rate if rate is not None else self.arrival_fs

    def clock_note(self) -> str:
        """A sentence when lines arrive at another rate than the ``--fs`` given (the night's times run off)."""
        if self.arrival_fs is None or abs(self.arrival_fs / self.fs - 1) <= RATE_TOLERANCE:
            return ""
        return (f"the board sends about {self.arrival_fs:.0f} lines a second, not the --fs {self.fs:g} Hz given: "
                f"the night's times run {'fast' if self.arrival_fs > self.fs else 'slow'}")

    def mark_disconnect(self, missing_estimate: int) -> list[Block]:
        """The link dropped for about ``missing_estimate`` samples; a partial line is gone (no blocks held)."""
        self._partial, self._held = b"", []  # lines held to learn the width are not placed across a gap
        lost = max(1, int(missing_estimate)) + len(self._other)  # lines of another width before it: lost with it
        self.bad_lines += len(self._other)
        self._other, self._window = [], None  # the outage is no time the board sent in
        self._gap += lost  # after any garbled lines still to place
        self.gaps += 1
        self.missing_samples += lost
        return []
