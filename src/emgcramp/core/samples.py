"""Gaps in the raw samples (µV): :class:`GapBridge` stands in for a few missing ones.

So that the filters and detectors run on through one lost frame. It holds
only the last few samples, never the night. (Samples that are not numbers,
and flat lines, are checked in one compiled pass: :mod:`emgcramp.dsp.samples`.)
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from emgcramp.core.types import Episode

# No electrode input holds this (µV: 10 V): biopotential amplifiers run on supplies of a few volts, so their
# inputs span ±5 V at most, and EMG itself stays under 10 mV. Samples beyond it are not µV (counts or another
# unit unscaled, or numbers gone wrong), and squared in the filters they overflow: 1e200 gave "no cramps found".
MAX_INPUT_UV = 1e7
# The baseline a gap's stand-in samples are brought to is the mean of this much signal (s): 20 ms averages the
# EMG (20–450 Hz) out of it, and is short beside a wandering baseline (under 1 Hz).
LEVEL_S = 0.02


class GapBridge:
    """Bridges gaps up to ``bridge_s`` with the samples before them.

    A gap no longer than the 0.5-s envelope window (the span the detector
    averages over anyway) is bridged: samples from just before it hold the
    level and spectrum the missing ones most likely had (sEMG is about
    stationary over 0.5–2 s; Merletti & Parker 2004, *Electromyography*,
    Wiley, doi:10.1002/0471678384), so one lost frame neither ends a cramp
    nor starts one. They are the stretch as long as the gap just before it,
    in order; where mains hum is known, the stretch a whole number of its
    periods before, as telephony conceals a lost packet by repeating whole
    pitch periods (ITU-T G.711 Appendix I, 1999), so that the hum (often
    tens of µV in a raw trace) runs on in phase. The baseline moved by
    between that stretch and the gap (hobby boards wander by hundreds of
    µV) is added to it: the difference of the means of :data:`LEVEL_S`
    before each, in which the hum cancels and the EMG averages out.

    (Before, the samples before the gap, time reversed: where the signal
    resumed, the hum was out of phase and the baseline stepped. Band-passed,
    each lost frame was a burst; 5 % of frames lost made 34 leg movements
    and 2 PLM series of a night with one movement, and on a wandering
    baseline with hum, 73 movements and 3 cramps of a night with none.)

    The gaps, bridged or too long to bridge, are kept for ``horizon_s`` (the
    longest an episode can reach back), so that episodes spanning them can
    say how much was missing (:meth:`mark`): a burst under way across a
    longer gap is weighed as one (:mod:`emgcramp.detect.joined`).
    """

    def __init__(self, fs: float, channels: int, bridge_s: float, horizon_s: float):
        self.fs, self.horizon_s = fs, horizon_s
        self.max_samples = max(1, round(bridge_s * fs))
        # The last samples fed, in a ring (no copy of the whole tail per block): _held of them, the newest
        # just before _pos. Twice a gap's length: whole periods of hum, and the level before them, reach back
        # past the longest gap.
        self._ring = np.zeros((2 * self.max_samples + 1, channels))
        self._pos = self._held = 0
        self.bridged: deque[tuple[float, float]] = deque()  # (start s, length s) of the gaps lately

    def fill(self, t0_sample: int, missing: int, hum_hz: float | None = None) -> np.ndarray | None:
        """The samples standing in for ``missing`` ones before ``t0_sample``; ``None`` when the gap is too long.

        ``hum_hz``: the mains frequency (Hz) when hum is known to be in the signal.
        """
        start_s = (t0_sample - missing) / self.fs
        self.bridged.append((start_s, missing / self.fs))  # bridged or not: a burst joined across it says so
        while self.bridged and self.bridged[0][0] < start_s - self.horizon_s:
            self.bridged.popleft()
        if missing > self.max_samples or missing > self._held:
            self._held = 0  # nothing from before a long gap stands in for a later one
            return None
        lag = self._lag(missing, hum_hz) if hum_hz else missing
        lag = lag if lag <= self._held else missing  # too little held since a restart for whole periods
        ring, at, size = self._ring, self._pos, len(self._ring)  # at - 1: the last sample before the gap
        x = ring[(at - lag + np.arange(missing)) % size]
        w = min(max(1, round(LEVEL_S * self.fs)), self._held - lag)
        if w < 1:
            return x
        level = ring[(at - 1 - np.arange(w)) % size].mean(0) - ring[(at - lag - 1 - np.arange(w)) % size].mean(0)
        return x + level

    def _lag(self, missing: int, hum_hz: float) -> int:
        """Whole periods of ``hum_hz`` (Hz) that reach back past ``missing`` samples, in samples: of the first
        few such numbers of periods, the one nearest a whole number of samples (at 250 Hz, 60-Hz hum has
        4 1/6 samples a period: 6 periods are 25 samples, 3 would be 12.5)."""
        per = self.fs / hum_hz
        k0 = math.ceil(missing / per)
        k = min(range(k0, k0 + 6), key=lambda k: abs(k * per - round(k * per)))
        return round(k * per)

    def remember(self, x: np.ndarray) -> None:
        """Keep the end of ``x`` (samples × channels, as fed) for the next gap."""
        m, x = len(self._ring), x[-len(self._ring):]
        n, end = len(x), self._pos + len(x)
        if end <= m:
            self._ring[self._pos:end] = x
        else:
            self._ring[self._pos:], self._ring[:end - m] = x[:m - self._pos], x[m - self._pos:]
        self._pos, self._held = end % m, min(m, self._held + n)

    def mark(self, episodes: list[Episode]) -> list[Episode]:
        """Set ``missing_s`` (and the ``gap`` flag) on episodes that span gaps."""
        for e in episodes:
            missing = round(sum(max(0.0, min(e.offset_s, t + d) - max(e.onset_s, t)) for t, d in self.bridged
                                if t < e.offset_s and e.onset_s < t + d), 3)
            if missing > 0 and not e.missing_s:  # rounded: one that starts at a gap's end (to the ms) spans none of it
                e.missing_s = missing
                e.flags.append("gap")
        return episodes
