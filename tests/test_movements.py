"""Leg movements and PLM series by the AASM rules, and the pre-cramp watch, on constructed signals."""

import numpy as np
import pytest
from conftest import bursts, emg_noise

from emgcramp.core.blocks import Block
from emgcramp.core.config import DetectorConfig
from emgcramp.core.types import LegMovement, lm_summary
from emgcramp.detect.series import merge_channels, score_series
from emgcramp.pipeline import Pipeline

FS = 1000.0
REST = 4.0
CFG = DetectorConfig()


def above_rest(delta_uv):
    """Burst RMS that puts the envelope ``delta_uv`` above a ``REST`` floor (powers add)."""
    return float(np.sqrt((REST + delta_uv) ** 2 - REST ** 2))


def run(x, chunk=7_000, channels=("calf",)):
    pipe = Pipeline(FS, list(channels), None)
    x = x[:, None] if x.ndim == 1 else x
    eps = []
    for i in range(0, len(x), chunk):
        eps += pipe.process(Block(i, x[i:i + chunk]))
    eps += pipe.finish()
    return eps, pipe


def movements(x, **kw):
    eps, pipe = run(x, **kw)
    return pipe.movements(eps)


def lm(on, dur=2.0):
    return LegMovement(on, on + dur, 30.0, REST)


# --- the LM rules on signals ---------------------------------------------------------------

def test_onset_needs_8_uv_over_rest():
    x = bursts(FS, 80, REST, [(30.0, 32.0, above_rest(10.0)), (50.0, 52.0, above_rest(5.0))])
    ms = movements(x)
    assert len(ms) == 1 and ms[0].is_lm
    assert ms[0].onset_s == pytest.approx(30.0, abs=0.15)
    assert ms[0].duration_s == pytest.approx(2.0, abs=0.25)


def test_end_needs_half_a_second_within_2_uv_of_rest():
    # A tail 4 µV over rest keeps the movement going; one 1 µV over rest does not.
    x = bursts(FS, 90, REST, [(30.0, 32.0, above_rest(20.0)), (32.0, 33.5, above_rest(4.0)),
                              (60.0, 62.0, above_rest(20.0)), (62.0, 63.5, above_rest(1.0))])
    ms = movements(x)
    assert [m.duration_s for m in ms] == [pytest.approx(3.5, abs=0.3), pytest.approx(2.0, abs=0.3)]


def test_a_short_dip_does_not_end_a_movement_a_long_one_does():
    x = bursts(FS, 90, REST, [(30.0, 31.0, 40.0), (31.3, 32.3, 40.0),   # 0.3-s dip: one LM
                              (60.0, 61.0, 40.0), (61.9, 62.9, 40.0)])  # 0.9-s dip: two
    ms = movements(x)
    assert len(ms) == 3
    assert ms[0].duration_s == pytest.approx(2.3, abs=0.25)


@pytest.mark.parametrize("dur, is_lm", [(0.3, None), (0.7, True), (9.0, True), (12.0, False)])
def test_lm_lasts_half_a_second_to_ten(dur, is_lm):
    ms = movements(bursts(FS, 70, REST, [(30.0, 30.0 + dur, 30.0)]))
    assert [m.is_lm for m in ms] == ([] if is_lm is None else [is_lm])  # under 0.5 s is no movement at all


def test_four_movements_at_plm_spacing_are_a_series_three_are_not():
    four = [(20.0 + 25 * k, 22.0 + 25 * k, 30.0) for k in range(4)]
    ms = movements(bursts(FS, 140, REST, four))
    assert [m.series for m in ms] == [1, 1, 1, 1]
    three = movements(bursts(FS, 140, REST, four[:3]))
    assert [m.series for m in three] == [0, 0, 0]


def test_summary_counts_and_index():
    ms = score_series([lm(100 + 20 * k) for k in range(6)] + [lm(1000), lm(1030)], CFG)
    assert lm_summary(ms, hours=2.0) == {"lm": 8, "plm_series": 1, "plm": 6, "plm_index_per_h": 3.0}


# --- series rules on movement lists ----------------------------------------------------------

