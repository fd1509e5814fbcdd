"""Find cramps from Python: in an array, a file, an MNE recording, or block by block as they come."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from emgcramp.api.checks import config_arg, muscle_rows, muscles_arg, mvc_arg, names_arg, start_arg, worded_for_python
from emgcramp.api.result import Result
from emgcramp.core.blocks import Block, as_rate, check_fs
from emgcramp.core.config import PipelineConfig
from emgcramp.core.errors import BadSamples, InputError
from emgcramp.core.settings import config_from
from emgcramp.core.types import Episode
from emgcramp.files import ReadOptions, Settings, analyze_recording
from emgcramp.io import open_recording
from emgcramp.io.memory import ArrayInMemory, MneRaw, samples_array
from emgcramp.io.unstored import store_night_events
from emgcramp.live.monitor import MonitorResult, NightMonitor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


def _config(config: PipelineConfig | None, mvc_uv: float | None) -> PipelineConfig | None:
    """``config`` with the person's MVC level (µV RMS) when one is given; :class:`InputError` for either
    when it is not one."""
    config, mvc_uv = config_arg(config), mvc_arg(mvc_uv)
    if mvc_uv is None:
        return config
    config = config or PipelineConfig()
    return replace(config, detector=config.detector.replace(mvc_uv=float(mvc_uv)))


def _file_settings(config: PipelineConfig | None, mvc_uv: float | None) -> Settings:
    """:func:`_config` for a file: without ``config``, a night folder keeps its recorded settings
    (:func:`emgcramp.files.config_for`), the MVC level replacing only its own."""
    config, mvc = config_arg(config), mvc_arg(mvc_uv)
    if config is None and mvc is not None:
        return functools.partial(_recorded, mvc)
    return _config(config, mvc)


def _recorded(mvc_uv: float, settings: dict[str, Any]) -> PipelineConfig:
    return config_from(settings, mvc_uv=mvc_uv)


@worded_for_python
def find_cramps(x: ArrayLike, fs: float, *, channel_names: Sequence[str] | None = None,
                config: PipelineConfig | None = None, mvc_uv: float | None = None,
                muscles: dict[str, str] | None = None, start: datetime | None = None) -> Result:
    """Find the cramps in surface EMG held in memory.

    Parameters
    ----------
    x : array_like
        Samples in µV, shape ``(n_samples,)`` or ``(n_channels, n_samples)``.
        Several channels are muscles of one leg (a channel named ``TA``, or
        whose ``muscles`` entry is a tibialis, is the tibialis anterior).
    fs : float
        Sampling rate, Hz (200–100 000; sEMG boards use 250–4000).
    channel_names : sequence of str, optional
        One name per channel (default ``calf`` for one, ``ch0``, ``ch1``, … for several).
    config : PipelineConfig, optional
        The settings (default: the package's, mains hum found by itself).
    mvc_uv : float, optional
        The person's maximal voluntary contraction, µV RMS: cramps get ``pct_mvc``.
    muscles : dict, optional
        Channel name → the muscle it records.
    start : datetime, optional
        Wall-clock time of the first sample (cramps then get a clock time).

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
    config = _config(config, mvc_uv)
    rec = ArrayInMemory(x, fs, names_arg(channel_names) or None, start_arg(start))
    muscles_arg(muscles, rec.channel_names)
    read = ReadOptions(channel=muscle_rows(rec.channel_names), muscles=muscles)
    analysis, start = analyze_recording(rec, read, config)
    return Result(analysis, start, lambda: rec)


@worded_for_python
def analyze(path: str, *, fs: float | None = None, scale: float | None = None, channel: str | list[str] | None = None,
            stream: str | None = None, config: PipelineConfig | None = None,
            mvc_uv: float | None = None) -> Result:
    """Find the cramps in a recording on disk, as ``emgcramp analyze`` does, in constant memory.

    Parameters
    ----------
    path : str
        An EDF/EDF+/BDF, WFDB (``.hea``), XDF, CSV/TSV/text, NPY or WAV file,
        or a monitor night folder.
    fs : float, optional
        Sampling rate, Hz, for formats that carry none (NPY, text without a time column).
    scale : float, optional
        µV per file unit, for unit-less formats (NPY, WAV, text).
    channel : str or list, optional
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
    read = ReadOptions(fs=fs, scale=scale, channel=channel, stream=stream)
    with open_recording(path, fs, scale, stream) as rec:
        analysis, start = analyze_recording(rec, read, _file_settings(config, mvc_uv))
    return Result(analysis, start, lambda: open_recording(path, fs, scale, stream), source=path)


@worded_for_python
def from_mne(raw: Any, picks: Any = None, *, config: PipelineConfig | None = None,
             mvc_uv: float | None = None) -> Result:
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
        left out, with a warning). Picked so, channels marked bad
        (``raw.info["bads"]``) are left out; named, they are taken.
    config : PipelineConfig, optional
        As for :func:`find_cramps`.
    mvc_uv : float, optional
        As for :func:`find_cramps`.

    Returns
    -------
    Result
        ``result.to_annotations()`` gives ``mne.Annotations`` for ``raw.set_annotations``.
    """
    config = _config(config, mvc_uv)
    if not callable(getattr(raw, "get_channel_types", None)):
        raise InputError(f"from_mne takes an MNE Raw (mne.io.read_raw_edf(...), say), not a {type(raw).__name__}; "
                         "for a NumPy array, find_cramps(x, fs)")
    rec = MneRaw(raw, picks)
    analysis, start = analyze_recording(rec, ReadOptions(), config)
    return Result(analysis, start, lambda: rec)


class Monitor:
    """Cramps as they happen, from blocks of samples: the loop behind ``emgcramp monitor``.

    Parameters
    ----------
    fs : float
        Sampling rate, Hz.
    channel_names : sequence of str, optional
        One name per channel (default ``calf`` for one, ``ch0``, ``ch1``, … for several).
    folder : str, optional
        A night folder to store every block and event in, crash-safe, and its ``events.csv`` at
        :meth:`finish`, as the ``monitor`` command does (``emgcramp recover`` reads it). Default: nothing stored.
    config : PipelineConfig, optional
        As for :func:`find_cramps`.
    mvc_uv : float, optional
        As for :func:`find_cramps`.
    start : datetime, optional
        Wall-clock time of the first sample (default: now).

    Examples
    --------
    >>> import numpy as np, emgcramp
    >>> m = emgcramp.Monitor(1000)
    >>> x = np.random.default_rng(0).normal(0, 4, 120 * 1000)
    >>> x[40_000:100_000] *= 60
    >>> events = [e for k in range(0, len(x), 100) for e in m.feed(x[k:k + 100])]
    >>> [e["type"] for e in events if e["type"] in ("alert", "cramp")]
    ['alert', 'cramp']
    >>> len(m.finish().cramps)
    1
    """

    @worded_for_python
    def __init__(self, fs: float, channel_names: Sequence[str] | None = None, *, folder: str | None = None,
                 config: PipelineConfig | None = None, mvc_uv: float | None = None,
                 start: datetime | None = None):
        self._names = names_arg(channel_names)
        self._night = NightMonitor(check_fs(as_rate(fs)), self._names, folder, _config(config, mvc_uv),
                                   start=start_arg(start))
        self._next = 0  # index of the next sample
        self._result: Result | None = None  # once finished

    @worded_for_python
    def feed(self, samples: ArrayLike) -> list[dict[str, Any]]:
        """Analyse the next samples; the events they brought.

        Parameters
        ----------
        samples : array_like
            The next samples, µV: shape ``(n,)``, or ``(n_channels, n)``.

        Returns
        -------
        list of dict
            Each event is a dict with a ``type``: ``alert`` (a cramp confirmed
            while under way, once), ``cramp`` (closed, with its duration and
            intensity), ``possible_cramp``, ``warning``, ``retracted``,
            ``signal_lost``, ``signal_back``.

        Raises
        ------
        emgcramp.InputError
            Samples laid out samples × channels, another number of channels than before, or a monitor already
            finished. A NaN, infinite or impossibly large sample: those before it are analysed (and stored) all
            the same, their events in the exception's ``records``, the bad sample's index in ``at``; the next call
            goes on at its time: give it the samples from ``at`` on, the bad one replaced (by the one before it).
        """
        if self._result is not None:
            raise InputError("this Monitor has finished: its signal is closed; start a new Monitor for more samples")
        x = samples_array(samples).astype(np.float64, copy=False)
        block = x[:, None] if x.ndim == 1 else x.T
        self._check_layout(x)
        if not block.size:  # no samples: nothing to analyse, and no channel count to learn from it
            return []
        try:
            new = self._night.feed(Block(self._next, block))
        except BadSamples as e:
            self._next += e.at  # those before it were taken
            raise
        self._next += len(block)
        if not self._names and self._night.runner.pipe is not None:  # the first block named them
            self._names = list(self._night.runner.pipe.channel_names)
        return new

    def _check_layout(self, x: np.ndarray) -> None:
        """:class:`InputError` unless ``x`` is a 1-D block or a channels × samples one with the monitor's channels.

        Until the channels are known (named, or counted from a first block), a block with fewer samples than
        rows is taken for a samples × channels table: name the channels to feed blocks that short."""
        if x.ndim not in (1, 2) or (x.ndim == 2 and x.shape[0] == 0):
            raise InputError(f"samples are a 1-D array or a channels × samples array, not of shape {x.shape}")
        if not x.size:  # no samples: their layout tells nothing
            return
        width = 1 if x.ndim == 1 else x.shape[0]
        n = len(self._names)
        if x.ndim == 2 and width != n and (x.shape[1] == n or (not n and width > x.shape[1])):
            raise InputError(f"a block of shape {x.shape} would be {width} channels of {x.shape[1]} samples: "
                             "give channels × samples (x.T for a samples × channels table), or name the channels "
                             "(channel_names) to feed blocks with fewer samples than channels")
        if n and width != n:
            raise InputError(f"a block of {width} channel(s) for a monitor of {n} ({', '.join(self._names)})")

    @property
    def cramps(self) -> list[Episode]:
        """The cramps closed so far."""
        return list(self._night.runner.episodes)

    @worded_for_python
    def finish(self) -> Result:
        """Close the signal: the cramps still under way are ended there; the whole stream's result.

        Calling it again gives the same result; :meth:`feed` then refuses more samples.

        Returns
        -------
        Result
            Everything found since the first block.

        Raises
        ------
        emgcramp.InputError
            The stream cannot be analysed (no samples were fed, a channel flat throughout, say).
        """
        if self._result is not None:
            return self._result
        if not self._next:
            raise InputError("no samples were fed to this Monitor: nothing to analyse")
        done: MonitorResult = self._night.finish()
        if done.stopped:
            raise InputError(done.stopped)
        self._result = Result(done.analysis, getattr(self._night.log, "start", None))
        if (folder := getattr(self._night.log, "folder", None)) is not None:  # its table, as the monitor command leaves it
            store_night_events(folder, done.analysis.episodes)
        return self._result

