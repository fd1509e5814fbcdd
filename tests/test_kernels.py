"""Each Numba kernel against its plain-Python reference: the same function run by the interpreter.

Random bins with what nights hold (rest with slow tone changes, bursts and
held contractions, flat runs of a lead-off, clipped loud runs, low-frequency
wander) are cut into random blocks; the compiled kernel must give exactly
what the interpreted one gives, and the same for any cut.
"""

import numpy as np
import pytest

from emgcramp.core.config import DetectorConfig
from emgcramp.core.trace import N_TRACE, T_BIN, T_ENV, T_ENV_S, T_FLAGS, T_REST
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


def _scan(kernel_cls, plain: bool, trace: np.ndarray, cuts: list[int]):
    """Rows of a trace pass (movements or the pre-cramp watch) over ``trace`` cut at ``cuts``."""
    from emgcramp.detect import movements, precramp

    reference = movements.scan_movements if kernel_cls is movements.MovementScorer else precramp.watch_bins
    obj = kernel_cls(RATE, DetectorConfig(), kernel=reference if plain else None)
    edges = [0, *cuts, len(trace)]
    found = [obj.process(trace[a:b]) for a, b in zip(edges[:-1], edges[1:])]
    return [x for f in found for x in f], obj._S.tobytes()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("which", ["movements", "precramp"])
def test_trace_passes_equal_their_plain_python_references(seed, which):
    from emgcramp.detect.movements import MovementScorer
    from emgcramp.detect.precramp import PreCrampWatch

    cls = MovementScorer if which == "movements" else PreCrampWatch
    _, trace, _ = run(None, night_bins(seed, 300.0), [])
    # Raised tension and lone spikes, so that warnings open too.
    rng = np.random.default_rng(300 + seed)
    a = rng.integers(0, len(trace) - 3000)
    calm = slice(a, a + 2000)  # 40 s out of any episode, rest known, bins at 2.5 x rest with spikes
    trace[calm, T_FLAGS], trace[calm, T_REST] = 0.0, np.maximum(trace[calm, T_REST], 3.0)
    trace[calm, T_BIN] = trace[calm, T_REST] * 2.5
    trace[a:a + 2000:40, T_BIN] *= 4.0
    cuts = random_cuts(rng, len(trace))
    nb, state_nb = _scan(cls, False, trace, cuts)
    py, state_py = _scan(cls, True, trace, cuts)
    assert len(nb) >= 1 and nb == py and state_nb == state_py
    assert _scan(cls, False, trace, [])[0] == nb  # and the same for any cut


def _busy(which: str):
    """A config and a trace on which a trace pass closes a row every other row, as fast as its rules let it.

    Also the pass's class, module and plain-Python reference. Leg movements: a level between the onset
    and the end level (the two swapped) opens a stretch that ends on its second row. Warnings: with a
    one-bin window, a tense bin opens one and the calm bin after it closes it.
    """
    from emgcramp.detect import movements, precramp

    trace = np.zeros((302, N_TRACE))
    if which == "movements":
        cfg = DetectorConfig().replace(lm_on_delta_uv=2.0, lm_off_delta_uv=8.0, lm_end_quiet_s=2 / RATE,
                                       lm_settle_s=0.0, lm_min_s=0.0)
        trace[:, T_REST], trace[:, T_ENV_S] = 4.0, 7.0
        return cfg, trace, movements.MovementScorer, movements, movements.scan_movements
    cfg = DetectorConfig().replace(warn_window_s=1 / RATE, warn_refractory_s=0.0)
    trace[:, T_REST], trace[:, T_ENV], trace[:, T_BIN] = 2.0, 3.0, 2.0
    trace[::2, T_BIN] = 10.0  # tense on even rows
    return cfg, trace, precramp.PreCrampWatch, precramp, precramp.watch_bins


def _room(module, cfg: DetectorConfig, n: int) -> int:
    """Rows ``module.new_rows`` gives a block of ``n`` trace rows."""
    from emgcramp.detect import movements

    if module is movements:
        return len(module.new_rows(movements.make_params(cfg, RATE), n))
    return len(module.new_rows(n))


@pytest.mark.parametrize("which", ["movements", "precramp"])
def test_trace_passes_fill_the_room_their_module_gives_at_their_fastest(which):
    cfg, trace, cls, module, reference = _busy(which)
    for kernel in (None, reference):
        obj = cls(RATE, cfg, kernel=kernel)
        obj.process(trace[:101])  # ends one row into a stretch (a warning): the next block closes it on row 0
        found = obj.process(trace[101:])  # 201 rows
        assert len(found) == _room(module, cfg, 201)  # a row every other row, the first on row 0: the bound, met


