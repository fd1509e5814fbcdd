"""Mains hum: which lines to notch, found in the signal itself (NumPy only)."""

from __future__ import annotations

import numpy as np

from emgcramp.core.config import DEFAULT_BAND_HZ
from emgcramp.dsp import design

MAINS_FREQS_HZ = (50.0, 60.0)


# A spectral line this many times above its neighbourhood counts as hum.
MAINS_PEAK_RATIO = 4.0


def mains_harmonics(mains_hz: float, fs: float, high_hz: float) -> list[float]:
    """Mains fundamental and harmonics inside the pass band and below Nyquist."""
    top = min(high_hz, 0.45 * fs)
    return [k * mains_hz for k in range(1, int(top // mains_hz) + 1)]


def detect_mains(x: np.ndarray, fs: float, high_hz: float = DEFAULT_BAND_HZ[1]) -> list[float]:
    """Find mains hum by its spectral lines; return the frequencies to notch (Hz).

    Welch spectrum at 1 Hz resolution of ``x`` (samples × channels, µV). A line
    counts when its power is ``MAINS_PEAK_RATIO`` times the median of its
    ±3–10 Hz neighbourhood. The fundamental (50 or 60 Hz, whichever line is
    stronger) is notched when either is present, and each harmonic in the band
    that shows its own line. Returns ``[]`` when there is no hum.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    nper = int(min(len(x), round(fs)))
    if nper < 64:
        return []
    freqs, psd = design.welch(x, fs, nper)
    psd = psd.mean(axis=1)
    df = float(freqs[1] - freqs[0])
    scores = dict(zip(MAINS_FREQS_HZ, _line_ratios(psd, df, MAINS_FREQS_HZ)))
    f0 = max(scores, key=scores.get)
    if scores[f0] < MAINS_PEAK_RATIO:
        return []
    harmonics = mains_harmonics(f0, fs, high_hz)
    return [f for f, r in zip(harmonics, _line_ratios(psd, df, harmonics)) if f == f0 or r >= MAINS_PEAK_RATIO]


def _line_ratios(psd: np.ndarray, df: float, freqs_hz) -> np.ndarray:
    """Each line's power (the highest of its 3 bins) over the median of its ±3–10 Hz neighbourhood.

    All lines in one NumPy pass (a probe through the night runs this every few minutes); 0 for a line
    whose neighbourhood runs past the spectrum's end.
    """
    near3, near10 = int(3 / df), int(10 / df)
    at = np.rint(np.asarray(freqs_hz, dtype=float) / df).astype(int)
    side = np.r_[-np.arange(near10, near3 - 1, -1), np.arange(near3, near10 + 1)]
    fits = at + near10 < len(psd)
    at = np.where(fits, at, near10)  # a stand-in index, its ratio set to 0 below
    near = np.median(psd[at[:, None] + side[None, :]], axis=1)
    peak = psd[np.clip(at[:, None] + np.arange(-1, 2)[None, :], 0, None)].max(axis=1)
    return np.where(fits, peak / np.maximum(near, 1e-30), 0.0)


# Hum can begin in the night (a lamp or an electric blanket switched on, a cable that moves and
# unbalances the electrode impedances: Huhta & Webster 1973, doi:10.1109/TBME.1973.324169), and an
# amplifier still settling in the first seconds hides it from the first probe. So ``mains="auto"``
# looks again: a probe of MAINS_RECHECK_PROBE_S at MAINS_RECHECK_FIRST_S (the amplifier has settled)
# and every MAINS_RECHECK_S of signal after. The probe is 4 s (Welch at 1 Hz, 7 half-overlapping
# segments: a line 4 × its neighbourhood stands well clear of their spread), the period 10 min:
# together about 20 ms of an 8-h night at 2 kHz (2 % of its analysis).
MAINS_RECHECK_FIRST_S = 60.0
MAINS_RECHECK_S = 600.0
MAINS_RECHECK_PROBE_S = 4.0


class MainsWatch:
    """Looks for hum again as the signal goes on; says where in a block new lines start being notched.

    Probe windows sit at fixed sample positions (from ``first_s``, every
    ``every_s``), so where a block boundary falls changes nothing; a window
    that a gap in the signal cut short is skipped. Lines are only added:
    a notch that hum no longer needs costs the EMG less than hum let through.

    Parameters
    ----------
    fs : float
        Sampling rate, Hz.
    n_channels : int
        Channels per block (the probe averages their spectra, as :func:`detect_mains` does).
    high_hz : float
        Upper edge of the pass band, Hz: harmonics above it are not notched.
    notches : list of float
        Lines notched already, Hz.
    """

    def __init__(self, fs: float, n_channels: int, high_hz: float, notches: list[float],
                 first_s: float = MAINS_RECHECK_FIRST_S, every_s: float = MAINS_RECHECK_S,
                 probe_s: float = MAINS_RECHECK_PROBE_S):
        self.fs, self.high_hz, self.notches = fs, high_hz, list(notches)
        self.every = max(1, int(round(every_s * fs)))
        self._buf = np.empty((max(1, int(round(probe_s * fs))), n_channels))
        self._start, self._filled = max(0, int(round(first_s * fs))), 0
        self.wanted = self._start  # the next sample a probe needs: a block that ends before it is not looked at

    def look(self, t0_sample: int, x: np.ndarray) -> list[tuple[int, list[float]]]:
        """(index in ``x``, new lines in Hz) for each probe that ended in block ``x`` and found new hum.

        ``x``: samples × channels (µV) of the block that starts at sample ``t0_sample``.
        """
        found: list[tuple[int, list[float]]] = []
        probe, end_sample = len(self._buf), t0_sample + len(x)
        while self._start + self._filled < end_sample:
            want = self._start + self._filled
            if want < t0_sample:  # a gap cut this window: take the next whole one
                self._start += self.every * ((t0_sample - self._start) // self.every + 1)
                self._filled = 0
                continue
            i = want - t0_sample
            take = min(probe - self._filled, len(x) - i)
            self._buf[self._filled:self._filled + take] = x[i:i + take]
            self._filled += take
            if self._filled < probe:
                break
            self._start, self._filled = self._start + self.every, 0
            new = [f for f in detect_mains(self._buf, self.fs, self.high_hz) if f not in self.notches]
            if new:
                self.notches += new
                found.append((i + take, new))
        self.wanted = self._start + self._filled
        return found
