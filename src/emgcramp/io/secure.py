"""Owner-only, all-or-nothing output files for health data."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from emgcramp.core.errors import InputError


def check_writable(path: str, inputs: Iterable[str] = ()) -> None:
    """Fail early, before hours of work, if ``path`` cannot be created or is one of ``inputs``.

    An output that is an input (by name, symlink or hard link) would replace
    the recording with its own results.
    """
    for src in inputs:
        if os.path.exists(path) and os.path.exists(src) and os.path.samefile(path, src):
            raise InputError(f"cannot write {path}: it is the input {src}; choose another output file")
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
    check_writable(path)
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
