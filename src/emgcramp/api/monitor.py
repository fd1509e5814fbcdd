"""Cramps from Python block by block, as they come: the loop behind ``emgcramp monitor``."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from emgcramp.api.checks import config_with_mvc, muscle_rows, names_arg, path_arg, start_arg, worded_for_python
from emgcramp.api.result import Result
from emgcramp.core.blocks import Block, as_rate, check_fs
from emgcramp.core.config import PipelineConfig
from emgcramp.core.errors import BadSamples, InputError
from emgcramp.core.types import Episode
from emgcramp.io import open_recording
from emgcramp.io.memory import column_names, is_table, layout_error, samples_array, series_as_table
from emgcramp.io.night import check_free
from emgcramp.io.unstored import store_night_events
from emgcramp.live.monitor import MonitorResult, NightMonitor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


class Monitor:
    """Cramps as they happen, from blocks of samples: the loop behind ``emgcramp monitor``.

    Parameters
    ----------
    fs : float
        Sampling rate, Hz.
    channel_names : sequence of str, optional
        One name per channel (default the columns of a ``DataFrame`` fed first, else ``calf`` for one, ``ch0``,
        ``ch1``, … for several). Rows named for
        something else than a muscle (``ECG``, ``EEG C3``) are left out, as :func:`find_cramps` leaves them.
    folder : str or os.PathLike, optional
        A night folder to store every block and event in, crash-safe, and its ``events.csv`` at
        :meth:`finish`, as the ``monitor`` command does (``emgcramp recover`` reads it). Default: nothing stored.
    config : PipelineConfig, optional
        As for :func:`find_cramps`.
    mvc_uv : float, optional
        As for :func:`find_cramps`.
    start : datetime, optional
        Wall-clock time of the first sample (default: now).
    profile : str or os.PathLike, optional
        As for :func:`find_cramps`.

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

    _names: list[str]
    _rows: list[int] | None
    _night: NightMonitor

    @worded_for_python
    def __init__(self, fs: float, channel_names: Sequence[str] | None = None, *,
                 folder: str | os.PathLike[str] | None = None,
                 config: PipelineConfig | None = None, mvc_uv: float | None = None,
                 start: datetime | None = None, profile: str | os.PathLike[str] | None = None):
        self._fs, self._folder = check_fs(as_rate(fs)), path_arg(folder, "folder") if folder is not None else None
        if self._folder is not None:
            check_free(self._folder)  # said here, not at the first block
        self._config, self._start = config_with_mvc(config, mvc_uv, profile), start_arg(start)
        self._name(names_arg(channel_names))
        self._next = 0  # index of the next sample
        self._result: Result | None = None  # once finished

    @worded_for_python
    def feed(self, samples: ArrayLike) -> list[dict[str, Any]]:
        """Analyse the next samples; the events they brought.

        Parameters
        ----------
        samples : array_like
            The next samples, µV: shape ``(n,)``, ``(n_channels, n)``, or a ``DataFrame`` of a column a channel.

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
        samples = series_as_table(samples)
        table = is_table(samples)
        if table:  # a row a sample, a column a channel: named by its columns (a column of text said by name)
            names, scales = column_names(samples, named_by_caller=bool(self._names))
        x = samples_array(samples).astype(np.float64, copy=False)
        if table:  # in µV by the columns' units, whoever names the channels
            if names is not None:
                self._take_table(names)
            x = x * scales[:, None]
        block = x[:, None] if x.ndim == 1 else x.T
        self._check_layout(x, table)
        if not block.size:  # no samples: nothing to analyse, and no channel count to learn from it
            return []
        if self._rows is not None and len(self._rows) < block.shape[1]:
            block = block[:, self._rows]
        try:
            new = self._night.feed(Block(self._next, block))
        except BadSamples as e:
            self._next += e.at  # those before it were taken
            raise
        self._next += len(block)
        if not self._names and self._night.runner.pipe is not None:  # the first block named them
            self._names = list(self._night.runner.pipe.channel_names)
        return new

    def _name(self, names: list[str]) -> None:
        """Name the channels (``[]``: counted from the first block) and make the night of the rows analysed."""
        rows = muscle_rows(names) if names else None  # before any is kept: a refusal leaves the monitor unnamed
        # the rows analysed (and stored): the muscles', as find_cramps takes them; None: every row
        self._names, self._rows = names, rows
        analysed = [names[i] for i in rows] if rows is not None else []
        self._night = NightMonitor(self._fs, analysed, self._folder, self._config, start=self._start)

    def _take_table(self, names: list[str]) -> None:
        """A table's column ``names`` as the channels' when none were given before the first block; else
        :class:`InputError` unless they are the monitor's."""
        if not self._names and self._night.log is None:  # nothing stored yet (a first block refused stores some)
            self._name(names)
            return
        pipe = self._night.runner.pipe  # a night opened by a refused first block: under the names it made
        known = self._names or (list(pipe.channel_names) if pipe is not None else [])
        if [n.lower() for n in names] != [n.lower() for n in known]:
            raise InputError(f"the table's columns ({', '.join(names)}) are not the monitor's channels "
                             f"({', '.join(known)})")

    def _check_layout(self, x: np.ndarray, table: bool = False) -> None:
        """:class:`InputError` unless ``x`` is a 1-D block or a channels × samples one with the monitor's channels.

        Until the channels are known (named, or counted from a first block), a block with fewer samples than
        rows is taken for a samples × channels table: name the channels to feed blocks that short."""
        if x.ndim not in (1, 2) or (x.ndim == 2 and x.shape[0] == 0):
            raise InputError(f"samples are a 1-D array or a channels × samples array, not of shape {x.shape}")
        if not x.size:  # no samples: their layout tells nothing
            return
        width = 1 if x.ndim == 1 else x.shape[0]
        n = len(self._names)
        if x.ndim == 2 and width != n and ((x.shape[1] == n and not table) or (not n and width > x.shape[1])):
            raise InputError(layout_error(width, x.shape[1], table, "a block") + ", or name the channels "
                             "(channel_names) to feed blocks with fewer samples than channels")
        if n and width != n:
            raise InputError(f"a block of {width} channel(s) for a monitor of {n} ({', '.join(self._names)})")

    def __repr__(self) -> str:
        state = "finished" if self._result is not None else f"{self._next / self._fs:.1f} s fed"
        return (f"<Monitor: {self._fs:g} Hz, {state}, {len(self.cramps)} cramp(s) so far"
                + (f", night folder {self._folder}>" if self._folder else ">"))

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
        folder = getattr(self._night.log, "folder", None)
        reopen = functools.partial(open_recording, folder) if folder is not None else None  # plot() reads it
        self._result = Result(done.analysis, getattr(self._night.log, "start", None), reopen, folder)
        if folder is not None:  # its table, as the monitor command leaves it
            store_night_events(folder, done.analysis.episodes)
        return self._result