@pytest.mark.parametrize("gaps, series", [
    ([5.0, 5.0, 5.0], [1, 1, 1, 1]),          # 5 s: the shortest interval allowed
    ([90.0, 90.0, 90.0], [1, 1, 1, 1]),       # 90 s: the longest
    ([20.0, 4.0, 20.0, 20.0], [0] * 5),           # < 5 s ends a run; the next one starts there ...
    ([20.0, 4.0, 20.0, 20.0, 20.0], [0, 0, 1, 1, 1, 1]),  # ... and can be a series
    ([20.0, 95.0, 20.0], [0, 0, 0, 0]),       # > 90 s ends a run
    ([20.0] * 7, [1] * 8),
])
def test_series_intervals(gaps, series):
    onsets = np.cumsum([100.0, *gaps])
    assert [m.series for m in score_series([lm(t) for t in onsets], CFG)] == series


def test_non_lm_activity_and_cramps_end_a_series():
    onsets = [100, 120, 140, 160, 180, 200, 220, 240]
    ms = [lm(t) for t in onsets]
    long = LegMovement(150, 162, 80.0, REST, is_lm=False)
    assert [m.series for m in score_series(ms + [long], CFG) if m.is_lm] == [0, 0, 0, 1, 1, 1, 1, 1]
    assert [m.series for m in score_series(ms, CFG, breaks=[(190.0, 195.0)])] == [1, 1, 1, 1, 1, 0, 0, 0]


def test_channels_of_one_leg_count_a_movement_once():
    a = [LegMovement(10, 12, 30, REST, "GM"), LegMovement(40, 42, 30, REST, "GM")]
    b = [LegMovement(10.2, 12.5, 20, REST, "GL")]
    merged = merge_channels([a, b], CFG)
    assert [(m.onset_s, m.offset_s, m.channel) for m in merged] == [(10, 12.5, "GM+GL"), (40, 42, "GM")]


# --- leg movements in the cramp decision ---------------------------------------------------

def test_strong_short_burst_inside_a_plm_series_is_not_a_cramp():
    # Four 4-s bursts every 25 s, strong enough (15 × rest) to pass as short cramps alone.
    series = [(20.0 + 25 * k, 24.0 + 25 * k, 60.0) for k in range(4)]
    eps, pipe = run(bursts(FS, 140, REST, series))
    a = pipe.analysis(eps)
    # Whether a burst was turned down at once or taken live and retracted once the series was known,
    # the night's record holds no cramp: four look-alikes, or bursts listed as possible cramps at most,
    # and the four movements of one series.
    assert a.episodes == [] and sum(a.rejected.values()) + len(a.possible_cramps) == 4
    assert sorted(round(x[0]) for x in a.lookalikes + [(e.onset_s,) for e in a.possible_cramps]) == [20, 45, 70, 95]
    assert all(e.probability < 0.5 for e in a.possible_cramps)
    assert [m.series for m in a.movements] == [1, 1, 1, 1]


def test_a_short_burst_far_stronger_than_the_series_around_it_is_not_one_of_it():
    # 5 s at 75 × rest, 40 s before four 2-s movements at 8 × rest: in PLM spacing, but not of their kind.
    # Five seconds is too short to be sure of a cramp on one channel: it is listed as a possible one.
    events = [(20.0, 25.0, 300.0)] + [(60.0 + 25 * k, 62.0 + 25 * k, 30.0) for k in range(4)]
    eps, pipe = run(bursts(FS, 180, REST, events))
    a = pipe.analysis(eps)
    assert [(round(e.onset_s), e.kind) for e in a.episodes + a.possible_cramps] == [(20, "tonic")]
    assert [m.series for m in a.movements if m.onset_s > 30] == [1, 1, 1, 1]


def test_a_cramp_is_longer_than_any_lm_and_ends_the_series():
    series = [(20.0 + 25 * k, 22.0 + 25 * k, 30.0) for k in range(5)] + [(150.0, 300.0, 120.0)]
    eps, pipe = run(bursts(FS, 360, REST, series))
    assert [e.kind for e in eps] == ["tonic"]
    ms = pipe.movements(eps)
    assert [m.is_lm for m in ms] == [True] * 5 + [False]
    assert [m.series for m in ms[:5]] == [1] * 5


