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

from emgcramp.core.config import ELECTRODE_NOISE_UV, SCALE_RANGE_UV, PipelineConfig
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
    problem = settings_problem(settings_of(config))  # as a night folder's recorded settings are checked
    if problem:  # a negative shortest cramp would have made a 0.4-s electrode pop a cramp
        raise InputError(f"config: {problem.replace(chr(39), '')}")
    return config


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


def muscles_arg(muscles: dict[str, str] | None, names: Sequence[str]) -> None:
    """:class:`InputError` when ``muscles`` names a channel that ``names`` does not hold (case-insensitive)."""
    if muscles is None:
        return
    if not isinstance(muscles, dict):
        raise InputError(f"muscles maps channel names to the muscle each records, not {muscles!r}")
    known = {n.lower() for n in names}
    unknown = [k for k in muscles if not isinstance(k, str) or k.lower() not in known]
    if unknown:
        raise InputError(f"muscles names no channel {unknown[0]!r}; the channels are: {', '.join(names)}")


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
