"""One night for the review page: the analysis, the level timeline and the events in plain words.

The night is analysed once, as ``analyze`` does, through one
:class:`~emgcramp.runner.Runner`; its pipeline also hands over each 50-Hz
bin's envelope as a multiple of the person's rest
(:meth:`~emgcramp.pipeline.Pipeline.take_levels`), placed on a regular
grid of the whole night so the page can draw it against clock time
(NaN where there is no signal: a gap, or before rest is known). The
stretches without signal (gaps, flat lines) are listed by the pipeline's own
sample checks as the blocks pass (:meth:`emgcramp.dsp.samples.SampleChecks.list_losses`).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from emgcramp.core.clock import duration, duration_words
from emgcramp.core.config import SIGNAL_LOST_S
from emgcramp.core.errors import InputError, SettingsWarning
from emgcramp.core.types import Analysis, Episode
from emgcramp.files import CHUNK_S, ReadOptions, Settings, config_for, with_unstored
from emgcramp.io import open_recording
from emgcramp.io.labels import Label, folder_for, read_labels, tally
from emgcramp.review import words


@dataclass
class NightData:
    """An analysed night: ``levels`` (bins × channels, float32, × rest) at ``rate_hz`` from the first sample.

    ``lost``: the stretches without signal, (onset s, offset s, ``gap`` or the flat channel's name).
    ``notes``: what could not apply of the night's recorded settings (a personal adjustment made for
    another model), in words.
    """

    path: str
    analysis: Analysis
    start: datetime | None
    levels: np.ndarray
    rate_hz: float
    on_ratio: float
    lost: list[tuple[float, float, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def labels_folder(self) -> str:
        """Where this night's answers are kept (:func:`emgcramp.io.labels.folder_for`)."""
        return folder_for(self.path)

    def listed(self) -> list[Episode]:
        """The cramps and possible cramps, in time order: the events the page numbers 1, 2, …"""
        return sorted(self.analysis.episodes + self.analysis.possible_cramps, key=lambda e: e.onset_s)


def load_night(path: str, read: ReadOptions = ReadOptions(), config: Settings = None,
               progress: Callable[[int, int | None], None] | None = None) -> NightData:
    """Analyse the recording at ``path`` (a file or a night folder) and keep its level timeline.

    ``config``: the settings, as :func:`emgcramp.files.config_for` takes them
    (``None``: a night folder's recorded ones, its personal adjustment
    included). ``progress(done, total)``: samples per channel, after each
    chunk. Bad input raises :class:`~emgcramp.core.errors.InputError`, as
    ``analyze`` would.
    """
    from emgcramp.core.heap import reuse_freed_buffers
    from emgcramp.runner import Runner, say_doubts

    reuse_freed_buffers()
    with open_recording(path, read.fs, read.scale, read.stream) as rec:
        with warnings.catch_warnings(record=True) as said:  # kept for the page, and shown as they would be
            warnings.simplefilter("always", SettingsWarning)
            config = config_for(rec, config)
        for w in said:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        chs, fs = rec.channel_indices(read.channel), rec.rate()
        names = [rec.channel_names[c] for c in chs]
        runner = Runner(fs, names, config, read.muscles)
        grid: np.ndarray | None = None
        for block in rec.blocks(chs, int(CHUNK_S * fs)):
            runner.admit(block)
            if grid is None:  # the pipeline was built for this first block
                runner.pipe.take_levels()  # the first call starts the collection
                runner.pipe.checks.list_losses(SIGNAL_LOST_S)  # the rule by which the monitor logs signal_lost
                rate = fs / max(1, int(round(fs / config.env_rate)))  # the filter's exact bin rate
                known = rec.n_samples or int(3600 * fs)  # a text file's length is known once it is read
                grid = np.full((int(known / fs * rate) + 2, len(chs)), np.nan, np.float32)
            runner.process(block)
            grid = _place(grid, runner.pipe.take_levels(), (block.t0_sample + len(block.samples)) / fs * rate)
            if progress:
                progress(runner.pipe.samples_seen, rec.n_samples)
        runner.finish()
        if runner.problem():
            raise InputError(f"{path}: {runner.problem()}")
        say_doubts(runner.pipe)
        seen = runner.pipe.end_sample / fs * rate  # the night's timeline, its gaps counted
        grid = _place(grid, runner.pipe.take_levels(), seen)[:int(seen) + 2]
        return NightData(path, with_unstored(rec, runner.analysis(), config), rec.start, grid, rate,
                         config.detector.segment.on_ratio, _unstored_named(rec, runner.pipe.checks.finish()),
                         [str(w.message) for w in said if w.category is SettingsWarning])


