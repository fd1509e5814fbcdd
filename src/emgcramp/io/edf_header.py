"""An EDF/BDF file's header, read before EDFlib opens it, and EDFlib's reader opened with one clear error."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pyedflib

from emgcramp.core.errors import InputError


@contextlib.contextmanager
def c_stdout_silenced() -> Iterator[None]:
    """EDFlib prints some diagnostics with C printf; keep them off our stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


class Scale(NamedTuple):
    """How a channel's integers stand for its values: EDF's physical and digital ranges, in its own unit.

    ``uv_per_unit``: µV per physical unit (1 for ``uV``, 1000 for ``mV``).
    """

    unit: str
    physical_min: float
    physical_max: float
    digital_min: int
    digital_max: int
    uv_per_unit: float = 1.0

    @classmethod
    def symmetric(cls, range_uv: float, bdf: bool) -> Scale:
        """±``range_uv`` µV over the whole of 16-bit EDF's (or 24-bit BDF's) integers; in mV from 10 V on, as
        the header's 8 characters hold no more than ``-9999999``."""
        top = 8388607 if bdf else 32767
        if range_uv > 9_999_999:
            return cls("mV", -range_uv / 1000.0, range_uv / 1000.0, -top - 1, top, 1000.0)
        return cls("uV", -range_uv, range_uv, -top - 1, top)

    def header(self) -> dict:
        """The fields of EDFlib's signal header this scale fills."""
        return {"dimension": self.unit, "physical_min": _short(self.physical_min),
                "physical_max": _short(self.physical_max), "digital_min": self.digital_min,
                "digital_max": self.digital_max}

    def beyond(self, x_uv: np.ndarray) -> int:
        """How many samples (µV) lie beyond the physical range (by more than half a bit): stored at its ends by
        :meth:`integers`."""
        x, half = x_uv / self.uv_per_unit, 0.5 * (self.physical_max - self.physical_min) / (self.digital_max -
                                                                                           self.digital_min)
        return int(np.count_nonzero((x < self.physical_min - half) | (x > self.physical_max + half)))

    def integers(self, x_uv: np.ndarray) -> np.ndarray:
        """Samples (µV) as this channel's integers: the nearest, clipped to the digital range (the rail).

        The inverse of EDF's reading ``(d - dmin)·(pmax - pmin)/(dmax - dmin) + pmin``, rounded here rather
        than by EDFlib, which cuts towards zero: a copy with the recording's own scale then holds its very
        integers (cut, a value read back a hair under its integer lost one bit: 13 % of the sample night's
        samples in its --edf-out copy).
        """
        per_bit = (self.physical_max - self.physical_min) / (self.digital_max - self.digital_min)
        d = np.rint((x_uv / self.uv_per_unit - self.physical_min) / per_bit + self.digital_min)
        return np.clip(d, self.digital_min, self.digital_max).astype(np.int32)


def is_bdf(path: str) -> bool:
    """The file begins as BDF does (byte 0xFF, then ``BIOSEMI``): 24-bit samples."""
    try:
        with open(path, "rb") as f:
            return f.read(8) == b"\xffBIOSEMI"
    except OSError:
        return False


def check_name(path: str) -> None:
    """EDFlib takes UTF-8 paths only; say so rather than fail inside it."""
    try:
        os.path.abspath(path).encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{path!r}: EDF files are read and written through EDFlib, which needs a file "
                         "name and folder in UTF-8; rename it") from None


def check_copy_name(path: str, option: str) -> None:
    """An annotated copy (``analyze --edf-out``, ``recover --edf``) is named as what it is: readers, ours among
    them, pick a format by its name (``copy.csv`` was written as EDF+, then refused as a table)."""
    if not path.lower().endswith((".edf", ".bdf", ".rec")):
        raise InputError(f"{option} {path}: the copy written is EDF+; name it NAME.edf (NAME.bdf from a BDF)")
    check_name(path)


def _short(v: float) -> float | int:
    """A whole number as an int: EDFlib writes 8 characters, and ``-194000.0`` (9) was cut, with a warning."""
    return int(v) if float(v).is_integer() else v


@dataclass(frozen=True)
class Layout:
    """Where the samples sit: header bytes, bytes per sample, and per signal (file order) its label
    and samples per data record."""

    header: int
    records: int
    width: int
    labels: list[str]
    per_record: list[int]
    # EDF+ writes "Startdate X" in the recording field when the start is not known (Kemp & Olivan 2003, EDF+
    # spec 2.1.3); the header's own date is then a placeholder, not a clock
    start_known: bool = True
    units: tuple[str, ...] = ()  # each signal's physical dimension ("" when the header leaves it blank)

    @property
    def record_bytes(self) -> int:
        return sum(self.per_record) * self.width


UNKNOWN_START = b"Startdate X"  # an EDF+ recording field's opening when the start date is not known


def layout(path: str) -> Layout | None:
    """The header's layout, or ``None`` when it cannot be parsed (EDFlib then says what is wrong)."""
    with open(path, "rb") as f:  # also where a missing or unreadable file is reported, plainly
        head = f.read(256)
        try:
            ns = int(head[252:256])
            signals = f.read(ns * 256)
            at = ns * (16 + 80 + 8 * 5 + 80)  # label, transducer, unit, 4 ranges, prefilter: then samples per record
            per_record = [int(signals[at + 8 * i: at + 8 * i + 8]) for i in range(ns)]
            labels = [signals[16 * i: 16 * i + 16].decode("latin-1").strip() for i in range(ns)]
            units = tuple(signals[ns * 96 + 8 * i: ns * 96 + 8 * i + 8].decode("latin-1").strip() for i in range(ns))
            return Layout(int(head[184:192]), int(head[236:244]), 3 if head[:1] == b"\xff" else 2, labels,
                           per_record, not head[88:168].startswith(UNKNOWN_START), units)
        except ValueError:
            return None


