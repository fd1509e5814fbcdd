"""NPY and WAV read block by block with file reads: the same values as NumPy and SciPy, flat memory."""

import os
import struct
import subprocess
import sys

import numpy as np
import pytest
from scipy.io import wavfile

from emgcramp.core.errors import InputError
from emgcramp.io import open_recording

SCALE = 0.5  # µV per stored unit


def read(rec, channels=None, chunk=7):
    """Every block of ``channels`` (default: all), stacked: samples × channels, µV."""
    channels = list(range(len(rec.channel_names))) if channels is None else channels
    blocks = list(rec.blocks(channels, chunk))
    assert [b.t0_sample for b in blocks] == list(range(0, rec.n_samples, chunk))
    return np.concatenate([b.samples for b in blocks])


def as_recording(a):
    """What the reader should yield for a stored array: samples down, channels across, float64 × SCALE."""
    a = a[:, None] if a.ndim == 1 else (a.T if a.shape[0] < a.shape[1] else a)
    return a.astype(np.float64) * SCALE


def wav_bytes(frames, rate=1000, width=3, big=False, extensible=False):
    """A PCM WAV of ``frames`` (samples × channels, integers) in ``width``-byte samples, byte by byte."""
    order, ch = (">" if big else "<"), frames.shape[1]
    raw = b"".join(int(v).to_bytes(width, "big" if big else "little", signed=True) for v in frames.ravel())
    fields = struct.pack(order + "HHIIHH", 0xFFFE if extensible else 1, ch, rate, rate * ch * width, ch * width,
                         8 * width)
    if extensible:  # cbSize, valid bits, channel mask, then the sub-format GUID led by the real tag (PCM)
        fields += struct.pack(order + "HHIH", 22, 8 * width, 0, 1) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa"
        fields += b"\x00\x38\x9b\x71"
    body = b"WAVE" + b"fmt " + struct.pack(order + "I", len(fields)) + fields
    body += b"LIST" + struct.pack(order + "I", 3) + b"abc\x00"  # an odd-sized chunk, padded, to skip
    body += b"data" + struct.pack(order + "I", len(raw)) + raw
    return (b"RIFX" if big else b"RIFF") + struct.pack(order + "I", len(body)) + body


LAYOUTS = {
    "1-D": lambda x: x[:, 0],
    "samples × channels": lambda x: x,
    "channels × samples": lambda x: np.ascontiguousarray(x.T),
    "samples × channels, Fortran": np.asfortranarray,
    "channels × samples, Fortran": lambda x: np.asfortranarray(x.T),
}


