"""A person's labelled nights: the night folders with answers, each analysed again with its candidate log.

``emgcramp calibrate --learn`` reads them (:mod:`emgcramp.cli.learn`); the
fit itself is :mod:`emgcramp.detect.personal`.
"""

from __future__ import annotations

import os

from emgcramp.core.config import PipelineConfig
from emgcramp.core.errors import InputError
from emgcramp.core.settings import config_from
from emgcramp.io.labels import Label, read_labels
from emgcramp.io.secure import is_night_folder

# Night folders are read in blocks this long (s), as ``recover`` reads them (emgcramp.files.CHUNK_S).
CHUNK_S = 60.0


def labelled_nights(root: str) -> list[str]:
    """The night folders at or under ``root`` that hold at least one answer, in name (so time) order."""
    if not os.path.isdir(root):
        raise InputError(f"{root}: {'not a folder' if os.path.exists(root) else 'no such folder'} of nights")
    found = []
    for folder, dirs, _files in os.walk(root):
        dirs.sort()
        if is_night_folder(folder):
            dirs.clear()  # a night folder holds no other nights
            if read_labels(folder):
                found.append(folder)
    return sorted(found)


def night_candidates(folder: str) -> tuple[list, list[Label], PipelineConfig, float]:
    """One night analysed again, as it was monitored.

    Returns
    -------
    log : list of (onset s, offset s, Features, rises)
        Every candidate burst the detectors weighed (:attr:`emgcramp.pipeline.Pipeline.candidate_log`).
    labels : list of Label
        The night's answers.
    config : PipelineConfig
        The settings it was monitored with (its ``raw.json``), without any personal adjustment or chosen
        cramp threshold.
    hours : float
        How much signal the night holds, h.
    """
    from emgcramp.io.night_reader import NightRecording
    from emgcramp.runner import Runner  # Numba loads only for a night that can be read

    rec = NightRecording(folder)
    # Learned afresh against the general decision and its own threshold: a --cramp-threshold chosen for a
    # night says where that night's alarms fell, not what the person's bursts are.
    config = config_from({k: v for k, v in rec.settings.items() if k != "cramp_probability"}, personal=False)
    runner, log = Runner(rec.fs, rec.channel_names, config), []
    for block in rec.blocks(list(range(len(rec.channel_names))), int(CHUNK_S * rec.fs)):
        runner.admit(block)
        if runner.pipe.candidate_log is None:  # the pipeline is built by the first block
            runner.pipe.candidate_log = log
        runner.process(block)
    runner.finish()
    if runner.problem():
        raise InputError(f"{folder}: {runner.problem()}")
    return log, read_labels(folder), config, runner.pipe.samples_seen / rec.fs / 3600.0
