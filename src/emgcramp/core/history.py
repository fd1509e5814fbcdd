"""A ring buffer of per-bin values, read back by time."""

from __future__ import annotations

import numpy as np


class LevelHistory:
    """Per-bin values at ``rate`` Hz over the last ``seconds``: a ring buffer read back by time.

    Bins are pushed as they are computed and read back by time (s from the
    recording start). ``width`` > 0 keeps rows of that many values (the
    detector keeps its whole trace row: envelopes and rest, µV).
    """

    def __init__(self, rate: float, seconds: float, origin_s: float = 0.0, width: int = 0):
        self.rate, self.origin_s = float(rate), origin_s
        self._ring = np.full((int(seconds * rate) + 1, width) if width else int(seconds * rate) + 1, np.nan)
        self._n = 0  # bins pushed so far

    def push(self, values: np.ndarray) -> None:
        """Append bins (rows of ``width`` values when the history has a width)."""
        size, n = len(self._ring), len(values)
        x = values[-size:]
        i = (self._n + n - len(x)) % size
        head = min(len(x), size - i)  # up to the end of the ring, then wrap: two slices, no index array
        self._ring[i:i + head] = x[:head]
        self._ring[:len(x) - head] = x[head:]
        self._n += n

    def window(self, t0_s: float, t1_s: float) -> np.ndarray:
        """Bins (or rows) from ``t0_s`` to ``t1_s`` still held."""
        a = max(int(round((t0_s - self.origin_s) * self.rate)), self._n - len(self._ring), 0)
        b = min(int(round((t1_s - self.origin_s) * self.rate)), self._n)
        if b <= a:
            return np.empty((0, *self._ring.shape[1:]))
        return self._ring[np.arange(a, b) % len(self._ring)]
