"""A recording played through the live path, at real time × ``speed``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from emgcramp.core.blocks import Block
from emgcramp.io.base import Recording

BLOCK_S = 0.1


class ReplaySource:
    """Blocks of ``BLOCK_S`` seconds from ``rec``'s channel ``channel``, paced.

    ``speed`` 1 is real time, 60 a minute a second, 0 as fast as possible.
    """

    def __init__(self, rec: Recording, channels: list[int], speed: float = 1.0,
                 stop: threading.Event | None = None):
        self.rec, self.channels, self.speed = rec, channels, speed
        self.stop = stop or threading.Event()
        self.start = rec.start  # a replay keeps the recording's own clock
        self.connected = True
        self.problem = ""
        self.lead_off = 0  # a recording has no lead-off reports

    @property
    def fs(self) -> float | None:
        return self.rec.fs

    def blocks(self) -> Iterator[Block]:
        start = time.monotonic()
        for b in self.rec.blocks(self.channels, max(1, int(BLOCK_S * self.fs))):
            if self.stop.is_set():
                return
            if self.speed:
                delay = start + (b.t0_sample + len(b.samples)) / self.fs / self.speed - time.monotonic()
                if delay > 0 and self.stop.wait(delay):
                    return
            yield b