def test_movements_do_not_depend_on_block_size():
    events = [(20.0 + 17 * k, 21.5 + 17 * k, 25.0 + 5 * k) for k in range(6)]
    x = bursts(FS, 150, REST, events)
    a = movements(x, chunk=20)
    b = movements(x, chunk=60_000)
    assert a == b and len(a) == 6


def test_raised_tone_after_a_movement_ends_it_where_it_fell_under_its_onset_level():
    # Tone 5 µV over rest (between the end level, 2, and the onset level, 8) for 20 s after
    # each burst: the AASM end comes only after 22 s; the LM ends where the burst did.
    series = []
    for k in range(4):
        t = 20.0 + 35 * k
        series += [(t, t + 2.0, above_rest(40.0)), (t + 2.0, t + 22.0, above_rest(5.0))]
    x = bursts(FS, 180, REST, series)
    ms = movements(x, chunk=20)
    assert [m.is_lm for m in ms] == [True] * 4
    assert [m.duration_s for m in ms] == [pytest.approx(2.0, abs=0.3)] * 4
    assert [m.series for m in ms] == [1] * 4
    assert ms == movements(x, chunk=60_000)


def test_a_tail_that_ends_within_ten_seconds_keeps_the_aasm_end():
    x = bursts(FS, 60, REST, [(20.0, 22.0, above_rest(40.0)), (22.0, 27.0, above_rest(5.0))])
    ms = movements(x)
    assert [(m.is_lm, round(m.duration_s)) for m in ms] == [(True, 7)]


# --- the pre-cramp watch -----------------------------------------------------------------------

def tension(seconds, start, stop, level_x_rest, seed=0):
    """Rest EMG with a plateau of raised tension ``level_x_rest`` × REST from start to stop (s)."""
    t = np.arange(int(seconds * FS)) / FS
    gain = np.where((t >= start) & (t < stop), level_x_rest, 1.0)
    return emg_noise(len(t), FS, REST, seed) * gain


def test_raised_tension_then_a_cramp_gives_a_warning_and_its_lead():
    x = tension(200, 60.0, 100.0, 3.0) + bursts(FS, 200, 0.0, [(100.0, 160.0, 200.0)], seed=1)
    eps, pipe = run(x)
    assert len(eps) == 1 and abs(eps[0].onset_s - 100) < 0.6
    ws = pipe.warnings()
    assert len(ws) == 1 and ws[0].cramp_followed
    assert ws[0].onset_s == pytest.approx(60.0, abs=1.5)
    assert eps[0].warning_lead_s == ws[0].lead_s == pytest.approx(40.0, abs=1.5)
    assert ws[0].level_x_rest == pytest.approx(3.0, rel=0.15)


def test_raised_tension_alone_is_a_warning_without_cramp():
    eps, pipe = run(tension(150, 40.0, 80.0, 2.5))
    assert eps == []
    (w,) = pipe.warnings()
    assert not w.cramp_followed and w.lead_s is None
    assert 40 <= w.onset_s <= 42 and 78 <= w.offset_s <= 86


def test_brief_tension_and_leg_movements_are_not_warnings():
    x = tension(200, 40.0, 46.0, 3.0) + bursts(FS, 200, 0.0, [(80.0 + 20 * k, 83.0 + 20 * k, 30.0) for k in range(5)])
    assert run(x)[1].warnings() == []


def test_twitching_helps_half_raised_tension_open_a_warning():
    # 60 % of the window tense (on/off each 3 s at 2 × rest): not enough alone; with a twitch a second it is.
    t = np.arange(int(120 * FS)) / FS
    on = (t >= 40) & (t < 80) & ((t - 40) % 5 < 3)
    quiet = emg_noise(len(t), FS, REST) * np.where(on, 2.0, 1.0)
    assert run(quiet)[1].warnings() == []
    spikes = np.zeros(len(t))
    for s in np.arange(40.3, 80, 1.0):  # one 5-ms biphasic discharge of 150 µV each second
        i = int(s * FS)
        spikes[i:i + 5] += 150 * np.array([1, 0.5, -1, -0.5, 0.2])
    (w,) = run(quiet + spikes)[1].warnings()
    assert w.twitches >= 20


