"""Reading a monitor's night folder (:mod:`emgcramp.io.night` writes it): its event log, its samples with their gaps."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime

import numpy as np

from emgcramp.core.blocks import Block
from emgcramp.core.errors import InputError
from emgcramp.io.base import Recording


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


def unstored(folder: str, seen_s: float, told: int) -> tuple[float, int, str]:
    """What a closed night folder lacks: seconds of samples, event lines, and why (``""``: not said).

    ``seen_s``: seconds of samples the night had (the link's gaps not counted), less those in raw.f32;
    ``told``: records its log was given (each one line once stored), less the lines in events.jsonl.
    """
    try:
        events, rec = read_events(folder), NightRecording(folder)
    except (InputError, OSError):
        return seen_s, told, "the night folder cannot be read back"
    logged = sum(e["missing"] for e in events if e.get("type") == "gap")
    why = next((e["error"] for e in events if e.get("error")), "")
    return seen_s - (rec.n_samples - logged) / rec.fs, told - len(events), why


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
            self.settings: dict = dict(head.get("settings") or {})  # as monitored (mains, min_duration_s, mvc_uv)
        except (OSError, ValueError, KeyError) as e:
            raise InputError(f"{folder}: not a night folder written by emgcramp monitor ({e})") from None
        size = os.path.getsize(os.path.join(folder, "raw.f32"))
        width = 4 * len(self.channel_names)
        self._stored = size // width  # a sample torn by a crash is dropped
        shape = (self._stored, len(self.channel_names))
        self._raw = np.memmap(os.path.join(folder, "raw.f32"), "<f4", "r", shape=shape) \
            if self._stored else np.zeros(shape, "<f4")
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
        if gap:  # the night ended inside a gap (not stored to the end): say how long it was
            yield Block(t0, np.zeros((0, len(channels))), gap)

    def filled(self, channels: list[int], chunk: int) -> Iterator[np.ndarray]:
        """Samples with each gap filled by zeros (for formats without gaps, e.g. EDF)."""
        for b in self.blocks(channels, chunk):
            for i in range(0, b.gap_before, chunk):
                yield np.zeros((min(chunk, b.gap_before - i), len(channels)))
            yield b.samples


def lost_stretches(folder: str, end_s: float) -> list[tuple[float, float, str]]:
    """(onset s, duration s, ``signal lost:CHANNEL``) of each stretch the monitor logged as a flat line.

    A stretch still lost when the log ends runs to ``end_s``.
    """
    out, open_at = [], {}
    for e in read_events(folder):
        if e.get("type") == "signal_lost":
            open_at[e["channel"]] = e["onset_s"]
        elif e.get("type") == "signal_back" and e["channel"] in open_at:
            on = open_at.pop(e["channel"])
            out.append((on, e["offset_s"] - on, f"signal lost:{e['channel']}"))
    return out + [(on, end_s - on, f"signal lost:{ch}") for ch, on in open_at.items()]
