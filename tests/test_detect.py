"""The detector on constructed signals with known truth (the decision itself: test_decide.py)."""

import numpy as np
import pytest
from conftest import bursts, emg_noise

from emgcramp.core.blocks import Block
from emgcramp.core.config import DetectorConfig, PipelineConfig
from emgcramp.pipeline import Pipeline

FS = 1000.0


def detect(x, config=None, chunk=10_000):
    pipe = Pipeline(FS, ["calf"], config)
    x = x[:, None] if x.ndim == 1 else x
    out = []
    for i in range(0, len(x), chunk):
        out += pipe.process(Block(i, x[i:i + chunk]))
    return out + pipe.finish(), pipe


def test_tonic_cramp_found_with_its_times_and_intensity():
    x = bursts(FS, 120, 4.0, [(40.0, 100.0, 200.0)])
    eps, pipe = detect(x)
    assert len(eps) == 1
    e = eps[0]
    assert e.kind == "tonic"
    assert abs(e.onset_s - 40.0) < 0.5 and abs(e.offset_s - 100.0) < 0.5
    assert e.mean_intensity == pytest.approx(200.0, rel=0.1)
    assert e.rest_uv == pytest.approx(4.0, rel=0.15)
    assert e.peak_x_rest == pytest.approx(e.peak_intensity / e.rest_uv)


def test_cramp_well_below_maximal_is_still_a_cramp():
    # 8 × rest, sustained for 40 s: weak, but long and continuous. On one channel a voluntary hold can
    # look the same, so it may be only a possible cramp, but it is listed, never lost.
    eps, pipe = detect(bursts(FS, 100, 5.0, [(30.0, 70.0, 40.0)]))
    listed = eps + pipe.possible_cramps()
    assert [e.kind for e in listed] == ["tonic"] and listed[0].probability > 0.5
    # held for three minutes, the same level is listed again, and no less likely: past a minute or two,
    # length no longer speaks for a cramp (tone lasts longer), so it need not be more likely either
    eps, pipe = detect(bursts(FS, 260, 5.0, [(30.0, 210.0, 40.0)]))
    held = eps + pipe.possible_cramps()
    assert [e.kind for e in held] == ["tonic"] and held[0].probability >= listed[0].probability


def test_clonic_cramp_is_labelled_clonic():
    t = np.arange(int(90 * FS)) / FS
    on = (t >= 30) & (t < 60)
    square = (np.sin(2 * np.pi * 1.0 * t) > -0.2).astype(float)
    amp = np.sqrt(16 + (on * (5 + 195 * square)) ** 2)
    eps, _ = detect(emg_noise(len(t), FS, 1.0) * amp)
    assert [e.kind for e in eps] == ["clonic"]
    assert abs(eps[0].onset_s - 30) < 1.0 and abs(eps[0].duration_s - 30) < 1.5


def test_periodic_leg_movements_are_not_cramps():
    lms = [(20.0 + 25 * k, 20.0 + 25 * k + d, 30.0) for k, d in enumerate([2.0, 4.0, 3.5, 1.5, 4.5, 2.5])]
    eps, pipe = detect(bursts(FS, 200, 4.0, lms))
    assert eps == []
    assert sum(pipe.rejected().values()) == len(lms)
    marks = pipe.lookalikes()  # kept for the report, in time order, each near its movement
    assert len(marks) == len(lms) and all(abs(m[0] - lm[0]) < 0.5 for m, lm in zip(marks, lms))
    assert {m[2] for m in marks} <= {"short", "brief", "leg_movement", "leg_movement_series"}


def test_single_jerk_is_not_a_cramp():
    eps, pipe = detect(bursts(FS, 60, 4.0, [(30.0, 30.4, 400.0)]))
    assert eps == [] and pipe.rejected() == {"short": 1}


