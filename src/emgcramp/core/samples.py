"""What the raw samples (µV) say before any filter: values that are not numbers, gaps, flat lines.

:func:`check_finite` refuses NaN and infinite samples; :class:`GapBridge`
stands in for a few missing samples so that the filters and detectors run
on through one lost frame; :class:`FlatRun` times how long each channel has
repeated itself, so a dead signal shows within seconds. They hold only the
last few samples, never the night.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from emgcramp.core.errors import InputError
from emgcramp.core.types import Episode


def check_finite(x: np.ndarray, t0_sample: int, fs: float, channel_names: list[str]) -> None:
    """Raise :class:`InputError` naming the first NaN or infinite sample of ``x`` (samples × channels)."""
    # Per block, so the usual case is one reduction: a finite sum means finite samples (a sum that
    # overflows from huge finite ones falls through to the exact look below, which finds none).
    if math.isfinite(np.add.reduce(x, axis=None)):
        return
    if np.isfinite(x).all():
        return
    i, c = np.argwhere(~np.isfinite(x))[0]
    raise InputError(f"channel {channel_names[c]!r} has NaN or infinite samples from "
                     f"{(t0_sample + i) / fs:.3f} s: repair or cut the recording first")


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


class FlatRun:
    """Per channel, the run of samples equal to the one before (a dead line, a zero scale, a rail)."""

    def __init__(self, channels: int):
        self.samples = np.zeros(channels, dtype=np.int64)
        self._last: np.ndarray | None = None  # the last sample seen (1 × channels)
        self._zero = True  # every run is 0 (saves a write per block in the usual case)

    def count(self, x: np.ndarray, gap: int) -> None:
        """Carry the runs on over ``x`` (samples × channels); a gap before it breaks them."""
        if not len(x):
            return
        # The usual case, per block and so kept cheap: every channel moved at the last sample.
        if len(x) > 1 and all(a != b for a, b in zip(*x[-2:].tolist())):
            if not self._zero:
                self.samples[:] = 0
                self._zero = True
        else:
            self._zero = False
            prev = x[:1] if self._last is None or gap else self._last
            moved = np.diff(np.vstack([prev, x]), axis=0) != 0
            last = np.where(moved.any(axis=0), len(x) - 1 - np.argmax(moved[::-1], axis=0), -1)
            self.samples = np.where(last < 0, self.samples + len(x), len(x) - 1 - last)
        self._last = x[-1:]
