"""The monitor's night folder: crash-safe while written, readable as a recording.

    NIGHT/
      raw.f32        samples × channels, float32 µV, appended, flushed every second
      raw.json       fs, channel names, start time (written first, atomically)
      events.jsonl   one JSON object per line, flushed and fsynced per line:
                     {"type": "gap", "file_sample": k, "missing": m},
                     {"type": "cramp", ...episode...}, {"type": "end", ...}

After ``kill -9`` everything flushed is intact: at most the last second of
raw samples and nothing of the event log is lost (a torn last line is
ignored). :class:`NightRecording` reads the folder like any recording; its
blocks carry the gaps as the live source did.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime

import numpy as np

from emgcramp.blocks import Block
from emgcramp.detect import Episode
from emgcramp.errors import InputError
from emgcramp.io.base import Recording
from emgcramp.io.events import write_json

FLUSH_S = 1.0


def _open_private(path: str, mode: str):
    """A new file, 0600: never one that exists, never through a symlink."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_APPEND, 0o600)
    return os.fdopen(fd, mode)


def new_night_folder(out: str, when: datetime) -> str:
    """Create ``out/night-YYYYmmdd-HHMMSS`` (0700), new: a name in use gets ``-2``, ``-3``, …

    ``out`` itself is created (0700) when missing. A night never appends to
    another, even one started in the same second.
    """
    try:
        os.makedirs(out, mode=0o700, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create the folder {out}: {e.strerror}") from None
    base = os.path.join(out, when.strftime("night-%Y%m%d-%H%M%S"))
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


class NightLog:
    """Writes a night folder as blocks and episodes arrive.

    ``folder`` is created if missing; if it exists it must be empty (as
    :func:`new_night_folder` leaves it), so a night is never written over
    or into another.
    """

    def __init__(self, folder: str, fs: float, channels: list[str], start: datetime | None = None):
        if not os.path.isdir(folder):
            os.makedirs(folder, mode=0o700)
        elif os.listdir(folder):
            raise InputError(f"{folder}: the night folder is not empty; a night is written to a new folder")
        self.folder = folder
        self.start = start or datetime.now().replace(microsecond=0)
        write_json(os.path.join(folder, "raw.json"),
                   {"fs": fs, "channels": channels, "start": self.start.isoformat(), "dtype": "float32"})
        self._raw = _open_private(os.path.join(folder, "raw.f32"), "ab")
        self._events = _open_private(os.path.join(folder, "events.jsonl"), "a")
        self._written = 0
        self._flushed_at = time.monotonic()

    def block(self, b: Block) -> None:
        """Append a block's samples; log its gap first."""
        if b.gap_before:
            self.event({"type": "gap", "file_sample": self._written, "missing": int(b.gap_before)})
        self._raw.write(np.ascontiguousarray(b.samples, dtype="<f4").tobytes())
        self._written += len(b.samples)
        if time.monotonic() - self._flushed_at >= FLUSH_S:
            self.flush()

    def episode(self, e: Episode) -> None:
        self.event({"type": "cramp"} | asdict(e))

    def event(self, record: dict) -> None:
        """Append one line and make it durable now."""
        self._events.write(json.dumps(record, default=float) + "\n")
        self._events.flush()
        os.fsync(self._events.fileno())

    def flush(self) -> None:
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._flushed_at = time.monotonic()

    def close(self, summary: dict | None = None) -> None:
        self.flush()
        if summary is not None:
            self.event({"type": "end"} | summary)
        self._raw.close()
        self._events.close()


def read_events(folder: str) -> list[dict]:
    """The event log's complete lines (a line torn by a crash is skipped)."""
    out = []
    with open(os.path.join(folder, "events.jsonl"), encoding="utf-8") as f:
        for line in f:
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


class NightRecording(Recording):
    """A night folder as a recording; gaps come back as zeros of the right length."""

    def __init__(self, folder: str):
        self.path = folder
        try:
            with open(os.path.join(folder, "raw.json"), encoding="utf-8") as f:
                head = json.load(f)
            self.fs = float(head["fs"])
            self.channel_names = list(head["channels"])
            self.start = datetime.fromisoformat(head["start"])
        except (OSError, ValueError, KeyError) as e:
            raise InputError(f"{folder}: not a night folder written by emgcramp monitor ({e})") from None
        size = os.path.getsize(os.path.join(folder, "raw.f32"))
        width = 4 * len(self.channel_names)
        self._stored = size // width  # a sample torn by a crash is dropped
        self._raw = np.memmap(os.path.join(folder, "raw.f32"), "<f4", "r", shape=(self._stored, len(self.channel_names))) \
            if self._stored else np.zeros((0, len(self.channel_names)), "<f4")
        self._gaps = sorted((e["file_sample"], e["missing"]) for e in read_events(folder) if e.get("type") == "gap")
        self.n_samples = self._stored + sum(m for _, m in self._gaps)

    def blocks(self, channels: list[int], chunk: int) -> Iterator[Block]:
        """Blocks as the monitor saw them: each gap is a ``gap_before``, as live."""
        pos, t0, gap = 0, 0, 0
        for at, missing in self._gaps + [(self._stored, 0)]:
            at = min(at, self._stored)
            for i in range(pos, at, chunk):
                x = np.asarray(self._raw[i:min(i + chunk, at), channels], dtype=np.float64)
                yield Block(t0, x, gap)
                t0, gap = t0 + len(x), 0
            gap += missing
            t0 += missing
            pos = at

    def filled(self, channels: list[int], chunk: int) -> Iterator[np.ndarray]:
        """Samples with each gap filled by zeros (for formats without gaps, e.g. EDF)."""
        for b in self.blocks(channels, chunk):
            for i in range(0, b.gap_before, chunk):
                yield np.zeros((min(chunk, b.gap_before - i), len(channels)))
            yield b.samples
