"""Part files: the name a result is written under until it is whole, and which ones a killed writer left.

:func:`emgcramp.io.secure.private_path` writes every output beside its final name and renames it into place;
a process killed outright leaves the part file, which the next write of that name removes here.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import time
import zlib

# A part file whose writer cannot be checked (written on another host, or named before part names
# carried their writer) counts as left behind once untouched this long, s. A writer touches its
# file at least every few seconds (records are written as they come); an hour is far beyond that.
STALE_PART_S = 3600.0


def host_tag() -> str:
    """8 hex digits naming where a process id means something: this host, since its boot, in this pid namespace.

    Two containers may share a folder and a host name but not their
    process ids; after a reboot every id of before has ended.
    """
    where = socket.gethostname()
    with contextlib.suppress(OSError):
        where += f"/{os.stat('/proc/self/ns/pid').st_ino}"
    with contextlib.suppress(OSError), open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
        where += "/" + f.read().strip()
    return f"{zlib.crc32(where.encode('utf-8', 'replace')):08x}"


def _part_stem(name: str) -> str:
    """``name`` as a part file's name holds it: whole, or past 180 bytes its first 160 and its CRC, so that a name
    the file system takes (up to 255 bytes) still leaves room for the part file's ~35 more."""
    raw = name.encode("utf-8", "surrogateescape")
    if len(raw) <= 180:
        return name
    return raw[:160].decode("utf-8", "ignore") + f"~{zlib.crc32(raw):08x}"


def part_prefix(name: str) -> str:
    """The start of a part file's name for output ``name``: ``.NAME.PID-HOST.`` (``mkstemp`` adds the rest)."""
    return f".{_part_stem(name)}.{os.getpid()}-{host_tag()}."


def _part_pattern(name: str) -> re.Pattern[str]:
    """Part files of output ``name``, ours and from before part names carried their writer.

    ``.NAME.PID-HOST.XXXXXXXX.part`` now, ``.NAME.XXXXXXXX.part`` before
    (``XXXXXXXX``: ``mkstemp``'s 8 random characters).
    """
    return re.compile(rf"\.{re.escape(_part_stem(name))}\.(?:(\d+)-([0-9a-f]{{8}})\.)?[a-z0-9_]{{8}}\.part")


def _writer_gone(pid: int) -> bool:
    """The process ``pid`` of this host has ended (or is a zombie: killed, not yet reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # another user's process: alive
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return False


def remove_stale_parts(path: str) -> list[str]:
    """Remove part files of ``path`` that an interrupted writer (``kill -9``, power cut) left behind.

    A part file is removed only when all hold: its name is one
    :func:`~emgcramp.io.secure.private_path` makes for this output name, it is a regular file
    (not a link) owned by this user, and its writer is not running — its
    name carries a process id of this host (:func:`host_tag`) that has
    ended, or (no process id to check: another host or container, an
    older name) it has not been written for :data:`STALE_PART_S` s.
    Returns the paths removed.
    """
    folder, name = os.path.split(os.path.abspath(path))
    pattern, host, now = _part_pattern(name), host_tag(), time.time()
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m is None:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not entry.is_file(follow_symlinks=False) or st.st_uid != _uid():
                continue
            checkable = m.group(1) is not None and m.group(2) == host
            if _writer_gone(int(m.group(1))) if checkable else now - st.st_mtime > STALE_PART_S:
                os.unlink(entry.path)
                removed.append(entry.path)
        except OSError:
            continue  # gone meanwhile, or not ours to remove: leave it
    return removed


def _uid() -> int:
    """This user's id (``-1`` where there are none: no file then counts as ours)."""
    return os.geteuid() if hasattr(os, "geteuid") else -1
