"""Tests of the carrier-family night generator (envelope × coloured-noise carrier)."""

from __future__ import annotations

import ast
import math
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from emgcramp.sim.families import carrier

ALLOWED_FS = {250.0, 500.0, 1000.0, 2000.0, 4000.0}
LOOKALIKES = {
    "arousal",
    "stretch",
    "plantar_flexion",
    "tone_step",
    "plm",
    "position_change",
    "jerk",
    "pop",
    "lead_off",
    "saturation",
    "ecg",
}
ARTEFACTS = {"pop", "lead_off", "saturation", "ecg"}
REQUIRED_KEYS = {"onset_s", "offset_s", "kind", "is_cramp", "strength_x_rest"}


@lru_cache(maxsize=None)
def _night(seed: int, hours: float, fs: float | None) -> tuple[np.ndarray, float, list[dict]]:
    """Cached night, so several tests share one synthesis."""
    return carrier.generate(seed, hours, fs)


def _clean_band(x: np.ndarray, fs: float) -> np.ndarray:
    """20-450 Hz (Nyquist-limited) band-pass plus 50/60-Hz hum notches, zero phase."""
    sos = signal.butter(4, [20.0, min(450.0, 0.45 * fs)], btype="bandpass", fs=fs, output="sos")
    y = signal.sosfiltfilt(sos, x.astype(np.float64))
    for f0 in (50.0, 60.0, 150.0, 180.0, 250.0, 300.0):
        if f0 < 0.45 * fs:
            b, a = signal.iirnotch(f0, 30.0, fs)
            y = signal.filtfilt(b, a, y)
    return y


def _rms(y: np.ndarray, fs: float, a: float, b: float) -> float:
    return float(np.sqrt(np.mean(y[int(a * fs) : int(b * fs)] ** 2)))


def _cramp_ratios(seeds: range, hours: float, fs: float) -> list[tuple[dict, float]]:
    """(cramp, measured plateau RMS / RMS of the quiet stretch before it) for first cramps of episodes."""
    out = []
    for seed in seeds:
        x, fs_, events = _night(seed, hours, fs)
        y = _clean_band(x, fs_)
        for e in events:
            if not e["is_cramp"] or e["aftershock"]:
                continue
            start = e["onset_s"] if math.isnan(e["precursor_onset_s"]) else e["precursor_onset_s"]
            if start < 14.0:
                continue
            quiet = _rms(y, fs_, start - 12.0, start - 2.0)
            d = e["offset_s"] - e["onset_s"]
            plateau = _rms(y, fs_, e["onset_s"] + 0.3 * d, e["offset_s"] - 0.3 * d)
            out.append((e, plateau / quiet))
    return out


def test_same_seed_same_night_and_different_seed_differs():
    x1, fs1, ev1 = carrier.generate(3, 0.05, 500.0)
    x2, fs2, ev2 = carrier.generate(3, 0.05, 500.0)
    x3, _, ev3 = carrier.generate(4, 0.05, 500.0)
    assert fs1 == fs2 == 500.0
    assert np.array_equal(x1, x2)
    assert repr(ev1) == repr(ev2)  # repr: NaN-safe equality of the truth
    assert x3.shape == x1.shape and not np.array_equal(x1, x3)
    assert repr(ev1) != repr(ev3)


def test_events_do_not_depend_on_sampling_rate():
    _, _, a = _night(5, 0.1, 250.0)
    _, _, b = _night(5, 0.1, 1000.0)
    key = ("onset_s", "offset_s", "kind", "is_cramp")
    assert [tuple(e[k] for k in key) for e in a] == [tuple(e[k] for k in key) for e in b]


@pytest.mark.parametrize("seed", range(6))
def test_drawn_fs_and_length(seed):
    hours = 0.02
    x, fs, events = carrier.generate(seed, hours)
    assert fs in ALLOWED_FS
    assert x.dtype == np.float32 and x.ndim == 1
    assert x.size == round(hours * 3600 * fs)
    assert np.isfinite(x).all()
    assert events, "every night has at least a cramp"


@pytest.mark.long
def test_250_hz_boards_about_one_night_in_four():
    fss = [carrier.draw_parameters(s, 0.1).board.fs for s in range(80)]
    assert set(fss) <= ALLOWED_FS
    share = fss.count(250.0) / len(fss)
    assert 0.12 <= share <= 0.4


def test_explicit_fs_is_used():
    x, fs, _ = _night(2, 0.1, 250.0)
    assert fs == 250.0 and x.size == 90_000


