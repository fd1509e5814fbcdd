"""Turn decoded sensor frames into blocks: units, time and gaps.

The sensor's sample-clock timestamp (u32, wrapping) decides where
each frame's samples sit. Samples missing between frames (dropped frames, a
replug) become ``gap_before``; the block's ``t0_sample`` stays on the sensor
clock, so times in the night stay right across a gap.

A sensor that restarts begins its clock again, so the clock cannot say how
long it was away: the frame after a restart begins a new segment, with a
gap measured by when its bytes arrived (or 1 sample, the least that says
the stream broke there).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from emgcramp.core.blocks import Block
from emgcramp.core.framing import TS_WRAP
from emgcramp.core.protocol import DataFrame, Decoder, StatusFrame
from emgcramp.live.sources.base import FS_BEFORE_KNOWN_HZ

WRAP = TS_WRAP
# The rate the samples arrive at is measured over this much wall clock (s): long enough that USB and BLE
# buffering (arrivals bunched by tens to hundreds of ms) averages out to well under a per cent.
RATE_WINDOW_S = 60.0
# A sensor whose samples arrive this far from the rate it declares (fraction) puts the night's times off by as
# much; a crystal is off by 1e-4, so anything near this is a wrong setting (a board set to another rate).
RATE_TOLERANCE = 0.1
# A leap of the sensor's clock that would put the night further ahead of the time that passed since it began
# than this (s) is not believed: samples cannot come before they are made, and arrivals lag, never lead. Well
# beyond a minute of buffering and a night's crystal drift (1e-4 of 8 h: 3 s).
AHEAD_MAX_S = 60.0


def counted(window: tuple[float, int] | None, n: int, at: float, broke: bool = False
            ) -> tuple[tuple[float, int], float | None]:
    """An arrival count after ``n`` more samples (or lines) came at ``at`` (s): the window (its start s,
    samples since) and, once it spans RATE_WINDOW_S, the rate they came at (Hz; else None). ``broke``: a gap
    or a new rate came before them, so the count starts again."""
    if broke or window is None:
        return (at, 0), None
    t0, count = window[0], window[1] + n
    if at - t0 >= RATE_WINDOW_S:
        return (at, 0), count / (at - t0)
    return (t0, count), None


@dataclass
class FrameAssembler:
    """Stateful frames → blocks converter.

    ``fs`` and ``uv_per_count`` come from status frames; until the first
    status frame, data frames are held back (at most ``max_pending``).
    A status frame whose rate or step cannot be right changes neither.
    Blocks are placed on a host timeline that starts at 0 with the first
    sample; a jump in the sensor clock becomes a gap of that many samples.
    ``restarts`` counts the new segments begun because the sensor's clock
    began again, ``rate_changes`` the times a status frame changed the rate
    (:meth:`fs_at` says which rate a block was made at). ``arrival_fs`` is
    the rate the samples arrived at over the last :data:`RATE_WINDOW_S` of
    an unbroken stream (Hz; :meth:`clock_note` says when it is not the
    declared one).
    """

    fs: float | None = None
    uv_per_count: float | None = None
    lead_off: int = 0
    battery_mv: int = 0
    gaps: int = 0
    missing_samples: int = 0
    restarts: int = 0
    rate_changes: int = 0
    max_pending: int = 64
    _pos: int = field(default=0, repr=False)  # next sample on the host timeline
    _ts_next: int | None = field(default=None, repr=False)  # next expected sensor timestamp (u32)
    _estimate: int | None = field(default=None, repr=False)
    _pending: list[tuple[DataFrame, float | None]] = field(default_factory=list, repr=False)
    _new_segment: bool = field(default=False, repr=False)  # a restart announced by a status frame
    _last_at: float | None = field(default=None, repr=False)  # arrival of the last block's frame (s)
    _rates: list[tuple[int, float]] = field(default_factory=list, repr=False)  # (first host sample, Hz)
    arrival_fs: float | None = None
    _window: tuple[float, int] | None = field(default=None, repr=False)  # (arrival s, samples since) of a window
    _anchor: tuple[float, int] | None = field(default=None, repr=False)  # (arrival s, host sample) of a stretch

    def add(self, frames: list[DataFrame | StatusFrame], at: float | None = None) -> list[Block]:
        """Take frames in arrival order; return the blocks they complete.

        ``at``: when their bytes arrived (``time.monotonic()`` s), which
        measures the gap a sensor restart leaves; ``None``: not known.
        """
        out: list[Block] = []
        for f in frames:
            if isinstance(f, StatusFrame):
                out += self._status(f)
            elif self.uv_per_count is None:
                self._pending = (self._pending + [(f, at)])[-self.max_pending:]
            else:
                out.append(self._block(f, at))
        return out

    def fs_at(self, t0_sample: int) -> float | None:
        """The rate (Hz) a block starting at ``t0_sample`` was made at; ``None`` before any was known.

        Asked in the order the blocks came (a consumer behind the link);
        rates before the one found are forgotten.
        """
        k = 0
        while k + 1 < len(self._rates) and self._rates[k + 1][0] <= t0_sample:
            k += 1
        del self._rates[:k]  # the link only appends, so the reader may be another thread
        return self._rates[0][1] if self._rates else None

    def mark_disconnect(self, missing_estimate: int) -> None:
        """The link dropped for about ``missing_estimate`` samples (wall clock).

        Used only when the sensor clock does not carry on across the drop
        (a sensor that restarted) and the arrival times do not say better;
        otherwise the timestamps say exactly.
        """
        self._estimate = max(1, int(missing_estimate))
        self._window = None  # the outage is no time the sensor sent in

    def _status(self, f: StatusFrame) -> list[Block]:
        """Take the sensor's state; return the data frames held for it as blocks."""
        if f.plausible:  # a rate of 0 from a glitch keeps the last good one
            if self.fs is not None and f.fs_hz != self.fs:
                self.rate_changes += 1
            if f.fs_hz != self.fs:
                self._rates.append((self._pos, float(f.fs_hz)))
                self._window, self.arrival_fs, self._anchor = None, None, None  # measured again at the new rate
            self.fs, self.uv_per_count = float(f.fs_hz), f.uv_per_count
        self.lead_off, self.battery_mv = f.lead_off, f.battery_mv
        held = [self._block(p, a) for p, a in self._pending] if self.uv_per_count is not None else []
        if held:
            self._pending.clear()
        self._new_segment = self._new_segment or f.restart  # after what was held: that came before it
        return held

    def _block(self, f: DataFrame, at: float | None) -> Block:
        n = len(f.samples)
        gap = self._gap_before(f, at)
        self._estimate, self._new_segment = None, False
        if at is not None:
            self._last_at = at
        if gap:
            self.gaps += 1
            self.missing_samples += gap
        self._time_arrivals(n, at, bool(gap))
        self._ts_next = (f.timestamp + n) % WRAP
        t0 = self._pos + gap
        self._pos = t0 + n
        return Block(t0, f.samples.astype(np.float64) * self.uv_per_count, gap)

    def _time_arrivals(self, n: int, at: float | None, broke: bool) -> None:
        """Count ``n`` samples that arrived at ``at`` (s) into the window; a gap or a new rate starts a new one."""
        if at is None:
            return
        self._window, rate = counted(self._window, n, at, broke)
        self.arrival_fs = rate if rate is not None else self.arrival_fs

    def clock_note(self) -> str:
        """A sentence when the samples arrive at another rate than the sensor declares (the night's times run off)."""
        if self.arrival_fs is None or self.fs is None or abs(self.arrival_fs / self.fs - 1) <= RATE_TOLERANCE:
            return ""
        return (f"the sensor sends about {self.arrival_fs:.0f} samples a second, not the {self.fs:g} Hz it "
                f"declares: the night's times run {'fast' if self.arrival_fs > self.fs else 'slow'}")

    def _gap_before(self, f: DataFrame, at: float | None) -> int:
        """Samples missing before ``f`` on the host timeline."""
        if self._ts_next is None:
            return 0
        delta = (f.timestamp - self._ts_next) % WRAP
        max_gap = int(3600 * (self.fs or FS_BEFORE_KNOWN_HZ))
        if delta <= max_gap and not (f.restart or self._new_segment) and not self._leaps_ahead(delta, at):
            return delta
        self.restarts += 1  # clock went back or leapt: the sensor restarted (or a timestamp is wrong)
        self._anchor = None
        return self._restart_gap(len(f.samples), at)

    def _leaps_ahead(self, delta: int, at: float | None) -> bool:
        """True when a gap of ``delta`` samples would put the night :data:`AHEAD_MAX_S` ahead of the wall clock.

        Judged only of a stream that kept pace with the wall clock until then: one played faster than real
        time (the emulator, a replay through a pseudo-terminal) runs ahead by design, its clock still right.
        """
        if at is None or self.fs is None:
            return False
        if self._anchor is None:
            self._anchor = (at, self._pos)
            return False
        ahead_s = (self._pos - self._anchor[1]) / self.fs - (at - self._anchor[0])
        return delta > 0 and ahead_s < AHEAD_MAX_S / 6 and ahead_s + delta / self.fs > AHEAD_MAX_S

    def _restart_gap(self, n: int, at: float | None) -> int:
        """How long a restarted sensor was away (samples, at least 1).

        The time since the last frame came, less the ``n`` samples of this
        one (taken before it was sent), and no less than a disconnect the
        source measured; 1 when neither is known (frames read from a file).
        """
        gap = self._estimate or 1
        if at is not None and self._last_at is not None:
            gap = max(gap, round((at - self._last_at) * (self.fs or FS_BEFORE_KNOWN_HZ)) - n)
        return gap


