"""Each Numba kernel against its plain-Python reference: the same function run by the interpreter.

Random bins with what nights hold (rest with slow tone changes, bursts and
held contractions, flat runs of a lead-off, clipped loud runs, low-frequency
wander) are cut into random blocks; the compiled kernel must give exactly
what the interpreted one gives, and the same for any cut.
"""

import numpy as np
import pytest

from emgcramp.core.config import DetectorConfig
from emgcramp.detect.segment import Segmenter, segment_bins

RATE = 50.0  # detector bins per second


def night_bins(seed: int, seconds: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bins (mean square µV², mean µV, stuck fraction) of a random stretch of night."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    level = np.full(n, rng.uniform(2.0, 6.0))  # rest, µV RMS
    for _ in range(rng.integers(2, 6)):  # tone steps of sleep depth
        level[rng.integers(0, n):] *= rng.uniform(0.6, 1.8)
    for _ in range(rng.integers(8, 20)):  # bursts and held contractions, 0.2-120 s, 3-60 x rest
        a = rng.integers(0, n)
        level[a:a + int(min(rng.lognormal(1.0, 1.2), 120.0) * RATE)] *= rng.uniform(3.0, 60.0)
    ms = (level * rng.lognormal(0.0, 0.3, n)) ** 2
    mean = np.cumsum(rng.normal(0.0, 0.5, n)) * 0.1 + rng.normal(0.0, 1.0, n)
    stuck = rng.uniform(0.0, 0.05, n)
    for _ in range(rng.integers(0, 3)):  # lead-off: nothing; clipping: loud and repeated
        a, b = sorted(rng.integers(0, n, 2))
        if rng.random() < 0.5:
            ms[a:b], stuck[a:b] = 0.0, 1.0
        else:
            ms[a:b], stuck[a:b] = 1e6, 0.7
    return ms, mean, stuck


def run(kernel, bins, cuts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, trace and final state of ``kernel`` over ``bins`` cut at ``cuts``."""
    seg = Segmenter(DetectorConfig(), RATE, kernel)
    rows, traces = [], []
    edges = [0, *cuts, len(bins[0])]
    for k, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        r, t = seg.run(*(x[a:b] for x in bins), flush=k == len(edges) - 2)
        rows.append(r)
        traces.append(t)
    return np.concatenate(rows), np.concatenate(traces), seg.state.copy()


def random_cuts(rng, n: int) -> list[int]:
    return sorted(set(rng.integers(1, n, rng.integers(1, 40)).tolist()))


@pytest.mark.parametrize("seed", range(4))
def test_segmenter_kernel_equals_its_plain_python_reference(seed):
    bins = night_bins(seed, 240.0)
    cuts = random_cuts(np.random.default_rng(100 + seed), len(bins[0]))
    rows_nb, trace_nb, state_nb = run(None, bins, cuts)
    rows_py, trace_py, state_py = run(segment_bins, bins, cuts)
    assert len(rows_nb) >= 2  # the stretch holds episodes to compare
    np.testing.assert_array_equal(rows_nb, rows_py)
    np.testing.assert_array_equal(trace_nb, trace_py)
    assert state_nb.tobytes() == state_py.tobytes()


@pytest.mark.parametrize("seed", range(4))
def test_segmenter_gives_the_same_for_any_cut_into_blocks(seed):
    bins = night_bins(seed, 600.0)
    rng = np.random.default_rng(200 + seed)
    whole = run(None, bins, [])
    for _ in range(3):
        cut = run(None, bins, random_cuts(rng, len(bins[0])))
        for a, b in zip(whole, cut):
            np.testing.assert_array_equal(a, b)
