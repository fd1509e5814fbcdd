"""The Python API's arguments, checked where they are given, and its errors worded for Python.

The readers and the pipeline word their errors for the command line (``give --fs HZ``); a
notebook user passes ``fs=`` instead, so the API says so (:func:`~emgcramp.core.errors.python_words`).
"""

from __future__ import annotations

import functools
import math
import numbers
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from emgcramp.core.config import (
    ELECTRODE_NOISE_UV,
    SCALE_RANGE_UV,
    DetectorConfig,
    JudgeConfig,
    MovementConfig,
    MuscleConfig,
    PipelineConfig,
    SegmentConfig,
    WarningConfig,
)
from emgcramp.core.errors import FOR_PYTHON, InputError, python_words, settings_note
from emgcramp.core.settings import settings_of, settings_problem

F = TypeVar("F", bound=Callable[..., Any])

def worded_for_python(func: F) -> F:
    """Re-raise the :class:`InputError` that ``func`` raises, the same exception, its message in the API's words;
    the notes it issues (:func:`~emgcramp.core.errors.settings_note`) are in those words too, at the caller's line.
    No warning filter of the process is touched: calls from several threads keep their own notes."""
    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        token = FOR_PYTHON.set(True)
        try:
            return func(*args, **kwargs)
        except InputError as e:
            if e.args and isinstance(e.args[0], str):
                e.args = (python_words(e.args[0]), *e.args[1:])
            raise
        finally:
            FOR_PYTHON.reset(token)
    return call  # type: ignore[return-value]


def needs(module: str, method: str) -> Any:
    """The optional package ``module`` (an extra of the same name), imported; else ImportError saying how to
    install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{method} needs {module}: pip install 'emgcramp[{module}]'") from None


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


# The envelope's rates (Hz): bins short enough for the 0.1-s window to hold two, long enough to hold two
# samples of a 250-Hz board.
ENV_RATES_HZ = (20.0, 125.0)
# The band-pass's lowest low edge (Hz): under it baseline wander and motion (up to 10–20 Hz) pass as EMG
# (the sEMG band is 20–450 Hz; De Luca et al. 2010, doi:10.1016/j.jbiomech.2010.01.027).
MIN_LOW_EDGE_HZ = 5.0


def _chain_problem(config: PipelineConfig) -> str:
    """What is wrong with ``config``'s signal chain and tiers (the settings the command line does not give), or ""."""
    if not isinstance(config.detector, DetectorConfig):
        return f"'detector' is {config.detector!r}; expected an emgcramp.DetectorConfig"
    if problem := _detector_problem(config.detector):
        return problem
    band, judge = config.band, config.detector.judge
    if not (isinstance(band, (tuple, list)) and len(band) == 2 and all(_real(b) for b in band)
            and MIN_LOW_EDGE_HZ <= band[0] < band[1] < math.inf):
        return f"'band' is {band!r}; expected (low, high) in Hz, {MIN_LOW_EDGE_HZ:g} ≤ low < high (as (20, 450))"
    if not (isinstance(config.order, numbers.Integral) and not isinstance(config.order, bool)
            and config.order in ORDERS):
        return f"'order' is {config.order!r}; expected the band-pass's order, one of {', '.join(map(str, ORDERS))}"
    if not (_real(config.env_rate) and ENV_RATES_HZ[0] <= config.env_rate <= ENV_RATES_HZ[1]):
        return f"'env_rate' is {config.env_rate!r}; expected the envelope's rate in Hz, " \
               f"{ENV_RATES_HZ[0]:g} to {ENV_RATES_HZ[1]:g}"
    if config.mains is None:
        return "'mains' is None; expected 50, 60, \"auto\" or \"off\""
    floor, top = judge.possible_probability, judge.cramp_probability
    for name, p in (("cramp_probability", top), ("possible_probability", floor)):
        if p is not None and not (_real(p) and 0 < p < 1):
            return f"'{name}' is {p!r}; expected a probability above 0 and under 1"
    if floor is not None and top is not None and floor > top:
        return f"'possible_probability' ({floor!r}) is above 'cramp_probability' ({top!r}): the floor of the " \
               "possible tier is under the cramp tier's threshold"
    return ""


