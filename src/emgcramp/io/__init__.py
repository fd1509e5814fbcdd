"""Readers (EDF/EDF+/BDF, WFDB, XDF, CSV/TSV/TXT, NPY, WAV) and writers (events, EDF+).

:func:`open_recording` picks the reader by extension, or by the file's
first bytes when the extension says nothing, and returns a
:class:`~emgcramp.io.base.Recording` that streams µV blocks.
"""

from __future__ import annotations

import os

from emgcramp.core.errors import InputError
from emgcramp.io.base import Recording

TEXT_EXT = {".csv", ".tsv", ".txt", ".dat", ".asc"}


def _sniff(path: str) -> str | None:
    with open(path, "rb") as f:
        head = f.read(16)
    if head.startswith(b"\xffBIOSEMI") or head.startswith(b"0       "):
        return "edf"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head):
        return "text"
    return None


def detect_format(path: str) -> str:
    """``edf``, ``wfdb``, ``xdf``, ``npy``, ``wav``, ``text`` or ``night``; else :class:`InputError`."""
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    if os.path.isdir(path):
        if os.path.exists(os.path.join(path, "raw.json")):
            return "night"
        raise InputError(f"{path}: is a folder, not a recording")
    if os.path.getsize(path) == 0:
        raise InputError(f"{path}: the file is empty")
    ext = os.path.splitext(path)[1].lower()
    by_ext = {".edf": "edf", ".bdf": "edf", ".rec": "edf", ".hea": "wfdb", ".xdf": "xdf", ".npy": "npy", ".wav": "wav"}
    fmt = by_ext.get(ext) or ("text" if ext in TEXT_EXT else None) or _sniff(path)
    if fmt is None:
        raise InputError(f"{path}: unknown format (expected EDF/BDF, WFDB .hea, XDF, CSV/TSV/TXT, NPY or WAV)")
    return fmt


def open_recording(path: str, fs: float | None = None, scale: float | None = None,
                   stream: str | None = None) -> Recording:
    """Open a recording for streaming.

    Args:
        path: the file.
        fs: sampling rate (Hz) for formats that lack one; checked against
            the rate a format carries.
        scale: µV per file unit for NPY, WAV and text columns without a unit.
        stream: the stream of an XDF file (name or type).
    """
    fmt = detect_format(path)
    if fmt == "night":
        from emgcramp.io.night_reader import NightRecording

        return NightRecording(path)
    if fmt == "xdf":
        from emgcramp.io.xdf import XdfRecording

        return XdfRecording(path, stream)
    if fmt in ("edf", "wfdb"):
        if fmt == "edf":
            from emgcramp.io.edf import EdfRecording as Reader
        else:
            from emgcramp.io.wfdb import WfdbRecording as Reader

        rec: Recording = Reader(path)
        if fs is not None and abs(fs - rec.fs) > 1e-6 * rec.fs:
            rec.close()
            raise InputError(f"{path}: --fs {fs:g} Hz disagrees with the file's {rec.fs:g} Hz")
        return rec
    if fmt == "npy":
        from emgcramp.io.arrays import open_npy

        return open_npy(path, fs, scale)
    if fmt == "wav":
        from emgcramp.io.arrays import open_wav

        return open_wav(path, fs, scale)
    from emgcramp.io.text import TextRecording

    return TextRecording(path, fs, scale)
