"""Signals already in memory, as recordings: a NumPy array, an MNE ``Raw``.

They stream through the same :class:`~emgcramp.io.base.Recording` interface as
files, so an array from a notebook is analysed exactly as the same samples
read from an EDF file would be.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

from emgcramp.core.blocks import MIN_SIGNAL_S, Block, as_rate
from emgcramp.core.channels import default_names, is_emg
from emgcramp.core.errors import InputError, settings_note
from emgcramp.io.base import Recording

# Samples summed at a time by ArrayInMemory.sums (8 MB of float64).
SUMS_CHUNK = 1 << 20
# Under this every sample of a row (µV): no electrode reads so little; samples in volts read 1e-6 of what they are.
TINY_UV = 1e-3


def samples_array(x: Any) -> np.ndarray:
    """``x`` as an array of real numbers (µV), else :class:`InputError` in one line: a file's name, rows of
    different lengths, text, booleans or complex numbers are no samples."""
    if isinstance(x, (str, bytes, os.PathLike)):
        raise InputError(f"samples are numbers, not the name {os.fsdecode(x)!r}: a file is read with "
                         "emgcramp.analyze(path)")
    if is_table(x):  # pandas: a row a sample, a column a channel; its own nullable numbers (Float64) too
        numbers = all(getattr(kind, "kind", "O") in "iuf" for kind in x.dtypes)
        x = (x.to_numpy(dtype=np.float64, na_value=np.nan) if numbers else x.to_numpy()).T
    try:
        data = np.asarray(x)
    except ValueError:  # rows of different lengths
        raise InputError("samples are an array of numbers with rows (channels) of one length") from None
    if not np.issubdtype(data.dtype, np.number) or data.dtype.kind in "cm":  # NumPy counts durations as numbers
        raise InputError(f"samples must be real numbers (µV), not {data.dtype}")
    return data


def layout_error(channels: int, samples: int, table: bool, what: str = "an array") -> str:
    """What ``what``, read as ``channels`` channels of ``samples`` samples (fewer than its channels), was meant as."""
    if table:
        return (f"a table of {samples} rows and {channels} columns would be {channels} channels of {samples} "
                "samples: a row a sample, a column a channel (df.T for a table of a row per channel)")
    return (f"{what} of shape {(channels, samples)} would be {channels} channels of {samples} samples: "
            "give channels × samples (x.T for a samples × channels table)")


def series_as_table(x: Any) -> Any:
    """A pandas ``Series`` named by a string as a table of its one column (named so, as a DataFrame's column
    is); anything else as it is (a Series numbered by pandas, ``df[2]``, is one channel of no name)."""
    named = getattr(x, "ndim", None) == 1 and hasattr(x, "to_frame") and isinstance(getattr(x, "name", None), str)
    return x.to_frame() if named else x


def is_table(x: Any) -> bool:
    """Whether ``x`` is a table of named columns (a pandas ``DataFrame``), told without importing pandas."""
    return getattr(x, "ndim", None) == 2 and hasattr(x, "columns") and hasattr(x, "to_numpy")


def column_names(x: Any, named_by_caller: bool = False) -> tuple[list[str] | None, np.ndarray]:
    """The channel names of a table's columns and µV per unit of each, read as a CSV's header is (``calf_mV``:
    ``calf``, 1000); None for pandas' own numbering (0, 1, …: no names given); :class:`InputError` for a column
    of times, of sample numbers or of another instrument's unit, or two columns of one name.

    ``named_by_caller``: the caller names the channels, so labels that name none (numbers left after a column
    was dropped, one name twice) are no error: None, and the units any name gives."""
    from emgcramp.io.text import INDEX_NAMES, time_scale
    from emgcramp.io.text_fields import foreign_unit, named, unit_of

    if getattr(x.columns, "nlevels", 1) > 1:
        raise InputError("the table's columns are named on several levels (a MultiIndex): name each column once, "
                         "its unit at its end (x.columns = ['GM_mV', …])")
    if text := next((c for c, kind in zip(x.columns, x.dtypes) if getattr(kind, "kind", "O") not in "iuf"), None):
        raise InputError(f"the table's column {text!r} holds no numbers (µV): drop it (x.drop(columns={text!r}))")
    if list(x.columns) == list(range(x.shape[1])):
        return None, np.ones(x.shape[1])
    given = [str(c) for c in x.columns]
    if not all(isinstance(c, str) and c.strip() for c in x.columns):
        if named_by_caller:
            return None, np.ones(x.shape[1])
        raise InputError(f"the table's columns are the channels' names, non-empty strings, not {given!r}")
    if time_scale(given[0]) is not None or given[0].strip().lower() in INDEX_NAMES:  # as a CSV's first column
        raise InputError(f"the table's column {given[0]!r} holds times or sample numbers, not samples: "
                         f"drop it (x.drop(columns={given[0]!r})) and give the rate as fs")
    for name in given:
        if unit := foreign_unit(name):
            raise InputError(f"the table's column {name!r} is in {unit}, not a voltage: drop it "
                             f"(x.drop(columns={name!r}))")
    names = named(given)
    lowered = [n.lower() for n in names]
    scales = np.array([unit_of(n) or 1.0 for n in given])
    if twice := next((n for n in names if lowered.count(n.lower()) > 1), None):
        if named_by_caller:
            return None, scales
        raise InputError(f"the table names {twice!r} twice (names are matched whatever their case): "
                         "name each column for its own channel")
    return names, scales


class ArrayInMemory(Recording):
    """A 1-D array (one channel) or a channels × samples array, in µV, sampled at ``fs`` Hz.

    Parameters
    ----------
    x : array_like
        Samples in µV: shape ``(n_samples,)`` or ``(n_channels, n_samples)``
        (the layout of MNE and SciPy), or a pandas ``DataFrame`` of a column a channel (a ``Series``: one).
    fs : float
        Sampling rate, Hz.
    channel_names : sequence of str, optional
        One name per channel (default a ``DataFrame``'s column names, else ``calf`` for one, ``ch0``,
        ``ch1``, … for several).
    start : datetime, optional
        Wall-clock time of the first sample.
    """

    def __init__(self, x: Any, fs: float, channel_names: Sequence[str] | None = None,
                 start: datetime | None = None):
        x = series_as_table(x)
        table, self._scales = is_table(x), None
        if table:
            names, scales = column_names(x, named_by_caller=channel_names is not None)
            channel_names = names if channel_names is None else channel_names
            self._scales = scales if (scales != 1.0).any() else None  # applied a chunk at a time: no copy
        data = given = samples_array(x)
        if data.ndim == 1:
            data = data[None, :]
        if data.ndim != 2 or data.size == 0:
            raise InputError("expected a 1-D array or a channels × samples array, got "
                             f"{'no samples, ' if data.ndim == 2 else ''}shape {np.shape(given)}")
        if data.shape[0] > data.shape[1]:  # more channels than samples: the other layout
            raise InputError(layout_error(data.shape[0], data.shape[1], table))
        if isinstance(channel_names, str):
            raise InputError(f"channel_names is a list of names, one per channel, not the string {channel_names!r}")
        names = list(channel_names) if channel_names is not None else default_names(len(data))
        if len(names) != len(data):
            raise InputError(f"{len(names)} channel name(s) for {len(data)} channel(s) "
                             "(a channels × samples array: one row per channel)")
        with np.errstate(invalid="ignore"):  # reductions, not abs(data): no copy of a night held in memory
            peak = np.maximum(data.max(axis=1), -data.min(axis=1))  # NaN for a row with a NaN: said when read
        peak = peak if self._scales is None else peak * self._scales
        if tiny := [n for n, p in zip(names, peak) if 0 < p < TINY_UV]:  # MNE's get_data() is in volts
            raise InputError(f"the array's row {tiny[0]!r} holds no EMG: every sample is under {TINY_UV:g} µV; "
                             "are they in volts? Multiply them by 1000000 (by 1000 for mV)")
        self.path, self._data, self.fs, self.start = "the array", data, as_rate(fs), start
        self.channel_names, self.n_samples = names, data.shape[1]

    def sums(self) -> list[float]:
        """Each row's sum, sum of squares and sum weighted by place of the samples as they are now: the array
        is kept, not copied (a night in memory is not doubled), and a result tells by them that its caller
        changed it since (values changed, or the same values moved: sorted, reversed, shuffled)."""
        out, place = [], np.arange(1.0, min(SUMS_CHUNK, self.n_samples) + 1.0)
        for row in self._data:
            for a in range(0, self.n_samples, SUMS_CHUNK):  # chunks: a strided row is not copied whole
                part = np.asarray(row[a:a + SUMS_CHUNK], dtype=np.float64)
                out += [float(part.sum()), float(part @ part), float(place[:len(part)] @ part)]
        return out

    def _read(self, channels: list[int], chunk: int) -> Iterator[np.ndarray]:
        for a in range(0, self.n_samples, chunk):
            x = np.asarray(self._data[channels, a:a + chunk].T, dtype=np.float64)
            yield x if self._scales is None else x * self._scales[channels]


class MneRaw(Recording):
    """An MNE-Python ``Raw`` (any reader's), its data read a chunk at a time in µV.

    Parameters
    ----------
    raw : mne.io.BaseRaw
        The recording; its channels' own units are converted to µV by MNE.
    picks : str or list, optional
        MNE picks (``"emg"``, names, indices); default ``"emg"``, or every
        data channel when the Raw has no EMG channel.
    """

    def __init__(self, raw: Any, picks: Any = None):
        self._raw = raw
        self._picks = _mne_picks(raw, picks)
        if picks is None:  # every data channel, when none is a muscle by its name: those that hold a voltage
            self._picks = [i for i in self._picks if raw.info["chs"][i]["unit"] == _FIFF_UNIT_V] or self._picks
        _in_volts(raw, self._picks)
        self.path = raw.filenames[0] if getattr(raw, "filenames", None) and raw.filenames[0] else "the MNE Raw"
        self.path = str(self.path)
        self.fs = float(raw.info["sfreq"])
        self.channel_names = [raw.ch_names[i] for i in self._picks]
        self.n_samples = int(raw.n_times)
        sound = sum(b - a for a, b in _sound_spans(raw, self.n_samples)) / self.fs
        if sound < MIN_SIGNAL_S <= self.n_samples / self.fs:
            raise InputError(f"{self.path}: its BAD annotations leave {sound:g} s of its {self.n_samples / self.fs:g} s "
                             f"as signal; at least {MIN_SIGNAL_S:g} s are needed")
        meas = raw.info.get("meas_date")
        self.start = (meas + timedelta(seconds=float(raw.first_time))).astimezone(timezone.utc).replace(tzinfo=None) \
            if meas is not None else None

    def channel_indices(self, spec: str | int | None) -> list[int]:
        """Every picked channel unless a channel spec narrows them."""
        return list(range(len(self.channel_names))) if spec is None else super().channel_indices(spec)

    def blocks(self, channels: list[int], chunk: int) -> Iterator[Block]:
        """Blocks of ``chunk`` samples (µV) outside the Raw's ``BAD`` annotations: a bad span is not read, and
        the block after it has it as its ``gap_before``, as a link that dropped (MNE leaves such spans out too)."""
        picks = [self._picks[c] for c in channels]
        after = 0
        for a, b in _sound_spans(self._raw, self.n_samples):
            for i in range(a, b, chunk):
                # in volts (every picked channel is: _in_volts); µV asked of MNE fails for two channel types at once
                yield Block(i, self._raw.get_data(picks=picks, start=i, stop=min(i + chunk, b)).T * 1e6, i - after)
                after = min(i + chunk, b)
        if after < self.n_samples:  # the Raw ends inside a bad span: said as a gap to its end
            yield Block(self.n_samples, np.zeros((0, len(channels))), self.n_samples - after)


def _sound_spans(raw: Any, n: int) -> list[tuple[int, int]]:
    """The [start, stop) sample spans of ``raw`` (``n`` samples) outside its annotations whose description starts
    with ``bad`` (any case, as MNE's ``reject_by_annotation``)."""
    ann = raw.annotations
    bad = [k for k, d in enumerate(ann.description) if str(d).lower().startswith("bad")]
    if not bad:
        return [(0, n)]
    onset = ann.onset[bad] - raw.first_time  # as MNE places them: onsets count from the acquisition's start
    onsets = raw.time_as_index(onset, use_rounding=True)
    stops = raw.time_as_index(onset + ann.duration[bad], use_rounding=True)
    spans, pos = [], 0
    for a, b in sorted(zip(np.clip(onsets, 0, n), np.clip(stops, 0, n))):
        if a > pos:
            spans.append((pos, int(a)))
        pos = max(pos, int(b))
    return spans + [(pos, n)] if pos < n else spans


# MNE's channel types that record no muscle (an EDF reader types every channel eeg: the names then tell)
_NOT_MUSCLE_TYPES = ("stim", "misc", "ecg", "eog", "resp", "bio", "gsr", "temperature", "syst", "chpi")


def _muscles_by_name(types: list[str], names: list[str]) -> list[int]:
    """The channels of a Raw that types none as EMG which are muscles by their type and name (as ``--channel
    all`` takes them: a sleep EDF's EEG and ECG are not), said; every data channel when none is by its name."""
    data = [i for i, t in enumerate(types) if t not in ("stim", "misc")]
    muscles = [i for i in data if types[i] not in _NOT_MUSCLE_TYPES and is_emg(names[i])]
    if not muscles and data:  # taken all the same, as analyze takes a file's first channel, and said
        settings_note(f"from_mne: no channel is a muscle by its name or type; all are analysed "
                      f"({', '.join(names[i] for i in data)}): picks= chooses")
        return data
    if left := [names[i] for i in data if i not in muscles]:
        settings_note(f"from_mne leaves out {', '.join(left)} (not muscles by their names or "
                      "types; picks= takes them)")
    return muscles


_FIFF_UNIT_V = 107  # MNE's (FIFF's) code for volts, in raw.info["chs"][i]["unit"]


def _in_volts(raw: Any, picks: list[int]) -> None:
    """:class:`InputError` naming a picked channel that holds no voltage (a stim or misc channel)."""
    for i in picks:
        name, kind = raw.ch_names[i], raw.get_channel_types()[i]
        if raw.info["chs"][i]["unit"] != _FIFF_UNIT_V or kind == "stim":  # MNE gives a stim channel volts
            raise InputError(f"picks: {name!r} is a {kind} channel, which holds no voltage; if it records "
                             f"a muscle, type it so: raw.set_channel_types({{{name!r}: 'emg'}})")


def _good(picked: list[int], names: list[str], bads: set[str]) -> list[int]:
    """``picked`` without the channels marked bad, said (all of them bad: :class:`InputError`)."""
    good = [i for i in picked if names[i] not in bads]
    if picked and not good:
        raise InputError(f"every channel picked is marked bad in the Raw ({', '.join(names[i] for i in picked)}): "
                         "name one in picks= to take it all the same")
    if len(good) < len(picked):
        settings_note(f"from_mne leaves out {', '.join(names[i] for i in picked if i not in good)} "
                      "(marked bad in the Raw; picks= takes it)")
    return good


def _mne_picks(raw: Any, picks: Any) -> list[int]:
    """Channel indices for ``picks``: a channel type (``"emg"``), names or indices.

    ``None``: the EMG channels, or when the Raw types none as EMG (many EDF files type everything ``eeg``)
    those that are muscles by their names (:func:`_muscles_by_name`). Picked by type, the channels marked
    bad (``raw.info["bads"]``) are left out, as MNE leaves them, and said; named, they are taken.
    """
    types, names = raw.get_channel_types(), list(raw.ch_names)
    if picks is None or isinstance(picks, str) and picks in set(types):
        typed = [i for i, t in enumerate(types) if t == (picks or "emg")] or (
            [] if picks else _muscles_by_name(types, names))
        idx = _good(typed, names, set(raw.info.get("bads") or []))
    else:
        wanted = [picks] if isinstance(picks, (str, int, np.integer)) else list(picks)
        missing = [p for p in wanted if not (p in names if isinstance(p, str) else 0 <= int(p) < len(names))]
        if missing:
            raise InputError(f"picks {missing[0]!r}: no such channel or channel type in the Raw; "
                             f"channels are: {', '.join(names)}")
        idx = [names.index(p) if isinstance(p, str) else int(p) for p in wanted]
    if not idx:
        raise InputError(f"picks {picks!r} selects no channel of the Raw")
    return idx
