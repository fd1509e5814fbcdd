"""The running-sum window the kernels share (compiled into them; plain Python when they run plain)."""

from __future__ import annotations

from numba.extending import register_jitable


@register_jitable
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
