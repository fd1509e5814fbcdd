"""Binary arrays: NumPy ``.npy`` (memory-mapped) and WAV (memory-mapped)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from emgcramp.core.errors import InputError
from emgcramp.io.base import Recording


class ArrayRecording(Recording):
    """A samples × channels array on disk; values × ``scale`` are µV."""

    def __init__(self, path: str, data: np.ndarray, fs: float | None, scale: float | None):
        self.path = path
        if data.ndim == 1:
            data = data[:, None]
        elif data.ndim == 2 and data.shape[0] < data.shape[1]:
            data = data.T  # channels × samples, the other common layout: a recording has more samples than channels
        if data.ndim != 2 or data.size == 0:
            raise InputError(f"{path}: expected a 1-D or 2-D array of samples, got shape {data.shape}")
        if not (np.issubdtype(data.dtype, np.number) and not np.issubdtype(data.dtype, np.complexfloating)):
            raise InputError(f"{path}: samples must be real numbers, not {data.dtype}")
        self._data = data
        self._scale = 1.0 if scale is None else float(scale)
        self.fs = fs
        self.n_samples = data.shape[0]
        self.channel_names = [f"ch{i}" for i in range(data.shape[1])]

    def _read(self, channels: list[int], chunk: int) -> Iterator[np.ndarray]:
        for start in range(0, self.n_samples, chunk):
            yield np.asarray(self._data[start:start + chunk, channels], dtype=np.float64) * self._scale


def open_npy(path: str, fs: float | None, scale: float | None) -> ArrayRecording:
    """A ``.npy`` file, memory-mapped; it carries no rate, so ``fs`` is needed."""
    try:
        data = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as e:
        raise InputError(f"{path}: not a readable .npy file ({e})") from None
    return ArrayRecording(path, data, fs, scale)


def open_wav(path: str, fs: float | None, scale: float | None) -> ArrayRecording:
    """A WAV file, memory-mapped; its own rate unless ``fs`` overrides it.

    Sample values (integer counts or floats) times ``scale`` are µV.
    """
    import struct
    import warnings

    from scipy.io import wavfile

    try:
        with warnings.catch_warnings():  # a chunk scipy skips is not the user's business: the samples are read
            warnings.simplefilter("ignore", wavfile.WavFileWarning)
            rate, data = wavfile.read(path, mmap=True)
    except (ValueError, OSError, struct.error) as e:  # struct.error: a header cut short
        raise InputError(f"{path}: not a readable WAV file ({e})") from None
    return ArrayRecording(path, data, fs if fs is not None else float(rate), scale)
