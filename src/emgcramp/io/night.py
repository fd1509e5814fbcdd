"""The monitor's night folder: crash-safe while written, readable as a recording.

    NIGHT/
      raw.f32        samples × channels, float32 µV, appended, flushed every second (or minute of signal)
      raw.json       fs, channel names, start time, the settings chosen (written first, atomically)
      events.jsonl   one JSON object per line, flushed and fsynced per line:
                     {"type": "gap", "file_sample": k, "missing": m},
                     {"type": "cramp", ...episode...}, {"type": "end", ...}

After ``kill -9`` everything flushed is intact: at most the last second (fed faster: minute) of raw samples
and nothing of the event log is lost (a torn last line is ignored). :class:`~emgcramp.io.night_reader.NightRecording`
reads the folder like any recording; its blocks carry the gaps as the live source did.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import time
from collections.abc import Callable
from datetime import datetime

import numpy as np

from emgcramp.core.blocks import Block
from emgcramp.core.errors import InputError
from emgcramp.core.types import Episode, episode_record
from emgcramp.io.events import nulls, write_json
from emgcramp.io.secure import NIGHT_FILES, is_night_folder

FLUSH_S = 1.0
FLUSH_SIGNAL_S = 60.0  # or once this much signal (s) waits, fed fast (a replay, a notebook): a crash loses no more
RETRY_S = 60.0  # a full disk is tried again this often


def _open_private(path: str) -> int:
    """A new file, 0600: never one that exists, never through a symlink."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_APPEND, 0o600)


def remove_if_empty(folder: str) -> None:
    """Remove night ``folder`` when it holds at most its header: no sample, no record (the night never began)."""
    names = os.listdir(folder) if os.path.isdir(folder) else ["-"]
    if set(names) - set(NIGHT_FILES) or any(os.path.getsize(os.path.join(folder, n)) for n in names if n != "raw.json"):
        return
    for name in names:
        os.unlink(os.path.join(folder, name))
    os.rmdir(folder)