@pytest.mark.parametrize("seed", range(4))
def test_events_sorted_inside_night_and_well_formed(seed):
    hours = 0.25
    _, _, events = _night(seed, hours, 250.0)
    onsets = [e["onset_s"] for e in events]
    assert onsets == sorted(onsets)
    for e in events:
        assert REQUIRED_KEYS <= set(e)
        assert 0.0 <= e["onset_s"] <= e["offset_s"] <= hours * 3600.0
        assert e["is_cramp"] == (e["kind"] in ("tonic", "clonic"))
        if e["kind"] in ARTEFACTS:
            assert math.isnan(e["strength_x_rest"])
        else:
            assert e["strength_x_rest"] > 1.0
        assert not any(k.startswith("_") for k in e)


def test_every_night_has_cramps_and_all_kinds_appear_over_a_few_seeds():
    kinds: set[str] = set()
    for seed in range(10):
        _, _, events = _night(seed, 0.25, 250.0)
        assert any(e["is_cramp"] for e in events)
        kinds |= {e["kind"] for e in events}
    assert {"tonic", "clonic"} <= kinds
    assert LOOKALIKES <= kinds, LOOKALIKES - kinds


def test_cramp_strengths_and_durations_in_drawn_ranges():
    cramps = [e for s in range(10) for e in _night(s, 0.25, 250.0)[2] if e["is_cramp"]]
    weak = [e for e in cramps if e["weak"]]
    strong = [e for e in cramps if not e["weak"] and not e["aftershock"]]
    assert weak and strong
    assert all(2.0 <= e["strength_x_rest"] <= 5.0 for e in weak)
    assert all(10.0 <= e["strength_x_rest"] <= 80.0 for e in strong)
    assert all(3.0 - 1e-9 <= e["offset_s"] - e["onset_s"] <= 600.0 for e in cramps)


@pytest.mark.long
def test_strong_cramp_rms_many_times_the_quiet_stretch_before_it():
    rows = [(e, r) for e, r in _cramp_ratios(range(8), 0.25, 1000.0) if not e["weak"]]
    assert len(rows) >= 5
    for e, ratio in rows:
        assert ratio > 5.0, (e, ratio)
        if e["kind"] == "tonic":  # RMS adds in quadrature to rest: measured ratio ≈ labelled strength
            assert 0.6 * e["strength_x_rest"] < ratio < 1.6 * e["strength_x_rest"], (e, ratio)


@pytest.mark.long
def test_weak_cramps_only_a_few_times_rest():
    rows = [(e, r) for e, r in _cramp_ratios(range(8), 0.25, 1000.0) if e["weak"]]
    assert len(rows) >= 3
    for e, ratio in rows:
        assert 1.2 < ratio < 6.5, (e, ratio)


def test_artefacts_pin_or_clip_the_signal():
    seen = set()
    for seed in range(10):
        x, fs, events = _night(seed, 0.25, 250.0)
        rail = carrier.draw_parameters(seed, 0.25, 250.0).board.rail_uv
        for e in events:
            seg = x[int(e["onset_s"] * fs) + 1 : int(e["offset_s"] * fs) - 1]
            if e["kind"] == "lead_off" and seg.size:
                assert np.ptp(seg) == 0.0  # pinned at a rail or flat
                seen.add("lead_off")
            if e["kind"] == "saturation" and seg.size > 10:
                assert np.mean(np.abs(seg) >= 0.999 * rail) > 0.5  # clipped at the ADC rail
                seen.add("saturation")
    assert seen == {"lead_off", "saturation"}


def test_plm_series_are_periodic_runs_of_at_least_four():
    series = [e for s in range(10) for e in _night(s, 0.25, 250.0)[2] if e["kind"] == "plm"]
    assert series
    for e in series:
        gaps = np.diff(e["burst_onsets_s"])
        assert e["n_bursts"] >= 4 and len(e["burst_onsets_s"]) == e["n_bursts"]
        assert np.all((gaps >= 5.0 - 1e-9) & (gaps <= 90.0 + 1e-9))


def test_module_imports_nothing_from_emgcramp():
    tree = ast.parse(Path(carrier.__file__).read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            roots.add((node.module or "").split(".")[0])
    assert "emgcramp" not in roots
    assert roots <= {"__future__", "math", "collections", "dataclasses", "numpy", "scipy"}, roots


@pytest.mark.slow
def test_one_hour_at_4khz_within_budget():
    t = time.perf_counter()
    x, fs, _ = carrier.generate(0, 1.0, 4000.0)
    assert x.size == 14_400_000 and fs == 4000.0
    assert time.perf_counter() - t < 6.0
