"""Mains hum: which lines to notch, found in the signal itself (NumPy only)."""

from __future__ import annotations

import numpy as np

from emgcramp.core.config import DEFAULT_BAND_HZ
from emgcramp.dsp import design

MAINS_FREQS_HZ = (50.0, 60.0)


# A spectral line this many times above its neighbourhood counts as hum.
MAINS_PEAK_RATIO = 4.0
# The first probe, over the recording's first seconds (s): Welch at 1 Hz over 15 half-overlapping segments.
MAINS_PROBE_S = 8.0


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
