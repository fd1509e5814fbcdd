"""Readers (EDF/EDF+/BDF, WFDB, XDF, CSV/TSV/TXT, NPY, WAV) and writers (events, EDF+).

:data:`FORMATS` is the one table of file formats: :func:`detect_format` and
:func:`open_recording`, batch discovery (``cli/batch.py``) and the text of
``analyze --help`` all read it. :func:`open_recording` picks the reader by
extension, or by the file's first bytes when the extension says nothing,
and returns a :class:`~emgcramp.io.base.Recording` that streams µV blocks.

Importing this package loads no reader and not even NumPy: a reader is
imported when a file of its format is opened, so ``--help`` costs nothing.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
from typing import TYPE_CHECKING, NamedTuple

from emgcramp.core.errors import InputError, settings_note

if TYPE_CHECKING:  # io.base imports NumPy; the table must stay free of it
    from emgcramp.io.base import Recording


class Format(NamedTuple):  # not a dataclass: that module loads ``inspect``, and this table loads with --help
    """A recording format: its name, its reader, and what it needs from the user."""

    name: str  # what detect_format returns
    label: str  # how help texts and errors name it
    reader: str  # "module:callable", imported only when a file of this format is opened
    takes: tuple[str, ...] = ()  # which of fs (Hz), scale (µV per unit), stream the reader is given
    has_rate: bool | None = True  # carries its sampling rate; None: only some files do (a time column)
    extra: str = ""  # the pip extra its reader needs, '' for none


_EDF = Format("edf", "EDF/EDF+/BDF", "emgcramp.io.edf:EdfRecording", ("scale",))  # for channels without a unit
_WFDB = Format("wfdb", "WFDB", "emgcramp.io.wfdb:WfdbRecording", extra="wfdb")
_XDF = Format("xdf", "XDF", "emgcramp.io.xdf:XdfRecording", ("stream",), extra="xdf")
_TEXT = Format("text", "CSV/TSV/text", "emgcramp.io.text:TextRecording", ("fs", "scale"), has_rate=None)
_NPY = Format("npy", "NPY", "emgcramp.io.arrays:open_npy", ("fs", "scale"), has_rate=False)
_WAV = Format("wav", "WAV", "emgcramp.io.arrays:open_wav", ("scale",))  # its rate is in its header
# Found by its first line in a text file (.txt, .csv): the raw files the OpenBCI GUI saves.
OPENBCI = Format("openbci", "OpenBCI GUI raw", "emgcramp.io.openbci:OpenBCIRecording", ("fs",))
NIGHT = Format("night", "monitor night folder", "emgcramp.io.night_reader:NightRecording")  # a folder

# Extension → format. A WFDB record is its header (.hea) with the signal files it names: the
# header stands for the record, and record_parts() says which files are its parts.
FORMATS: dict[str, Format] = {
    ".edf": _EDF, ".bdf": _EDF, ".rec": _EDF,
    ".hea": _WFDB,
    ".xdf": _XDF,
    ".csv": _TEXT, ".tsv": _TEXT, ".txt": _TEXT, ".dat": _TEXT, ".asc": _TEXT,
    ".npy": _NPY,
    ".wav": _WAV,
}
BY_NAME = {f.name: f for f in (*FORMATS.values(), OPENBCI, NIGHT)}  # what detect_format names


def formats_text() -> str:
    """The extensions of every format, grouped, for help texts and errors.

    E.g. ``.edf/.bdf/.rec (EDF/EDF+/BDF), .hea (WFDB, the wfdb extra), …``.
    """
    groups: dict[Format, list[str]] = {}
    for ext, fmt in FORMATS.items():
        groups.setdefault(fmt, []).append(ext)
    parts = []
    for fmt, exts in groups.items():
        notes = [fmt.label] + ([f"the {fmt.extra} extra"] if fmt.extra else [])
        notes += ["needs --fs"] if fmt.has_rate is False else []
        notes += ["--fs without a time column"] if fmt.has_rate is None else []
        parts.append(f"{'/'.join(exts)} ({', '.join(notes)})")
    return ", ".join(parts)


def record_parts(path: str) -> set[str]:
    """Files that are parts of the recording at ``path`` rather than recordings of their own.

    For a WFDB header: the signal files it names, and ``<record>.dat``
    beside it; for a multi-segment header, its segments' headers. Paths
    are normalised; a header that cannot be read names only its
    ``<record>.dat`` (its reader will say what is wrong with it).
    """
    if os.path.splitext(path)[1].lower() != ".hea":
        return set()
    folder, record = os.path.dirname(path), os.path.splitext(os.path.basename(path))[0]
    names = {record + ".dat"}
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            lines = [ln.split() for ln in f if ln.strip() and not ln.lstrip().startswith("#")]
    except OSError:
        lines = []
    # The first line describes the record; a multi-segment one ("name/segments") lists segment
    # records instead of signal files, and those are not opened alone either.
    multi = bool(lines) and "/" in lines[0][0]
    names |= {fields[0] + (".hea" if multi else "") for fields in lines[1:] if fields[0] != "~"}  # ~: no file
    return {os.path.normpath(os.path.join(folder, n)) for n in names}


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


def _is_openbci(head: bytes) -> bool:
    """The first bytes of an OpenBCI GUI raw file: ``%OpenBCI Raw …`` (its columns end in text: a date)."""
    return head.removeprefix(b"\xef\xbb\xbf")[:12].lower() == b"%openbci raw"


def _head(path: str) -> bytes:
    """The first 64 kB of ``path``: what the sniffing reads."""
    with open(path, "rb") as f:
        return f.read(65536)


def _binary(head: bytes) -> bool:
    """``head`` holds control bytes no text file does (NUL, and the others under tab but for none of CR, LF)."""
    return any(b < 9 or 13 < b < 32 and b != 27 for b in head[:4096])


def _holds_numbers(head: bytes) -> bool:
    """A line of the first 64 kB is a row of numbers (comma, tab, semicolon or space separated).

    Decides whether a text file without a known extension is a table of
    samples or some other text (JSON, a log, a kernel ``/proc`` file).
    """
    lines = head.decode("ascii", "replace").splitlines()
    for line in lines[:-1] if len(head) == 65536 else lines:  # a line the read cut short is no row
        fields = [x.strip('"') for x in re.split(r"[,;\s]+", line.strip()) if x]
        try:
            [float(x) for x in fields]
        except ValueError:
            continue
        if fields:
            return True
    return False


def holds_no_samples(path: str, error: InputError) -> bool:
    """Whether ``error``, met opening ``path``, says it holds text and no samples: notes kept beside the
    recordings (a README, a log of the night, an empty file), not a recording that could not be read.

    Only a text-format file (by its extension) that is empty, or that is printable text whose table
    never starts (:class:`~emgcramp.io.text.NotATable`) and holds no row of numbers in its first 64 kB, or
    whose header names every column a time (:class:`~emgcramp.io.text.EventTimes`: marks kept beside a
    recording): a binary file, a table with a bad row or with a row of units under its header is a damaged one.
    """
    if FORMATS.get(os.path.splitext(path)[1].lower()) is not _TEXT or not os.path.isfile(path):
        return False
    if os.path.getsize(path) == 0:
        return True
    from emgcramp.io.text import EventTimes, NotATable

    if not isinstance(error, NotATable):
        return False
    head = _head(path)
    return isinstance(error, EventTimes) or _is_text(head) and not _holds_numbers(head)


def _is_text(head: bytes) -> bool:
    """``head`` (a file's first 64 kB) is text (:mod:`~emgcramp.io.encoding`), printable but for line ends and
    tabs (95 % of it or more)."""
    from emgcramp.io.encoding import LEGACY_BYTES

    text = head.decode("utf-8-sig", errors=LEGACY_BYTES)  # notes saved in Windows-1252 are notes too
    shown = sum(c.isprintable() or c in "\r\n\t" for c in text)
    return "\0" not in text and shown >= 0.95 * max(len(text), 1)


def recordings_in(path: str) -> list[str]:
    """The recordings a folder or glob pattern names (monitor night folders included), sorted.

    A file counts when :data:`FORMATS` knows its extension, it is not a part of another recording there (a
    WFDB record counts once, by its ``.hea``, not again by its ``.dat``), and it is not a table this package
    wrote (an events or ``--lm-events`` CSV kept beside the recordings is a result, not a recording).
    :class:`InputError` when it names none.
    """
    import glob

    from emgcramp.io.events import is_activity_csv, is_events_csv
    from emgcramp.io.secure import is_night_folder

    if os.path.isdir(path):
        names = [os.path.join(path, n) for n in sorted(os.listdir(path))]
    else:
        names = sorted(glob.glob(path))
    files = [n for n in names if is_night_folder(n)
             or (os.path.isfile(n) and os.path.splitext(n)[1].lower() in FORMATS)]
    parts = set().union(*(record_parts(n) for n in files))
    files = _once([n for n in files if os.path.normpath(n) not in parts and not is_events_csv(n)
                   and not is_activity_csv(n)])
    below, what = _folders_below(path) if os.path.isdir(path) else ([], "")
    hint = (f"; its subfolders are not searched ({', '.join(below[:3])}{', …' if len(below) > 3 else ''}): "
            f"give a pattern such as '{os.path.join(path, '*', what)}'") if below else ""
    if not files:
        raise InputError(f"{path}: no recordings found (looked for {', '.join(sorted(FORMATS))} "
                         f"and monitor night folders){hint}")
    if below:
        settings_note(f"{path}: only the files in it are taken ({len(files)}){hint}")
    return files


def _once(files: list[str]) -> list[str]:
    """``files`` with each recording once: a symbolic link to one listed before is left out, in a note."""
    seen: dict[str, str] = {}
    for name in files:
        first = seen.setdefault(os.path.realpath(name), name)
        if first != name:  # counted twice, one night would be two in a table and in trend
            settings_note(f"{name} is the same recording as {first} (a link to it): analysed once")
    return list(seen.values())


def _folders_below(path: str) -> tuple[list[str], str]:
    """The subfolders of folder ``path`` that hold recordings of their own (monitor night folders aside), and
    the pattern (within one) that takes the first one's: ``*.edf``, or ``*`` for night folders."""
    from emgcramp.io.events import is_activity_csv, is_events_csv
    from emgcramp.io.secure import ANSWERS_SUFFIX, is_night_folder

    def recording(full: str, ext: str) -> bool:  # not a table this package wrote, nor notes without numbers
        return ext in FORMATS and not is_events_csv(full) and not is_activity_csv(full) and \
            (FORMATS[ext] is not _TEXT or _holds_numbers(head := _head(full)) or _is_openbci(head))

    below, what = [], ""
    for name in sorted(os.listdir(path)):
        sub = os.path.join(path, name)
        if name.startswith(".") or name.endswith(ANSWERS_SUFFIX) or not os.path.isdir(sub) or is_night_folder(sub):
            continue  # a recording's answers (RECORDING.labels) are no recordings
        with contextlib.suppress(OSError):
            for n in sorted(os.listdir(sub)):
                full, ext = os.path.join(sub, n), os.path.splitext(n)[1].lower()
                if is_night_folder(full) or recording(full, ext):
                    below.append(name)
                    what = what or ("*" if is_night_folder(full) else f"*{ext}")
                    break
    return below, what


def detect_format(path: str) -> str:
    """The :attr:`Format.name` of ``path`` (``night`` for a monitor night folder); else :class:`InputError`."""
    if not os.path.exists(path):
        loop = os.path.islink(path)  # a link to nowhere, or round in a loop
        raise InputError(f"{path}: {'a symbolic link to no file' if loop else 'no such file'}")
    if os.path.isdir(path):
        from emgcramp.io.secure import is_night_folder

        if is_night_folder(path):
            return NIGHT.name
        raise InputError(f"{path}: is a folder, not a recording")
    from emgcramp.io.secure import not_a_file

    st = os.stat(path)
    kind = not_a_file(st.st_mode)
    if kind:  # read past its end it would wait for a writer, or never end; recordings are read more than once
        raise InputError(f"{path}: is {kind}, not a recording file; save the recording to a file and give that")
    # Kernel files (/proc, /sys) say size 0 and still hold text: empty is what reading finds, not the size.
    if st.st_size == 0:
        with open(path, "rb") as f:
            if not f.read(1):
                raise InputError(f"{path}: the file is empty")
    stem, ext = os.path.splitext(path)
    header = next((stem + e for e in (".hea", ".HEA") if os.path.isfile(stem + e)), None)
    if ext.lower() == ".dat" and header and _binary(_head(path)):  # WFDB's samples, not a table of text
        raise InputError(f"{path}: a WFDB record's signal file; give its header, {header}")
    known = FORMATS.get(ext.lower())
    name = known.name if known else _sniff(path)
    if name is None:
        raise InputError(f"{path}: unknown format (expected {formats_text()})")
    if name == _TEXT.name and _is_openbci(_head(path)):
        return OPENBCI.name
    if name == _TEXT.name and not known and not _holds_numbers(_head(path)):  # words, JSON, a log: say what we read
        raise InputError(f"{path}: unknown format: it holds text, not columns of numbers (expected "
                         f"{formats_text()})")
    return name


def open_recording(path: str, fs: float | None = None, scale: float | None = None,
                   stream: str | None = None) -> Recording:
    """Open a recording for streaming.

    Args:
        path: the file, or a monitor night folder.
        fs: sampling rate (Hz) for formats that lack one; checked against
            the rate a format carries (EDF, WAV, a text file's time column…).
        scale: µV per file unit for NPY, WAV, text columns and EDF channels without a unit.
        stream: the stream of an XDF file (name or type).
    """
    fmt = BY_NAME[detect_format(path)]
    given = {"fs": fs, "scale": scale, "stream": stream}
    if scale is not None and "scale" not in fmt.takes:  # never ignored without a word
        raise InputError(f"{path}: --scale is for NPY, WAV, text and EDF files without units; this one carries its own")
    if stream is not None and "stream" not in fmt.takes:
        raise InputError(f"{path}: --stream is for XDF files; this one holds one recording")
    module, _, reader = fmt.reader.partition(":")
    rec: Recording = getattr(importlib.import_module(module), reader)(path, *(given[k] for k in fmt.takes))
    if fs is not None and "fs" not in fmt.takes:
        rec.fs_given = fs  # a file with a rate per channel checks it against those chosen (Recording.select)
    if fs is not None and "fs" not in fmt.takes and all(abs(fs - r) > 1e-6 * r for r in rec.rates if r):
        from emgcramp.core.blocks import MAX_FS_HZ, MIN_FS_HZ

        if fmt is _WAV and not MIN_FS_HZ <= rec.fs <= MAX_FS_HZ:  # a header no sEMG board writes: --fs stands
            settings_note(f"{path}: its header's rate, {rec.fs:g} Hz, is no sEMG rate; read at --fs {fs:g} Hz")
            rec.fs = fs
            return rec
        rec.close()
        rates = sorted({r for r in rec.rates if r})
        raise InputError(f"{path}: --fs {fs:g} Hz disagrees with the file's "
                         f"{' and '.join(f'{r:g}' for r in rates) if len(rates) > 1 else f'{rec.fs:g}'} Hz")
    return rec