@pytest.mark.parametrize("dtype", ["<i2", "<i4", "<f4", "<f8", ">i2", ">i4", ">f4", ">f8", "u1"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_npy_values_equal_numpy_for_every_layout_and_type(tmp_path, dtype, layout):
    x = (np.random.default_rng(1).standard_normal((501, 3)) * 60).astype(dtype)
    p = tmp_path / "a.npy"
    np.save(p, LAYOUTS[layout](x))
    want = as_recording(np.load(p))
    with open_recording(str(p), fs=1000.0, scale=SCALE) as rec:
        assert rec.n_samples == 501 and len(rec.channel_names) == want.shape[1]
        got = read(rec)
        np.testing.assert_array_equal(got, want)
        if want.shape[1] == 3:  # some channels, out of order
            np.testing.assert_array_equal(read(rec, [2, 0], chunk=64), want[:, [2, 0]])


@pytest.mark.parametrize("chunk", [1, 5, 499, 500, 501, 502, 10_000])
@pytest.mark.parametrize("layout", ["samples × channels", "channels × samples, Fortran", "channels × samples"])
def test_blocks_do_not_depend_on_their_size(tmp_path, chunk, layout):
    x = np.arange(1503.0).reshape(501, 3) - 700.0
    p = tmp_path / "a.npy"
    np.save(p, LAYOUTS[layout](x))
    with open_recording(str(p), fs=1000.0, scale=SCALE) as rec:
        np.testing.assert_array_equal(read(rec, [1, 2], chunk=chunk), x[:, [1, 2]] * SCALE)


@pytest.mark.parametrize("dtype,channels", [("int16", 1), ("int16", 2), ("int32", 3), ("float32", 2),
                                             ("float64", 1), ("uint8", 2)])
def test_wav_values_equal_scipy(tmp_path, dtype, channels):
    x = np.random.default_rng(2).standard_normal((777, channels)) * (0.5 if "float" in dtype else 100)
    x = (x + 128 if dtype == "uint8" else x).astype(dtype)
    p = tmp_path / "a.wav"
    wavfile.write(p, 1500, x[:, 0] if channels == 1 else x)
    rate, want = wavfile.read(p)
    with open_recording(str(p), scale=SCALE) as rec:
        assert rec.fs == 1500.0 == rate
        np.testing.assert_array_equal(read(rec, chunk=100), as_recording(want))


@pytest.mark.parametrize("width,big,extensible,channels", [(3, False, False, 2), (3, True, False, 1),
                                                          (3, False, True, 2), (2, True, False, 2)])
def test_packed_and_big_endian_wav_equal_scipy(tmp_path, width, big, extensible, channels):
    top = 2 ** (8 * width - 1)
    frames = np.random.default_rng(3).integers(-top, top, (301, channels))
    frames[:2] = [[-top] * channels, [top - 1] * channels]  # the extremes
    p = tmp_path / "a.wav"
    p.write_bytes(wav_bytes(frames, width=width, big=big, extensible=extensible))
    _, want = wavfile.read(p)  # 24-bit: left-justified in int32, as scipy gives it
    with open_recording(str(p), scale=SCALE) as rec:
        assert rec.fs == 1000.0
        np.testing.assert_array_equal(read(rec, chunk=64), as_recording(want))


def _npy(tmp_path):
    p = tmp_path / "a.npy"
    np.save(p, np.arange(1000.0).reshape(500, 2))
    return p


def _wav16(tmp_path):
    p = tmp_path / "a.wav"
    wavfile.write(p, 1000, np.arange(1000, dtype=np.int16).reshape(500, 2))
    return p


def _wav24(tmp_path):
    p = tmp_path / "a.wav"
    p.write_bytes(wav_bytes(np.arange(1000).reshape(500, 2)))
    return p


@pytest.mark.parametrize("make,damage,message", [
    (_npy, lambda b: b[:-10], "not a readable .npy file (mmap length is greater than file size)"),
    (_npy, lambda b: b[:8] + b"{'descr': garbage" + b[25:], "not a readable .npy file"),
    (_npy, lambda b: b"\x93NUMPY\x01\x00garbage", "not a readable .npy file"),
    (_npy, lambda b: b"not numpy at all", "not a readable .npy file"),
    (_wav16, lambda b: b[:-10], "not a readable WAV file (mmap length is greater than file size)"),
    (_wav16, lambda b: b"RIFF\x10\x00\x00\x00WAVEgarbage", "not a readable WAV file"),
    (_wav16, lambda b: b[:30], "not a readable WAV file"),
    (_wav24, lambda b: b[:-10], "not a readable WAV file (the data chunk runs past the end of the file by 10 bytes)"),
])
def test_damaged_files_give_one_line_input_error(tmp_path, make, damage, message):
    p = make(tmp_path)
    p.write_bytes(damage(p.read_bytes()))
    fs = 1000.0 if p.suffix == ".npy" else None
    with pytest.raises(InputError) as e, open_recording(str(p), fs=fs) as rec:
        read(rec)
    assert message in str(e.value) and "\n" not in str(e.value) and str(e.value).startswith(str(p))


@pytest.mark.parametrize("make", [_npy, _wav24])
def test_a_file_cut_short_after_it_was_opened(tmp_path, make):
    p = make(tmp_path)
    with open_recording(str(p), fs=1000.0 if p.suffix == ".npy" else None) as rec:
        with open(p, "r+b") as f:
            f.truncate(os.path.getsize(p) - 100)
        with pytest.raises(InputError, match=r"a\.(npy|wav): the file ends early \(at byte \d+, \d+ bytes short\)$"):
            read(rec, chunk=100)


# ru_maxrss of a child counts the process it was started from: a small Python in between keeps the
# test runner's own memory out of the figure.
PEAK = ("import resource, subprocess, sys\n"
        "rc = subprocess.run(sys.argv[1:], capture_output=True).returncode\n"
        "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def peak_mb(path):
    """Exit status and peak RSS (MB) of ``emgcramp analyze PATH --fs 2000`` in a fresh process."""
    cmd = [sys.executable, "-m", "emgcramp", "analyze", str(path), "--fs", "2000", "--no-progress"]
    rc, kb = subprocess.run([sys.executable, "-c", PEAK, *cmd], capture_output=True, text=True, check=True,
                            timeout=300).stdout.split()
    return int(rc), int(kb) / 1024


def write_noise_npy(path, seconds, fs=2000):
    """Gaussian noise (µV, float64, one column) written a minute at a time: the test's memory stays small."""
    n, rng = int(seconds * fs), np.random.default_rng(4)
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "<f8", "fortran_order": False, "shape": (n,)})
        for start in range(0, n, 60 * fs):
            rng.normal(0.0, 5.0, min(60 * fs, n - start)).tofile(f)


def test_analyze_memory_does_not_grow_with_the_npy(tmp_path):
    short, night = tmp_path / "short.npy", tmp_path / "night.npy"
    write_noise_npy(short, 120)
    write_noise_npy(night, 2 * 3600)  # 2 h at 2 kHz, float64: 115 MB
    size_mb = os.path.getsize(night) / 2**20
    (rc0, base), (rc1, peak) = peak_mb(short), peak_mb(night)  # the short one first: it warms Numba's cache
    assert rc0 == rc1 == 0
    # A memory map read to the end would add the whole file (115 MB) to the peak.
    assert peak - base < 0.25 * size_mb, (base, peak, size_mb)
