"""The unit of data every source produces and the pipeline consumes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
