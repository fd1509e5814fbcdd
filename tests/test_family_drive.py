"""Tests of the drive generator family: checks on values (timing, levels, spectra, rates), not only that it runs."""
from __future__ import annotations

import ast
import functools
import math
import pathlib

import numpy as np
import pytest
from scipy import signal

from emgcramp.sim.families import drive

FS = 1000.0  # Hz, rate of the measured nights
MEASURED_SEEDS = (1, 2, 3, 4, 6, 7)  # half-hour nights generated without artefacts for the level/spectrum checks
STRENGTH_TOL = (0.85, 1.18)  # measured / reported plateau-over-rest ratio (20-450 Hz band, white input noise)
MDF_TOL = 0.12  # relative tolerance of the measured plateau median frequency
CLONIC_TOL_HZ = 0.3  # tolerance of the envelope alternation rate
QUIET_BEFORE_S = 25.0  # no other muscle event may end this close before a measured cramp's rise
MUSCLE_KINDS = {"tonic", "clonic", "arousal", "stretch", "plantar_flexion", "tone_step", "plm", "position_change",
                "jerk", "precursor"}


@functools.cache
def _night(seed: int, hours: float, fs: float, artefacts: bool = True) -> tuple[np.ndarray, float, list[dict]]:
    return drive.generate(seed, hours, fs, artefacts=artefacts)


@functools.cache
def _plan(seed: int, hours: float) -> list[dict]:
    return drive.plan(seed, hours)


def _band(x: np.ndarray, fs: float, lo: float = 20.0, hi: float = 450.0) -> np.ndarray:
    sos = signal.butter(4, [lo, min(hi, 0.45 * fs)], btype="band", fs=fs, output="sos")
    return signal.sosfiltfilt(sos, np.asarray(x, dtype=float))


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x))))


def _seg(x: np.ndarray, fs: float, a: float, b: float) -> np.ndarray:
    return x[max(0, int(a * fs)):max(0, int(b * fs))]


def _same_events(a: list[dict], b: list[dict]) -> bool:
    if len(a) != len(b):
        return False
    for ea, eb in zip(a, b):
        if ea.keys() != eb.keys():
            return False
        for k in ea:
            va, vb = ea[k], eb[k]
            if isinstance(va, np.ndarray) or isinstance(vb, np.ndarray):
                if not np.array_equal(va, vb):
                    return False
            elif isinstance(va, float) and math.isnan(va):
                if not (isinstance(vb, float) and math.isnan(vb)):
                    return False
            elif va != vb:
                return False
    return True


def _quiet_cramps(events: list[dict]) -> list[dict]:
    """Cramps with a plateau of >= 2 s and no other muscle event ending within QUIET_BEFORE_S before their rise."""
    out = []
    for e in events:
        if not e["is_cramp"] or e["plateau_end_s"] - e["plateau_start_s"] < 2.0:
            continue
        t0 = e["rise_start_s"]
        if t0 < 8.0:
            continue
        near = [o for o in events if o is not e and o["kind"] in MUSCLE_KINDS
                and o["offset_s"] > t0 - QUIET_BEFORE_S and o["onset_s"] < e["offset_s"]]
        if not near:
            out.append(e)
    return out


def _mdf(x: np.ndarray, fs: float) -> float:
    f, p = signal.welch(np.asarray(x, dtype=float), fs, nperseg=256)
    c = np.cumsum(p)
    return float(f[np.searchsorted(c, 0.5 * c[-1])])


def test_shape_dtype_and_determinism() -> None:
    x1, fs1, ev1 = drive.generate(3, 0.25, 500.0)
    x2, fs2, ev2 = drive.generate(3, 0.25, 500.0)
    assert fs1 == fs2 == 500.0
    assert x1.dtype == np.float32 and x1.shape == (round(0.25 * 3600 * 500),)
    assert np.array_equal(x1, x2) and _same_events(ev1, ev2)
    assert np.all(np.isfinite(x1)) and x1.std() > 1.0
    x3, _, ev3 = drive.generate(4, 0.25, 500.0)
    assert not np.array_equal(x1, x3) and not _same_events(ev1, ev3)


def test_fs_drawn_per_night_from_the_set() -> None:
    drawn = {drive.night_parameters(s)["fs_hz"] for s in range(20)}
    assert drawn <= set(drive.FS_CHOICES_HZ) and len(drawn) >= 3
    for seed in (0, 1):
        x, fs, events = drive.generate(seed, 0.02, None)
        assert fs == drive.night_parameters(seed)["fs_hz"]
        assert x.shape == (round(0.02 * 3600 * fs),) and x.dtype == np.float32
        assert any(e["is_cramp"] for e in events)


