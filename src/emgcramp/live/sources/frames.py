"""Turn decoded sensor frames into blocks: units, time and gaps.

The sensor's sample-clock timestamp (u32, wrapping) decides where
each frame's samples sit. Samples missing between frames (dropped frames, a
replug) become ``gap_before``; the block's ``t0_sample`` stays on the sensor
clock, so times in the night stay right across a gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from emgcramp.core.blocks import Block
from emgcramp.core.protocol import DataFrame, Decoder, StatusFrame
from emgcramp.live.sources.base import FS_BEFORE_KNOWN_HZ

WRAP = 1 << 32


@dataclass
class FrameAssembler:
    """Stateful frames → blocks converter.

    ``fs`` and ``uv_per_count`` come from status frames; until the first
    status frame, data frames are held back (at most ``max_pending``).
    Blocks are placed on a host timeline that starts at 0 with the first
    sample; a jump in the sensor clock becomes a gap of that many samples.
    """

    fs: float | None = None
    uv_per_count: float | None = None
    lead_off: int = 0
    battery_mv: int = 0
    gaps: int = 0
    missing_samples: int = 0
    max_pending: int = 64
    _pos: int = field(default=0, repr=False)  # next sample on the host timeline
    _ts_next: int | None = field(default=None, repr=False)  # next expected sensor timestamp (u32)
    _estimate: int | None = field(default=None, repr=False)
    _pending: list[DataFrame] = field(default_factory=list, repr=False)

    def add(self, frames: list[DataFrame | StatusFrame]) -> list[Block]:
        """Take frames in arrival order; return the blocks they complete."""
        out: list[Block] = []
        for f in frames:
            if isinstance(f, StatusFrame):
                self.fs, self.uv_per_count = float(f.fs_hz), f.uv_per_count
                self.lead_off, self.battery_mv = f.lead_off, f.battery_mv
                out += [self._block(p) for p in self._pending]
                self._pending.clear()
            elif self.uv_per_count is None:
                self._pending = (self._pending + [f])[-self.max_pending:]
            else:
                out.append(self._block(f))
        return out

    def mark_disconnect(self, missing_estimate: int) -> None:
        """The link dropped for about ``missing_estimate`` samples (wall clock).

        Used only when the sensor clock does not carry on across the drop
        (a sensor that restarted); otherwise the timestamps say exactly.
        """
        self._estimate = max(1, int(missing_estimate))

    def _block(self, f: DataFrame) -> Block:
        n = len(f.samples)
        gap = 0
        if self._ts_next is not None:
            delta = (f.timestamp - self._ts_next) % WRAP
            max_gap = int(3600 * (self.fs or FS_BEFORE_KNOWN_HZ))
            if delta <= max_gap:
                gap = delta
            else:  # clock went back or leapt: the sensor restarted
                gap = self._estimate or 1
        self._estimate = None
        if gap:
            self.gaps += 1
            self.missing_samples += gap
        self._ts_next = (f.timestamp + n) % WRAP
        t0 = self._pos + gap
        self._pos = t0 + n
        return Block(t0, f.samples.astype(np.float64) * self.uv_per_count, gap)


class FrameLink:
    """Bytes of the binary sensor protocol → blocks (decoder + assembler)."""

    def __init__(self):
        self.decoder = Decoder()
        self.assembler = FrameAssembler()

    @property
    def fs(self) -> float | None:
        return self.assembler.fs

    @property
    def lead_off(self) -> int:
        """Lead-off bits from the latest status frame (bit k: channel k)."""
        return self.assembler.lead_off

    def feed(self, chunk: bytes) -> list[Block]:
        return self.assembler.add(self.decoder.feed(chunk))

    def mark_disconnect(self, missing_estimate: int) -> list[Block]:
        """The link dropped; return the blocks still held from before it (a frame held for a check)."""
        held = self.assembler.add(self.decoder.feed(b"", final=True))  # a half frame from before is gone
        self.decoder.restart()  # a sensor that restarted counts its frames from 0 again
        self.assembler.mark_disconnect(missing_estimate)
        return held
