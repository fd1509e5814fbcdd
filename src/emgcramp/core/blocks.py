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