def test_event_plan_does_not_depend_on_fs() -> None:
    _, _, slow = drive.generate(5, 0.25, 250.0)
    _, _, fast = drive.generate(5, 0.25, 2000.0)
    assert _same_events(slow, fast)
    assert _same_events(slow, drive.plan(5, 0.25))
    _, _, ideal = drive.generate(5, 0.25, 250.0, artefacts=False)
    muscle = [e for e in slow if e["kind"] not in drive.ARTEFACT_KINDS]
    assert _same_events(muscle, ideal)


def test_every_night_has_a_cramp_and_every_kind_appears() -> None:
    kinds: set[str] = set()
    cramps, looks = [], []
    for seed in range(1, 9):
        events = _plan(seed, 1.0)
        assert [e["onset_s"] for e in events] == sorted(e["onset_s"] for e in events)
        assert any(e["is_cramp"] for e in events)
        for e in events:
            assert {"onset_s", "offset_s", "kind", "is_cramp", "strength_x_rest"} <= e.keys()
            assert e["offset_s"] > e["onset_s"] and e["is_cramp"] == (e["kind"] in drive.CRAMP_KINDS)
            if e["kind"] in drive.ARTEFACT_KINDS:
                assert math.isnan(e["strength_x_rest"])
            else:
                assert math.isfinite(e["strength_x_rest"]) and e["strength_x_rest"] > 1.0
        kinds |= {e["kind"] for e in events}
        cramps += [e for e in events if e["is_cramp"]]
        looks += [e for e in events if e["kind"] in ("arousal", "stretch", "plantar_flexion", "plm", "tone_step")]
    assert set(drive.CRAMP_KINDS) | set(drive.LOOKALIKE_KINDS) <= kinds
    dur = np.array([e["offset_s"] - e["onset_s"] for e in cramps])
    assert dur.min() >= 3.0 and dur.max() <= 600.0 and 20.0 < np.median(dur) < 180.0
    assert {True, False} <= {e["partial"] for e in cramps} and any(e["aftershock"] for e in cramps)
    assert min(e["strength_x_rest"] for e in cramps) >= 2.0
    # look-alikes overlap cramps in level and duration
    s_look = np.array([e["strength_x_rest"] for e in looks])
    d_look = np.array([e["offset_s"] - e["onset_s"] for e in looks])
    s_cramp = np.array([e["strength_x_rest"] for e in cramps])
    assert np.mean((s_cramp >= s_look.min()) & (s_cramp <= s_look.max())) > 0.8
    assert np.mean((dur >= d_look.min()) & (dur <= d_look.max())) > 0.8


def test_resting_tone_follows_sleep_stage() -> None:
    rest: dict[str, list[float]] = {}
    for seed in range(1, 9):
        night = drive.night_parameters(seed)
        for e in _plan(seed, 1.0):
            if e["kind"] in ("arousal", "jerk", "plm", "tone_step"):
                tone = math.sqrt(max(e["rest_uv"] ** 2 - night["noise_uv"] ** 2, 0.0)) / night["tone_uv"]
                rest.setdefault(e["stage"], []).append(tone)
    med = {k: float(np.median(v)) for k, v in rest.items() if len(v) >= 5}
    assert med["REM"] < 0.9 * med["N2"] and 1.3 * med["N2"] < med["W"]


@pytest.mark.long
def test_strength_matches_measured_plateau_over_rest() -> None:
    checked = 0
    for seed in MEASURED_SEEDS:
        x, fs, events = _night(seed, 0.5, FS, False)
        y = _band(x, fs)
        for e in _quiet_cramps(events):
            quiet = _seg(y, fs, e["rise_start_s"] - 6.0, e["rise_start_s"] - 0.5)
            plateau = _seg(y, fs, e["plateau_start_s"], e["plateau_end_s"])
            ratio = _rms(plateau) / _rms(quiet) / e["strength_x_rest"]
            assert STRENGTH_TOL[0] < ratio < STRENGTH_TOL[1], (seed, e["kind"], e["strength_x_rest"], ratio)
            checked += 1
    assert checked >= 6