def being_monitored(folder: str) -> bool:
    """Whether a monitor is still writing the night in ``folder``: it holds a lock on ``raw.f32`` from the night's
    start until it closes it, which its end, or its death (a crash, kill -9), does."""
    try:
        fd = os.open(os.path.join(folder, NIGHT_FILES[1]), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # a pipe: no wait
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # the shared lock with it


def new_night_folder(out: str, when: datetime | None, label: str = "") -> str:
    """Create ``out/night-YYYYmmdd-HHMMSS`` (0700), new: a name in use gets ``-2``, ``-3``, …

    ``out`` itself is created (0700) when missing. A night never appends to
    another, even one started in the same second. A night without a clock
    (``when`` None: a replay of a recording without a start) is
    ``out/replay-LABEL``: no date is made up for it.
    """
    if is_night_folder(out):  # its files are that night's; a night inside it would pass for part of it
        raise InputError(f"--out {out}: is a night folder; name the folder the nights go in (its parent)")
    if os.path.exists(out) and not os.path.isdir(out):
        raise InputError(f"--out {out}: is a file; name the folder the nights go in")
    try:
        os.makedirs(out, mode=0o700, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create the folder {out}: {e.strerror}") from None
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", label)[:60].strip("._") or "recording"
    base = os.path.join(out, when.strftime("night-%Y%m%d-%H%M%S") if when else f"replay-{safe}")
    for k in range(1, 1000):
        folder = base if k == 1 else f"{base}-{k}"
        try:
            os.mkdir(folder, 0o700)
            return folder
        except FileExistsError:
            continue
        except OSError as e:
            raise InputError(f"cannot create the night folder {folder}: {e.strerror}") from None
    raise InputError(f"cannot create a new night folder beside {base}: too many in use")


def check_free(folder: str) -> None:
    """:class:`InputError` when ``folder`` holds anything: a night is written to a new (or empty) folder."""
    if os.path.isdir(folder) and os.listdir(folder):  # (a file of its name: said where it is made)
        raise InputError(f"{folder}: the night folder is not empty; a night is written to a new folder")


class NightLog:
    """Writes a night folder as blocks and episodes arrive.

    ``folder`` is created if missing; if it exists it must be empty (as
    :func:`new_night_folder` leaves it), so a night is never written over
    or into another. ``start``: the wall-clock time of the first sample
    (default: now); with ``clock`` False the night has none (``start``
    None, no clock times).

    A full disk or a file-size limit does not stop the night: detection
    and alerts go on, :attr:`stopped_since` says since when nothing is
    stored, and writing is tried again every ``retry_s``. Samples that
    could not be stored become a gap (``"reason": "not stored"``), so
    what is stored keeps its time; events wait in memory for the disk.
    """

    def __init__(self, folder: str, fs: float, channels: list[str], start: datetime | None = None,
                 retry_s: float = RETRY_S, on_event: Callable[[dict], None] | None = None,
                 settings: dict | None = None, clock: bool = True):
        try:
            if made := not os.path.isdir(folder):
                os.makedirs(folder, mode=0o700)
        except OSError as e:  # a file of that name ("File exists"), a parent that is a file, or not ours to write
            raise InputError(f"cannot create the night folder {folder}: {e.strerror}") from None
        check_free(folder)  # made: empty
        self.folder, self.fs = folder, float(fs)
        self.on_event = on_event  # also told every event record (a live publisher), stored or not
        # None: the night has no clock (a replay of a recording without a start), so no clock time is made up
        self.start = start or datetime.now().replace(microsecond=0) if clock else None
        self._raw, self._events = self._create(fs, channels, made, settings or {})
        self._events_size = os.fstat(self._events).st_size  # what the log holds whole
        self._width = 4 * len(channels)
        self._pending: list[bytes] = []  # raw samples not yet written
        self._pending_n = 0  # how many
        self._gaps: list[dict] = []  # gap records among them, written after them
        self._waiting: list[bytes] = []  # event lines not yet written
        # samples in raw.f32; dropped since storing stopped; in the gaps logged so far
        self._stored, self._unstored, self._gap_samples = 0, 0, 0
        self.retry_s = retry_s
        self.stopped_since: float | None = None  # time in the night (s) from which nothing is stored
        self.store_error = ""  # why storing last stopped (kept after it resumes)
        self.unstored_s = 0.0  # seconds of samples never stored (counted as their gap is logged, and at close)
        self.lost_events = 0  # event lines still not stored when the night closed
        self._retry_at, self._flushed_at = 0.0, time.monotonic()

    def _create(self, fs: float, channels: list[str], made: bool, settings: dict) -> tuple[int, int]:
        """Write the night's files (raw.json, then the two logs); on a full disk, leave none and say so in one line.

        ``made``: the folder was created here, so it goes too when the night cannot start.
        """
        created: list[str] = []
        fds: list[int] = []
        try:
            write_json(os.path.join(self.folder, "raw.json"),
                       {"fs": fs, "channels": channels, "start": self.start.isoformat() if self.start else None,
                        "dtype": "float32",
                        "settings": settings})
            created.append("raw.json")
            for name in NIGHT_FILES[1:]:
                fds.append(_open_private(os.path.join(self.folder, name)))
                created.append(name)
            fcntl.flock(fds[0], fcntl.LOCK_EX | fcntl.LOCK_NB)  # held while the night runs: see being_monitored
            return fds[0], fds[1]
        except OSError as e:
            for fd in fds:
                os.close(fd)
            for name in created:
                os.unlink(os.path.join(self.folder, name))
            if made:
                os.rmdir(self.folder)
            raise InputError(f"cannot store the night in {self.folder}: {e.strerror or e}") from None

    def block(self, b: Block) -> None:
        """Append a block's samples; log its gap first."""
        if b.gap_before:
            self._gap(int(b.gap_before))
        data = np.ascontiguousarray(b.samples, dtype="<f4").tobytes()
        if self.stopped_since is not None and time.monotonic() < self._retry_at:
            self._unstored += len(data) // self._width
            return
        self._pending.append(data)
        self._pending_n += len(b.samples)
        if time.monotonic() - self._flushed_at >= FLUSH_S or self._pending_n >= FLUSH_SIGNAL_S * self.fs:
            self.flush()

    def _gap(self, missing: int) -> None:
        """Log a gap where the next sample will sit; it is written with those samples, not on its own.

        (Lost BLE frames come many a second: a write and fsync for each would
        cost more than the night's signal.)
        """
        if self._unstored or self.stopped_since is not None:
            self._unstored += missing  # joins the stretch not stored
            return
        self._gap_samples += missing
        record = {"type": "gap", "file_sample": self._stored + self._pending_n, "missing": missing}
        self._gaps.append(record)
        if self.on_event is not None:
            self.on_event(record)

    def episode(self, e: Episode) -> None:
        self.event({"type": "cramp"} | episode_record(e, self.start))

    def event(self, record: dict) -> None:
        """Append one line and make it durable now (or as soon as the disk takes it)."""
        if self.on_event is not None:
            self.on_event(record)
        self._waiting.append((json.dumps(nulls(record), default=float) + "\n").encode("utf-8"))  # JSON: no NaN
        self._write_events()

    def _write_events(self) -> None:
        if not self._waiting:
            return
        try:
            if os.fstat(self._events).st_size != self._events_size:  # a torn line a failed write left: cut first
                os.ftruncate(self._events, self._events_size)
            _write_all(self._events, b"".join(self._waiting))
            os.fsync(self._events)
        except OSError as e:
            with contextlib.suppress(OSError):  # a torn line would swallow the next one (a disk refusing this too:
                os.ftruncate(self._events, self._events_size)  # cut before the next write, above)
            self._stop(e)
            return
        self._events_size = os.fstat(self._events).st_size
        self._waiting.clear()

    def flush(self) -> None:
        """Store the pending samples (or retry storing, when the disk was full)."""
        self._flushed_at = time.monotonic()
        if self.stopped_since is not None:
            if self._flushed_at >= self._retry_at:
                self._resume()
            if self.stopped_since is not None:
                self._drop_pending()
                return
        data, gaps = b"".join(self._pending), self._gaps
        self._pending, self._pending_n, self._gaps = [], 0, []
        if not data and not gaps:
            return
        try:
            if os.fstat(self._raw).st_size != self._stored * self._width:  # a torn sample a failed write left
                os.ftruncate(self._raw, self._stored * self._width)
            _write_all(self._raw, data)
            os.fsync(self._raw)
            self._stored += len(data) // self._width
        except OSError as e:
            # Keep raw.f32 whole samples; what was not stored becomes a gap when storing resumes.
            size = os.fstat(self._raw).st_size
            whole = size - size % self._width
            with contextlib.suppress(OSError):  # a disk that refuses this too (read-only): cut before the next write
                os.ftruncate(self._raw, whole)
            written = whole // self._width - self._stored
            self._stored += written
            self._unstored += len(data) // self._width - written
            lost = [g for g in gaps if g["file_sample"] > self._stored]  # inside what was not stored: join it
            self._unstored += sum(g["missing"] for g in lost)
            self._gap_samples -= sum(g["missing"] for g in lost)
            gaps = gaps[:len(gaps) - len(lost)]
            self._stop(e)
        # After the samples they sit between: a crash in between loses a gap of the last second, never
        # puts one inside samples stored later.
        self._waiting += [(json.dumps(g) + "\n").encode("utf-8") for g in gaps]
        self._write_events()

    def _drop_pending(self) -> None:
        """Samples waiting to be stored join the stretch not stored (they come after what was)."""
        self._unstored += self._pending_n + sum(g["missing"] for g in self._gaps)
        self._gap_samples -= sum(g["missing"] for g in self._gaps)
        self._pending, self._pending_n, self._gaps = [], 0, []

    def _stop(self, e: OSError) -> None:
        self._drop_pending()
        if self.stopped_since is None:
            self.stopped_since = (self._stored + self._gap_samples) / self.fs
            self.store_error = e.strerror or str(e)
        self._retry_at = time.monotonic() + self.retry_s

    def _resume(self) -> None:
        """Try the disk again: the events that waited, then the stretch not stored, as a gap."""
        since, self.stopped_since = self.stopped_since, None
        self._write_events()
        if self.stopped_since is None and self._unstored:
            missing, self._unstored = self._unstored, 0
            self._gap_samples += missing
            self.unstored_s += missing / self.fs
            self.event({"type": "gap", "file_sample": self._stored, "missing": missing, "reason": "not stored",
                        "error": self.store_error})
        if self.stopped_since is not None:
            self.stopped_since = since  # still failing: it stopped when it first did

    def close(self, summary: dict | None = None) -> None:
        """Store what waits (one last try, whatever the retry clock says), the end record, and close.

        Afterwards :attr:`lost_events` counts the event lines the disk
        never took and :attr:`unstored_s` the seconds of samples it never
        took (plus, while the event log is full too, those of the gap not
        logged); the caller says so, as they are nowhere else.
        """
        self._retry_at = 0.0
        self.flush()
        if self._unstored:  # the event log may still take the gap when the samples could not go
            self._retry_at = 0.0
            self._resume()
        if summary is not None:
            self.event({"type": "end"} | summary)
        self.lost_events = len(self._waiting)
        self.unstored_s += self._unstored / self.fs  # a gap the event log could not take
        os.close(self._raw)
        os.close(self._events)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
