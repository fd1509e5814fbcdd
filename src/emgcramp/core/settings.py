"""The settings a person chooses, as a night folder records them and the command line and the API give them.

The rest of the settings are the package's (:mod:`emgcramp.core.config`).
"""

from __future__ import annotations

import math
import numbers

from emgcramp.core.config import PERSONAL_MAX_LOGIT, DetectorConfig, PipelineConfig

# The settings a person chooses on the command line (the rest are the package's): what a night folder records
# (and the decision's ``model`` id), so that ``recover`` and ``review`` analyse the night as it was monitored.
# The person's adjustment of the decision (a profile's, ``calibrate --learn``) is recorded only when in use.
PERSONAL_SETTINGS = ("personal_logit_offset", "personal_weights")


def _real(v: object) -> bool:
    """A finite real number, NumPy's too, not a bool."""
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and -math.inf < v < math.inf  # 10**400 too


def personal_problem(offset: object, weights: object, names: tuple[str, str] = ("offset", "weights")) -> str:
    """What is wrong with a stored personal adjustment, in words (``""``: nothing), for a profile or a night folder.

    ``offset`` must be a finite number of log-odds within ±PERSONAL_MAX_LOGIT; ``weights`` a mapping of
    input names to finite numbers (log-odds per SD). ``names``: what the caller's file calls the two.
    """
    if not (_real(offset) and abs(offset) <= PERSONAL_MAX_LOGIT):
        return f"{names[0]} must be a number of log-odds within ±{PERSONAL_MAX_LOGIT:g}, not {offset!r}"
    if not isinstance(weights, dict) or not all(isinstance(k, str) and _real(v) for k, v in weights.items()):
        return f"{names[1]} must map input names to numbers (log-odds per SD), not {weights!r}"
    return ""


def settings_of(config: PipelineConfig | None) -> dict:
    """The chosen settings of ``config``: ``mains``, ``min_duration_s`` (s), ``mvc_uv`` (µV, or None), and
    ``cramp_probability`` when the person chose the cramp tier's threshold.

    With a personal adjustment in use, also ``personal_logit_offset`` (log-odds) and
    ``personal_weights`` ({input: log-odds per SD}, as a profile holds them).
    """
    judge = (config := config or PipelineConfig()).detector.judge
    chosen = {"mains": config.mains, "min_duration_s": judge.min_duration_s, "mvc_uv": judge.mvc_uv}
    if judge.cramp_probability is not None:  # the user's --cramp-threshold
        chosen["cramp_probability"] = judge.cramp_probability
    if judge.personal_logit_offset or judge.personal_weights:
        chosen |= {"personal_logit_offset": judge.personal_logit_offset,
                   "personal_weights": dict(judge.personal_weights)}
    return chosen


def settings_problem(settings: dict) -> str:
    """What is wrong with recorded :func:`settings_of` settings (a night folder's), in words, or ``""``."""
    def number(v: object) -> bool:
        return _real(v) and v > 0  # type: ignore[operator]

    mains, shortest, mvc = (settings.get(k) for k in ("mains", "min_duration_s", "mvc_uv"))
    if mains is not None and mains not in ("auto", "off") and not (number(mains) and mains in (50, 60)):
        return f"'mains' is {mains!r}; expected 50, 60, \"auto\" or \"off\""
    if shortest is not None and not number(shortest):
        return f"'min_duration_s' is {shortest!r}; expected the shortest cramp in seconds, a number above 0"
    if mvc is not None and not number(mvc):
        return f"'mvc_uv' is {mvc!r}; expected the maximal contraction's level in µV, a number above 0 (or null)"
    if (cramp := settings.get("cramp_probability")) is not None and not (number(cramp) and cramp < 1):
        return f"'cramp_probability' is {cramp!r}; expected a probability above 0 and under 1"
    return personal_problem(settings.get("personal_logit_offset", 0.0), settings.get("personal_weights", {}),
                            ("'personal_logit_offset'", "'personal_weights'"))


def config_from(settings: dict, personal: bool = True, **override) -> PipelineConfig:
    """The :class:`PipelineConfig` of :func:`settings_of` settings, each ``override`` not ``None`` replacing one.

    ``personal``: apply the recorded personal adjustment (False: the general decision).
    """
    chosen = settings_of(None) | {k: v for k, v in settings.items() if v is not None}
    chosen |= {k: v for k, v in override.items() if v is not None}
    detector = DetectorConfig().replace(min_duration_s=chosen["min_duration_s"], mvc_uv=chosen["mvc_uv"],
                                        cramp_probability=chosen.get("cramp_probability"))
    if personal and any(k in chosen for k in PERSONAL_SETTINGS):
        weights = chosen.get("personal_weights") or {}
        detector = detector.replace(personal_logit_offset=float(chosen.get("personal_logit_offset") or 0.0),
                                    personal_weights=tuple((str(k), float(w)) for k, w in weights.items()))
    return PipelineConfig(mains=chosen["mains"], detector=detector)