def _tension_twitches_then_cramp(seconds=220.0):
    """40 s of calf tension at 3 × rest with a lone 150-µV discharge each second, then a 90-s cramp (µV)."""
    x = tension(seconds, 60.0, 100.0, 3.0) + bursts(FS, seconds, 0.0, [(100.0, 190.0, 200.0)], seed=1)
    for s in np.arange(60.3, 100.0, 1.0):
        i = int(s * FS)
        x[i:i + 5] += 150 * np.array([1, 0.5, -1, -0.5, 0.2])
    return x


def test_twitches_in_the_tension_do_not_end_the_warning_and_the_cramp_stays_tonic():
    # A twitch lifts the 0.5-s envelope for half a second: no contraction, so the watch goes on;
    # the cramp that follows is measured from its own climb, so the tension's twitches are not its rises.
    eps, pipe = run(_tension_twitches_then_cramp())
    assert [(e.kind, round(e.onset_s)) for e in eps] == [("tonic", 100)]
    (w,) = pipe.warnings()
    assert w.cramp_followed and w.onset_s == pytest.approx(60.0, abs=2.0) and w.twitches >= 20


def test_the_monitor_alerts_once_for_a_cramp_whose_onset_moves_to_its_climb(tmp_path):
    from emgcramp.io.night_reader import read_events
    from emgcramp.live.monitor import run_monitor

    x = _tension_twitches_then_cramp()[:, None]
    res = run_monitor(iter([Block(i, x[i:i + 200]) for i in range(0, len(x), 200)]), lambda: FS, ["calf"],
                      str(tmp_path / "n"))
    assert len(res.alerts) == 1 and [e.kind for e in res.analysis.episodes] == ["tonic"]
    assert [e["type"] for e in read_events(str(tmp_path / "n"))].count("alert") == 1


# --- the kernels' records ----------------------------------------------------------------------

def test_parameter_records_hold_each_setting_under_its_own_name():
    """Every setting differs from the others, so two fields swapped in the packing would show."""
    from emgcramp.detect import movements, precramp

    cfg = CFG.replace(lm_on_delta_uv=8.5, lm_off_delta_uv=2.5, lm_end_quiet_s=0.6, short_window_s=0.14,
                      lm_settle_s=1.3, lm_max_s=10.5, warn_ratio=1.6, warn_delta_uv=2.2, twitch_ratio=3.3,
                      contraction_ratio=5.5, contraction_delta_uv=10.5, warn_min_twitches=4, warn_refractory_s=31.0,
                      warn_window_s=12.0, warn_tense_share=0.85, warn_tense_share_with_twitches=0.45,
                      contraction_s=1.2)
    expected = {  # at 50 rows a second: durations in rows
        movements: {"on_delta_uv": 8.5, "off_delta_uv": 2.5, "end_quiet_bins": 30, "short_bins": 7,
                    "settle_bins": 65, "max_bins": 525},
        precramp: {"warn_ratio": 1.6, "warn_delta_uv": 2.2, "twitch_ratio": 3.3, "on_ratio": 5.5, "on_delta_uv": 10.5,
                   "min_twitches": 4, "refractory_bins": 1550, "calm_bins": 300, "tense_share": 0.85,
                   "tense_share_with_twitches": 0.45, "contraction_bins": 60},
    }
    for module, want in expected.items():
        assert set(want) == set(module.PARAMS.names) and len(set(want.values())) == len(want)
        params = module.make_params(cfg, 50.0)[0]
        assert {name: params[name] for name in want} == want


