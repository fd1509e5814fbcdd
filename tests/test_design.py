"""The NumPy filter designs against scipy.signal's own."""

import numpy as np
import pytest
from scipy import signal

from emgcramp.dsp import design


def _response(sos, n=4096):
    return signal.sosfreqz(sos, worN=n)[1]


@pytest.mark.parametrize("fs", [250.0, 500.0, 1000.0, 2000.0, 4000.0])
@pytest.mark.parametrize("order", [2, 4])
def test_bandpass_matches_scipy(fs, order):
    band = (20.0, min(450.0, 0.45 * fs))
    ours = design.butter_sos(order, band, fs, "bandpass")
    ref = signal.butter(order, band, btype="bandpass", output="sos", fs=fs)
    np.testing.assert_allclose(_response(ours), _response(ref), atol=1e-9)
    x = np.random.default_rng(0).standard_normal(5000)
    np.testing.assert_allclose(signal.sosfilt(ours, x), signal.sosfilt(ref, x), atol=1e-9)


@pytest.mark.parametrize("rate", [50.0, 100.0])
def test_highpass_matches_scipy(rate):
    ours = design.butter_sos(2, 1.0, rate, "highpass")
    b, a = signal.butter(2, 1.0, btype="highpass", fs=rate)
    np.testing.assert_allclose(ours[0, :3], b, rtol=1e-12)
    np.testing.assert_allclose(ours[0, 3:], a, rtol=1e-12)


@pytest.mark.parametrize("f0, fs", [(50.0, 1000.0), (60.0, 2000.0), (150.0, 500.0), (400.0, 4000.0)])
def test_notch_matches_scipy(f0, fs):
    b, a = signal.iirnotch(f0, 30.0, fs=fs)
    np.testing.assert_allclose(design.notch_sos(f0, 30.0, fs)[0], np.r_[b, a], rtol=1e-12, atol=1e-15)


def test_steady_state_matches_scipy():
    sos = np.vstack([design.notch_sos(50.0, 30.0, 1000.0), design.butter_sos(4, (20.0, 450.0), 1000.0, "bandpass")])
    np.testing.assert_allclose(design.sosfilt_zi(sos), signal.sosfilt_zi(sos), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("n, nper", [(8000, 1000), (5000, 999), (3000, 1000)])
def test_welch_matches_scipy(n, nper):
    x = np.random.default_rng(1).standard_normal((n, 2))
    f, p = design.welch(x, 1000.0, nper)
    f_ref, p_ref = signal.welch(x, fs=1000.0, nperseg=nper, axis=0)
    np.testing.assert_allclose(f, f_ref)
    np.testing.assert_allclose(p, p_ref, rtol=1e-9)


def test_odd_orders_are_refused_not_designed_wrong():
    with pytest.raises(ValueError, match="even order"):
        design.butter_sos(3, (20.0, 450.0), 1000.0, "bandpass")
