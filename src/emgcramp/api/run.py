"""Find cramps from Python: in an array, a file or an MNE recording (as they come: :mod:`emgcramp.api.monitor`)."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from emgcramp.api.checks import (
    config_arg,
    config_with_mvc,
    muscle_rows,
    muscles_arg,
    mvc_arg,
    names_arg,
    path_arg,
    profile_arg,
    scale_value,
    start_arg,
    with_person,
    worded_for_python,
)
from emgcramp.api.result import Result
from emgcramp.core.blocks import as_rate
from emgcramp.core.config import PipelineConfig
from emgcramp.core.errors import InputError
from emgcramp.core.settings import config_from
from emgcramp.files import ReadOptions, Settings, analyze_recording
from emgcramp.io import open_recording
from emgcramp.io.memory import ArrayInMemory, MneRaw
from emgcramp.live.profile import with_decision

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


def _file_settings(config: PipelineConfig | None, mvc_uv: float | None,
                   profile: str | os.PathLike[str] | None) -> Settings:
    """:func:`~emgcramp.api.checks.config_with_mvc` for a file: without ``config``, a night folder keeps its
    recorded settings (:func:`emgcramp.files.config_for`), the MVC level and a profile's decision replacing
    only their own."""
    config, mvc = config_arg(config), mvc_arg(mvc_uv)
    mvc, decision = profile_arg(profile, mvc)
    if config is None and (mvc is not None or decision is not None):
        return functools.partial(_recorded, mvc, decision)
    return with_person(config, mvc, decision)


def _recorded(mvc_uv: float | None, decision: Any, settings: dict[str, Any]) -> PipelineConfig:
    return with_decision(config_from(settings, mvc_uv=mvc_uv), decision)


@worded_for_python
def find_cramps(x: ArrayLike, fs: float, *, channel_names: Sequence[str] | None = None,
                config: PipelineConfig | None = None, mvc_uv: float | None = None,
                muscles: dict[str, str] | None = None, start: datetime | None = None,
                profile: str | os.PathLike[str] | None = None) -> Result:
    """Find the cramps in surface EMG held in memory.

    Parameters
    ----------
    x : array_like
        Samples in µV, shape ``(n_samples,)`` or ``(n_channels, n_samples)``, or a pandas ``DataFrame``
        of a column a channel (a ``Series``: one), named as a CSV's header is: the name is the channel's, a
        unit at its end scales it to µV (``GM_mV``, ``TA (V)``). Several channels are muscles of one leg (a
        channel named ``TA``, or whose ``muscles`` entry is a tibialis, is the tibialis anterior). The array
        is kept, not copied, for :meth:`Result.plot`.
    fs : float
        Sampling rate, Hz (200–100 000; sEMG boards use 250–4000).
    channel_names : sequence of str, optional
        One name per channel (default a ``DataFrame``'s column names, else ``calf`` for one, ``ch0``,
        ``ch1``, … for several).
    config : PipelineConfig, optional
        The settings (default: the package's, mains hum found by itself).
    mvc_uv : float, optional
        The person's maximal voluntary contraction, µV RMS: cramps get ``pct_mvc``.
    muscles : dict, optional
        Channel name → the muscle it records.
    start : datetime, optional
        Wall-clock time of the first sample (cramps then get a clock time).
    profile : str or path-like, optional
        A calibration profile (``emgcramp calibrate``), as ``--profile`` on the command line: its MVC
        level (unless ``mvc_uv`` is given) and the person's decision learned from their answers
        (``calibrate --learn``).

    Returns
    -------
    Result
        The cramps, possible cramps, leg movements, warnings and rejected bursts.

    Raises
    ------
    emgcramp.InputError
        A signal that cannot be analysed (under 2 s, a channel flat throughout, NaN, a rate that is no number
        or out of range).

    Examples
    --------
    >>> import numpy as np, emgcramp
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(0, 4, 120 * 1000)                  # two minutes of rest at 1 kHz, 4 µV RMS
    >>> x[40_000:100_000] *= 60                           # held from 40 s to 100 s at 60 × rest
    >>> r = emgcramp.find_cramps(x, 1000)
    >>> [(round(c.onset_s), round(c.duration_s), c.kind) for c in r.cramps]
    [(40, 60, 'tonic')]
    """
    config = config_with_mvc(config, mvc_uv, profile)
    rec = ArrayInMemory(x, fs, names_arg(channel_names) or None, start_arg(start))
    read = ReadOptions(channel=",".join(map(str, muscle_rows(rec.channel_names))),
                       muscles=muscles_arg(muscles, rec.channel_names))
    analysis, start = analyze_recording(rec, read, config)
    return Result(analysis, start, functools.partial(_unchanged, rec, rec.sums()))


@worded_for_python
def analyze(path: str | os.PathLike[str], *, fs: float | None = None, scale: float | None = None,
            channel: str | int | list[str | int] | None = None,
            stream: str | None = None, config: PipelineConfig | None = None,
            mvc_uv: float | None = None, profile: str | os.PathLike[str] | None = None) -> Result:
    """Find the cramps in a recording on disk, as ``emgcramp analyze`` does, in constant memory.

    Parameters
    ----------
    path : str or os.PathLike
        An EDF/EDF+/BDF, WFDB (``.hea``), XDF, CSV/TSV/text, NPY or WAV file,
        or a monitor night folder.
    fs : float, optional
        Sampling rate, Hz, for formats that carry none (NPY, text without a time column).
    scale : float, optional
        µV per file unit, for unit-less formats (NPY, WAV, text).
    channel : str, int or list, optional
        A channel name, a 0-based index, ``all``, ``NAME,NAME`` or a list of names (default: the first).
    stream : str, optional
        The stream of an XDF file, by name or type.
    config : PipelineConfig, optional
        As for :func:`find_cramps`. Default: the package's, or for a night
        folder the settings it was monitored with (its personal adjustment
        too, unless made for another version of the decision: then a
        :class:`SettingsWarning` says it is set aside).
    mvc_uv : float, optional
        As for :func:`find_cramps`.
    profile : str or path-like, optional
        As for :func:`find_cramps` (over a night folder's recorded settings, its decision replaces theirs).

    Returns
    -------
    Result
        The cramps, possible cramps, leg movements, warnings and rejected bursts.

    Raises
    ------
    emgcramp.InputError
        A file that cannot be read or analysed (missing, damaged, an unknown
        format or channel, no sampling rate).
    """
    path = path_arg(path, "path")
    fs, scale = None if fs is None else as_rate(fs), scale_value(scale)  # "1000" as find_cramps takes it
    read = ReadOptions(fs=fs, scale=scale, channel=channel, stream=stream)
    with open_recording(path, fs, scale, stream) as rec:
        analysis, start = analyze_recording(rec, read, _file_settings(config, mvc_uv, profile))
    return Result(analysis, start, functools.partial(open_recording, path, fs, scale, stream), source=path)


@worded_for_python
def from_mne(raw: Any, picks: Any = None, *, config: PipelineConfig | None = None,
             mvc_uv: float | None = None, profile: str | os.PathLike[str] | None = None) -> Result:
    """Find the cramps in an MNE-Python ``Raw`` (any reader's), its units converted to µV by MNE.

    Parameters
    ----------
    raw : mne.io.BaseRaw
        The recording; read a chunk at a time (it need not be preloaded).
    picks : str or list, optional
        A channel type (``"emg"``), channel names or indices. Default: the
        EMG channels; when none is typed EMG (an EDF reader types every
        channel ``eeg``), those that are muscles by their names and types, as
        ``--channel all`` takes them (a sleep recording's EEG and ECG are
        left out, with a warning; when none is a muscle so, every data
        channel is taken, with a warning). Picked so, channels marked bad
        (``raw.info["bads"]``) are left out; named, they are taken. Spans annotated ``BAD…`` are
        not read: signal lost, as a link that dropped.
    config : PipelineConfig, optional
        As for :func:`find_cramps`.
    mvc_uv, profile : optional
        As for :func:`find_cramps`.

    Returns
    -------
    Result
        ``result.to_annotations()`` gives ``mne.Annotations`` for ``raw.set_annotations``.
    """
    config = config_with_mvc(config, mvc_uv, profile)
    if not callable(getattr(raw, "get_channel_types", None)) or not hasattr(raw, "n_times"):  # Epochs have no n_times
        raise InputError(f"from_mne takes an MNE Raw (mne.io.read_raw_edf(...), say), not {type(raw).__name__}; "
                         "for a NumPy array, find_cramps(x, fs)")
    rec = MneRaw(raw, picks)
    analysis, start = analyze_recording(rec, ReadOptions(), config)
    return Result(analysis, start, functools.partial(_given, rec))


def _unchanged(rec: ArrayInMemory, sums: list[float]) -> ArrayInMemory:
    """The array a result was analysed from, as :meth:`Result.plot` reopens it; :class:`InputError` when its
    caller changed it since (it is kept, not copied: its plot would not be of the signal analysed)."""
    if rec.sums() != sums:
        raise InputError("the array given to find_cramps has changed since it was analysed (it is kept, not "
                         "copied): its plot would not be of the signal analysed; to change the array after, "
                         "analyse a copy (find_cramps(x.copy(), fs))")
    return rec


def _given(rec: Any) -> Any:
    """The recording a result was analysed from, as :meth:`Result.plot` reopens it (a module function: a result
    pickles, to come back from a process pool)."""
    return rec