def test_plateau_median_frequency_in_physiological_range() -> None:
    lo = drive.MDF_REST_HZ[0] * (1.0 - drive.FATIGUE_MAX)
    hi = drive.MDF_REST_HZ[1] * (1.0 + drive.MDF_FORCE_GAIN[1])
    checked = 0
    for seed in MEASURED_SEEDS:
        assert drive.MDF_REST_HZ[0] <= drive.night_parameters(seed)["mdf_rest_hz"] <= drive.MDF_REST_HZ[1]
        x, fs, events = _night(seed, 0.5, FS, False)
        for e in events:
            if not e["is_cramp"] or e["strength_x_rest"] < 10.0 or e["plateau_end_s"] - e["plateau_start_s"] < 2.0:
                continue
            measured = _mdf(_seg(x, fs, e["plateau_start_s"], e["plateau_start_s"] + 2.0), fs)
            assert lo <= e["mdf_hz"] <= hi
            assert abs(measured / e["mdf_hz"] - 1.0) < MDF_TOL, (seed, measured, e["mdf_hz"])
            assert lo <= measured <= hi
            checked += 1
    assert checked >= 3


def test_plm_series_within_aasm_bounds() -> None:
    n_series = 0
    for seed in range(1, 13):
        plm = [e for e in _plan(seed, 1.0) if e["kind"] == "plm"]
        for s in {e["series"] for e in plm}:
            series = sorted((e for e in plm if e["series"] == s), key=lambda e: e["onset_s"])
            on = np.array([e["onset_s"] for e in series])
            dur = np.array([e["offset_s"] - e["onset_s"] for e in series])
            assert len(series) >= 4
            assert dur.min() >= 0.5 - 1e-9 and dur.max() <= 10.0 + 1e-9
            assert np.diff(on).min() >= 5.0 - 1e-9 and np.diff(on).max() <= 90.0 + 1e-9
            assert np.all(on[1:] - (on[:-1] + dur[:-1]) >= 0.5)
            n_series += 1
    assert n_series >= 3
    # the movements stand out of the EMG just before them
    seed = next(s for s in range(1, 40) if sum(e["kind"] == "plm" for e in _plan(s, 0.5)) >= 4)
    x, fs, events = _night(seed, 0.5, FS, False)
    y = _band(x, fs)
    ratios = [_rms(_seg(y, fs, e["onset_s"], e["offset_s"])) / _rms(_seg(y, fs, e["rise_start_s"] - 1.5,
                                                                        e["rise_start_s"] - 0.3))
              for e in events if e["kind"] == "plm" and e["strength_x_rest"] > 3.0]
    assert len(ratios) >= 2 and np.median(ratios) > 2.0


