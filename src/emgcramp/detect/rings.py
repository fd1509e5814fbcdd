"""Windows the kernels keep: a running sum, and a sorted copy for a running quantile.

Compiled into the kernels that call them; plain Python when those run plain.
"""

from __future__ import annotations

import numpy as np

from emgcramp.core.kernels import helper


@helper
def ring_push(ring, pos, total, v):
    """Replace the oldest value of a running-sum ring; returns new pos, total."""
    w = ring.shape[0]
    total += v - ring[pos]
    ring[pos] = v
    pos += 1
    if pos == w:
        pos = 0
        total = 0.0
        for j in range(w):  # re-sum each lap so rounding cannot drift
            total += ring[j]
    return pos, total


@helper
def sorted_swap(srt, n, old, new, drop_old):
    """Keep ``srt[:n]`` sorted as ``new`` joins, ``old`` leaving when ``drop_old``; returns the new n.

    The rest history changes by one value a second; keeping it sorted costs
    a shift of at most :data:`HIST_LEN` values, where sorting (or Numba's
    ``np.percentile``, whose compilation alone took ~4 s) costs far more.
    """
    if drop_old:
        i = 0
        while i < n - 1 and srt[i] != old:
            i += 1
        for k in range(i, n - 1):
            srt[k] = srt[k + 1]
        n -= 1
    i = n
    while i > 0 and srt[i - 1] > new:
        srt[i] = srt[i - 1]
        i -= 1
    srt[i] = new
    return n + 1


@helper
def sorted_quantile(srt, n, q):
    """Quantile ``q`` (0–1) of sorted ``srt[:n]``, interpolated between ranks as Numba's ``np.percentile``."""
    if n == 1:
        return srt[0]
    rank = 1.0 + (n - 1) * q
    f = np.floor(rank)
    m = rank - f
    k = int(f) - 1
    return srt[k] * (1.0 - m) + srt[k + 1] * m