def _real(value: object) -> bool:
    """Whether ``value`` is a finite real number (a NumPy scalar too; not a bool, not a string)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


# The detector's inner settings, by the ending of their names (their units): the range each may take. No window
# of the detector spans more than an hour; shares are of 1; ratios are × a level; µV under a volt.
_SECTIONS: dict[str, Any] = {"segment": SegmentConfig, "judge": JudgeConfig, "movements": MovementConfig,
                             "warnings": WarningConfig, "muscles": MuscleConfig}
_RANGES = (("_s", 3600.0, "seconds"), ("_hz", 20.0, "Hz"), ("_uv", 1e6, "µV"), ("_ratio", 1000.0, "a ratio"),
           ("_fraction", 1.0, "a share of 1"), ("_share", 1.0, "a share of 1"), ("_quantile", 1.0, "a share of 1"),
           ("_share_with_twitches", 1.0, "a share of 1"), ("clonic_rise", 1.0, "a share of 1"),
           ("clonic_relax", 1.0, "a share of 1"))
# Settings whose 0 means something (no warm-up, the onset at the climb to ON, no settling, no drop rule, any
# motion or flat bin counts, no twitches asked for): every other time, rate, ratio, share or count of 0 is none.
ZERO_MEANS = frozenset({"warmup_s", "max_rise_s", "lm_settle_s", "drop_ratio", "motion_flag_fraction",
                        "max_flat_fraction", "warn_min_twitches"})
_SPECIAL = {"cramp_probability", "possible_probability", "personal_logit_offset", "personal_weights", "mvc_uv",
            "min_duration_s"}  # checked as a night folder's recorded settings are


def _detector_problem(detector: DetectorConfig) -> str:
    """What is wrong with one of ``detector``'s inner settings (its sections' numbers), or ""."""
    from dataclasses import fields

    for section, kind in _SECTIONS.items():
        part: Any = getattr(detector, section, None)
        if not isinstance(part, kind):
            return f"the detector's '{section}' is {part!r}; expected an emgcramp.core.config.{kind.__name__}"
        for f in fields(part):
            if f.name not in _SPECIAL and (problem := _setting_problem(f.name, getattr(part, f.name), f.default)):
                return problem
    judge = detector.judge
    if judge.mvc_uv is not None and not (_real(judge.mvc_uv) and judge.mvc_uv >= ELECTRODE_NOISE_UV):
        return f"'mvc_uv' is {judge.mvc_uv!r}; expected the maximal contraction's level, {ELECTRODE_NOISE_UV:g} µV " \
               "or more"
    return _weights_problem(judge.personal_weights)


def _setting_problem(name: str, value: object, default: object) -> str:
    """What is wrong with inner setting ``name`` (its default ``default``), or ""."""
    zero = name.endswith("_uv") or name in ZERO_MEANS  # a level's margin may be none
    if isinstance(default, int) and not isinstance(default, bool):  # a count
        if not (isinstance(value, numbers.Integral) and not isinstance(value, bool)
                and (0 if zero else 1) <= int(value) <= 1000):
            return f"'{name}' is {value!r}; expected a count, a whole number from {0 if zero else 1} to 1000"
        return ""
    high, unit = next(((hi, u) for end, hi, u in _RANGES if name.endswith(end)), (math.inf, "a number"))
    if not (_real(value) and (0 <= value if zero else 0 < value) and value <= high):  # type: ignore[operator]
        return f"'{name}' is {value!r}; expected {unit}, {'0' if zero else 'above 0'} and up to {high:g}"
    return ""


def _weights_problem(weights: object) -> str:
    """What is wrong with personal weights (pairs of an input's name and log-odds per SD), or ""; an input the
    decision does not have is said when it is applied."""
    if not (isinstance(weights, (tuple, list)) and all(isinstance(p, (tuple, list)) and len(p) == 2
                                                       and isinstance(p[0], str) and _real(p[1]) for p in weights)):
        return f"'personal_weights' is {weights!r}; expected (input name, log-odds per SD) pairs, as " \
               "calibrate's profile gives them"
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
        settings_note(f"the array: the rows {', '.join(left)} are left out (not muscles by their "
                      "names; name a row for the muscle it records to analyse it)")
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
    if not isinstance(p, str) or not p or "\0" in p:  # no system takes a NUL in a name
        raise InputError(f"{what} is a file path (str or pathlib.Path), not {path!r}")
    return p


def config_with_mvc(config: PipelineConfig | None, mvc_uv: float | None,
                    profile: str | os.PathLike[str] | None = None) -> PipelineConfig | None:
    """``config`` with the person's MVC level (µV RMS: ``mvc_uv``, else the profile's) and their decision (the
    profile's) when given; :class:`InputError` for any that is not one."""
    config, mvc_uv = config_arg(config), mvc_arg(mvc_uv)
    return with_person(config, *profile_arg(profile, mvc_uv))


def profile_arg(profile: str | os.PathLike[str] | None, mvc_uv: float | None) -> tuple[float | None, Any]:
    """The MVC level (µV RMS; ``mvc_uv`` when given, else the profile's) and the person's decision of a
    calibration profile (``None`` without one), as ``--profile`` reads them; :class:`InputError` for a bad one."""
    if profile is None:
        return mvc_uv, None
    from emgcramp.live.profile import load_decision, load_profile

    path = path_arg(profile, "profile")
    return (load_profile(path).get("mvc_uv") if mvc_uv is None else mvc_uv), load_decision(path)


def with_person(config: PipelineConfig | None, mvc_uv: float | None, decision: Any) -> PipelineConfig | None:
    """``config`` (default: the package's) with an MVC level (µV RMS) and a person's decision, each when given."""
    if mvc_uv is None and decision is None:
        return config
    from emgcramp.live.profile import with_decision

    config = config or PipelineConfig()
    if mvc_uv is not None:
        config = replace(config, detector=config.detector.replace(mvc_uv=float(mvc_uv)))
    return with_decision(config, decision)
