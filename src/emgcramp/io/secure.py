"""Owner-only, all-or-nothing output files for health data."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import IO

from emgcramp.core.errors import InputError
from emgcramp.io.parts import part_prefix, remove_stale_parts

# A monitor night folder is known by the files it holds from its first second
# (io/night.py writes them and imports this module, so they are named here).
NIGHT_FILES = ("raw.json", "raw.f32", "events.jsonl")
# Where a person's answers on a recording are kept, beside it (io/labels.py reads and writes them; they are
# named here for the same reason): RECORDING + ANSWERS_SUFFIX, holding LABELS_FILE.
ANSWERS_SUFFIX, LABELS_FILE = ".labels", "labels.csv"


def is_night_folder(folder: str) -> bool:
    """A monitor night folder: it holds the header a night log writes first (``raw.json``). One that lost its
    other files is still one: read, it says which is missing; written to, it is protected all the same."""
    return os.path.isfile(os.path.join(folder, NIGHT_FILES[0]))


def check_writable(path: str, inputs: Iterable[str] = (), force: bool = True,
                   own: Callable[[str], bool] | None = None, force_is: str = "--force") -> None:
    """Fail early, before hours of work, if ``path`` may not or cannot be written.

    The one rule for every output file a command is asked to write:

    - never one of ``inputs`` (by name, symlink or hard link): it would
      replace the recording with its own results;
    - never a file in a monitor night folder (:func:`is_night_folder`):
      its samples and event log are the night, and only ``monitor`` and
      ``recover`` write there; nor in a recording's answers folder
      (``RECORDING.labels``), which only ``review`` writes;
    - never a folder; a file that exists only with ``force`` (the command
      line's ``--force``; ``False`` refuses it), unless ``own(path)`` says
      it is what this same output wrote before: re-running a command
      replaces its own results, while a recording, a truth file or another
      command's output needs ``--force``.

    ``force_is``: how the caller says ``force``, for the message (the
    Python API's ``overwrite=True``).
    """
    for src in inputs:
        if os.path.exists(path) and os.path.exists(src) and os.path.samefile(path, src):
            raise InputError(f"cannot write {path}: it is the input {src}; choose another output file")
    for folder in {os.path.dirname(os.path.abspath(path)), os.path.dirname(os.path.realpath(path))}:
        if is_night_folder(folder):
            raise InputError(f"cannot write {path}: it is in the night folder {folder}, which holds the night's "
                             "own data; choose a file outside it")
        if folder.endswith(ANSWERS_SUFFIX) and (os.path.isfile(os.path.join(folder, LABELS_FILE))
                                                or os.path.exists(folder[:-len(ANSWERS_SUFFIX)])):
            raise InputError(f"cannot write {path}: it is in {folder}, which keeps the answers given on a "
                             "recording; choose a file outside it")
    if os.path.isdir(path):
        raise InputError(f"cannot write {path}: it is a folder; name a file")
    _check_folder(path)
    if os.path.isfile(os.path.join(path + ANSWERS_SUFFIX, LABELS_FILE)):  # its recording there, or gone
        raise InputError(f"cannot write {path}: {path + ANSWERS_SUFFIX} holds answers given on a recording of that "
                         "name, which would then stand for this one; move them away first")
    if not force and os.path.lexists(path) and not (own is not None and os.path.isfile(path) and own(path)):
        raise InputError(f"{path} exists and is not this command's own earlier output; give {force_is} to replace "
                         "it, or choose another output file")


# What our figures and pages carry in their metadata, so that a later run knows them as its own: the
# package and the command that made it (a trend plot is no report, and one does not replace the other unasked).
MADE_BY = "emgcramp"
REPORT, TREND, BENCH = "report", "trend", "bench"


def made_by(kind: str) -> str:
    """What a figure or page of ``kind`` (:data:`REPORT`, :data:`TREND`, :data:`BENCH`) says made it."""
    return f"{MADE_BY} {kind}"


def made_by_us(kind: str) -> Callable[[str], bool]:
    """The test of :func:`check_writable`'s ``own`` for a figure or page of ``kind`` made earlier (or by an earlier
    version, whose mark named no command: any of ours may replace those, as they could then). The mark counts
    where each format keeps it (a PNG's Software text, a PDF's Creator, an SVG's creator, a page's generator tag):
    the words anywhere else (a user's notes, a recording's header) make no file ours."""
    return functools.partial(_made_by, kind=kind)


def _made_by(path: str, kind: str) -> bool:
    old = re.escape(MADE_BY.encode()) + rb"(?! (?:" + rb"|".join(k.encode() for k in (REPORT, TREND, BENCH)) + rb"))"
    marks = [f(m) for m in (re.escape(made_by(kind).encode()), old)
             for f in (lambda m: rb"tEXtSoftware\x00" + m, lambda m: rb"/Creator \(" + m + rb"\)",
                       lambda m: rb"<dc:title>" + m + rb"</dc:title>", lambda m: rb"content=['\"]" + m + rb"['\"]")]
    ends = _ends(path, 65536)
    return ends is not None and re.search(b"|".join(marks), ends) is not None


def figure_metadata(fmt: str, kind: str) -> dict[str, str]:
    """Matplotlib ``savefig`` metadata naming what made it (:func:`made_by`), for a PNG, PDF or SVG."""
    return {"Software" if fmt == "png" else "Creator": made_by(kind)}


# The files a figure or a night report is written as, by extension: a figure as an image, a report also as a page.
FIGURE_FORMATS = ("png", "pdf", "svg")
PAGE_FORMATS = ("html", "htm")


def output_format(path: str, formats: tuple[str, ...], what: str) -> str:
    """The extension of ``path`` (lower case) when it is one of ``formats``; else :class:`InputError` naming ``what``."""
    ext = path.rsplit(".", 1)[-1].lower() if "." in os.path.basename(path) else ""
    if ext not in formats:
        names = [f".{f}" for f in formats if f != "htm"]
        raise InputError(f"{what} {path}: choose a {', '.join(names[:-1])} or {names[-1]} file")
    return ext


def save_figure(fig, path: str, kind: str, dpi: int = 100) -> None:
    """Save a Matplotlib figure as PNG, PDF or SVG (by extension): whole or nothing, owner-only, known as ours
    (``kind``'s, :func:`made_by`)."""
    fmt = path.rsplit(".", 1)[-1].lower()
    with private_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi, metadata=figure_metadata(fmt, kind))


def mentions_maker(path: str, span: int = 65536, word: str = MADE_BY) -> bool:
    """True when the first or last ``span`` bytes of ``path`` hold ``word`` (default :data:`MADE_BY`: figure
    metadata, a page's meta tag)."""
    ends = _ends(path, span)
    return ends is not None and word.encode() in ends


def _ends(path: str, span: int) -> bytes | None:
    """The first and the last ``span`` bytes of ``path`` (a NUL between them); ``None`` when it cannot be read."""
    try:
        with open(path, "rb") as f:
            head = f.read(span)
            f.seek(max(0, os.fstat(f.fileno()).st_size - span))
            return head + b"\x00" + f.read(span)
    except OSError:
        return None


def not_a_file(mode: int) -> str | None:
    """What a path that is not a regular file is (a pipe, a device, a socket); ``None`` for a file."""
    kinds = {stat.S_ISFIFO: "a pipe", stat.S_ISCHR: "a device", stat.S_ISBLK: "a device", stat.S_ISSOCK: "a socket"}
    return next((kind for test, kind in kinds.items() if test(mode)), None)


def _special(path: str) -> str | None:
    """What ``path`` is when it is a pipe, a device or a socket (links followed); ``None`` for a file or nothing."""
    try:
        return not_a_file(os.stat(path).st_mode)
    except OSError:  # nothing there, or a dangling link: the caller's own words say so
        return None


def check_regular(path: str, what: str) -> None:
    """:class:`InputError` when ``path`` is a pipe, a device, a socket or a folder: read, the first three would wait
    for a writer or never end (``/dev/zero``). ``what``: what the file should have been, for the message."""
    if kind := _special(path) or ("a folder" if os.path.isdir(path) else None):
        raise InputError(f"{path}: is {kind}, not {what}")


def check_night_files(folder: str) -> None:
    """:class:`InputError` when a file of night ``folder`` is a symbolic link, a pipe, a device or a socket.

    The monitor writes them as plain files (``O_NOFOLLOW``); read through a link they would be another
    file (a link to ``/etc/passwd`` was read as a damaged log), and a pipe would wait for a writer.
    """
    for name in NIGHT_FILES:
        path = os.path.join(folder, name)
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            continue  # missing: the reader says which, in its own words
        kind = "a symbolic link" if stat.S_ISLNK(mode) else "a folder" if stat.S_ISDIR(mode) else not_a_file(mode)
        if kind:
            raise InputError(f"{path}: is {kind}, not a file of the night as emgcramp monitor writes it")


def _check_folder(path: str) -> None:
    """The folder ``path`` goes in exists and may be written, and ``path`` is no pipe, device or socket.

    A result is written beside its name and renamed over it: over a device (``/dev/null``) or a pipe, that
    would replace the device with a file, whatever ``--force`` allows.
    """
    if kind := _special(path):
        raise InputError(f"cannot write {path}: it is {kind}, not a file; name a file")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        what = "is a file, not a folder" if os.path.exists(folder) else "does not exist"
        raise InputError(f"cannot write {path}: {folder} {what}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"cannot write {path}: folder {folder} is not writable")
    size, most = len(os.fsencode(os.path.basename(path))), 255  # 255 bytes: the common limit, where none is said
    with contextlib.suppress(OSError, ValueError, AttributeError):  # no pathconf on Windows
        most = os.pathconf(folder, "PC_NAME_MAX")
    if size > most:  # found here, not by the write after hours of work, nor after another output was replaced
        raise InputError(f"cannot write {path}: its name is {size} bytes long, and {folder} takes names of "
                         f"{most} at most; choose a shorter one")


@contextlib.contextmanager
def private_path(path: str) -> Iterator[str]:
    """Yield a temporary 0600 path beside ``path``; rename it into place on success.

    On any error the temporary file is removed, so no half-written file is ever left under the final name. A
    process killed outright cannot remove it: the part files such a run left for the same name are removed
    here, when the next run writes it (:func:`remove_stale_parts`)."""
    _check_folder(path)  # the command checked what it may write; a night's own events.csv is written here too
    folder = os.path.dirname(os.path.abspath(path))
    remove_stale_parts(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=part_prefix(os.path.basename(path)), suffix=".part", dir=folder)
    except OSError as e:  # a folder that takes no new file (/proc): named by the file asked for, not the part file
        raise OSError(e.errno, e.strerror, path) from None
    os.close(fd)  # mkstemp creates it 0600; writers reopen it by name
    try:
        yield tmp
        os.chmod(tmp, 0o600)
        held = getattr(_held, "parts", None)
        if held is None:
            os.replace(tmp, path)
        else:  # put in place with the others of its run (written_together)
            held.append((tmp, path))
    except OSError as e:  # named by the file it was for: the temporary one is gone (a full disk names none)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OSError(e.errno, e.strerror, path) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# The finished part files a run of several outputs holds back until all are written: [(part file, final path)].
_held = threading.local()


@contextlib.contextmanager
def written_together() -> Iterator[None]:
    """Hold back every file :func:`private_path` completes inside it, and put them all in place at its end.

    A command of several outputs (``analyze --events --lm-events --edf-out``, ``simulate``'s EDF and its
    truth) leaves the earlier set whole or the new set whole: an error or a Ctrl-C before the end removes
    every part file held, and the renames at the end run with SIGINT, SIGTERM and SIGHUP held off (the
    first that came is raised once they are done, so the command still ends on it). Only a rename that
    fails part way (its error then names the file) leaves the outputs before it replaced and those after
    it as they were. Nested, the outermost one places.
    """
    if getattr(_held, "parts", None) is not None:
        yield
        return
    _held.parts = parts = []
    try:
        yield
        _held.parts = None
        with _signals_held():
            while parts:
                tmp, path = parts[0]
                try:
                    os.replace(tmp, path)
                except OSError as e:  # this part file and those after it are removed below
                    raise OSError(e.errno, e.strerror, path) from None
                parts.pop(0)
    finally:
        _held.parts = None
        for tmp, _ in parts:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold off SIGINT, SIGTERM and SIGHUP inside it (main thread only); raise the first that came at its end (it ends
    the command, as it would have: a second has nothing left to stop)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []
    before = {sig: signal.signal(sig, lambda signum, _frame: came.append(signum))
              for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        if came:
            signal.raise_signal(came[0])


@contextlib.contextmanager
def private_file(path: str, newline: str | None = "") -> Iterator[IO[str]]:
    """Open a text file for writing that appears at ``path`` only when complete (0600)."""
    with private_path(path) as tmp:
        with open(tmp, "w", newline=newline, encoding="utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