def test_flags_counts_and_bin_indices_of_the_trace_passes_are_integers():
    from emgcramp.detect import movements, precramp

    floats = {"on_delta_uv", "off_delta_uv", "onset_rest_uv", "peak_uv", "fallback_peak_uv", "fallback_flat_fraction",
              "warn_ratio", "warn_delta_uv", "twitch_ratio", "on_ratio", "tense_share", "tense_share_with_twitches",
              "level_x_rest_sum",
              "tense_bins", "twitch_bins"}  # counts, but ring_push's float64 running sums
    for dtype in (movements.STATE, movements.PARAMS, precramp.STATE, precramp.PARAMS):
        assert {name: dtype[name].kind for name in dtype.names} == {
            name: "f" if name in floats else "i" for name in dtype.names}


def test_linking_a_warning_to_its_cramp_leaves_the_warning_as_it_closed():
    from emgcramp.core.config import DetectorConfig
    from emgcramp.core.types import CrampWarning
    from emgcramp.detect.precramp import PreCrampWatch

    watch = PreCrampWatch(50.0, DetectorConfig(), "calf")
    closed = CrampWarning(100.0, 130.0, 3.0, 4, "calf")
    watch.warnings.append(closed)
    assert watch.link(140.0, 200.0) == 40.0
    assert closed.cramp_followed is False and closed.lead_s is None  # as the live log wrote it
    (linked,) = watch.linked()
    assert linked.cramp_followed and linked.lead_s == 40.0 and linked.onset_s == 100.0
    assert watch.link(150.0, 210.0) is None  # a warning announces one cramp


def test_a_warning_still_open_when_the_cramp_ends_is_not_its_warning_however_the_blocks_fall():
    from emgcramp.core.config import DetectorConfig
    from emgcramp.core.types import CrampWarning
    from emgcramp.detect.precramp import PreCrampWatch

    cfg = DetectorConfig()
    half = 0.5 * cfg.warnings.warn_window_s  # how long a warning's close takes to be seen
    for end_s, lead in ((130.0, 40.0), (200.0 - half, 40.0), (200.0 - half + 0.1, None), (204.0, None)):
        watch = PreCrampWatch(50.0, cfg, "calf")
        # tension from 100 s on; the cramp 140-200 s, decided when it ends: a warning seen closed only
        # later (live, in short blocks) would link offline (in long ones) but not live
        watch.warnings.append(CrampWarning(100.0, end_s, 3.0, 0, "calf"))
        assert watch.link(140.0, 200.0) == lead, end_s


# --- the resting EMG's own waver (emgcramp.detect.waver) ---------------------------------------------------------

PLM_ONSETS = [60.0 + 25.0 * k for k in range(8)]  # a series of 8, 25 s apart, 2 s each


def test_rises_a_noisy_baseline_makes_by_chance_are_no_leg_movements_and_say_so():
    """White EMG noise at 45 µV: AASM's +8 µV came by chance 44 times in 10 min (PLM index 180/h); now none
    reach the waver's 4.5 SD but the one a night's tail allows, and the count is told."""
    eps, pipe = run(emg_noise(int(600 * FS), FS, 45.0, seed=1), chunk=60_000)
    moves = [m for m in pipe.movements(eps) if m.is_lm]
    # Most now end within 0.5 s (the end level the waver sets), too short to be movements at all
    assert len(moves) <= 2 and pipe.quality()["calf"]["lm_unscored"] >= 3
    assert lm_summary(pipe.movements(eps), 600 / 3600.0)["plm_index_per_h"] == 0.0


def test_movements_well_above_the_waver_are_all_kept_on_a_quiet_and_on_a_noisy_baseline():
    """8 movements of 2 s at 150 µV: scored whole at a rest of 4 µV and of 30 µV; the noise's own rises go."""
    for rest, seed in ((REST, 2), (30.0, 3)):
        x = bursts(FS, 300.0, rest, [(t, t + 2.0, 150.0) for t in PLM_ONSETS], seed=seed)
        lms = [m for m in movements(x, chunk=60_000) if m.is_lm]
        assert [round(m.onset_s) for m in lms] == [round(t) for t in PLM_ONSETS], (rest, lms)
        assert {m.series for m in lms} == {1}


