"""The simulator keeps honest: physiology of the pool, truth where the drive is, seeds."""

import numpy as np
import pytest
from scipy import signal

from emgcramp.sim.motor_units import MotorUnitEMG, MotorUnitPool, PoolSpec
from emgcramp.sim.plan import NightSpec
from emgcramp.sim.synth import NightGenerator

FS = 2000.0


@pytest.fixture(scope="module")
def pool():
    return MotorUnitPool(PoolSpec(), FS)


def test_recruitment_and_rate_coding_follow_fuglevand(pool):
    assert np.all(np.diff(pool.rte) > 0) and pool.rte[-1] == pytest.approx(0.6)
    assert pool.rte[-1] / pool.rte[0] == pytest.approx(30.0 ** (99 / 100))  # RR = 30 over units 1..n
    r = pool.rates_at(0.3)
    on = r > 0
    assert on.sum() == np.searchsorted(pool.rte, 0.3, side="right")  # smallest units first
    assert r[on].min() >= 8.0 and np.all(r <= pool.peak_hz)
    assert np.allclose(pool.rates_at(1.0), pool.peak_hz)  # everyone at peak rate at full drive
    assert pool.rates_at(1.0)[0] == 35.0 and pool.rates_at(1.0)[-1] == 25.0
    assert pool.rms_at(1.0) == pytest.approx(400.0)


