"""Binary arrays: NumPy ``.npy`` and WAV, read a block at a time with plain file reads.

Not memory-mapped: every page of a map the reader has touched counts in the
process's resident set until the kernel needs it back, so a map read from
start to end peaks at the size of the file (705 MB for 24 h of float32 at
2 kHz, ``bench/RESULTS.md``). A block read into its own buffer leaves the
file's pages to the page cache, which is not ours: memory stays flat for
any length. The headers are
still read by NumPy and SciPy (their maps are opened for the layout and
dropped untouched), so every file they accept or refuse is accepted or
refused as before, with the same words.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from emgcramp.core.channels import default_names
from emgcramp.core.errors import InputError
from emgcramp.io.base import Recording


@dataclass(frozen=True)
class Layout:
    """Where an array's samples lie in its file.

    Attributes
    ----------
    offset : int
        Byte position of the first element.
    dtype : numpy.dtype
        Stored element type, byte order included; ``V3`` … ``V7`` for packed
        WAV integers (see ``packed``).
    shape : tuple of int
        The array's shape as stored (samples × channels or channels × samples).
    fortran : bool
        Column-major (Fortran) order.
    packed : numpy.dtype or None
        For WAV integers of 3, 5, 6 or 7 bytes: the wider signed type they are
        read into, left-justified as :func:`scipy.io.wavfile.read` does.
    """

    offset: int
    dtype: np.dtype
    shape: tuple[int, ...]
    fortran: bool = False
    packed: np.dtype | None = None


class ArrayRecording(Recording):
    """A samples × channels array in a file; values × ``scale`` are µV.

    Parameters
    ----------
    path : str
        The file.
    layout : Layout
        Where the array lies in it. A 2-D array with fewer rows than columns
        is taken as channels × samples: a recording has more samples than
        channels.
    fs : float or None
        Sampling rate, Hz.
    scale : float or None
        µV per stored unit (``None``: 1).
    """

    def __init__(self, path: str, layout: Layout, fs: float | None, scale: float | None):
        self.path = path
        shape = given = tuple(layout.shape)
        fortran = layout.fortran and len(shape) == 2
        steps = (1, 1)  # elements from one sample to the next, and from one channel to the next
        if len(shape) == 1:
            shape = (shape[0], 1)
        elif len(shape) == 2:
            steps = (1, shape[0]) if fortran else (shape[1], 1)
            if shape[0] < shape[1]:
                shape, steps = shape[::-1], steps[::-1]
        if len(shape) != 2 or shape[0] * shape[1] == 0:
            raise InputError(f"{path}: expected a 1-D or 2-D array of samples, got "
                             f"{'no samples, ' if len(shape) == 2 else ''}shape {given}")
        value = layout.packed if layout.packed is not None else layout.dtype
        if not (np.issubdtype(value, np.number) and not np.issubdtype(value, np.complexfloating)):
            raise InputError(f"{path}: samples must be real numbers, not {value}")
        self._layout, self._steps = layout, steps
        self._scale = 1.0 if scale is None else float(scale)
        self.fs = fs
        self.n_samples = shape[0]
        self.channel_names = default_names(shape[1])

    def _read(self, channels: list[int], chunk: int) -> Iterator[np.ndarray]:
        # Opened here, not when the recording is: a generator dropped half-way closes its file.
        with open(self.path, "rb") as f:
            for start in range(0, self.n_samples, chunk):
                x = self._block(f, channels, start, min(chunk, self.n_samples - start))
                with np.errstate(invalid="ignore", over="ignore"):  # a NaN or a value out of range: said after, once
                    x *= self._scale
                yield x

    def _block(self, f: BinaryIO, channels: list[int], start: int, n: int) -> np.ndarray:
        """Samples ``start`` … ``start + n`` of ``channels`` as float64 (file units)."""
        per_sample, per_channel = self._steps
        with np.errstate(invalid="ignore"):  # float32 signalling NaNs widened: bad samples, said after, once
            if per_channel == 1:  # channels interleaved: the block is one run of bytes, all channels in it
                raw = self._fetch(f, start * per_sample, n * per_sample).reshape(n, per_sample)
                return np.array(raw[:, channels], dtype=np.float64)
            out = np.empty((n, len(channels)))
            for k, ch in enumerate(channels):  # one channel after another: one run of bytes per channel
                out[:, k] = self._fetch(f, ch * per_channel + start, n)
        return out

    def _fetch(self, f: BinaryIO, first: int, count: int) -> np.ndarray:
        """``count`` stored elements from element ``first`` on, read into a fresh array."""
        lay = self._layout
        buf = np.empty(count, lay.dtype)
        f.seek(lay.offset + first * lay.dtype.itemsize)
        got = f.readinto(buf.view(np.uint8))
        if got != buf.nbytes:  # the file shrank after it was opened
            raise InputError(f"{self.path}: the file ends early (at byte {f.tell()}, "
                             f"{buf.nbytes - got} bytes short)")
        return buf if lay.packed is None else _widen(buf, lay.packed)


def _widen(raw: np.ndarray, wide: np.dtype) -> np.ndarray:
    """Packed integers (``V3`` …) as ``wide``, left-justified: the bytes on top, zeros below.

    Parameters
    ----------
    raw : numpy.ndarray
        Elements of ``k`` bytes each, in ``wide``'s byte order.
    wide : numpy.dtype
        Signed integer type of 4 or 8 bytes.

    Returns
    -------
    numpy.ndarray
        The values as :func:`scipy.io.wavfile.read` returns them (24-bit
        samples come out × 256).
    """
    k, w = raw.dtype.itemsize, wide.itemsize
    out = np.zeros((len(raw), w), np.uint8)
    top = slice(0, k) if wide.str[0] == ">" else slice(w - k, w)  # the most significant bytes
    out[:, top] = raw.view(np.uint8).reshape(-1, k)
    return out.view(wide).reshape(-1)


def open_npy(path: str, fs: float | None, scale: float | None) -> ArrayRecording:
    """Open a ``.npy`` file for streaming.

    Parameters
    ----------
    path : str
        The file: a 1-D array, or 2-D samples × channels or channels × samples,
        of real numbers in either byte order and either memory order.
    fs : float or None
        Sampling rate, Hz (the file carries none).
    scale : float or None
        µV per stored unit (``None``: 1).

    Returns
    -------
    ArrayRecording

    Raises
    ------
    InputError
        The file is not a readable ``.npy`` of real samples (one line).
    """
    try:
        with open(path, "rb") as f:  # NumPy would take any other file for a pickle, and suggest unpickling it
            magic = f.read(6)
        if magic != b"\x93NUMPY" and not magic.startswith(b"PK"):
            raise ValueError("it does not begin as one does: another kind of file named .npy?")
        # NumPy reads and checks the header (and that the file is long enough) by mapping the
        # array; only the map's offset, type, shape and order are kept, no page of it is read.
        data = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as e:
        raise InputError(f"{path}: not a readable .npy file ({e})") from None
    if not isinstance(data, np.ndarray):  # NumPy opens a zip of arrays whatever its name
        data.close()
        raise InputError(f"{path}: a NumPy .npz archive of arrays, not one .npy array; save the recording's array "
                         "with numpy.save")
    layout = _layout_of(data)
    del data
    return ArrayRecording(path, layout, fs, scale)


def _layout_of(data: np.ndarray) -> Layout:
    """The layout of a memory-mapped array (a 0-d array has no map: the offset is then unused)."""
    fortran = data.ndim == 2 and data.flags.f_contiguous and not data.flags.c_contiguous
    return Layout(int(getattr(data, "offset", 0)), data.dtype, tuple(data.shape), fortran)


def open_wav(path: str, scale: float | None) -> ArrayRecording:
    """Open a WAV file for streaming.

    Parameters
    ----------
    path : str
        The file: PCM integers (8 to 64 bits, 24-bit included) or IEEE floats
        (32 or 64 bits), RIFF, RIFX or RF64.
    scale : float or None
        µV per sample unit (``None``: 1). Values are those of
        :func:`scipy.io.wavfile.read`: 8-bit ones unsigned, 24-bit ones
        left-justified in 32 bits (× 256).

    Returns
    -------
    ArrayRecording

    Raises
    ------
    InputError
        The file is not a readable WAV (one line).
    """
    import warnings

    from scipy.io import wavfile

    try:
        with warnings.catch_warnings():  # a chunk scipy skips is not the user's business: the samples are read
            warnings.simplefilter("ignore", wavfile.WavFileWarning)
            rate, data = wavfile.read(path, mmap=True)  # as with .npy: the map is for the layout only
        layout = _layout_of(data)
        del data
    except ValueError as e:
        # SciPy maps samples of 1, 2, 4 or 8 bytes only; packed 24-bit ones it would read whole.
        try:
            found = _packed_wav(path)
        except (ValueError, OSError) as damage:
            raise InputError(f"{path}: not a readable WAV file ({damage})") from None
        if found is None:
            raise InputError(f"{path}: not a readable WAV file ({e})") from None
        rate, layout = found
    except (OSError, struct.error) as e:  # struct.error: a header cut short
        raise InputError(f"{path}: not a readable WAV file ({e})") from None
    except ArithmeticError:  # SciPy divides by the channel count the header gives
        raise InputError(f"{path}: not a readable WAV file (its header gives 0 channels or 0 bits a sample)") from None
    return ArrayRecording(path, layout, float(rate), scale)


def _wav_chunks(path: str) -> tuple[str, tuple | None, int, int] | None:
    """Byte order, ``fmt`` chunk (fields, body), data offset and data size of a WAV; ``None`` if unreadable."""
    try:
        with open(path, "rb") as f:
            riff = f.read(12)
            if riff[:4] not in (b"RIFF", b"RIFX", b"RF64") or riff[8:12] != b"WAVE":
                return None
            order = ">" if riff[:4] == b"RIFX" else "<"
            fmt, big = None, None
            while True:
                cid, size = struct.unpack(order + "4sI", f.read(8))
                if cid == b"data":
                    break
                body = f.read(size + (size & 1))  # chunks are padded to an even length
                if cid == b"fmt ":
                    fmt = struct.unpack(order + "HHIIHH", body[:16]), body
                elif cid == b"ds64":  # RF64: the real sizes, 64-bit
                    big = struct.unpack("<Q", body[8:16])[0]
            return order, fmt, f.tell(), big if big is not None and size == 0xFFFFFFFF else size
    except (OSError, struct.error):
        return None


def _packed_wav(path: str) -> tuple[int, Layout] | None:
    """Rate (Hz) and layout of a PCM WAV of 3-, 5-, 6- or 7-byte samples; ``None`` for any other file.

    Raises
    ------
    ValueError
        Such a file whose samples run past its end.
    """
    chunks = _wav_chunks(path)
    if chunks is None or chunks[1] is None:
        return None
    order, ((tag, channels, rate, _, align, bits), body), offset, size = chunks
    if tag == 0xFFFE and len(body) >= 26:  # WAVE_FORMAT_EXTENSIBLE: the real tag leads the sub-format
        tag = struct.unpack(order + "H", body[24:26])[0]
    k = align // channels if channels else 0
    if tag != 1 or bits <= 8 or k not in (3, 5, 6, 7):
        return None
    missing = offset + size - os.path.getsize(path)
    if missing > 0:
        raise ValueError(f"the data chunk runs past the end of the file by {missing} bytes")
    frames = size // (k * channels)
    wide = np.dtype(f"{order}i{4 if k == 3 else 8}")
    shape = (frames, channels) if channels > 1 else (frames,)
    return rate, Layout(offset, np.dtype(f"V{k}"), shape, packed=wide)
