"""The unit of data every source produces and the pipeline consumes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emgcramp.core.errors import InputError


@dataclass(frozen=True)
class Block:
    """A run of samples from a source.

    Attributes:
        t0_sample: index of the first sample since the recording started.
        samples: ``(n, channels)`` array in µV.
        gap_before: samples known to be missing just before this block
            (a dropped link); 0 for a contiguous stream.
    """

    t0_sample: int
    samples: np.ndarray
    gap_before: int = 0


MIN_FS_HZ = 200.0


MAX_FS_HZ = 100_000.0
# The shortest signal analysed (s): the filters' and the rest level's first seconds hold nothing to judge.
MIN_SIGNAL_S = 2.0


def as_rate(fs: object) -> float:
    """A sampling rate given as a number (Hz) as a float; :class:`InputError` naming what was given instead."""
    try:
        return float(fs)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"fs is the sampling rate in Hz, a number, not {fs!r}") from None


def check_fs(fs: float | None) -> float:
    """Validate a sampling rate (Hz) for sEMG; raise :class:`InputError`."""
    if fs is None:
        raise InputError("no sampling rate: this format does not carry one, give --fs HZ")
    if not np.isfinite(fs) or not MIN_FS_HZ <= fs <= MAX_FS_HZ:
        raise InputError(f"sampling rate {fs:g} Hz is out of range: surface EMG needs "
                         f"{MIN_FS_HZ:g}–{MAX_FS_HZ:g} Hz (typically 500–2000 Hz)")
    return float(fs)


def missing_before(stamps: np.ndarray, fs: float, last_ts: float | None = None) -> np.ndarray:
    """Samples missing before each timestamped sample (s) at ``fs`` Hz; the first counts from ``last_ts``.

    A step of 1.5 sample intervals or more is a pause of the samples it held
    (rounded); jitter under that is the sender's clock, not a gap.
    """
    steps = np.diff(np.r_[stamps[0] if last_ts is None else last_ts, stamps])
    return np.maximum(np.round(steps * fs).astype(np.int64) - 1, 0)


class StampGaps:
    """Samples missing before each sample of a live stream's chunks, from their timestamps, jitter aside.

    A sender stamps a chunk when it pushes it (liblsl stamps the last
    sample and places the others before it at the nominal rate), so a
    sender its scheduler delays stamps a chunk late, and the next one on
    time again. A gap is a sample stamped more than ``tolerance_s`` (s)
    later than the earliest place the stream has kept so far (its least
    delay): then the samples that fit between are missing (rounded). Late
    chunks that come back into line are jitter, never a gap; small pauses
    add up until they make one, so the timeline stays the sender's.
    """

    def __init__(self, fs: float, tolerance_s: float):
        self.fs, self.tolerance_s = fs, max(tolerance_s, 1.5 / fs)
        self.placed = 0  # samples placed so far, gaps included
        self.floor: float | None = None  # least offset (s) of a stamp from its sample's place so far

    def missing(self, stamps: np.ndarray) -> np.ndarray:
        """Samples missing before each of ``stamps`` (s, one per sample, in order)."""
        stamps = np.asarray(stamps, dtype=np.float64)
        out = np.zeros(len(stamps), dtype=np.int64)
        start, added = 0, 0
        while start < len(stamps):
            offsets = stamps[start:] - (self.placed + added + np.arange(start, len(stamps))) / self.fs
            first = offsets[0] if self.floor is None else self.floor
            before = np.minimum.accumulate(np.r_[first, offsets[:-1]])  # the least delay before each sample
            late = np.flatnonzero(offsets - before > self.tolerance_s)
            if not len(late):
                self.floor = float(min(before[-1], offsets[-1]))
                break
            j = start + int(late[0])
            out[j] = int(round((offsets[late[0]] - before[late[0]]) * self.fs))
            added, self.floor, start = added + out[j], float(before[late[0]]), j
        self.placed += len(stamps) + added
        return out