def test_the_waver_rule_does_not_depend_on_block_size():
    x = bursts(FS, 300.0, 40.0, [(t, t + 2.0, 120.0) for t in PLM_ONSETS], seed=4)
    (e1, p1), (e2, p2), (e3, p3) = run(x, chunk=60_000), run(x, chunk=20), run(x, chunk=7_919)
    assert p1.movements(e1) == p2.movements(e2) == p3.movements(e3)
    assert p1.quality()["calf"]["lm_unscored"] == p2.quality()["calf"]["lm_unscored"] > 0


@pytest.mark.parametrize("seed", range(4))
def test_a_noisy_baseline_neither_swallows_movements_nor_stretches_them(seed):
    """8 movements of 2 s at 120 µV on a 40-µV rest: the AASM end (0.5 s within 2 µV of rest) seldom came on
    such a baseline, so a stretch ran on for seconds, and one that a chance rise opened swallowed the movement
    after it (each of these four nights failed this before). The end level the waver sets ends each where it ends."""
    x = bursts(FS, 300.0, 40.0, [(t, t + 2.0, 120.0) for t in PLM_ONSETS], seed=10 + seed)
    # (in the first seconds the waver is not yet known: the AASM rule alone scores there)
    lms = [m for m in movements(x, chunk=60_000) if m.is_lm and m.onset_s >= 20.0]
    assert [round(m.onset_s) for m in lms] == [round(t) for t in PLM_ONSETS], lms
    assert all(1.8 <= m.duration_s <= 2.6 for m in lms), lms  # 2 s, within a 0.5-s quiet stretch


def test_the_waver_is_the_sd_of_the_envelope_s_independent_windows_whatever_the_blocks():
    """Trace rows whose envelope is rest + N(0, 1.5 µV) each 0.1 s: the waver reads 1.5 µV (MAD's spread: ±10 %),
    the same added in one block or in blocks of 1 to 500 rows; unknown where under 50 pairs rest; a rise under
    4.5 times it is a chance one."""
    from emgcramp.core.trace import N_TRACE, T_ENV_S, T_REST
    from emgcramp.detect.waver import RestWaver

    rows = np.zeros((20_000, N_TRACE))
    rows[:, T_REST] = 30.0
    rows[:, T_ENV_S] = 30.0 + np.repeat(np.random.default_rng(5).normal(0.0, 1.5, 4000), 5)  # 5 rows a window
    whole, pieces = RestWaver(50.0, 0.1, 8.0, 12.0), RestWaver(50.0, 0.1, 8.0, 12.0)
    whole.add(rows)
    sizes = np.random.default_rng(6).integers(1, 500, 200)
    for a, b in zip(np.r_[0, np.cumsum(sizes)], np.cumsum(sizes)):
        pieces.add(rows[a:min(b, len(rows))]) if a < len(rows) else None
    for row in (19_450, 19_700, 19_999):  # within 12 s of the last row, as a movement just told asks
        assert whole.waver_uv(row) == pytest.approx(1.5, rel=0.10)
        assert pieces.waver_uv(row) == whole.waver_uv(row)
    assert np.isnan(whole.waver_uv(200))  # 40 windows before it: fewer than 50 pairs
    w = whole.waver_uv(19_700)
    assert whole.by_chance(19_700, 4.4 * w) and not whole.by_chance(19_700, 4.6 * w)  # Z_CHANCE = 4.5


def test_the_plm_index_is_per_hour_with_samples_not_per_hour_of_a_gappy_timeline():
    """A night with a gap: its timeline ran longer than its samples, and the index was diluted by the gap."""
    from emgcramp.core.types import Analysis, LegMovement

    moves = [LegMovement(60.0 * k, 60.0 * k + 2.0, 40.0, 4.0, "calf", True, 1) for k in range(10)]
    a = Analysis([], 1000.0, ["calf"], 3600.0, [], {}, {}, movements=moves, recorded_s=1800.0)
    assert a.summary()["leg_movements"]["plm_index_per_h"] == 20.0  # 10 in the half hour with samples
    assert Analysis([], 1000.0, ["calf"], 3600.0, [], {}, {}, movements=moves).summary()["leg_movements"][
        "plm_index_per_h"] == 10.0
