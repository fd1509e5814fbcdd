"""Filters against scipy, block-split invariance, design and mains detection."""

import numpy as np
import pytest
from scipy import signal

from emgcramp.dsp import filters as dsp
from emgcramp.dsp.mains import detect_mains, mains_harmonics


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(3).standard_normal((20_000, 3)) * 50 + np.array([10.0, -40.0, 0.0])


def chain(fs=2000.0, notches=(50.0, 150.0)):
    return np.vstack([dsp.notch_bank_sos(fs, notches), dsp.bandpass_sos(fs)])


def test_sosfilt_matches_scipy_across_calls(x):
    sos = chain()
    ref, _ = signal.sosfilt(sos, x, axis=0, zi=np.zeros((sos.shape[0], 2, x.shape[1])))
    zi = np.zeros((x.shape[1], sos.shape[0], 2))
    ours = np.vstack([dsp.sosfilt(sos, x[:7000], zi), dsp.sosfilt(sos, x[7000:], zi)])
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-9 * np.abs(ref).max())


def test_fused_bins_match_scipy_reference(x):
    fs = 2000.0
    f = dsp.EmgFilter(fs, x.shape[1], notches=(50.0, 150.0))
    b = f.process(x)
    zi = signal.sosfilt_zi(f.sos)[:, :, None] * x[0][None, None, :]
    y, _ = signal.sosfilt(f.sos, x, axis=0, zi=zi)
    n = len(x) // f.bin_len * f.bin_len
    ms = (y[:n] ** 2).reshape(-1, f.bin_len, x.shape[1]).mean(axis=1)
    mean = x[:n].reshape(-1, f.bin_len, x.shape[1]).mean(axis=1)
    dy = np.diff(np.vstack([np.zeros((1, x.shape[1])), y]), axis=0)  # the first sample's from the settled 0
    dms = (dy[:n] ** 2).reshape(-1, f.bin_len, x.shape[1]).mean(axis=1)
    assert b.ms.shape == ms.shape == (500, 3)
    np.testing.assert_allclose(b.ms, ms, rtol=1e-9)
    np.testing.assert_allclose(b.dms, dms, rtol=1e-9)
    np.testing.assert_allclose(b.mean, mean, rtol=1e-9, atol=1e-9)
    assert np.all(b.stuck == 0.0)


def test_any_block_split_gives_identical_bins(x):
    one = dsp.EmgFilter(2000.0, 3, notches=(50.0,)).process(x)
    f = dsp.EmgFilter(2000.0, 3, notches=(50.0,))
    cuts = np.sort(np.random.default_rng(1).choice(np.arange(1, len(x)), 40, replace=False))
    parts = [f.process(p) for p in np.split(x, cuts)]
    for name in ("ms", "mean", "stuck", "dms"):
        np.testing.assert_array_equal(np.vstack([getattr(p, name) for p in parts]), getattr(one, name))


def test_stuck_fraction_counts_repeated_samples():
    x = np.r_[np.full(40, 7.0), np.arange(40.0)][:, None]
    b = dsp.EmgFilter(2000.0, 1).process(x)
    assert b.stuck[:, 0].tolist() == [39 / 40, 0.0]


def test_bandpass_response():
    sos = dsp.bandpass_sos(2000.0)
    w, h = signal.sosfreqz(sos, worN=[5.0, 100.0, 200.0, 900.0], fs=2000.0)
    g = np.abs(h)
    assert g[1] == pytest.approx(1.0, abs=0.01) and g[2] == pytest.approx(1.0, abs=0.01)
    assert g[0] < (5 / 20) ** 4 * 1.01 and g[3] < 0.05  # 4th-order edges


def test_bandpass_upper_edge_clipped_below_nyquist():
    sos = dsp.bandpass_sos(500.0, (20.0, 450.0))
    _, h = signal.sosfreqz(sos, worN=[100.0, 240.0], fs=500.0)
    assert abs(h[0]) == pytest.approx(1.0, abs=0.01) and abs(h[1]) < 0.2


def test_notch_removes_mains_and_keeps_neighbours():
    fs = 1000.0
    sos = dsp.notch_bank_sos(fs, mains_harmonics(50.0, fs, 450.0))
    assert sos.shape == (9, 6)  # 50 … 450 Hz, the upper band edge
    _, h = signal.sosfreqz(sos, worN=[50.0, 150.0, 75.0, 125.0], fs=fs)
    assert np.all(np.abs(h[:2]) < 0.01) and np.all(np.abs(h[2:]) > 0.95)


@pytest.mark.parametrize("mains,harmonics", [(50.0, [50.0, 150.0]), (60.0, [60.0])])
def test_detect_mains_finds_the_hum(mains, harmonics):
    fs = 1000.0
    t = np.arange(int(8 * fs)) / fs
    x = np.random.default_rng(0).standard_normal(len(t)) * 5
    x += 20 * np.sin(2 * np.pi * mains * t)
    if 150.0 in harmonics:
        x += 8 * np.sin(2 * np.pi * 150 * t)
    assert detect_mains(x, fs) == harmonics


def test_detect_mains_none_in_clean_emg():
    x = np.random.default_rng(0).standard_normal(8000) * 5
    assert detect_mains(x, 1000.0) == []
    # nor by chance at any of the harmonics, probe after probe
    assert not any(detect_mains(np.random.default_rng(s).standard_normal(8000) * 5, 2000.0) for s in range(300))


@pytest.mark.parametrize("lines,notched", [({150.0: 1.0, 250.0: 2.0}, [50.0, 150.0, 250.0]),
                                           ({180.0: 3.0}, [60.0, 180.0]), ({300.0: 10.0}, [])])
def test_hum_at_its_harmonics_alone_is_found(lines, notched):
    """A board that notches the fundamental itself leaves the odd harmonics (µV RMS): they say the grid.

    300 Hz is both grids' harmonic: alone, it says neither.
    """
    fs = 2000.0
    t = np.arange(int(4 * fs)) / fs
    x = np.random.default_rng(1).standard_normal(len(t)) * 3.0
    for f, uv in lines.items():
        x += uv * np.sqrt(2) * np.sin(2 * np.pi * f * t)
    assert detect_mains(x, fs) == notched