def _unstored_named(rec, lost: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """``lost`` with a night folder's gaps that its log says were received but not stored (a full disk) named
    ``not_stored``: the sensor was there; and those its samples were damaged in after they were stored, ``damaged``."""
    from emgcramp.io.night_reader import NightRecording
    from emgcramp.io.unstored import unstored_spans

    if not isinstance(rec, NightRecording):
        return lost
    holes, damaged = unstored_spans(rec), rec.damaged_spans()

    def named(on: float, off: float, what: str) -> str:
        if what == "gap" and any(a < off and on < b for a, b in damaged):
            return "damaged"  # stored, then damaged in the file: the night reader reads them as not stored
        return "not_stored" if what == "gap" and any(a < off and on < b for a, b in holes) else what
    return [(on, off, named(on, off, what)) for on, off, what in lost]


def lost_bands(lost: list[tuple[float, float, str]], start: datetime | None, several: bool = False) -> list[dict]:
    """The stretches without signal for the page: overlapping ones (channels, gaps) merged, each in plain words.

    ``several``: the night has several channels, so a flat line names its own.
    """
    merged: list[list] = []  # [onset s, offset s, {what}]
    for on, off, what in sorted(lost):
        if merged and on <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], off)
            merged[-1][2].add(what)
        else:
            merged.append([on, off, {what}])
    bands = []
    for on, off, what in merged:
        flat = sorted(what - {"gap", "not_stored", "damaged"})
        bands.append({"onset_s": round(on, 3), "offset_s": round(off, 3), "onset_clock": words.clock(start, on),
                      "offset_clock": words.clock(start, off), "duration": duration(off - on),
                      "why": words.lost_why(flat if several else [], "gap" in what, bool(flat), "not_stored" in what,
                                            "damaged" in what)})
    return bands


def _place(grid: np.ndarray, levels: np.ndarray, end_bin: float) -> np.ndarray:
    """``grid`` with ``levels`` (bins × channels) written in so that the last one ends at ``end_bin``.

    The pipeline hands over bins as it finishes them, the newest last; a
    block's bins end with its last sample (within one bin), so they are
    counted back from there. Bins before the grid's start are dropped; a grid
    too short for them (a recording whose length was not known ahead) is
    returned grown, to twice its length at the least.
    """
    n = len(levels)
    if not n:
        return grid
    if int(round(end_bin)) > len(grid):
        more = max(int(round(end_bin)), 2 * len(grid)) - len(grid)
        grid = np.concatenate([grid, np.full((more, grid.shape[1]), np.nan, grid.dtype)])
    stop = int(round(end_bin))
    first = stop - n
    take = levels[max(0, -first):]
    grid[max(0, first):max(0, first) + len(take)] = take[: len(grid) - max(0, first)]
    return grid