def test_electrode_pop_is_not_a_cramp():
    x = bursts(FS, 60, 4.0, [])
    t = np.arange(len(x)) / FS
    x += np.where(t >= 30, 3000 * np.exp(-(t - 30) / 0.2), 0.0)
    assert detect(x)[0] == []


def test_motion_artefact_with_emg_is_not_a_cramp():
    x = bursts(FS, 60, 4.0, [(30.0, 34.0, 80.0)])
    t = np.arange(len(x)) / FS
    x += 1500 * np.sin(np.pi * np.clip((t - 30) / 4, 0, 1)) ** 2 * np.sin(2 * np.pi * 2.0 * t)
    eps, pipe = detect(x)
    assert eps == [] and pipe.possible_cramps() == [] and sum(pipe.rejected().values()) == 1


def test_lead_off_and_saturation_are_not_cramps():
    x = bursts(FS, 120, 4.0, [])
    x[30_000:50_000] = 8000.0  # stuck at the rail
    x[70_000:90_000] = 0.0  # electrode off, amplifier reads zero
    eps, pipe = detect(x)
    assert eps == []
    assert pipe.quality()["calf"]["flat_fraction"] == pytest.approx(40 / 120, abs=0.01)


def test_mains_hum_is_notched_not_detected():
    x = bursts(FS, 60, 4.0, [])
    t = np.arange(len(x)) / FS
    x += 300 * np.sin(2 * np.pi * 50 * t)
    eps, pipe = detect(x)
    assert eps == [] and pipe.notches[0] == 50.0
    eps_off, _ = detect(x, PipelineConfig(mains="off"))
    assert pipe.quality()["calf"]["rest_uv"] < 6.0 and eps_off == []  # hum from t=0 becomes "rest" unnotched


def test_level_shift_is_closed_by_the_length_guard():
    cfg = PipelineConfig(detector=DetectorConfig().replace(max_duration_s=60.0))
    x = bursts(FS, 200, 4.0, [(20.0, 250.0, 100.0)])
    eps, _ = detect(x, cfg)
    assert len(eps) == 1 and "max_length" in eps[0].flags
    assert eps[0].duration_s == pytest.approx(60.0, abs=1.0)


def test_min_duration_and_mvc_settings():
    x = bursts(FS, 120, 4.0, [(30.0, 90.0, 150.0)])
    cfg = PipelineConfig(detector=DetectorConfig().replace(min_duration_s=65.0))
    assert detect(x, cfg)[0] == []
    eps, _ = detect(x, PipelineConfig(detector=DetectorConfig().replace(mvc_uv=300.0)))
    assert eps[0].pct_mvc == pytest.approx(100 * eps[0].peak_intensity / 300.0)


def test_open_episode_is_closed_at_end_of_signal():
    eps, _ = detect(bursts(FS, 120, 4.0, [(40.0, 130.0, 200.0)]))
    assert len(eps) == 1 and eps[0].flags == ["open_at_end"]
    assert eps[0].offset_s == pytest.approx(120.0, abs=0.6)


def test_rising_tension_before_a_cramp_does_not_move_its_onset():
    # 40 s creeping up to 3.5 × rest (a warning), then the cramp proper at 60 s
    t = np.arange(int(200 * FS)) / FS
    warn = np.clip((t - 20) / 40, 0, 1) * (t < 61) * 14.0
    x = bursts(FS, 200, 4.0, [(60.0, 180.0, 200.0)]) + emg_noise(len(t), FS, 1.0, seed=5) * warn
    eps, _ = detect(x)
    assert len(eps) == 1 and abs(eps[0].onset_s - 60.0) < 0.5


def test_tension_creeping_up_before_a_cramp_does_not_make_it_slow():
    # 32 s at 2 × rest, 8 s at 4.5 ×, then the cramp at 20 ×: it starts where the climb to its level
    # did, at the tension's last step, not where the tension began (60 s).
    x = bursts(FS, 220, 4.0, [(60.0, 92.0, 6.93), (92.0, 100.0, 17.5), (100.0, 190.0, 79.9)])
    eps, det = detect(x)
    assert [e.kind for e in eps] == ["tonic"]
    assert 92.0 <= eps[0].onset_s <= 100.5


