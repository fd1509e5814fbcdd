"""Analyse a recording on disk: open it, stream it through one pipeline, in constant memory.

The library entry point behind ``emgcramp analyze``, for one file (the
command line runs it file by file in batch mode, on a process pool or Dask).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from emgcramp.core.config import PipelineConfig
from emgcramp.core.errors import InputError, SettingsWarning
from emgcramp.core.heap import reuse_freed_buffers
from emgcramp.core.settings import PERSONAL_SETTINGS, config_from
from emgcramp.core.types import Analysis
from emgcramp.io import open_recording

if TYPE_CHECKING:
    from emgcramp.io.base import Recording

# The settings to judge a recording by: fixed, or made from the settings the recording holds (see config_for).
Settings = PipelineConfig | Callable[[dict], PipelineConfig] | None

# Recordings are streamed in chunks this long (s): long enough for the kernels to run at
# full speed, short enough that memory does not depend on the recording's length.
CHUNK_S = 60.0


@dataclass(frozen=True)
class ReadOptions:
    """How to read a recording.

    ``fs``: sampling rate (Hz) for formats that do not carry one; ``scale``:
    µV per file unit for unit-less formats; ``channel``: a name, a 0-based
    index, ``all`` or ``NAME,NAME`` (default: the first channel); ``stream``:
    the stream of an XDF file; ``muscles``: channel name → the muscle it
    records (from a BIDS ``_channels.tsv``), kept in the analysis's
    ``muscles`` and read by the several-muscle step (a tibialis is told by it).
    """

    fs: float | None = None
    scale: float | None = None
    channel: str | int | list[str | int] | None = None
    stream: str | None = None
    muscles: dict[str, str] | None = None


def config_for(rec: Recording, config: Settings) -> PipelineConfig:
    """The settings to judge ``rec`` by.

    ``config`` itself; when it is a callable, what it returns given the
    settings ``rec`` holds (a night folder's: mains, minimum duration, MVC and
    personal adjustment, :func:`~emgcramp.core.settings.settings_of`; ``{}``
    for any other file); ``None``: those recorded settings themselves, so a
    monitored night is judged as it was judged live. A recorded personal
    adjustment is used only with the model it was made for
    (:func:`~emgcramp.detect.model.other_model`); when it would have been
    used with another, a :class:`~emgcramp.core.errors.SettingsWarning` says
    so and the night is judged by the general decision.
    """
    if config is not None and not callable(config):
        return config
    settings = dict(getattr(rec, "settings", None) or {})  # only a night folder records them
    make = config or config_from
    chosen = make(settings)
    if "model" in settings and any(k in settings for k in PERSONAL_SETTINGS):
        from emgcramp.detect.model import model_id, other_model

        rest = {k: v for k, v in settings.items() if k not in PERSONAL_SETTINGS}
        if (other := other_model(settings)) and _adjustment(general := make(rest)) != _adjustment(chosen):
            warnings.warn(f"{rec.path}: the personal adjustment it was monitored with was made for another version "
                          f"of the cramp decision (model {other}, this emgcramp has {model_id()}): the night is "
                          "judged by the general decision", SettingsWarning, stacklevel=2)
            chosen = general
    return chosen


def _adjustment(config: PipelineConfig) -> tuple:
    judge = config.detector.judge
    return judge.personal_logit_offset, judge.personal_weights


def analyze_file(path: str, read: ReadOptions = ReadOptions(), config: Settings = None,
                 progress: Callable[[int, int | None], None] | None = None) -> tuple[Analysis, datetime | None]:
    """The analysis of the recording at ``path`` and its start time (``None`` when it has none).

    ``config``: see :func:`config_for`. ``progress(done, total)`` is called
    with samples per channel after each chunk. Bad input raises
    :class:`~emgcramp.core.errors.InputError`.
    """
    with open_recording(path, read.fs, read.scale, read.stream) as rec:
        return analyze_recording(rec, read, config, progress)


def analyze_recording(rec: Recording, read: ReadOptions = ReadOptions(), config: Settings = None,
                      progress: Callable[[int, int | None], None] | None = None) -> tuple[Analysis, datetime | None]:
    """:func:`analyze_file` for a recording already open (a file's, an array's, an MNE Raw's)."""
    reuse_freed_buffers()
    chs = rec.channel_indices(read.channel)
    fs = rec.rate()
    config = config_for(rec, config)
    from emgcramp.runner import run_blocks  # Numba loads only for a usable input

    total = rec.n_samples
    tick = (lambda done: progress(done, total)) if progress else None
    names = [rec.channel_names[c] for c in chs]
    try:
        result = run_blocks(rec.blocks(chs, int(CHUNK_S * fs)), fs, names, config, tick, read.muscles, rec.path)
    except InputError as e:  # what the signal turned out to be (too short, NaN at 3 h): said of this recording
        raise InputError(str(e) if str(e).startswith(f"{rec.path}:") else f"{rec.path}: {e}") from None
    return with_unstored(rec, result, config), rec.start


def with_unstored(rec: Recording, analysis: Analysis, config: PipelineConfig) -> Analysis:
    """A night folder's analysis with the cramps alerted live whose samples never reached the disk.

    They come from the night's log, flagged ``not_stored``
    (:func:`emgcramp.io.unstored.unstored_cramps`), when they clear the
    night's cramp threshold and shortest duration as judged now; a possible
    cramp that is the stored part of one is its, not listed again. Any other
    recording's analysis is returned as it is.
    """
    from emgcramp.io.night_reader import NightRecording

    if not isinstance(rec, NightRecording):
        return analysis
    kept = kept_from_log(rec, analysis.episodes, config, analysis.thresholds[0])
    if not kept:
        return analysis
    possible = [p for p in analysis.possible_cramps if not any(k.onset_s < p.offset_s and p.onset_s < k.offset_s
                                                               for k in kept)]
    return replace(analysis, episodes=sorted(analysis.episodes + kept, key=lambda e: e.onset_s),
                   possible_cramps=possible)


def kept_from_log(rec, found: list, config: PipelineConfig, at: float) -> list:
    """The cramps a night folder's log holds where no samples were stored and ``found`` (the stored samples'
    cramps) has none (:func:`emgcramp.io.unstored.unstored_cramps`), that clear the cramp threshold ``at``
    (a probability) and the shortest duration as judged now."""
    from emgcramp.io.unstored import unstored_cramps

    shortest = config.detector.judge.min_duration_s
    return [e for e in unstored_cramps(rec.path, rec, found)
            if not (e.probability is not None and e.probability < at - 5e-4) and e.duration_s >= shortest]