def test_clonic_cramps_alternate_at_their_rate() -> None:
    found = []
    for seed in range(1, 40):
        for e in _plan(seed, 0.5):
            if e["kind"] == "clonic" and e["plateau_end_s"] - e["plateau_start_s"] >= 6.0 and e["strength_x_rest"] > 8:
                found.append((seed, e["onset_s"]))
        if len({s for s, _ in found}) >= 2:
            break
    assert len(found) >= 2
    for seed, onset in found:
        x, fs, events = _night(seed, 0.5, FS, False)
        e = next(ev for ev in events if ev["kind"] == "clonic" and ev["onset_s"] == onset)
        env = _band(x, fs) ** 2
        env = signal.sosfiltfilt(signal.butter(4, 25.0, fs=fs, output="sos"), env)
        seg = _seg(env, fs, e["plateau_start_s"], e["plateau_end_s"])
        seg = (seg - seg.mean())[:: int(fs // 100)]
        spec = np.abs(np.fft.rfft(seg * np.hanning(seg.size), n=1 << 16))
        freq = np.fft.rfftfreq(1 << 16, 1.0 / 100.0)
        band = (freq > 1.5) & (freq < 12.0)
        peak = float(freq[band][np.argmax(spec[band])])
        assert abs(peak - e["rate_hz"]) < CLONIC_TOL_HZ, (seed, peak, e["rate_hz"])
        assert spec[band].max() > 5.0 * np.median(spec[band])


@pytest.mark.long
def test_ecg_beats_physiological_for_hours() -> None:
    seed, hours = 1, 6.0
    x, fs, events = drive.generate(seed, hours, 250.0)
    ecg = [e for e in events if e["kind"] == "ecg"]
    assert ecg and ecg[0]["offset_s"] - ecg[0]["onset_s"] >= 5.0 * 3600
    beats = ecg[0]["beats_s"]
    rr = np.diff(beats)
    assert 0.55 <= rr.min() and rr.max() <= 1.5
    hr_start = 60.0 / rr[beats[1:] < beats[0] + 600].mean()
    hr_late = 60.0 / rr[beats[1:] > beats[-1] - 600].mean()
    assert 40.0 <= hr_start <= 110.0 and 40.0 <= hr_late <= 110.0
    minute_hr = [60.0 / rr[(beats[1:] >= m) & (beats[1:] < m + 60)].mean() for m in range(0, 20000, 600)]
    assert np.std(minute_hr) > 0.5  # the rate drifts
    y = signal.sosfiltfilt(signal.butter(2, [5.0, 40.0], btype="band", fs=fs, output="sos"), x.astype(float))
    r_amp = ecg[0]["r_amplitude_uv"]
    for lo, hi in ((0.0, 1800.0), (5.0 * 3600, 5.5 * 3600)):
        idx = np.round(beats[(beats > lo + 1) & (beats < hi)] * fs).astype(int)
        lags = np.arange(-25, 26)
        avg = np.median(y[idx[:, None] + lags[None, :]], axis=0)
        assert abs(lags[np.argmax(np.abs(avg))]) <= 2
        assert 0.3 * r_amp < np.abs(avg).max() < 1.5 * r_amp


def test_board_artefacts_render() -> None:
    seed = next(s for s in range(1, 60) if {"hum", "lead_off", "pop", "saturation"}
                <= {e["kind"] for e in _plan(s, 1.0)})
    x, fs, events = drive.generate(seed, 1.0, FS)
    night = drive.night_parameters(seed)
    rail, lsb = night["rail_uv"], night["lsb_uv"]
    assert np.abs(x).max() <= rail * (1 + 1e-6)
    small = np.abs(x) < 1000.0
    q = x[small].astype(float) / lsb
    assert np.allclose(q, np.round(q), atol=0.02)
    faults = [e for e in events if e["kind"] in ("lead_off", "saturation")]
    for e in faults:
        seg = _seg(x, fs, e["onset_s"], e["offset_s"]).astype(float)
        covered = any(o is not e and o["onset_s"] > e["onset_s"] and o["onset_s"] < e["offset_s"] for o in faults)
        if not covered and seg.size:
            assert np.ptp(seg) == 0.0
            if e["kind"] == "saturation" or e["mode"] == "rail":
                assert abs(abs(seg[0]) - rail) < lsb
    hum = next(e for e in events if e["kind"] == "hum")
    f, _, sxx = signal.spectrogram(_seg(x, fs, hum["onset_s"], hum["offset_s"]).astype(float), fs,
                                   nperseg=int(4 * fs))
    p = np.median(sxx, axis=1)  # robust to steps, bursts and rails
    k = np.argmin(np.abs(f - hum["mains_hz"]))
    assert p[k] > 3.0 * np.median(p[(f > hum["mains_hz"] - 8) & (f < hum["mains_hz"] - 2)])
    for e in (e for e in events if e["kind"] == "pop"):
        inside = [o for o in events if o["kind"] in ("lead_off", "saturation") and o["onset_s"] - 1 < e["onset_s"]
                  < o["offset_s"] + 1]
        if inside or abs(e["amplitude_uv"]) < 300:
            continue
        jump = np.median(_seg(x, fs, e["onset_s"] + 0.002, e["onset_s"] + 0.012)) - \
            np.median(_seg(x, fs, e["onset_s"] - 0.05, e["onset_s"] - 0.002))
        assert np.sign(jump) == np.sign(e["amplitude_uv"]) and abs(jump) > 0.3 * abs(e["amplitude_uv"])


def test_no_python_loop_over_samples() -> None:
    tree = ast.parse(pathlib.Path(drive.__file__).read_text())
    sample_names = {"n_samp", "n_env", "size", "len"}
    for node in ast.walk(tree):
        if isinstance(node, ast.While):
            assert not any(isinstance(n, ast.Name) and n.id in sample_names for n in ast.walk(node.test))
        if not (isinstance(node, ast.For) and isinstance(node.iter, ast.Call)
                and getattr(node.iter.func, "id", "") == "range"):
            continue
        args = node.iter.args
        names = {n.id for a in args for n in ast.walk(a) if isinstance(n, ast.Name)}
        attrs = {n.attr for a in args for n in ast.walk(a) if isinstance(n, ast.Attribute)}
        if len(args) == 3:  # a range with a step must stride by a chunk or group constant
            assert isinstance(args[2], ast.Name) and args[2].id in {"CHUNK_SAMPLES", "ECG_GROUP"}, ast.dump(node.iter)
        else:
            assert not (names | attrs) & sample_names, ast.dump(node.iter)
