"""Speed, side by side on the same signal: our chain against scipy and NeuroKit2.

Every method turns one channel of raw µV into 50-Hz envelope bins with the
same SOS filters (band-pass 20–450 Hz and the mains notches):

* ours: the fused Numba kernel (:class:`emgcramp.dsp.EmgFilter`), streaming;
* scipy ``sosfilt`` with carried ``zi``, streaming, then NumPy squaring and binning;
* whole-array ``sosfiltfilt`` and a moving average (not streaming; at most 1 h held);
* NeuroKit2 ``emg_process`` when installed (the ``bench`` extra), on 10 minutes, scaled.

The signal is a synthetic night streamed in 60-s blocks, so memory stays
small for any length.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
from scipy import signal
from scipy.ndimage import uniform_filter1d

from emgcramp.blocks import Block
from emgcramp.dsp import EmgFilter
from emgcramp.pipeline import Pipeline
from emgcramp.synth import NightGenerator, NightSpec

BLOCK_S = 60.0
NOTCHES = (50.0, 150.0)


def _night_blocks(hours: float, fs: float, block_s: float = BLOCK_S) -> Iterator[np.ndarray]:
    n = int(block_s * fs)
    pending = np.empty(0)
    for seg in NightGenerator(NightSpec(hours=hours, fs=fs, seed=1)).segments():
        pending = np.concatenate([pending, seg])
        while len(pending) >= n:
            yield pending[:n]
            pending = pending[n:]
    if len(pending):
        yield pending


def throughput(hours: float = 1.0, fs: float = 2000.0) -> dict[str, float]:
    """Seconds each method takes for ``hours`` of one channel at ``fs`` Hz."""
    ours = EmgFilter(fs, 1, notches=NOTCHES)
    ours.process(np.zeros((1000, 1)))  # compile (or load the cache) outside the timing
    ours.reset()
    sos, L = ours.sos, ours.bin_len
    zi = None
    t_ours = t_scipy = t_whole = 0.0
    whole: list[np.ndarray] = []
    whole_s = 0.0
    nk_x: list[np.ndarray] = []
    for x in _night_blocks(hours, fs):
        t = time.perf_counter()
        ours.process(x[:, None])
        t_ours += time.perf_counter() - t
        t = time.perf_counter()
        if zi is None:
            zi = signal.sosfilt_zi(sos) * x[0]
        y, zi = signal.sosfilt(sos, x, zi=zi)
        (y[: len(y) // L * L] ** 2).reshape(-1, L).mean(axis=1)
        t_scipy += time.perf_counter() - t
        if whole_s < 3600.0:
            whole.append(x)
            whole_s += len(x) / fs
        if sum(len(v) for v in nk_x) < 600 * fs:
            nk_x.append(x)
    sig = np.concatenate(whole)
    t = time.perf_counter()
    y = signal.sosfiltfilt(sos, sig)
    uniform_filter1d(np.abs(y), size=int(0.1 * fs))[::L]
    t_whole = (time.perf_counter() - t) * hours * 3600.0 / whole_s
    out = {"ours (fused Numba)": t_ours, "scipy sosfilt, streaming": t_scipy,
           "scipy sosfiltfilt, whole array": t_whole}
    nk = _neurokit(np.concatenate(nk_x), fs)
    if nk is not None:
        out["NeuroKit2 emg_process"] = nk * hours * 3600.0 / (sum(len(v) for v in nk_x) / fs)
    return out


def _neurokit(x: np.ndarray, fs: float) -> float | None:
    try:
        import neurokit2 as nk
    except ImportError:
        return None
    t = time.perf_counter()
    nk.emg_process(x, sampling_rate=int(fs))
    return time.perf_counter() - t


def streaming_block_costs(fs: float = 2000.0, minutes: float = 10.0,
                          block_ms: tuple[int, ...] = (10, 20, 50)) -> dict[int, tuple[float, float]]:
    """p50 and p99 (µs) of :meth:`Pipeline.process` per block, for live-sized blocks."""
    x = np.concatenate(list(_night_blocks(minutes / 60.0, fs)))
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
