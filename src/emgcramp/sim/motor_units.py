"""Surface EMG from a pool of motor units, after Fuglevand, Winter & Patla (1993).

Fuglevand AJ, Winter DA, Patla AE. Models of recruitment and rate coding
organization in motor-unit pools. J Neurophysiol 70:2470–2488, 1993.

What we follow from that model:

* recruitment thresholds spread exponentially over the pool,
  ``RTE_i = exp(ln(RR)·i/n) / RR · last``, with RR = 30, so most units are
  small and recruited early; the last one is recruited at ``last`` (60 %)
  of maximal excitation;
* rate coding: a recruited unit fires at ``MFR + g·(E − RTE_i)`` Hz, from
  8 Hz at recruitment up to its peak rate, 35 Hz for the first unit down
  to 25 Hz for the last, with ``g`` chosen so the last unit reaches its
  peak at full excitation;
* firing-time variability: each inter-spike interval is drawn with a
  coefficient of variation of 0.2 (Gaussian, truncated);
* unit size grows with threshold: MUAP amplitude over a 30-fold range.

Deviations (a surface signal, not force, is what we need): MUAPs are
first-order Hermite–Rodriguez waveforms (biphasic), whose width
(1–3 ms scale) stands for the volume conductor's low-pass filtering and
grows with depth at random; the unit amplitudes are scaled so that the
pool at full excitation gives ``mvc_uv`` µV RMS. There is no force model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emgcramp.core.kernels import kernel

MFR_HZ = 8.0


@dataclass(frozen=True)
class PoolSpec:
    """Motor-unit pool parameters (Fuglevand et al. 1993 defaults where they apply)."""

    n_units: int = 100
    recruitment_range: float = 30.0
    last_recruited: float = 0.6
    first_peak_hz: float = 35.0
    last_peak_hz: float = 25.0
    isi_cv: float = 0.2
    amplitude_range: float = 30.0
    mvc_uv: float = 400.0
    seed: int = 0


class MotorUnitPool:
    """A concrete pool at ``fs`` Hz: thresholds, rates and MUAP waveforms (µV)."""

    def __init__(self, spec: PoolSpec, fs: float):
        self.spec, self.fs = spec, float(fs)
        n = spec.n_units
        i = np.arange(1, n + 1)
        self.rte = np.exp(np.log(spec.recruitment_range) * i / n) / spec.recruitment_range * spec.last_recruited
        span = max(self.rte[-1] - self.rte[0], 1e-12)  # one unit alone fires up to the first peak rate
        self.peak_hz = spec.first_peak_hz - (spec.first_peak_hz - spec.last_peak_hz) * (self.rte - self.rte[0]) / span
        self.gain = (spec.last_peak_hz - MFR_HZ) / (1.0 - self.rte[-1])
        rng = np.random.default_rng([spec.seed, 7])
        width_ms = rng.uniform(1.0, 3.0, n)
        amp = np.exp(np.log(spec.amplitude_range) * i / n)
        half = int(np.ceil(4 * 3.0e-3 * fs))
        t = np.arange(-half, half + 1) / fs
        lam = width_ms[:, None] * 1e-3
        shapes = (t[None, :] / lam) * np.exp(-(t[None, :] / lam) ** 2)
        shapes /= np.sqrt((shapes ** 2).sum(axis=1, keepdims=True))  # unit energy per unit
        self.muaps = np.ascontiguousarray(shapes * amp[:, None] * rng.choice([-1.0, 1.0], n)[:, None])
        self.muaps *= spec.mvc_uv / self.rms_at(1.0)

    def rates_at(self, excitation: float) -> np.ndarray:
        """Firing rate of each unit (Hz) at an excitation in [0, 1]; 0 if not recruited."""
        r = np.minimum(MFR_HZ + self.gain * (excitation - self.rte), self.peak_hz)
        return np.where(excitation >= self.rte, r, 0.0)

    def rms_at(self, excitation: float) -> float:
        """Expected surface RMS (µV) for steady excitation, units firing independently."""
        energy = (self.muaps ** 2).sum(axis=1)  # per spike, in µV²·samples
        return float(np.sqrt((self.rates_at(excitation) * energy).sum() / self.fs))

    def excitation_for(self, rms_uv: float) -> float:
        """The excitation in [0, 1] whose expected RMS is ``rms_uv`` (clipped)."""
        lo, hi = 0.0, 1.0
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if self.rms_at(mid) < rms_uv else (lo, mid)
        return hi


def render_segment(excitation, rte, gain, peak_hz, cv, fs, next_fire, muaps, tail, out, seed):
    """Fire each recruited unit over the segment and stamp its MUAP into ``out``.

    ``next_fire`` (samples, relative to this segment) and ``tail`` (MUAP
    spill into the next segment) carry over between segments. The plain-Python
    reference; :func:`_render` is the same function compiled (Numba's
    ``np.random`` draws the same Mersenne-Twister stream as NumPy's for a seed).
    """
    np.random.seed(seed)
    n = excitation.shape[0]
    half = muaps.shape[1] // 2
    out[: tail.shape[0]] += tail
    tail[:] = 0.0
    e_max = excitation.max()
    for u in range(rte.shape[0]):
        if rte[u] > e_max:
            next_fire[u] = -1.0  # silent all segment: re-arm at the next recruitment
            continue
        t = next_fire[u]
        if t < 0:
            t = 0.0
            while t < n and excitation[int(t)] < rte[u]:
                t += 1.0
            t += np.random.random() * fs / MFR_HZ  # first spike at a random phase
        while t < n:
            k = int(t)
            e = excitation[k]
            if e < rte[u]:
                while t < n and excitation[int(t)] < rte[u]:
                    t += 1.0
                t += np.random.random() * fs / MFR_HZ
                continue
            rate = min(MFR_HZ + gain * (e - rte[u]), peak_hz[u])
            for j in range(muaps.shape[1]):
                idx = k - half + j
                if idx >= n:
                    tail[idx - n] += muaps[u, j]
                elif idx >= 0:
                    out[idx] += muaps[u, j]
            isi = (1.0 + cv * np.random.standard_normal()) / rate
            t += max(isi, 0.25 / rate) * fs
        next_fire[u] = t - n


def _signature():
    from numba import types as t

    a1 = t.float64[:]
    return t.none(a1, a1, t.float64, a1, t.float64, t.float64, a1, t.float64[:, :], a1, a1, t.int64)


_render = kernel(render_segment, _signature)


class MotorUnitEMG:
    """Streams sEMG (µV) for an excitation signal, segment by segment."""

    def __init__(self, pool: MotorUnitPool, seed: int = 0):
        self.pool, self.seed = pool, seed
        self._next = np.full(len(pool.rte), -1.0)
        self._tail = np.zeros(pool.muaps.shape[1])
        self._k = 0

    def render(self, excitation: np.ndarray) -> np.ndarray:
        """sEMG (µV) for an excitation array (fraction of maximum) at the pool's rate."""
        excitation = np.ascontiguousarray(excitation, dtype=np.float64)  # the kernel checks no types
        if excitation.ndim != 1:
            raise ValueError(f"excitation must be a vector, not shape {excitation.shape}")
        out = np.zeros(len(excitation))
        if len(out) < len(self._tail):
            raise ValueError("segments must be longer than a MUAP")
        p = self.pool
        _render(excitation, p.rte, p.gain, p.peak_hz, p.spec.isi_cv, p.fs, self._next, p.muaps, self._tail, out,
                int(self.seed * 1_000_003 + self._k) % (2 ** 31))
        self._k += 1
        return out
