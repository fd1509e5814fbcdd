"""The Python API's arguments, checked where they are given, and its errors worded for Python.

The readers and the pipeline word their errors for the command line (``give --fs HZ``); a
notebook user passes ``fs=`` instead, so the API says so (:func:`python_words`).
"""

from __future__ import annotations

import functools
import math
import os
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from emgcramp.core.config import ELECTRODE_NOISE_UV, SCALE_RANGE_UV, DetectorConfig, PipelineConfig
from emgcramp.core.errors import InputError, SettingsWarning
from emgcramp.core.settings import settings_of, settings_problem

F = TypeVar("F", bound=Callable[..., Any])

# A command-line option in a message, and the keyword the API takes for it: with a value after it
# (``--fs HZ``, ``--stream NAME``) it becomes ``fs=HZ``; alone (``--scale is for NPY``), the keyword's name.
_OPTION_VALUE = re.compile(r"--(fs|scale|stream|channel) ([A-Z0-9][^\s,;:)]*)")
_OPTION = re.compile(r"--(fs|scale|stream|channel)\b")


def python_words(message: str) -> str:
    """``message`` with the command line's options named as the API's keywords."""
    message = message.replace("(--scale)", "(scale= for a file; multiply an array by it)")
    return _OPTION.sub(r"\1", _OPTION_VALUE.sub(r"\1=\2", message))


def worded_for_python(func: F) -> F:
    """Re-raise the :class:`InputError` that ``func`` raises, the same exception, its message in the API's words."""
    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as e:
            if e.args and isinstance(e.args[0], str):
                e.args = (python_words(e.args[0]), *e.args[1:])
            raise
    return call  # type: ignore[return-value]


def config_arg(config: object) -> PipelineConfig | None:
    """``config`` when it is a :class:`PipelineConfig` or None; else :class:`InputError`."""
    if config is None:
        return config
    if not isinstance(config, PipelineConfig):
        raise InputError(f"config is an emgcramp.PipelineConfig (PipelineConfig(mains=50), say), not {config!r}")
    # as a night folder's recorded settings are checked (a negative shortest cramp made a 0.4-s pop a cramp)
    problem = _chain_problem(config) or settings_problem(settings_of(config))
    if problem:
        raise InputError(f"config: {problem}")
    return config


# The band-pass orders the design keeps to (dsp.design.butter_sos: conjugate pole pairs); past 8 its sections lose
# the precision a 20-Hz edge at kHz rates needs (order 10 at 1 kHz raised the rest level threefold).
ORDERS = (2, 4, 6, 8)


def _chain_problem(config: PipelineConfig) -> str:
    """What is wrong with ``config``'s signal chain and tiers (the settings the command line does not give), or ""."""
    band, judge = config.band, getattr(config.detector, "judge", None)
    if not isinstance(config.detector, DetectorConfig) or judge is None:
        return f"'detector' is {config.detector!r}; expected an emgcramp.DetectorConfig"
    if not (isinstance(band, (tuple, list)) and len(band) == 2 and all(_number(b) > 0 for b in band)
            and _number(band[0]) < _number(band[1]) < math.inf):
        return f"'band' is {band!r}; expected (low, high) in Hz, 0 < low < high (as (20, 450))"
    if isinstance(config.order, bool) or config.order not in ORDERS:
        return f"'order' is {config.order!r}; expected the band-pass's order, one of {', '.join(map(str, ORDERS))}"
    if not 0 < _number(config.env_rate) < math.inf:
        return f"'env_rate' is {config.env_rate!r}; expected the envelope's rate in Hz, a number above 0"
    if config.mains is None:
        return "'mains' is None; expected 50, 60, \"auto\" or \"off\""
    floor, top = judge.possible_probability, judge.cramp_probability
    if floor is not None and not 0 < _number(floor) < 1:
        return f"'possible_probability' is {floor!r}; expected a probability above 0 and under 1"
    if floor is not None and top is not None and _number(floor) > _number(top):
        return f"'possible_probability' ({floor!r}) is above 'cramp_probability' ({top!r}): the floor of the " \
               "possible tier is under the cramp tier's threshold"
    return ""


