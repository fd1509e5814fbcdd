"""Signal conditioning: filter design in NumPy, per-sample work in Numba.

The chain for each channel is

    mains notches -> Butterworth band-pass -> square -> mean over a bin

so one pass over a block of raw µV samples yields, per bin of ``bin_len``
samples (the detector rate, 50 Hz by default):

* ``ms``:    mean square of the band-passed signal, µV² (its square root is
             the bin's RMS envelope, µV);
* ``mean``:  mean of the raw signal, µV (carries the < 25 Hz content that
             motion artefacts and electrode pops live in);
* ``stuck``: fraction of samples equal to their predecessor (a flat line:
             lead-off, rail saturation, a dead ADC);
* ``dms``:   mean square of the band-passed signal's first difference, µV²
             (over ``ms``, where the spectrum's power lies: see
             :func:`emgcramp.detect.shape.rms_frequency`).

Filters are designed once as second-order sections (:mod:`emgcramp.dsp.design`,
held to ``scipy.signal``'s designs by the tests) and
run by a Numba kernel in transposed direct form II, the same recursion as
``scipy.signal.sosfilt``; :func:`sosfilt` is the plain reference the fused
kernel is tested against. State (section delays, the partial bin) is carried
between blocks, so any split of a signal into blocks gives identical output.
"""

from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np

from emgcramp.core.config import DEFAULT_BAND_HZ, DEFAULT_ENV_RATE_HZ
from emgcramp.core.errors import InputError
from emgcramp.core.kernels import helper, kernel
from emgcramp.dsp import design

NOTCH_Q = 30.0


def bandpass_sos(fs: float, band: tuple[float, float] = DEFAULT_BAND_HZ, order: int = 4) -> np.ndarray:
    """Butterworth band-pass as SOS; the upper edge is clipped to 0.45·fs.

    ``order`` is per edge (the band-pass has ``2*order`` poles).
    """
    low, high = band
    high = min(high, 0.45 * fs)
    if not 0 < low < high:
        raise InputError(f"the band {low:g}–{band[1]:g} Hz does not fit a sampling rate of {fs:g} Hz: its low edge "
                         f"must lie under {0.45 * fs:g} Hz (0.45 × the rate)")
    return design.butter_sos(order, (low, high), fs, "bandpass")


def notch_bank_sos(fs: float, freqs_hz: list[float] | tuple[float, ...], q: float = NOTCH_Q) -> np.ndarray:
    """A bank of notches: one second-order IIR notch per frequency (Hz) at rate ``fs`` (Hz), stacked as SOS.

    Not :func:`emgcramp.dsp.design.notch_sos` (one notch, arguments ``f0_hz, q, fs``), which each row comes from.
    """
    sections = [design.notch_sos(f, q, fs) for f in freqs_hz]
    return np.vstack(sections) if sections else np.zeros((0, 6))


@helper(inline="always")  # per sample: a call would cost more than the arithmetic
def _cascade(sos, z, v):
    """Run one sample through every section (transposed direct form II)."""
    for s in range(sos.shape[0]):
        y = sos[s, 0] * v + z[s, 0]
        z[s, 0] = sos[s, 1] * v - sos[s, 4] * y + z[s, 1]
        z[s, 1] = sos[s, 2] * v - sos[s, 5] * y
        v = y
    return v


def sosfilt_loop(sos, x, zi, y):
    """``y = sosfilt(sos, x)`` column by column, ``zi`` (channels × sections × 2) updated in place."""
    for c in range(x.shape[1]):
        z = zi[c]
        for i in range(x.shape[0]):
            y[i, c] = _cascade(sos, z, x[i, c])


def _sosfilt_signature():
    from numba import types as t

    a2 = t.float64[:, :]
    return t.none(a2, a2, t.float64[:, :, :], a2)


_sosfilt_kernel = kernel(sosfilt_loop, _sosfilt_signature)