class FrameLink:
    """Bytes of the binary sensor protocol → blocks (decoder + assembler)."""

    def __init__(self):
        self.decoder = Decoder()
        self.assembler = FrameAssembler()

    @property
    def fs(self) -> float | None:
        """The latest rate the sensor announced (Hz)."""
        return self.assembler.fs

    @property
    def lead_off(self) -> int:
        """Lead-off bits from the latest status frame (bit k: channel k)."""
        return self.assembler.lead_off

    def fs_at(self, t0_sample: int) -> float | None:
        """The rate (Hz) the block starting at ``t0_sample`` was made at."""
        return self.assembler.fs_at(t0_sample)

    def clock_note(self) -> str:
        """:meth:`FrameAssembler.clock_note`."""
        return self.assembler.clock_note()

    def feed(self, chunk: bytes, at: float | None = None) -> list[Block]:
        """Bytes that arrived at ``at`` (``time.monotonic()`` s; default: now) → blocks."""
        return self.assembler.add(self.decoder.feed(chunk), time.monotonic() if at is None else at)

    def mark_disconnect(self, missing_estimate: int) -> list[Block]:
        """The link dropped for about ``missing_estimate`` samples; return the blocks held from before it.

        A frame cut by the drop is kept: after a read error on a port that
        stayed, its bytes go on; after a replug the next bytes fail its CRC
        and the decoder finds its place on the first good frame. So none is
        held back, and the list is empty.
        """
        self.decoder.reconnected()
        self.assembler.mark_disconnect(missing_estimate)
        return []