def spikes_of_one_unit(pool, excitation, seconds=20):
    """Render with only unit 0 present and recover its firing times from its MUAP peaks."""
    solo = MotorUnitPool(PoolSpec(n_units=1), FS)
    gen = MotorUnitEMG(solo, seed=3)
    x = np.concatenate([gen.render(np.full(int(10 * FS), excitation)) for _ in range(seconds // 10)])
    peaks, _ = signal.find_peaks(np.abs(x), height=0.5 * np.abs(solo.muaps).max(), distance=int(0.01 * FS))
    return solo, np.diff(peaks) / FS


def test_firing_rate_and_variability(pool):
    solo, isi = spikes_of_one_unit(pool, 1.0)
    rate = solo.rates_at(1.0)[0]
    assert 1 / isi.mean() == pytest.approx(rate, rel=0.1)
    assert isi.std() / isi.mean() == pytest.approx(0.2, abs=0.05)


@pytest.mark.parametrize("excitation", [0.05, 0.3, 1.0])
def test_surface_signal_level_and_spectrum(pool, excitation):
    gen = MotorUnitEMG(pool, seed=1)
    x = np.concatenate([gen.render(np.full(int(10 * FS), excitation)) for _ in range(2)])
    assert x.std() == pytest.approx(pool.rms_at(excitation), rel=0.15)
    f, p = signal.welch(x, fs=FS, nperseg=2048)
    cum = np.cumsum(p) / p.sum()
    assert 50 < f[np.searchsorted(cum, 0.5)] < 200  # median frequency of surface EMG
    assert cum[np.searchsorted(f, 20)] < 0.05 and cum[np.searchsorted(f, 450)] > 0.95  # in the sEMG band


def test_no_drive_no_units():
    gen = MotorUnitEMG(MotorUnitPool(PoolSpec(), FS))
    assert np.all(gen.render(np.zeros(5000)) == 0.0)


def test_truth_is_where_the_activity_is():
    spec = NightSpec(hours=0.2, fs=1000.0, seed=5, tonic=2, clonic=1, plm_series=0, position_changes=0, jerks=0,
                     pops=0, lead_offs=0, mains_uv=0.0, wander_uv=0.0, tonic_duration_s=(10.0, 60.0))
    gen = NightGenerator(spec)
    x = np.concatenate(list(gen.segments()))[:, 0]
    sos = signal.butter(4, [20, 450], btype="bandpass", output="sos", fs=1000.0)
    env = np.sqrt(signal.sosfiltfilt(sos, x) ** 2).reshape(-1, 1000).mean(axis=1)  # 1-s mean |x|
    inside, near = np.zeros(len(env), bool), np.zeros(len(env), bool)
    for e in gen.events:
        assert e.is_cramp
        inside[int(np.ceil(e.onset_s)) + 1:int(e.offset_s) - 1] = True  # 1-s bins wholly within
        near[int(e.onset_s) - 2:int(np.ceil(e.offset_s)) + 2] = True
    quiet = ~near
    assert env[inside].min() > 5 * np.median(env[quiet])
    assert env[quiet].max() < 2 * np.median(env[quiet])


def test_nights_are_reproducible_by_seed():
    spec = NightSpec(hours=0.05, fs=500.0, seed=9, tonic=1, clonic=0, plm_series=0, position_changes=1, jerks=1,
                     pops=1, lead_offs=0, tonic_duration_s=(5.0, 20.0))
    a = np.concatenate(list(NightGenerator(spec).segments()))
    b = np.concatenate(list(NightGenerator(spec).segments()))
    c = np.concatenate(list(NightGenerator(NightSpec(**(spec.__dict__ | {"seed": 10}))).segments()))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_warnings_bring_twitches_before_the_cramp():
    spec = NightSpec(hours=0.1, fs=1000.0, seed=2, tonic=1, clonic=0, plm_series=0, position_changes=0, jerks=0,
                     pops=0, lead_offs=0, mains_uv=0.0, wander_uv=0.0, warned_fraction=1.0,
                     tonic_duration_s=(20.0, 30.0))
    gen = NightGenerator(spec)
    warning, cramp = gen.events
    assert warning.kind == "warning" and warning.offset_s == pytest.approx(cramp.onset_s, abs=0.01)
    assert 2 * spec.rest_uv <= warning.amplitude_uv <= 5 * spec.rest_uv
    x = np.concatenate(list(gen.segments()))[:, 0]
    twitches = gen._twitches[0][:, 0] / spec.fs
    assert len(twitches) > 0.5 * (warning.offset_s - warning.onset_s)
    assert np.all((twitches >= warning.onset_s) & (twitches <= warning.offset_s))
    big = np.abs(gen._pool.muaps).max(axis=1)[gen._twitches[0][:, 1]]
    peaks = [np.abs(x[int(t * spec.fs) - 20:int(t * spec.fs) + 20]).max() for t in twitches[:10]]
    assert np.all(np.array(peaks) >= 0.8 * big[:10])  # each twitch stands out as a single large MUAP


def test_tone_and_ecg_periods_are_planned_in_their_ranges_and_heard():
    from emgcramp.sim.plan import plan_night
    from emgcramp.sim.scenarios import scenario
    from emgcramp.sim.synth import NightGenerator

    spec = scenario("light_sleep", hours=2.0, seed=11)
    events = plan_night(spec)
    tones = [e for e in events if e.kind == "tone"]
    ecgs = [e for e in events if e.kind == "ecg"]
    assert len(tones) == spec.tone_changes and len(ecgs) == spec.ecg_periods
    for e in tones:
        hold = e.offset_s - e.onset_s - 2 * e.ramp_s
        assert spec.tone_ramp_s[0] <= e.ramp_s <= spec.tone_ramp_s[1]
        assert spec.tone_hold_s[0] <= hold <= spec.tone_hold_s[1]
        assert spec.tone_uv[0] <= e.amplitude_uv <= spec.tone_uv[1]
    # A tone's plateau is louder than the floor; its ramps take tens of seconds, not one.
    e = max(tones, key=lambda e: e.amplitude_uv)
    gen = NightGenerator(spec, [e])
    from emgcramp.dsp.filters import EmgFilter

    filt = EmgFilter(spec.fs, 1, notches=[50.0, 150.0])
    ms = np.concatenate([filt.process(seg).ms[:, 0] for seg in gen.segments()])
    r = filt.env_rate

    def rms(t0, t1):
        return float(np.sqrt(ms[int(t0 * r):int(t1 * r)].mean()))

    mid = rms(e.onset_s + e.ramp_s + 1, e.offset_s - e.ramp_s - 1)
    assert mid > 2 * rms(e.onset_s - 30, e.onset_s - 1)
    assert rms(e.onset_s, e.onset_s + 0.2 * e.ramp_s) < 0.5 * mid


def test_ecg_bleed_beats_at_a_sleeping_heart_rate_all_night():
    """Beat intervals stay within 54-66 /min at the start and after 8 h (a rate that drifted with time did not)."""
    from emgcramp.sim.scenarios import scenario
    from emgcramp.sim.synth import NightGenerator

    gen = NightGenerator(scenario("typical", hours=0.1, seed=1))
    for t0 in (0.0, 4 * 3600.0, 8 * 3600.0 - 600.0):
        t = t0 + np.arange(0, 600.0, 0.001)
        x = gen._ecg(t)
        beats = t[1:-1][(x[1:-1] > 0.9) & (x[1:-1] >= x[:-2]) & (x[1:-1] > x[2:])]  # one positive peak a beat
        rate = 60.0 / np.diff(beats)
        assert 540 <= len(beats) <= 660
        assert rate.min() >= 53.9 and rate.max() <= 66.1


def test_arousals_cluster_in_their_ranges_and_voluntary_pushes_ramp_and_move_the_foot():
    from dataclasses import replace

    from emgcramp.dsp.filters import EmgFilter
    from emgcramp.sim.plan import plan_night
    from emgcramp.sim.scenarios import scenario

    spec = replace(scenario("typical", hours=1.0, seed=3), arousals=12, plantar_flexions=2, stretches=2)
    events = plan_night(spec)
    arousals = [e for e in events if e.kind == "arousal"]
    assert len(arousals) == 12
    for e in arousals:
        assert spec.arousal_s[0] <= e.offset_s - e.onset_s <= spec.arousal_s[1]
        assert spec.arousal_x_rest[0] <= e.amplitude_uv / spec.rest_uv <= spec.arousal_x_rest[1]
    gaps = [b.onset_s - a.offset_s for a, b in zip(arousals, arousals[1:])]
    assert any(10.0 <= g <= 60.0 for g in gaps)  # some come in clusters
    base = plan_night(scenario("typical", hours=1.0, seed=3))
    assert not [e for e in base if e.kind == "arousal"]  # none unless asked for
    pushes = [e for e in events if e.kind in ("plantar_flexion", "stretch")]
    assert len(pushes) == 4 and all(spec.voluntary_ramp_s[0] <= e.ramp_s <= spec.voluntary_ramp_s[1] for e in pushes)
    # The push's EMG climbs over its ramp (not in 0.15 s), and the foot's motion shows at its start only.
    e = max(pushes, key=lambda e: e.ramp_s)
    gen = NightGenerator(spec, [e])
    x = np.concatenate([seg[:, 0] for seg in gen.segments()])
    ms = EmgFilter(spec.fs, 1, notches=[50.0, 150.0]).process(x[:, None]).ms[:, 0]
    r = 50.0  # the filter's 20-ms bins

    def rms(t0, t1):
        return float(np.sqrt(ms[int(t0 * r):int(t1 * r)].mean()))

    plateau = rms(e.onset_s + e.ramp_s + 0.5, e.offset_s - e.ramp_s - 0.5)
    assert rms(e.onset_s, e.onset_s + 0.25 * e.ramp_s) < 0.5 * plateau
    low = signal.sosfiltfilt(signal.butter(2, 10.0, fs=spec.fs, output="sos"), x - spec.wander_uv * 0)
    lf = lambda t0, t1: float(np.ptp(low[int(t0 * spec.fs):int(t1 * spec.fs)]))  # noqa: E731
    assert lf(e.onset_s, e.onset_s + e.ramp_s) > 3 * lf(e.onset_s + e.ramp_s + 0.5, e.offset_s - e.ramp_s - 0.5)


def test_a_several_muscle_night_keeps_its_plm_series_and_ramps():
    """Spreading the events over the muscles keeps what the truth says of each (its series, its ramp)."""
    one = NightSpec(hours=1.0, fs=500.0, seed=3, plm_series=2, plantar_flexions=2)
    three = NightSpec(hours=1.0, fs=500.0, seed=3, plm_series=2, plantar_flexions=2, muscles=("GM", "GL", "TA"))
    events = [NightGenerator(s).events for s in (one, three)]
    series = [sorted(e.series for e in ev if e.series) for ev in events]
    assert len(series[0]) >= 8 and series[1] == series[0]
    ramps = [sorted(e.ramp_s for e in ev if e.kind == "plantar_flexion") for ev in events]
    assert len(ramps[1]) == 2 and min(ramps[1]) >= 0.5 and ramps[1] == ramps[0]
    assert all(len(e.gains) == 3 for e in events[1])
