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
    df = freqs[1] - freqs[0]

    def ratio(f: float) -> float:
        i = int(round(f / df))
        if i + int(10 / df) >= len(psd):
            return 0.0
        near = np.r_[psd[i - int(10 / df): i - int(3 / df) + 1], psd[i + int(3 / df): i + int(10 / df) + 1]]
        peak = psd[max(i - 1, 0): i + 2].max()
        return float(peak / max(np.median(near), 1e-30))

    scores = {f0: ratio(f0) for f0 in MAINS_FREQS_HZ}
    f0 = max(scores, key=scores.get)
    if scores[f0] < MAINS_PEAK_RATIO:
        return []
    harmonics = mains_harmonics(f0, fs, high_hz)
    return [f for f in harmonics if f == f0 or ratio(f) >= MAINS_PEAK_RATIO]
