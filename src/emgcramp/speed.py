"""Speed, side by side on the same signal: our chain against scipy and NeuroKit2.

The first three turn one channel of raw µV into 50-Hz envelope bins with the
same SOS filters (band-pass 20–450 Hz and the mains notches); the toolkit
rows do their own, different processing and are context, not the same work:

* ours: the fused Numba kernel (:class:`emgcramp.dsp.EmgFilter`), streaming;
* scipy ``sosfilt`` with carried ``zi``, streaming, then NumPy squaring and binning;
* whole-array ``sosfiltfilt`` and a moving average (not streaming; at most 1 h held);
* NeuroKit2 ``emg_process`` and BioSPPy ``emg`` when installed (the ``bench``
  extra), on 10 minutes of one channel, scaled to the hours and channels.

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
    for b in NightGenerator(NightSpec(hours=hours, fs=fs, seed=1)).blocks(int(block_s * fs)):
        yield b.samples[:, 0]


def throughput(hours: float = 1.0, fs: float = 2000.0, channels: int = 1) -> dict[str, float]:
    """Seconds each method takes for ``hours`` of ``channels`` channels at ``fs`` Hz.

    Extra channels are the night's channel shifted in time, so every channel
    carries real content. Methods that are not streaming, and the third-party
    ones, are timed on a shorter stretch and scaled to ``hours``.
    """
    ours = EmgFilter(fs, channels, notches=NOTCHES)
    ours.process(np.zeros((1000, channels)))  # compile (or load the cache) outside the timing
    ours.reset()
    sos, L = ours.sos, ours.bin_len
    zi = None
    t_ours = t_scipy = 0.0
    held: list[np.ndarray] = []
    held_cap = (3600.0 if channels == 1 else 600.0) * fs
    for x1 in _night_blocks(hours, fs):
        x = np.column_stack([np.roll(x1, 997 * k) for k in range(channels)])
        t = time.perf_counter()
        ours.process(x)
        t_ours += time.perf_counter() - t
        t = time.perf_counter()
        if zi is None:
            zi = signal.sosfilt_zi(sos)[:, :, None] * x[0][None, None, :]
        y, zi = signal.sosfilt(sos, x, axis=0, zi=zi)
        (y[: len(y) // L * L] ** 2).reshape(-1, L, channels).mean(axis=1)
        t_scipy += time.perf_counter() - t
        if sum(len(v) for v in held) < held_cap:
            held.append(x)
    sig = np.concatenate(held)
    scale = hours * 3600.0 / (len(sig) / fs)
    t = time.perf_counter()
    y = signal.sosfiltfilt(sos, sig, axis=0)
    uniform_filter1d(np.abs(y), size=int(0.1 * fs), axis=0)[::L]
    out = {"ours (fused Numba)": t_ours, "scipy sosfilt, streaming": t_scipy,
           "scipy sosfiltfilt, whole array": (time.perf_counter() - t) * scale}
    ten_min = sig[: int(600 * fs), 0]
    per_channel = hours * 3600.0 / (len(ten_min) / fs) * channels
    for name, run in (("NeuroKit2 emg_process (whole toolkit)", _neurokit), ("BioSPPy emg (whole toolkit)", _biosppy)):
        sec = run(ten_min, fs)
        if sec is not None:
            out[name] = sec * per_channel
    return out


def _neurokit(x: np.ndarray, fs: float) -> float | None:
    try:
        import neurokit2 as nk
    except ImportError:
        return None
    t = time.perf_counter()
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
