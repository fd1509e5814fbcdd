"""PhysioNet WFDB records (``rec.hea`` with its signal files), read through the ``wfdb`` package.

The header gives the rate, the channel names and each channel's unit; the
samples are read a chunk at a time (``wfdb.rdrecord`` with ``sampfrom`` and
``sampto``) in physical units and turned into µV here. A channel whose unit is
not a voltage is refused by name rather than guessed at.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import datetime

import numpy as np

from emgcramp.core.errors import InputError
from emgcramp.io.base import Recording, unit_scale

EXTRA = "reading WFDB records needs the wfdb extra: pip install 'emgcramp[wfdb]'"


def _wfdb():
    try:
        import wfdb
    except ImportError:
        raise InputError(EXTRA) from None
    return wfdb


class WfdbRecording(Recording):
    """A WFDB record, named by its header file (``.hea``) or by its record name."""

    def __init__(self, path: str):
        wfdb = _wfdb()
        self.path = path
        self._record = path[:-4] if path.lower().endswith(".hea") else path
        try:
            header = wfdb.rdheader(self._record)
        except (OSError, ValueError, IndexError) as e:
            raise InputError(f"{path}: not a readable WFDB header ({e})") from None
        if not header.sig_name:
            raise InputError(f"{path}: the record has no signals")
        unknown = sorted({str(f) for f in header.fmt or ()} - WFDB_FORMATS)
        if unknown:
            known = ", ".join(sorted(WFDB_FORMATS, key=int))
            raise InputError(f"{path}: sample format {unknown[0]} is none of WFDB's ({known})")
        self.fs = _declared_fs(path if path.lower().endswith(".hea") else path + ".hea", float(header.fs))
        self.channel_names = [str(n) for n in header.sig_name]
        self.n_samples = int(header.sig_len) if header.sig_len else None
        self._units = [str(u) for u in (header.units or ["mV"] * len(self.channel_names))]
        self.start = _start(header)

    def _scale(self, c: int) -> float:
        scale = unit_scale(self._units[c])
        if scale is None:
            raise InputError(f"{self.path}: channel {self.channel_names[c]!r} is in {self._units[c]!r}, "
                             "not a voltage (uV, mV or V)")
        return scale

    def _read(self, channels: list[int], chunk: int) -> Iterator[np.ndarray]:
        wfdb = _wfdb()
        scales = np.array([self._scale(c) for c in channels])
        total = self.n_samples or 0
        for a in range(0, total, chunk):
            b = min(a + chunk, total)
            try:
                rec = wfdb.rdrecord(self._record, sampfrom=a, sampto=b, channels=list(channels), physical=True)
            except (OSError, ValueError) as e:
                raise InputError(f"{self.path}: samples {a}–{b} cannot be read ({e})") from None
            x = np.asarray(rec.p_signal, dtype=np.float64)
            if x.shape != (b - a, len(channels)):
                raise InputError(f"{self.path}: samples {a}–{b} are missing from the signal file")
            yield x * scales


# The sample formats of the WFDB specification (signal(5)); the reader fails on any other with a KeyError.
WFDB_FORMATS = {"8", "16", "24", "32", "61", "80", "160", "212", "310", "311", "508", "516", "524"}


def _declared_fs(hea: str, parsed: float) -> float:
    """The sampling frequency the record line of header file ``hea`` gives (Hz), ``parsed`` when it gives none
    (WFDB's default, 250 Hz); :class:`InputError` when what it gives is no positive number (the reader let
    ``nan`` through, and ``-1`` or ``1e9`` became another rate)."""
    try:
        with open(hea, encoding="latin-1") as f:
            line = next((ln for ln in f if ln.strip() and not ln.lstrip().startswith("#")), "")
    except OSError:
        return parsed
    fields = line.split()
    if len(fields) < 3:
        return parsed
    given = re.split(r"[/(]", fields[2])[0]
    try:
        fs = float(given)
    except ValueError:
        fs = math.nan
    if not (math.isfinite(fs) and fs > 0):
        raise InputError(f"{hea}: the sampling frequency {fields[2]!r} in its record line is not a rate in Hz")
    return fs


def _start(header) -> datetime | None:
    if header.base_date is not None and header.base_time is not None:
        return datetime.combine(header.base_date, header.base_time)
    return None