class _Reader(pyedflib.EdfReader):
    """EDFlib's reader of a file opened under ``/dev/fd/N`` (:func:`open_reader`): descriptor N is held while it
    reads, so no other reader's name is the same, and closed with it."""

    _fd = -1

    def _close(self) -> None:
        super()._close()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def open_reader(path: str, annotations: int) -> pyedflib.EdfReader:
    """EDFlib's reader of ``path``, reading its annotations or not; damage is one line (InputError).

    EDFlib refuses a path it has open already ("file has already been
    opened": a reader a notebook holds, or one of a run that ended in an
    error, not yet collected), and the refusal breaks the reader that holds
    it: it reads zeros from then on (pyedflib 0.1.42). So the file is opened
    under a name of its own, ``/dev/fd/N`` of a descriptor opened for it.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        fd = -1  # EDFlib says what is wrong with the path, as before
    alias = f"/dev/fd/{fd}" if fd >= 0 and os.path.exists(f"/dev/fd/{fd}") else path
    try:
        with c_stdout_silenced():
            reader = _Reader(alias, annotations_mode=annotations)
    except Exception as e:  # EDFlib reports damage as OSError with its own text, after the path
        if fd >= 0:
            os.close(fd)
        said = str(e).strip().removeprefix(f"{alias}:").strip() or type(e).__name__
        raise InputError(f"{path}: not a readable EDF/BDF file (EDFlib: {said})") from None
    if alias == path and fd >= 0:
        os.close(fd)
    else:
        reader._fd = fd
    return reader


def check_length(path: str) -> Layout | None:
    """The header's record count must match the bytes the file holds; returns the layout.

    EDFlib rejects a file shorter than its header says but reads one that
    is longer only as far as the header says, silently.
    """
    lay = layout(path)
    if lay is not None and (bad := [(lab, n) for lab, n in zip(lay.labels, lay.per_record) if n < 1]):
        raise InputError(f"{path}: the header gives channel {bad[0][0]!r} {bad[0][1]} samples per data record, where "
                         "a channel holds 1 or more: the header is damaged")
    if lay is None or not lay.record_bytes:
        return lay
    size = os.path.getsize(path)
    if lay.records == -1:  # the EDF spec's count while recording: EDFlib reads no such file
        held = (size - lay.header) / lay.record_bytes
        raise InputError(f"{path}: the header gives -1 data records, as a recorder writes while recording (it "
                         f"stopped before closing the file?); the file holds {held:.2f} records: write their whole "
                         "number into the header (EDFbrowser's header editor does) and analyse it again")
    if size != (expected := lay.header + lay.records * lay.record_bytes):
        held = f", {(size - lay.header) / lay.record_bytes:.2f} records" if size > lay.header else ""
        raise InputError(f"{path}: the header says {lay.records} data records ({expected} bytes with the header), "
                         f"but the file holds {size} bytes{held}; the file is damaged or was cut, or its header "
                         "is wrong")
    return lay


def start_unknown(path: str) -> None:
    """Mark the start of the EDF+ file at ``path`` as not known, where EDFlib wrote the time of writing.

    EDF+ (Kemp & Olivan 2003, spec 2.1.3) says so with ``Startdate X`` in the
    recording field; the header's date, which must be a date, becomes
    01.01.85 00.00.00, the earliest EDF can hold, so no reader takes it for
    the night's clock. MNE and EDFbrowser read such a file; ours reads no start.
    """
    with open(path, "r+b") as f:
        head = f.read(184)
        field = head[88:168].decode("ascii", "replace").split(" ")
        rest = " ".join(field[2:]) if field[:1] == ["Startdate"] else " ".join(field)
        f.seek(88)
        f.write(f"{UNKNOWN_START.decode()} {rest}".strip()[:80].ljust(80).encode("ascii", "replace"))
        f.write(b"01.01.8500.00.00")


def check_written(tmp: str, path: str, records: int) -> None:
    """Reopen what was written: EDFlib does not report a failed write (full disk, file-size limit)."""
    try:
        r = open_reader(tmp, pyedflib.DO_NOT_READ_ANNOTATIONS)  # the header and the size: no record read
        found = r.datarecords_in_file
        r.close()
    except InputError:
        found = -1
    if found != records:
        raise OSError(errno.ENOSPC, "the file came out cut short", path)  # said as any full disk (emgcramp.cli)


# EDFlib writes this many bytes of an annotation's text and keeps this many annotation signals, each holding
# one annotation a data record (its EDFLIB_WRITE_MAX_ANNOTATION_LEN; edf_set_number_of_annotation_signals).
ANNOTATION_BYTES, MAX_SLOTS = 40, 64


def pieces(text: str) -> list[str]:
    """``text`` as annotation texts EDFlib writes whole: itself, or its words in pieces of at most
    :data:`ANNOTATION_BYTES` bytes, each but the last ending and each but the first starting with ``..``."""
    if len(text.encode()) <= ANNOTATION_BYTES:
        return [text]
    width, words = ANNOTATION_BYTES - 4, []  # room for the two ".." marks
    for word in text.split(" "):
        while len(word.encode()) > width:  # a word longer than a piece: cut at the last character that fits
            k = max(k for k in range(1, len(word) + 1) if len(word[:k].encode()) <= width)
            words, word = words + [word[:k]], word[k:]
        words.append(word)
    out = [""]
    for word in words:
        if out[-1] and len(f"{out[-1]} {word}".encode()) > width:
            out.append(word)
        else:
            out[-1] = f"{out[-1]} {word}" if out[-1] else word
    return [("" if i == 0 else "..") + p + ("" if i == len(out) - 1 else "..") for i, p in enumerate(out)]
