"""Tests of the texture night family (real leg-EMG texture spliced into nights)."""

from __future__ import annotations

import ast
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from emgcramp.sim.families import texture

FS_SET = {250.0, 500.0, 1000.0, 2000.0, 4000.0}
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
CRAMPS = {"tonic", "clonic"}
ARTEFACTS = {"pop", "lead_off", "saturation", "ecg"}


@pytest.fixture(scope="module")
def short_nights() -> dict[int, tuple[np.ndarray, float, list[dict]]]:
    """Eight quarter-hour nights at 250 Hz (cheap), keyed by seed."""
    return {seed: texture.generate(seed, hours=0.25, fs=250) for seed in range(8)}


def _same_events(a: list[dict], b: list[dict]) -> bool:
    def norm(v):
        return "nan" if isinstance(v, float) and math.isnan(v) else v

    return [{k: norm(v) for k, v in e.items()} for e in a] == [{k: norm(v) for k, v in e.items()} for e in b]


def test_deterministic_by_seed() -> None:
    x1, fs1, ev1 = texture.generate(5, hours=0.1)
    x2, fs2, ev2 = texture.generate(5, hours=0.1)
    assert fs1 == fs2
    assert np.array_equal(x1, x2)
    assert _same_events(ev1, ev2)
    x3, _, _ = texture.generate(6, hours=0.1, fs=fs1)
    assert x3.shape == x1.shape and not np.array_equal(x1, x3)


def test_drawn_fs_and_length() -> None:
    drawn = []
    for seed in range(40):
        x, fs, _ = texture.generate(seed, hours=0.02)
        assert fs in FS_SET
        assert x.dtype == np.float32 and x.ndim == 1
        assert x.size == round(0.02 * 3600 * fs)
        assert np.all(np.isfinite(x))
        drawn.append(fs)
    share_250 = np.mean(np.asarray(drawn) == 250.0)
    assert 0.1 <= share_250 <= 0.45  # ~1 night in 4
    assert len(set(drawn)) >= 4


def test_explicit_fs_length() -> None:
    x, fs, _ = texture.generate(3, hours=0.1, fs=2000)
    assert fs == 2000.0 and x.size == 720000


def test_events_sorted_inside_and_typed(short_nights) -> None:
    for x, fs, events in short_nights.values():
        duration = x.size / fs
        onsets = [e["onset_s"] for e in events]
        assert onsets == sorted(onsets)
        for e in events:
            assert 0.0 <= e["onset_s"] < e["offset_s"] <= duration + 1e-9
            assert isinstance(e["kind"], str) and isinstance(e["is_cramp"], bool)
            assert isinstance(e["strength_x_rest"], float)
            assert e["is_cramp"] == (e["kind"] in CRAMPS)
            assert e["kind"] in CRAMPS | LOOKALIKES
            if e["kind"] in ARTEFACTS:
                assert math.isnan(e["strength_x_rest"])
            else:
                assert e["strength_x_rest"] >= 1.0
            if e["kind"] in CRAMPS | {"arousal", "stretch", "plantar_flexion", "plm", "jerk"}:
                assert e["source"].endswith(tuple(f":{c}" for c in ("TA", "VL", "BF", "GM", "GL", "SO", "PL")))


def test_every_kind_appears_over_seeds(short_nights) -> None:
    kinds = {e["kind"] for _, _, events in short_nights.values() for e in events}
    assert CRAMPS <= kinds
    assert LOOKALIKES <= kinds, LOOKALIKES - kinds


def _clean_band(x: np.ndarray, fs: float) -> np.ndarray:
    """30-450 Hz band with mains (50/60 Hz and harmonics) notched out."""
    y = signal.sosfiltfilt(
        signal.butter(4, [30.0, min(450.0, 0.45 * fs)], "bandpass", fs=fs, output="sos"), x.astype(np.float64)
    )
    for f0 in (50.0, 60.0):
        for h in range(1, 10):
            if h * f0 < 0.45 * fs:
                b, a = signal.iirnotch(h * f0, 30.0, fs=fs)
                y = signal.filtfilt(b, a, y)
    return y


def _ratio(y: np.ndarray, fs: float, ev: dict) -> float:
    """Band RMS over the middle of the cramp / band RMS of the 3.5 s before it."""
    a, b = ev["onset_s"], ev["offset_s"]
    mid = y[int((a + 0.3 * (b - a)) * fs) : int((a + 0.7 * (b - a)) * fs)]
    quiet = y[int((a - 4.0) * fs) : int((a - 0.5) * fs)]
    return float(np.sqrt(np.mean(mid**2)) / np.sqrt(np.mean(quiet**2)))


def _quiet_before(events: list[dict], ev: dict) -> bool:
    """True when no non-ECG event touches the 4 s before ``ev``."""
    return ev["onset_s"] > 5.0 and not any(
        o is not ev and o["kind"] != "ecg" and o["offset_s"] > ev["onset_s"] - 4.0 and o["onset_s"] < ev["onset_s"]
        for o in events
    )


def test_strong_cramps_tower_over_rest_weak_only_a_few_times() -> None:
    strong, weak = [], []
    for seed in range(12):
        x, fs, events = texture.generate(seed, hours=0.25, fs=1000)
        y = _clean_band(x, fs)
        for e in events:
            if e["kind"] != "tonic" or e["offset_s"] - e["onset_s"] < 10 or not _quiet_before(events, e):
                continue
            if e["weak"]:
                weak.append((_ratio(y, fs, e), e["strength_x_rest"]))
            elif e["strength_x_rest"] >= 15:
                strong.append((_ratio(y, fs, e), e["strength_x_rest"]))
        if len(strong) >= 3 and len(weak) >= 2:
            break
    assert len(strong) >= 3 and len(weak) >= 2
    for measured, truth in strong:
        assert measured >= 8.0, (measured, truth)
        assert 0.5 <= measured / truth <= 2.5
    for measured, truth in weak:
        assert 1.3 <= measured <= 8.0, (measured, truth)
        assert 0.5 <= measured / truth <= 2.5


def test_imports_nothing_from_emgcramp() -> None:
    tree = ast.parse(Path(texture.__file__).read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import"
            roots.add((node.module or "").split(".")[0])
    assert "emgcramp" not in roots
    assert roots <= {"numpy", "scipy"} | set(sys.stdlib_module_names), roots


def test_missing_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "no_such_recordings"
    with pytest.raises(FileNotFoundError, match="recordings folder not found"):
        texture.generate(0, hours=0.01, data_dir=str(missing))
    with pytest.raises(FileNotFoundError, match="missing recording"):
        texture.generate(0, hours=0.01, data_dir=str(tmp_path))


def test_default_data_dir_matches_explicit() -> None:
    root = Path(texture.__file__).resolve().parents[4] / "recordings" / "real"
    x1, _, ev1 = texture.generate(9, hours=0.02, fs=500)
    x2, _, ev2 = texture.generate(9, hours=0.02, fs=500, data_dir=str(root))
    assert np.array_equal(x1, x2) and _same_events(ev1, ev2)
