"""Speed, side by side on the same signal: our chain against scipy, a plain Numba loop and two toolkits.

The same work in every row of the first group: one channel (or several) of
raw µV at ``fs`` through the same SOS cascade (mains notches, then the
20–450 Hz band-pass), then 50-Hz bins of the mean square:

* ours: the fused Numba kernel (:class:`emgcramp.dsp.filters.EmgFilter`), in 60-s blocks
  (several channels: split over two threads, and again on one thread); one channel: compiled
  ahead of time (what an install runs), and again as Numba's JIT compiles it (the fallback);
* scipy ``sosfilt`` in 60-s blocks carrying ``zi``, NumPy squaring and binning;
* scipy ``sosfilt`` one-shot over the whole signal (one channel at a time), the same binning;
* a plain Numba loop: our reference :func:`emgcramp.dsp.filters.sosfilt` (one sample at a
  time through the cascade, no fusion), in 60-s blocks, the same binning.

Each runs :data:`REPEATS` times after a warm-up call; min and median are
reported. The second group is whole toolkits doing their own, different
processing (NeuroKit2 ``emg_process``, BioSPPy ``emg``, when the ``bench``
extra is installed): the whole signal of one channel (or its first ``toolkit_s``,
the time scaled to the whole), :data:`TOOLKIT_REPEATS` times after a warm-up call
on 10 s, times the channels (they take one channel per call); context, not the
same work.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np
from scipy import signal

from emgcramp.core.blocks import Block
from emgcramp.core.kernels import jit
from emgcramp.dsp.filters import EmgFilter, bins_kernel, sosfilt
from emgcramp.pipeline import Pipeline
from emgcramp.sim.plan import NightSpec
from emgcramp.sim.synth import NightGenerator

BLOCK_S = 60.0
NOTCHES = (50.0, 150.0)
REPEATS = 5
TOOLKIT_REPEATS = 2  # NeuroKit2 takes about a minute per hour of signal
SAME_WORK = "same filters and bins"
TOOLKIT = "whole toolkit, its own processing"


def night(hours: float, fs: float) -> np.ndarray:
    """One channel of a synthetic night (µV), held whole: the timed methods read it block by block."""
    blocks = NightGenerator(NightSpec(hours=hours, fs=fs, seed=1)).blocks(int(BLOCK_S * fs))
    return np.concatenate([b.samples[:, 0] for b in blocks])


def _bins(y: np.ndarray, L: int) -> np.ndarray:
    return (y[: len(y) // L * L] ** 2).reshape(-1, L, y.shape[1]).mean(axis=1)


def _methods(fs: float, channels: int) -> dict[str, Callable[[list[np.ndarray]], None]]:
    """Each method: a function of the signal it is to process, ``(blocks, whole)``.

    ``blocks``: 60-s blocks (samples × channels); ``whole``: each channel's whole hour.
    """
    ref = EmgFilter(fs, channels, notches=NOTCHES)
    sos, L = ref.sos, ref.bin_len

    def ours(work, threads=2, kernel=None):
        blocks, _ = work
        f = EmgFilter(fs, channels, notches=NOTCHES, max_threads=threads, kernel=kernel)
        for x in blocks:
            f.process(x)

    def scipy_blocks(work):
        blocks, _ = work
        zi = signal.sosfilt_zi(sos)[:, :, None] * blocks[0][0][None, None, :]
        for x in blocks:
            y, zi = signal.sosfilt(sos, x, axis=0, zi=zi)
            _bins(y, L)

    def scipy_one_shot(work):
        for x in work[1]:
            y = signal.sosfilt(sos, x, zi=signal.sosfilt_zi(sos) * x[0])[0]
            _bins(y[:, None], L)

    def plain_numba(work):
        blocks, _ = work
        zi = np.ascontiguousarray(np.repeat(signal.sosfilt_zi(sos)[None], channels, 0) * blocks[0][0][:, None, None])
        for x in blocks:
            _bins(sosfilt(sos, x, zi), L)

    one_thread = ({"ours (fused Numba), one thread": lambda work: ours(work, 1)} if channels > 1 else
                  {"ours, Numba JIT (the fallback)": lambda work: ours(work, 1, jit(bins_kernel))})
    return {"ours (fused Numba)": ours, **one_thread, "scipy sosfilt, 60-s blocks with zi": scipy_blocks,
            "scipy sosfilt, one-shot (whole signal)": scipy_one_shot, "plain Numba loop (dsp.sosfilt)": plain_numba}


def _timed(fn: Callable, arg, repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def throughput(hours: float = 1.0, fs: float = 2000.0, channels: int = 1,
               x1: np.ndarray | None = None, toolkits: bool = True,
               toolkit_s: float | None = None) -> dict[str, tuple[str, float, float]]:
    """``{method: (work, min s, median s)}`` for ``hours`` of ``channels`` channels at ``fs`` Hz.

    The same-work methods run on the same blocks, warmed (one call on the
    first block), :data:`REPEATS` times, alternating. ``x1``: the channel
    to use (default: a synthetic night of ``hours``). ``toolkit_s``: the
    toolkits are timed on this much of it (s) and their times scaled to the
    whole (``None``: on the whole; NeuroKit2 runs at about 10 × real time).
    """
    x1 = night(hours, fs) if x1 is None else x1
    n = int(BLOCK_S * fs)
    whole = [np.roll(x1, 997 * k) for k in range(channels)]  # every channel carries real content
    blocks = [np.column_stack([w[i:i + n] for w in whole]) for i in range(0, len(x1), n)]
    work = blocks, whole
    methods = _methods(fs, channels)
    for fn in methods.values():
        fn((blocks[:1], [w[:n] for w in work[1]]))  # compile, load caches, import lazily-loaded parts
    times: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(REPEATS):
        for name, fn in methods.items():
            t = time.perf_counter()
            fn(work)
            times[name].append(time.perf_counter() - t)
    out = {name: (SAME_WORK, min(v), statistics.median(v)) for name, v in times.items()}
    if toolkits:
        scaled = toolkit_s is not None and int(toolkit_s * fs) < len(x1)
        part = x1[: int(toolkit_s * fs)] if scaled else x1
        for name, run in (("NeuroKit2 emg_process", _neurokit), ("BioSPPy emg", _biosppy)):
            if run(x1[: int(10 * fs)], fs) is None:  # not installed
                continue
            lo, med = _timed(lambda x: run(x, fs), part, TOOLKIT_REPEATS)
            whole = channels * len(x1) / len(part)  # one channel per call
            out[name] = (f"{TOOLKIT}; timed on {len(part) / fs / 60:g} min, scaled" if scaled else TOOLKIT,
                         lo * whole, med * whole)
    return out


def _neurokit(x: np.ndarray, fs: float) -> float | None:
    import warnings

    try:
        import neurokit2 as nk
    except ImportError:
        return None
    t = time.perf_counter()
    with warnings.catch_warnings():  # its advice on its own onset search is not this timing's business
        warnings.simplefilter("ignore")
        nk.emg_process(x, sampling_rate=int(fs))
    return time.perf_counter() - t


def _biosppy(x: np.ndarray, fs: float) -> float | None:
    try:
        from biosppy.signals import emg
    except ImportError:
        return None
    t = time.perf_counter()
    emg.emg(signal=x, sampling_rate=fs, show=False)
    return time.perf_counter() - t


def streaming_block_costs(fs: float = 2000.0, minutes: float = 10.0,
                          block_ms: tuple[int, ...] = (10, 20, 50)) -> dict[int, tuple[float, float]]:
    """p50 and p99 (µs) of :meth:`Pipeline.process` per block, for live-sized blocks."""
    x = night(minutes / 60.0, fs)
    out = {}
    for ms in block_ms:
        n = int(fs * ms / 1000)
        pipe = Pipeline(fs, ["calf"])
        costs = []
        for i in range(0, len(x) - n, n):
            t = time.perf_counter()
            pipe.process(Block(i, x[i:i + n, None]))
            costs.append(time.perf_counter() - t)
        c = np.array(costs[int(10 * fs / n):]) * 1e6  # after the first 10 s (mains detection, warm-up)
        out[ms] = (float(np.percentile(c, 50)), float(np.percentile(c, 99)))
    return out
