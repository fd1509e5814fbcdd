"""Gaps in the raw samples (µV): :class:`GapBridge` stands in for a few missing ones.

So that the filters and detectors run on through one lost frame. It holds
only the last few samples, never the night. (Samples that are not numbers,
and flat lines, are checked in one compiled pass: :mod:`emgcramp.dsp.samples`.)
"""

from __future__ import annotations

from collections import deque

import numpy as np

from emgcramp.core.types import Episode

# No electrode input holds this (µV: 10 V): biopotential amplifiers run on supplies of a few volts, so their
# inputs span ±5 V at most, and EMG itself stays under 10 mV. Samples beyond it are not µV (counts or another
# unit unscaled, or numbers gone wrong), and squared in the filters they overflow: 1e200 gave "no cramps found".
MAX_INPUT_UV = 1e7


class GapBridge:
    """Bridges gaps up to ``bridge_s`` with the samples before them, time reversed.

    A gap no longer than the 0.5-s envelope window (the span the detector
    averages over anyway) is bridged: the samples just before it, time
    reversed, hold the level and spectrum the missing ones most likely had
    (sEMG is about stationary over 0.5–2 s; Merletti & Parker 2004,
    *Electromyography*, Wiley, doi:10.1002/0471678384), so one lost frame
    neither ends a cramp nor starts one. The gaps bridged are kept for
    ``horizon_s`` (the longest an episode can reach back), so that episodes
    spanning them can say how much was missing (:meth:`mark`).
    """

    def __init__(self, fs: float, channels: int, bridge_s: float, horizon_s: float):
        self.fs, self.horizon_s = fs, horizon_s
        self.max_samples = max(1, round(bridge_s * fs))
        # The last samples fed, in a ring (no copy of the whole tail per block): _held of them, the
        # newest just before _pos.
        self._ring = np.zeros((self.max_samples, channels))
        self._pos = self._held = 0
        self.bridged: deque[tuple[float, float]] = deque()  # (start s, length s) of the gaps bridged lately

    def fill(self, t0_sample: int, missing: int) -> np.ndarray | None:
        """The samples standing in for ``missing`` ones before ``t0_sample``; ``None`` when the gap is too long."""
        if missing > self.max_samples or missing > self._held:
            self._held = 0  # nothing from before a long gap stands in for a later one
            return None
        start_s = (t0_sample - missing) / self.fs
        self.bridged.append((start_s, missing / self.fs))
        while self.bridged and self.bridged[0][0] < start_s - self.horizon_s:
            self.bridged.popleft()
        newest_first = (self._pos - 1 - np.arange(missing)) % self.max_samples
        return self._ring[newest_first]  # the samples before the gap, time reversed

    def remember(self, x: np.ndarray) -> None:
        """Keep the end of ``x`` (samples × channels, as fed) for the next gap."""
        m, x = self.max_samples, x[-self.max_samples:]
        n, end = len(x), self._pos + len(x)
        if end <= m:
            self._ring[self._pos:end] = x
        else:
            self._ring[self._pos:], self._ring[:end - m] = x[:m - self._pos], x[m - self._pos:]
        self._pos, self._held = end % m, min(m, self._held + n)

    def mark(self, episodes: list[Episode]) -> list[Episode]:
        """Set ``missing_s`` (and the ``gap`` flag) on episodes that span bridged gaps."""
        for e in episodes:
            missing = sum(max(0.0, min(e.offset_s, t + d) - max(e.onset_s, t)) for t, d in self.bridged
                          if t < e.offset_s and e.onset_s < t + d)
            if missing > 0 and not e.missing_s:
                e.missing_s = round(missing, 3)
                e.flags.append("gap")
        return episodes
