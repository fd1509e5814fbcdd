"""Owner-only, all-or-nothing output files for health data."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from emgcramp.core.errors import InputError

# A monitor night folder is known by the files it holds from its first second
# (io/night.py writes them and imports this module, so they are named here).
NIGHT_FILES = ("raw.json", "raw.f32", "events.jsonl")


def is_night_folder(folder: str) -> bool:
    """A night folder: it holds the header and the samples a night log writes first."""
    return all(os.path.isfile(os.path.join(folder, name)) for name in NIGHT_FILES[:2])


def check_writable(path: str, inputs: Iterable[str] = (), force: bool = True) -> None:
    """Fail early, before hours of work, if ``path`` may not or cannot be written.

    The one rule for every output file a command is asked to write:

    - never one of ``inputs`` (by name, symlink or hard link): it would
      replace the recording with its own results;
    - never a file in a monitor night folder (:func:`is_night_folder`):
      its samples and event log are the night, and only ``monitor`` and
      ``recover`` write there;
    - never a folder; a file that exists only with ``force`` (the command
      line's ``--force``; ``False`` refuses it).
    """
    for src in inputs:
        if os.path.exists(path) and os.path.exists(src) and os.path.samefile(path, src):
            raise InputError(f"cannot write {path}: it is the input {src}; choose another output file")
    for folder in {os.path.dirname(os.path.abspath(path)), os.path.dirname(os.path.realpath(path))}:
        if is_night_folder(folder):
            raise InputError(f"cannot write {path}: it is in the night folder {folder}, which holds the night's "
                             "own data; choose a file outside it")
    if os.path.isdir(path):
        raise InputError(f"cannot write {path}: it is a folder; name a file")
    if not force and os.path.lexists(path):
        raise InputError(f"{path} exists; give --force to replace it, or choose another output file")
    _check_folder(path)


def _check_folder(path: str) -> None:
    """The folder ``path`` goes in exists and may be written."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError(f"cannot write {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"cannot write {path}: folder {folder} is not writable")


@contextlib.contextmanager
def private_path(path: str) -> Iterator[str]:
    """Yield a temporary 0600 path beside ``path``; rename it into place on success.

    On any error the temporary file is removed, so no half-written file is
    ever left under the final name.
    """
    _check_folder(path)  # the command checked what it may write; a night's own events.csv is written here too
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".part", dir=folder)
    os.close(fd)  # mkstemp creates it 0600; writers reopen it by name
    try:
        yield tmp
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def private_file(path: str, newline: str | None = "") -> Iterator[IO[str]]:
    """Open a text file for writing that appears at ``path`` only when complete (0600)."""
    with private_path(path) as tmp:
        with open(tmp, "w", newline=newline, encoding="utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