def test_rest_quantile_of_the_sorted_history_equals_percentile_of_the_ring():
    """The running sorted copy of the 1-s rest history gives np.percentile's value at every step."""
    from emgcramp.detect.rings import sorted_quantile, sorted_swap
    from emgcramp.detect.segment import HIST_LEN

    rng = np.random.default_rng(5)
    ring, srt = np.zeros(HIST_LEN), np.zeros(HIST_LEN)
    n = pos = 0
    # Rounded values make ties, which the removal must handle.
    for step, v in enumerate(np.round(rng.lognormal(1.0, 0.8, 600), 1)):
        if step == 300:  # the detector's restart after a very long episode: all slots one level
            ring[:], srt[:], n = v, v, HIST_LEN
            continue
        n = sorted_swap(srt, n, ring[pos], v, n == HIST_LEN)
        ring[pos] = v
        pos = (pos + 1) % HIST_LEN
        assert np.array_equal(srt[:n], np.sort(ring[:n] if n < HIST_LEN else ring))
        assert sorted_quantile(srt, n, 0.2) == pytest.approx(np.percentile(srt[:n], 20.0), rel=1e-12)


@pytest.mark.parametrize("held_s,taught", [(300.0, True), (8.0, False)])
def test_low_frequency_voltage_held_past_a_movement_teaches_rest(held_s, taught):
    """Bins read as motion (a 1-Hz 100-µV swing of the bin means over a 12-µV band) do not teach the rest level
    while they could be a leg movement (≤ 10 s), and do once they last longer (heartbeat bleed, wander)."""
    from emgcramp.core.trace import F_MOTION, T_FLAGS, T_REST
    from emgcramp.detect.segment import Segmenter

    rate, n = 50.0, int(600 * 50)
    t = np.arange(n) / rate
    # Each bleed or movement starts once a minute from 60 s on and lasts held_s.
    on = (t >= 60.0) & ((t - 60.0) % max(60.0, held_s) < held_s)
    ms = np.where(on, 12.0, 4.0) ** 2
    mean = np.where(on, 100.0 * np.sin(2 * np.pi * t), 0.0)
    _, trace = Segmenter(DetectorConfig(), rate).run(ms, mean, np.zeros(n))
    assert ((trace[:, T_FLAGS].astype(int) & F_MOTION) > 0)[on].mean() > 0.9  # the rule reads them as motion
    rest = trace[-1, T_REST]
    assert rest == pytest.approx(12.0, rel=0.05) if taught else rest == pytest.approx(4.0, rel=0.05)


def test_mean_intensity_is_the_envelope_s_mean_while_the_muscle_was_active():
    # a clonic cramp: 60 s of 1-s contractions and relaxations at 50 × rest; its mean intensity leaves its
    # relaxations out (as documented now; a cramp whose onset moved to its climb took them in)
    from emgcramp.core.trace import T_ENV

    fs = 1000.0
    t = np.arange(int(240 * fs)) / fs
    gain = np.where((t >= 60) & (t < 120) & (t % 2.0 < 1.0), 50.0, 1.0)
    x = np.random.default_rng(3).normal(0.0, 4.0, len(t)) * gain
    pipe = Pipeline(fs, ["calf"])
    found = pipe.process(Block(0, x[:, None])) + pipe.finish()
    [c] = [e for e in found + pipe.possible_cramps() if e.duration_s > 30]
    body = pipe._detectors[0].history.window(c.onset_s, c.offset_s)[:, T_ENV]
    active = body[body >= max(1.8 * c.rest_uv, c.rest_uv + 2.0)]  # over the OFF level
    assert c.mean_intensity == pytest.approx(active.mean(), rel=0.03)
    assert c.mean_intensity > 1.15 * body.mean()
