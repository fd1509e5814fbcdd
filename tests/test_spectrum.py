"""A burst's RMS frequency and its drift: against exact values, scipy's spectrum, and block splits."""

import numpy as np
import pytest
from scipy import signal

from emgcramp.core.blocks import Block
from emgcramp.detect.shape import rms_frequency
from emgcramp.dsp.filters import EmgFilter
from emgcramp.pipeline import Pipeline

FS = 1000.0


@pytest.mark.parametrize("f_hz", [30.0, 80.0, 200.0, 400.0])
def test_one_tone_reads_its_own_frequency(f_hz):
    y = np.sin(2 * np.pi * f_hz / FS * np.arange(20_000) + 0.3)
    ms, dms = np.mean(y ** 2), np.mean(np.diff(y) ** 2)
    assert rms_frequency(np.array([ms]), np.array([dms]), FS) == pytest.approx(f_hz, rel=1e-3)


def test_no_power_or_not_measured_is_nan():
    assert np.isnan(rms_frequency(np.zeros(3), np.zeros(3), FS))
    assert np.isnan(rms_frequency(np.ones(3), np.full(3, np.nan), FS))


def _coloured(rng, n, corner_hz, fs=FS):
    """White noise low-passed at ``corner_hz``: deeper tissue, a lower spectrum."""
    return signal.sosfilt(signal.butter(2, corner_hz, fs=fs, output="sos"), rng.normal(0, 50.0, n))


@pytest.mark.parametrize("corner_hz", [60.0, 120.0, 250.0])
def test_binned_frequency_is_the_spectral_moment_of_the_band_passed_signal(corner_hz):
    """The bins' estimate is the frequency scipy's spectrum of the same band-passed signal gives, within 1 %.

    That is (fs/π)·arcsin(√(Σ sin²(πf/fs)·S(f) / Σ S(f))); √(m₂/m₀) is within 10 % of it at these rates.
    """
    x = _coloured(np.random.default_rng(3), 200_000, corner_hz)[:, None]
    f = EmgFilter(FS, 1)
    b = f.process(x)
    y = signal.sosfilt(f.sos, x[:, 0], zi=signal.sosfilt_zi(f.sos) * x[0, 0])[0]
    freqs, psd = signal.welch(y, FS, nperseg=1024)
    est = rms_frequency(b.ms[:, 0], b.dms[:, 0], FS)
    exact = FS / np.pi * np.arcsin(np.sqrt(np.sum(np.sin(np.pi * freqs / FS) ** 2 * psd) / np.sum(psd)))
    assert est == pytest.approx(exact, rel=0.01)
    assert est == pytest.approx(np.sqrt(np.sum(freqs ** 2 * psd) / np.sum(psd)), rel=0.1)


def test_it_moves_with_the_median_frequency():
    """Deeper (more low-passed) signal, lower median frequency, lower estimate: the same order."""
    rng = np.random.default_rng(5)
    mdf, est = [], []
    for corner in (40.0, 80.0, 160.0, 320.0):
        x = _coloured(rng, 100_000, corner)[:, None]
        f = EmgFilter(FS, 1)
        b = f.process(x)
        freqs, psd = signal.welch(signal.sosfilt(f.sos, x[:, 0]), FS, nperseg=1024)
        mdf.append(freqs[np.searchsorted(np.cumsum(psd), psd.sum() / 2)])
        est.append(rms_frequency(b.ms[:, 0], b.dms[:, 0], FS))
    assert np.all(np.diff(mdf) > 0) and np.all(np.diff(est) > 0)
    assert all(0.8 < e / m < 2.0 for e, m in zip(est, mdf)), (est, mdf)


def _night(fading: bool, seed: int = 2) -> np.ndarray:
    """Rest, then a 40-s burst whose spectrum falls by half (``fading``) or stays, then rest (µV at FS)."""
    rng = np.random.default_rng(seed)
    rest = lambda s: rng.normal(0, 4.0, int(s * FS))  # noqa: E731
    n = int(40 * FS)
    halves = [_coloured(rng, n, 200.0), _coloured(rng, n, 100.0 if fading else 200.0)]
    t = np.arange(n) / n
    burst = np.sqrt(1 - t) * halves[0] + np.sqrt(t) * halves[1]  # the power moves from one to the other
    burst *= 150.0 / np.sqrt(np.mean(burst ** 2))
    return np.concatenate([rest(120), burst, rest(60)])


def _burst(x, block=None):
    pipe = Pipeline(FS, ["calf"])
    pipe.candidate_log = []
    step = block or len(x)
    for i in range(0, len(x), step):
        pipe.process(Block(i, x[i:i + step, None]))
    pipe.finish()
    (onset, offset, f, _), = [c for c in pipe.candidate_log if c[1] - c[0] > 30]
    return onset, f


def test_a_fading_burst_drifts_down_and_a_steady_one_does_not():
    _, fading = _burst(_night(True))
    _, steady = _burst(_night(False))
    assert -0.2 < fading.freq_drift < -0.1  # 200-Hz to 100-Hz corner, mixed: thirds of its middle -0.13 to -0.15
    assert abs(steady.freq_drift) < 0.03
    assert steady.freq_hz > 1.1 * fading.freq_hz  # its second half is lower


def test_the_frequency_does_not_depend_on_the_blocks():
    x = _night(True)
    onset, whole = _burst(x)
    onset_b, blocks = _burst(x, block=20)  # 20-ms live blocks
    assert (onset_b, blocks.freq_hz, blocks.freq_drift) == (onset, whole.freq_hz, whole.freq_drift)


def test_an_episode_and_its_json_carry_the_record_values():
    from emgcramp import find_cramps
    from emgcramp.io.events import episode_record

    x = _night(True)
    _, f = _burst(x)
    result = find_cramps(x, FS)
    (e,) = [e for e in result.cramps + result.possible_cramps if e.duration_s > 30]
    assert (e.freq_hz, e.freq_drift) == (f.freq_hz, f.freq_drift)
    record = episode_record(e)
    assert (record["freq_hz"], record["freq_drift"]) == (round(f.freq_hz, 1), round(f.freq_drift, 3))