def pooled(levels: np.ndarray, factor: int) -> np.ndarray:
    """The largest level of each ``factor`` bins (NaN where all are NaN): a coarser timeline keeps every peak."""
    if factor <= 1:
        return levels
    n = len(levels) // factor * factor
    head = levels[:n].reshape(-1, factor, levels.shape[1])
    tail = levels[n:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN stretch (a gap) stays NaN, as meant
        out = np.nanmax(head, axis=1)
        if len(tail):
            out = np.vstack([out, np.nanmax(tail, axis=0, keepdims=True)])
    return out.astype(np.float32)


def levels_bytes(night: NightData, factor: int = 1) -> bytes:
    """The level timeline as little-endian float32, channel after channel (the page's binary download)."""
    return np.ascontiguousarray(pooled(night.levels, factor).T, dtype="<f4").tobytes()


def event_record(n: int, e: Episode, start: datetime | None, answer: Label | None) -> dict:
    """One listed event for the page: its number, times, words and figures, and the person's answer."""
    word, strength = words.strength(e.peak_x_rest, e.pct_mvc)
    kind, kind_tip = words.KINDS.get(e.kind, (e.kind, e.kind))
    return {"n": n, "tier": e.tier, "onset_s": round(e.onset_s, 3), "offset_s": round(e.offset_s, 3),
            "onset_clock": words.clock(start, e.onset_s), "offset_clock": words.clock(start, e.offset_s),
            "duration": duration(e.duration_s), "duration_s": round(e.duration_s, 3),
            "kind": kind, "kind_tip": kind_tip, "strength": word, "strength_text": strength,
            "x_rest": _known(e.peak_x_rest), "peak_uv": _known(e.peak_intensity),
            "pct_mvc": e.pct_mvc, "probability": None if e.probability is None else round(e.probability, 2),
            "reason": words.REASONS.get(e.reason, e.reason.replace("_", " ")), "channel": e.channel,
            "spectrum": words.spectrum(e.freq_hz, e.freq_drift),
            "answer": None if answer is None else {"label": answer.label, "given_at": answer.given_at}}


def _known(value: float, digits: int = 1) -> float | None:
    """``value`` rounded, or ``None`` when not known (NaN: a cramp known from the night's log alone)."""
    return round(value, digits) if np.isfinite(value) else None


def night_json(night: NightData, title: str = "") -> dict:
    """Everything the page shows of a night but its level timeline (sent apart, as float32)."""
    a, start = night.analysis, night.start
    labels = read_labels(night.labels_folder)
    listed = night.listed()
    events = [event_record(k + 1, e, start, _answer(labels, e)) for k, e in enumerate(listed)]
    spans = [(e.onset_s, e.offset_s) for e in listed]
    missed = [{"onset_s": lab.onset_s, "offset_s": lab.offset_s, "onset_clock": words.clock(start, lab.onset_s),
               "offset_clock": words.clock(start, lab.offset_s), "duration": duration(lab.offset_s - lab.onset_s)}
              for lab in labels if lab.label == "cramp" and not lab.listed
              and not any(lab.overlaps(on, off) for on, off in spans)]
    lm = [m for m in a.movements if m.is_lm]
    lost = lost_bands(night.lost, start, len(a.channels) > 1)
    lost_s = sum(b["offset_s"] - b["onset_s"] for b in lost)
    s = a.summary()
    return {"title": title or _title(night), "start": start.isoformat() if start else None,
            "duration_s": a.duration_s, "rate_hz": night.rate_hz, "bins": len(night.levels),
            "channels": a.channels, "on_ratio": night.on_ratio,
            "summary": words.summary_sentence(a.episodes, a.possible_cramps, len(lm), start, lost_s),
            "counts": {"cramps": len(a.episodes), "possible_cramps": len(a.possible_cramps), "leg_movements": len(lm),
                       "plm": s["leg_movements"]["plm"], "plm_series": s["leg_movements"]["plm_series"],
                       "warnings": len(a.warnings)},
            "events": events, "missed": missed,
            "labels": tally(labels, [(e.onset_s, e.offset_s) for e in a.episodes],
                            [(e.onset_s, e.offset_s) for e in a.possible_cramps]) if labels else None,
            "movements": [[round(m.onset_s, 2), round(m.offset_s, 2), m.series] for m in lm],
            "warnings": [[round(w.onset_s, 2), round(w.offset_s, 2)] for w in a.warnings],
            "signal_lost": lost, "signal_lost_s": round(lost_s, 3),
            "signal_lost_text": duration_words(lost_s) if lost_s >= 0.5 else "", "note": words.NOT_A_DIAGNOSIS,
            "settings_notes": night.notes}


def _answer(labels: list[Label], e: Episode) -> Label | None:
    """The latest answer given over the event's span (as :func:`~emgcramp.io.labels.confirmed` counts it)."""
    answers = [lab for lab in labels if lab.overlaps(e.onset_s, e.offset_s)]
    return max(answers, key=lambda lab: lab.given_at) if answers else None


def _title(night: NightData) -> str:
    name = words.shown(os.path.basename(os.path.normpath(night.path)))
    return f"Night of {night.start:%A %d %B %Y}" if night.start else name