def _number(value: object) -> float:
    """``value`` as a float (``"2.5"`` too); NaN when it is none."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def mvc_arg(mvc_uv: object) -> float | None:
    """The MVC level (µV RMS) as a float, None when not given; :class:`InputError` when it is no level.

    As ``--mvc-uv``: a contraction reads at least the electrodes' own noise (``ELECTRODE_NOISE_UV``).
    """
    if mvc_uv is None:
        return None
    if not ELECTRODE_NOISE_UV <= (v := _number(mvc_uv)) < math.inf:
        raise InputError(f"mvc_uv is the maximal contraction's level in µV RMS, {ELECTRODE_NOISE_UV:g} µV or more, "
                         f"not {mvc_uv!r}")
    return v


def start_arg(start: object) -> datetime | None:
    """``start`` when it is a :class:`datetime` or None; else :class:`InputError`."""
    if start is None or isinstance(start, datetime):
        return start
    raise InputError(f"start is the wall-clock time of the first sample, a datetime "
                     f"(datetime.fromisoformat('2024-01-01T23:00')), not {start!r}")


def names_arg(channel_names: Sequence[str] | None) -> list[str]:
    """``channel_names`` as a list of str ([] when not given); :class:`InputError` for a bare string or non-names."""
    if channel_names is None:
        return []
    if isinstance(channel_names, str):
        raise InputError(f"channel_names is a list of names, one per channel, not the string {channel_names!r}")
    names = list(channel_names)
    if not all(isinstance(n, str) and n for n in names):
        raise InputError(f"channel_names are the channels' names, non-empty strings, not {names!r}")
    lowered = [n.lower() for n in names]
    if twice := next((n for n in names if lowered.count(n.lower()) > 1), None):
        raise InputError(f"channel_names names {twice!r} twice (names are matched whatever their case)")
    return [str(n) for n in names]  # plain str, not numpy's


def muscle_rows(names: Sequence[str]) -> list[int]:
    """The rows of an array to analyse (0-based indices): those whose names are muscles'.

    A row named for something else (``ECG``, ``EEG C3``: a sleep recording's) is left out with a note, as
    ``--channel all`` leaves it out; when no row is a muscle's, :class:`InputError`.
    """
    from emgcramp.core.channels import is_emg

    rows = [i for i, n in enumerate(names) if is_emg(n)]
    left = [n for n in names if not is_emg(n)]
    if not rows:
        raise InputError(f"no row of the array is a muscle's by its name ({', '.join(left)}): name the calf's row "
                         "for its muscle (channel_names=['calf'], say)")
    if left:
        warnings.warn(SettingsWarning(f"the array: the rows {', '.join(left)} are left out (not muscles by their "
                                      "names; name a row for the muscle it records to analyse it)"), stacklevel=3)
    return rows


def muscles_arg(muscles: dict[str, str] | None, names: Sequence[str]) -> dict[str, str] | None:
    """``muscles`` keyed by the channels' own names (it may name them in any case); :class:`InputError` when it
    names a channel that ``names`` does not hold, or gives a muscle that is no name."""
    if muscles is None:
        return None
    if not isinstance(muscles, dict):
        raise InputError(f"muscles maps channel names to the muscle each records, not {muscles!r}")
    known = {n.lower(): n for n in names}
    unknown = [k for k in muscles if not isinstance(k, str) or k.lower() not in known]
    if unknown:
        raise InputError(f"muscles names no channel {unknown[0]!r}; the channels are: {', '.join(names)}")
    if bad := [v for v in muscles.values() if not isinstance(v, str)]:
        raise InputError(f"muscles gives each channel the muscle it records, by name ('tibialis anterior'), "
                         f"not {bad[0]!r}")
    return {known[k.lower()]: v for k, v in muscles.items()}


def scale_value(scale: object) -> float | None:
    """µV per unit of a file's values as a float (None when not given), as ``--scale`` takes it: a non-zero
    number (negative: the file's sign is the other way); else :class:`InputError`."""
    if scale is None:
        return None
    if not SCALE_RANGE_UV[0] <= abs(v := _number(scale)) <= SCALE_RANGE_UV[1]:  # NaN fails it too
        raise InputError(f"scale is µV per unit of the file's values, {SCALE_RANGE_UV[0]:g} to {SCALE_RANGE_UV[1]:g} "
                         f"(negative: the sign flipped), not {scale!r}")
    return v


def path_arg(path: object, what: str) -> str:
    """A file path given as str, bytes or ``os.PathLike``, as str; else :class:`InputError`."""
    try:
        p = os.fsdecode(os.fspath(path))  # type: ignore[call-overload]
    except TypeError:
        p = None
    if not isinstance(p, str) or not p:
        raise InputError(f"{what} is a file path (str or pathlib.Path), not {path!r}")
    return p


def config_with_mvc(config: PipelineConfig | None, mvc_uv: float | None) -> PipelineConfig | None:
    """``config`` with the person's MVC level (µV RMS) when one is given; :class:`InputError` for either
    when it is not one."""
    config, mvc_uv = config_arg(config), mvc_arg(mvc_uv)
    if mvc_uv is None:
        return config
    config = config or PipelineConfig()
    return replace(config, detector=config.detector.replace(mvc_uv=float(mvc_uv)))