def _short_of_room(module, monkeypatch, cols: int) -> np.ndarray:
    """Give ``module``'s kernel one row of output; the NaN rows after it show any write past it."""
    room = np.full((50, cols), np.nan)
    monkeypatch.setattr(module, "new_rows", lambda *args: room[:1])
    return room


@pytest.mark.parametrize("plain", [False, True])
@pytest.mark.parametrize("which", ["segment", "movements", "precramp"])
def test_a_kernel_short_of_room_writes_nothing_past_it_and_its_caller_raises(which, plain, monkeypatch):
    from emgcramp.detect import segment

    if which == "segment":
        room = _short_of_room(segment, monkeypatch, segment.N_COLS)
        with pytest.raises(RuntimeError, match="room for 1$"):
            Segmenter(DetectorConfig(), RATE, segment_bins if plain else None).run(*night_bins(0, 240.0), flush=True)
    else:
        cfg, trace, cls, module, reference = _busy(which)
        room = _short_of_room(module, monkeypatch, module._N_ROW)
        with pytest.raises(RuntimeError, match="room for 1$"):
            cls(RATE, cfg, kernel=reference if plain else None).process(trace)
    assert not np.isnan(room[0]).any() and np.isnan(room[1:]).all()


def test_bins_kernel_equals_its_plain_python_reference():
    from emgcramp.dsp.filters import OPEN_BIN, EmgFilter, _bins_kernel, bins_kernel

    rng = np.random.default_rng(7)
    x = rng.normal(0.0, 20.0, (30_000, 2)) + np.sin(np.arange(30_000) / 300.0)[:, None] * 500.0
    x[5_000:6_000, 0] = 8000.0  # pinned at the rail: repeated samples
    f = EmgFilter(2000.0, 2, notches=(50.0, 150.0))
    results = []
    for kernel in (_bins_kernel, bins_kernel):
        zi = np.ascontiguousarray(np.repeat(f.sos[None, :, :2] * 0.0, 2, 0))
        acc, prev = np.zeros(2, OPEN_BIN), np.full(2, np.nan)
        outs = []
        for a, b in ((0, 7_001), (7_001, 7_050), (7_050, 30_000)):  # bins cut across blocks
            ms, mean, stuck, dms = (np.empty(((b - a) // 40 + 2, 2)) for _ in range(4))
            k = kernel(x[a:b], f.sos, zi, 40, acc, prev, ms, mean, stuck, dms)
            outs += [ms[:k], mean[:k], stuck[:k], dms[:k]]
        results.append((outs, zi, acc.tobytes(), prev))
    (nb, zi_nb, acc_nb, prev_nb), (py, zi_py, acc_py, prev_py) = results
    assert sum(len(o) for o in nb[::4]) == 30_000 // 40
    for a, b in zip(nb, py):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(zi_nb, zi_py)
    assert acc_nb == acc_py and np.array_equal(prev_nb, prev_py)
    assert nb[2][126:149, 0].min() > 0.9  # the pinned stretch reads as stuck


def test_motor_unit_renderer_equals_its_plain_python_reference():
    from emgcramp.sim.motor_units import MotorUnitPool, PoolSpec, _render, render_segment

    pool = MotorUnitPool(PoolSpec(n_units=30, seed=3), 2000.0)
    excitation = np.clip(np.linspace(-0.1, 0.7, 8_000), 0.0, None)
    outs = []
    for kernel in (_render, render_segment):
        next_fire, tail, out = np.full(len(pool.rte), -1.0), np.zeros(pool.muaps.shape[1]), np.zeros(8_000)
        kernel(excitation, pool.rte, pool.gain, pool.peak_hz, 0.2, pool.fs, next_fire, pool.muaps, tail, out, 11)
        outs.append((out, next_fire, tail))
    assert np.abs(outs[0][0]).max() > 10.0  # units fired
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)


def _flat_runs_by_numpy(x: np.ndarray) -> np.ndarray:
    """Per channel, samples equal to the one before since the last change, at the end of ``x``.

    The first sample is compared with itself (nothing came before it), so a line flat from the start has run
    as long as the signal.
    """
    moved = np.diff(np.vstack([x[:1], x]), axis=0) != 0
    last = np.where(moved.any(axis=0), len(x) - 1 - np.argmax(moved[::-1], axis=0), -1)
    return np.where(last < 0, len(x), len(x) - 1 - last)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sample_checks_kernel_equals_its_reference_and_counts_runs_as_numpy_does(seed):
    from emgcramp.dsp.samples import SampleChecks, _checks_kernel, checks_kernel

    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 10.0, (5000, 3))
    x[1000:2600, 0] = 7.0  # a dead line (lead-off)
    x[4100:, 1] = -3.0  # pinned at a rail to the end
    x[:, 2] = np.round(x[:, 2] / 40.0)  # coarse: short repeats everywhere
    cuts = np.sort(rng.choice(np.arange(1, len(x)), 60, replace=False))
    runs = {}
    listed = {}
    for name, k, listing in (("plain", checks_kernel, False), ("compiled", _checks_kernel, False),
                             ("plain listing", checks_kernel, True), ("compiled listing", _checks_kernel, True)):
        checks, seen = SampleChecks(1000.0, ["a", "b", "c"], kernel=k), []
        if listing:  # listing the flat lines walks every sample: the runs it times must not change
            checks.list_losses(0.5)
        for t0, part in zip(np.r_[0, cuts], np.split(x, cuts)):
            checks.check(np.ascontiguousarray(part), int(t0))
            seen.append(checks.samples.copy())
        runs[name], listed[name] = np.array(seen), checks.finish()
    for name in ("compiled", "plain listing", "compiled listing"):
        np.testing.assert_array_equal(runs["plain"], runs[name])
    # the dead line and the rail (to the end), each once, however the blocks were cut; the coarse channel's
    # repeats are short
    assert listed["plain listing"] == listed["compiled listing"] == [(1.0, 2.6, "a"), (4.1, 5.0, "b")]
    ends = np.r_[cuts, len(x)]
    expected = np.array([_flat_runs_by_numpy(x[:e]) for e in ends])
    np.testing.assert_array_equal(runs["compiled"], expected)
    assert runs["compiled"][-1].tolist()[1] == len(x) - 4100 - 1


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_sample_checks_refuse_the_first_non_finite_sample_and_count_nothing_of_its_block(bad):
    from emgcramp.core.errors import InputError
    from emgcramp.dsp.samples import SampleChecks

    checks = SampleChecks(500.0, ["calf", "shin"])
    checks.check(np.zeros((100, 2)), 0)
    x = np.ones((50, 2))
    x[30, 1], x[40, 0] = bad, bad
    with pytest.raises(InputError, match=r"channel 'shin' has NaN or infinite samples from 0\.260 s"):
        checks.check(x, 100)
    assert checks.samples.tolist() == [100, 100]  # the refused block left the runs as they were
    big = np.full((10, 2), 9e6)  # large (counts unscaled, say) but within what an electrode input holds
    checks.check(big, 150)
    assert checks.samples.tolist() == [9, 9]  # 9e6 differs from the 0 before it, then repeats 9 times
    long = np.full((60_000, 2), 9e6)  # a long block is summed first: within n × the limit, no look
    checks.check(long, 160)
    assert checks.samples.tolist() == [60_009, 60_009]
    long[50_000, 0] = bad
    with pytest.raises(InputError, match=r"channel 'calf' has NaN or infinite samples from 220\.320 s"):
        checks.check(long, 60_160)


def _spikes(n):
    x = np.random.default_rng(0).normal(0.0, 5.0, (n, 1))
    x[n // 2], x[n // 2 + 1] = 1e200, -1e200  # they cancel in a sum
    return x


@pytest.mark.parametrize("n", [50, 60_000])
@pytest.mark.parametrize("make", [lambda n: np.random.default_rng(0).normal(0.0, 1e200, (n, 1)),
                                  lambda n: np.random.default_rng(0).normal(0.0, 5e7, (n, 1)),  # µV as V
                                  _spikes], ids=["huge", "uV-read-as-V", "cancelling"])
def test_sample_checks_refuse_samples_beyond_any_electrode_input(n, make):
    """1e200 "µV" squared overflowed the filters and every cramp was lost, with exit 0; whatever the block."""
    from emgcramp.core.errors import InputError
    from emgcramp.dsp.samples import SampleChecks

    checks, x = SampleChecks(500.0, ["calf"]), make(n)
    with pytest.raises(InputError, match=r"^channel 'calf' has samples of -?[0-9.]+e\+\d+ µV from ([0-9.]+) s, "
                                         r"beyond what any electrode input holds \(10 V\): are the samples in µV\? Where the file "
                                         r"names their unit, correct it there; else give the µV per unit \(--scale\)$") as e:
        checks.check(x, 0)
    first = float(str(e.value).split(" from ")[1].split(" s,")[0])
    assert first == pytest.approx(np.flatnonzero(np.abs(x[:, 0]) > 1e7)[0] / 500.0, abs=1e-3)  # the first one beyond
    assert checks.samples.tolist() == [0]