def sosfilt(sos: np.ndarray, x: np.ndarray, zi: np.ndarray) -> np.ndarray:
    """Reference SOS filter (Numba), same result as ``scipy.signal.sosfilt``.

    ``x`` is samples × channels; ``zi`` (channels × sections × 2) is updated
    in place, so successive calls continue the same filter.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    sos = np.ascontiguousarray(sos, dtype=np.float64)
    # The compiled kernel checks no types: a wrong shape or dtype here would be read as float64 anyway.
    if x.ndim != 2 or sos.ndim != 2 or sos.shape[1] != 6 or not isinstance(zi, np.ndarray) \
            or zi.dtype != np.float64 or not zi.flags.writeable or zi.shape != (x.shape[1], sos.shape[0], 2):
        raise ValueError(f"sosfilt: x {x.shape}, sos {sos.shape} and zi {np.shape(zi)} "
                         f"({getattr(zi, 'dtype', type(zi).__name__)}, a writeable float64 array) do not fit")
    y = np.empty_like(x)
    _sosfilt_kernel(sos, x, zi, y)
    return y


# The bin under way, per channel: carried from block to block.
OPEN_BIN = np.dtype([("sum_sq", np.float64),  # of the band-passed signal, µV²
                     ("sum", np.float64),  # of the raw signal, µV
                     ("stuck", np.float64),  # samples equal to the one before
                     ("sum_dsq", np.float64),  # of the band-passed signal's first difference, µV²
                     ("last_y", np.float64),  # the last band-passed sample, µV
                     ("count", np.float64)])  # samples in the bin so far


def bins_kernel(x, sos, zi, bin_len, acc, prev, out_ms, out_mean, out_stuck, out_dms):
    """Fused notch/band-pass, squaring and bin statistics; returns bins written.

    ``acc[c]`` (an :data:`OPEN_BIN` record) holds channel ``c``'s open bin,
    ``prev[c]`` its last raw sample; both carry over to the next block. This
    is the plain-Python reference; :func:`_bins_kernel` is the same function
    compiled, and the tests hold the two to identical output.
    """
    n_out = 0
    for c in range(x.shape[1]):
        z = zi[c]
        a = acc[c]
        s_sq, s_x, s_st, cnt = a["sum_sq"], a["sum"], a["stuck"], int(a["count"])
        s_dsq, y_last = a["sum_dsq"], a["last_y"]
        p = prev[c]
        k = 0
        i = 0
        while i < x.shape[0]:
            # Up to the end of the open bin, with no test per sample: the sums stay in registers.
            end = min(x.shape[0], i + bin_len - cnt)
            for j in range(i, end):
                v = x[j, c]
                s_st += v == p
                p = v
                s_x += v
                y = _cascade(sos, z, v)
                s_sq += y * y
                d = y - y_last
                s_dsq += d * d
                y_last = y
            cnt += end - i
            i = end
            if cnt == bin_len:
                out_ms[k, c] = s_sq / bin_len
                out_mean[k, c] = s_x / bin_len
                out_stuck[k, c] = s_st / bin_len
                out_dms[k, c] = s_dsq / bin_len
                k += 1
                s_sq, s_x, s_st, s_dsq, cnt = 0.0, 0.0, 0.0, 0.0, 0
        a["sum_sq"], a["sum"], a["stuck"], a["count"] = s_sq, s_x, s_st, cnt
        a["sum_dsq"], a["last_y"] = s_dsq, y_last
        prev[c] = p
        n_out = k
    return n_out


def _bins_signature():
    from numba import from_dtype
    from numba import types as t

    a2 = t.float64[:, :]
    return t.intp(a2, a2, t.float64[:, :, :], t.intp, from_dtype(OPEN_BIN)[:], t.float64[:], a2, a2, a2, a2)


_bins_kernel = kernel(bins_kernel, _bins_signature)


# Blocks this long (samples) or longer, with several channels, are split over the cores: the
# kernels release the GIL, and a 60-s chunk is long enough to pay for the hand-over; live blocks
# of 10–50 ms stay on one thread.
PARALLEL_MIN_SAMPLES = 10_000
_POOL = None
_CPUS = os.cpu_count() or 1  # asked once: each call reads the system again (about 17 µs a block)


def channel_parts(n_channels: int, n_samples: int, max_threads: int = 2) -> list[slice]:
    """How to split ``n_channels`` for one block: one part, or one per core (at most ``max_threads``)."""
    workers = min(n_channels, _CPUS, max_threads) if n_samples >= PARALLEL_MIN_SAMPLES else 1
    if workers == 1:  # every live block: no array work on the way
        return [slice(0, n_channels)]
    edges = np.linspace(0, n_channels, workers + 1).round().astype(int)
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]


def map_parts(fn, parts: list) -> list:
    """``[fn(p) for p in parts]``, on a shared thread pool when there is more than one part."""
    global _POOL
    if len(parts) == 1:
        return [fn(parts[0])]
    if _POOL is None:
        from concurrent.futures import ThreadPoolExecutor

        _POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="emgcramp")
    return list(_POOL.map(fn, parts))


class Bins(NamedTuple):  # a tuple: made for every live block, and a frozen dataclass costs a microsecond more
    """Per-bin features of a block, each ``(n_bins, channels)``.

    ``ms`` in µV² (band-passed mean square), ``mean`` in µV (raw), ``stuck``
    a fraction in [0, 1], ``dms`` in µV² (the band-passed first difference's mean square).
    """

    ms: np.ndarray
    mean: np.ndarray
    stuck: np.ndarray
    dms: np.ndarray

    def of(self, c: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Channel ``c``'s ``ms``, ``mean``, ``stuck``, ``dms`` (views): what a detector's ``process`` takes."""
        return self.ms[:, c], self.mean[:, c], self.stuck[:, c], self.dms[:, c]


class EmgFilter:
    """Stateful notch + band-pass + bin statistics for multi-channel blocks.

    Args:
        fs: sampling rate, Hz.
        n_channels: channels per block.
        band: band-pass edges, Hz (upper edge clipped to 0.45·fs).
        notches: frequencies to notch, Hz (see :func:`detect_mains`).
        env_rate: detector rate, Hz; the bin is ``round(fs / env_rate)``
            samples, and :attr:`env_rate` is the exact rate that gives.
        order: Butterworth order per band edge.
        max_threads: threads a long block's channels are split over (1: the caller's only).
        kernel: the compiled :func:`bins_kernel` (default: the ahead-of-time one when built,
            see :mod:`emgcramp.core.kernels`).
    """

    def __init__(self, fs: float, n_channels: int, band: tuple[float, float] = DEFAULT_BAND_HZ,
                 notches: list[float] | tuple[float, ...] = (), env_rate: float = DEFAULT_ENV_RATE_HZ,
                 order: int = 4, max_threads: int = 2, kernel=None):
        self.fs = float(fs)
        self.kernel = kernel or _bins_kernel
        self.max_threads = max_threads
        self.n_channels = int(n_channels)
        self.notches = tuple(notches)
        self.sos = np.ascontiguousarray(np.vstack([notch_bank_sos(fs, self.notches), bandpass_sos(fs, band, order)]))
        self.bin_len = max(1, int(round(fs / env_rate)))
        self.env_rate = self.fs / self.bin_len
        self.reset()

    def reset(self) -> None:
        """Forget all state, as after a gap in the signal."""
        self._zi: np.ndarray | None = None
        self._acc = np.zeros(self.n_channels, OPEN_BIN)
        self._filled = 0  # samples in the open bin (the kernel's count, known without reading a record field)
        self._prev = np.full(self.n_channels, np.nan)

    def _initial_state(self, first: np.ndarray) -> np.ndarray:
        # Start in the steady state for the first sample's level, so a DC
        # offset does not ring through the high-pass as a fake burst.
        zi1 = design.sosfilt_zi(self.sos)
        return np.ascontiguousarray(zi1[None, :, :] * first[:, None, None])

    def process(self, x: np.ndarray) -> Bins:
        """Filter a block ``x`` (samples × channels, µV); return its complete bins."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_channels:
            raise ValueError(f"expected samples × {self.n_channels} channels, got shape {x.shape}")
        if self._zi is None:
            if len(x) == 0:
                return self._empty()
            self._zi = self._initial_state(x[0])
        n_max = (self._filled + len(x)) // self.bin_len
        self._filled = (self._filled + len(x)) % self.bin_len
        ms, mean, stuck, dms = np.empty((4, n_max, self.n_channels))

        def run(part: slice) -> int:  # channels are independent: each part has its own state
            return self.kernel(x[:, part], self.sos, self._zi[part], self.bin_len, self._acc[part],
                               self._prev[part], ms[:, part], mean[:, part], stuck[:, part], dms[:, part])

        n = min(map_parts(run, channel_parts(self.n_channels, len(x), self.max_threads)))
        return Bins(ms[:n], mean[:n], stuck[:n], dms[:n])

    def add_notches(self, freqs_hz: list[float], level: np.ndarray) -> None:
        """Notch more lines (Hz) from the next sample on: hum that began in the night.

        The sections already running keep their state; the new ones start
        settled at ``level`` (µV per channel, the last sample before them),
        as the first block's sections do.
        """
        k = len(self.notches)
        new = notch_bank_sos(self.fs, freqs_hz)
        self.notches += tuple(freqs_hz)
        self.sos = np.ascontiguousarray(np.vstack([self.sos[:k], new, self.sos[k:]]))
        if self._zi is not None:
            zi = design.sosfilt_zi(new)[None, :, :] * np.asarray(level, dtype=np.float64)[:, None, None]
            self._zi = np.ascontiguousarray(np.concatenate([self._zi[:, :k], zi, self._zi[:, k:]], axis=1))

    def _empty(self) -> Bins:
        e = np.empty((0, self.n_channels))
        return Bins(e, e, e, e)
