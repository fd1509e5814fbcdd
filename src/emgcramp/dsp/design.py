"""Filter design in NumPy alone: Butterworth band- and high-pass, IIR notch, steady state, Welch.

``scipy.signal`` takes about half a second to import, longer than a
one-minute recording takes to analyse, and the pipeline needs only these
few designs. They follow the textbook routes scipy takes (analog
Butterworth prototype, band transform, bilinear transform with
pre-warping; the notch of Sophocles J. Orfanidis, *Introduction to Signal
Processing*, as ``scipy.signal.iirnotch``; Welch with a periodic Hann
window, half overlap, mean removed, one-sided density), and
``tests/test_design.py`` holds each to scipy's own result.

Deviation: second-order sections pair each conjugate pole pair with the
zeros of its own section in pole order, not by scipy's nearest-zero
search; the cascade's response is the same (to rounding).
"""

from __future__ import annotations

import numpy as np


def butter_sos(order: int, edges_hz: float | tuple[float, float], fs: float, btype: str) -> np.ndarray:
    """Digital Butterworth as second-order sections (rows ``b0 b1 b2 1 a1 a2``).

    ``btype`` is ``"bandpass"`` (``edges_hz`` low, high; ``2*order`` poles)
    or ``"highpass"`` (one edge; ``order`` poles). ``order`` is even.
    """
    if order < 2 or order % 2:
        raise ValueError(f"order {order}: these designs take an even order (conjugate pole pairs only)")
    warped = 4.0 * np.tan(np.pi * np.atleast_1d(np.asarray(edges_hz, float)) / fs)  # bilinear at fs = 2
    k = np.arange(-order + 1, order, 2)
    proto = -np.exp(1j * np.pi * k / (2 * order))  # analog low-pass poles, cut-off 1 rad/s
    if btype == "bandpass":
        bw, wo = warped[1] - warped[0], np.sqrt(warped[0] * warped[1])
        lp = proto * bw / 2
        poles = np.concatenate([lp + np.sqrt(lp ** 2 - wo ** 2), lp - np.sqrt(lp ** 2 - wo ** 2)])
        zeros, gain = np.zeros(order), bw ** order
    elif btype == "highpass":
        poles, zeros = warped[0] / proto, np.zeros(order)
        gain = float(np.real(1.0 / np.prod(-proto)))
    else:
        raise ValueError(f"btype {btype!r}: 'bandpass' or 'highpass'")
    z, p, gain = _bilinear(zeros, poles, gain)
    return _to_sos(z, p, gain)


def _bilinear(z: np.ndarray, p: np.ndarray, k: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Analog zeros, poles, gain → digital, at a sampling rate of 2 (the edges were warped for it)."""
    fs2 = 4.0
    zd, pd = (fs2 + z) / (fs2 - z), (fs2 + p) / (fs2 - p)
    zd = np.append(zd, -np.ones(len(p) - len(z)))  # zeros at infinity go to Nyquist
    k = k * float(np.real(np.prod(fs2 - z) / np.prod(fs2 - p)))
    return zd, pd, k


def _to_sos(z: np.ndarray, p: np.ndarray, k: float) -> np.ndarray:
    """Sections of conjugate pole pairs (by distance from the unit circle) and pairs of real zeros."""
    upper = p[np.imag(p) > 0]
    upper = upper[np.argsort(np.abs(np.abs(upper) - 1.0))[::-1]]  # the sharpest last, as scipy orders them
    zr = np.sort(np.real(z))[::-1]
    sos = np.zeros((len(upper), 6))
    for s, pole in enumerate(upper):
        z1, z2 = zr[2 * s], zr[2 * s + 1]
        sos[s, :3] = [1.0, -(z1 + z2), z1 * z2]
        sos[s, 3:] = [1.0, -2.0 * pole.real, abs(pole) ** 2]
    sos[0, :3] *= k
    return sos


def notch_sos(f0_hz: float, q: float, fs: float) -> np.ndarray:
    """One second-order IIR notch at ``f0_hz`` with quality ``q`` (-3 dB width f0/q), as one SOS row."""
    w0 = 2.0 * np.pi * f0_hz / fs
    beta = np.tan(w0 / q / 2.0)  # the -3 dB edges (gain 1/√2)
    gain = 1.0 / (1.0 + beta)
    return np.array([[gain, -2.0 * gain * np.cos(w0), gain, 1.0, -2.0 * gain * np.cos(w0), 2.0 * gain - 1.0]])


def sosfilt_zi(sos: np.ndarray) -> np.ndarray:
    """Section states for the steady state of a unit step (scale by the first sample)."""
    zi = np.zeros((len(sos), 2))
    scale = 1.0
    for s, (b0, b1, b2, _, a1, a2) in enumerate(sos):
        # Transposed direct form II at rest under a constant input u = 1 (output y = H(1)).
        y = (b0 + b1 + b2) / (1.0 + a1 + a2)
        zi[s, 1] = b2 - a2 * y
        zi[s, 0] = b1 - a1 * y + zi[s, 1]
        zi[s] *= scale
        scale *= y
    return zi


def welch(x: np.ndarray, fs: float, nperseg: int) -> tuple[np.ndarray, np.ndarray]:
    """One-sided power spectral density (units²/Hz) of ``x`` (samples × channels) by Welch's method.

    All segments at once (about twice ``x`` in memory, with their spectra): for the seconds a hum probe
    looks at, not for a whole night.
    """
    step = nperseg - nperseg // 2  # half overlap, rounded down, as scipy
    n_seg = 1 + (len(x) - nperseg) // step
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(nperseg) / nperseg)  # periodic Hann
    segs = np.lib.stride_tricks.sliding_window_view(x, nperseg, axis=0)[:n_seg * step:step]  # seg × ch × n, a view
    spec = np.fft.rfft((segs - segs.mean(axis=2, keepdims=True)) * window, axis=2)  # one call: the probe runs often
    psd = (spec.real ** 2 + spec.imag ** 2).sum(axis=0).T / (n_seg * fs * np.sum(window ** 2))
    psd[1: -1 if nperseg % 2 == 0 else None] *= 2.0
    return np.fft.rfftfreq(nperseg, 1.0 / fs), psd
