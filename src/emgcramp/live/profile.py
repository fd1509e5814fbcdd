"""The calibration profile: a person's rest and maximal-contraction levels, and their own decision.

A small JSON file, written by calibration and read by ``analyze`` and
``monitor`` (``--profile``)::

    {"rest_uv": 4.1, "mvc_uv": 310.0, "channel": "calf", "created": "2026-…",
     "decision": {"logit_offset": -0.4, "weights": {"log_peak_x_rest": 0.6},
                  "nights": 5, "labels": 31, "fitted": "2026-…", "model": "3f9a…"}}

Levels are envelope RMS in µV, measured with this package's own chain so
that %MVC compares like with like. ``decision`` is the person's adjustment
of the cramp decision, learned from their labelled nights by
``emgcramp calibrate --learn`` (:mod:`emgcramp.detect.personal`): an offset
on the log-odds, within ±PERSONAL_MAX_LOGIT (0.6), and personal weights in
log-odds per SD of an input; ``model`` names the decision model it was
learned against (:func:`emgcramp.detect.model.model_id`), and a profile
learned against another is refused with a request to learn it again.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os

from emgcramp.core.config import ELECTRODE_NOISE_UV, PipelineConfig
from emgcramp.core.errors import InputError
from emgcramp.core.settings import personal_problem
from emgcramp.io.secure import check_regular

# A profile holds a few levels and a person's decision: calibrate writes a few hundred bytes.
MAX_PROFILE_BYTES = 1_000_000


def read_profile(path: str) -> dict:
    """The whole profile, checked (levels and decision); one-line InputError when it is not a sane one."""
    check_regular(path, "a calibration profile")
    if os.path.isfile(path) and os.path.getsize(path) > MAX_PROFILE_BYTES:
        raise InputError(f"{path}: too large to be a calibration profile (emgcramp calibrate writes under 10 kB)")
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise InputError(f"{path}: no such calibration profile") from None
    except OSError as e:
        raise InputError(f"{path}: not a readable calibration profile ({e.strerror or 'read error'})") from None
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested deeper than the parser goes
        raise InputError(f"{path}: not a calibration profile (profiles are JSON text)") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a calibration profile is a JSON object")
    if not {"rest_uv", "mvc_uv", "decision"} & data.keys():  # another JSON file (analyze --json): nothing to use
        raise InputError(f"{path}: not a calibration profile (it holds none of rest_uv, mvc_uv, decision; "
                         "emgcramp calibrate writes one)")
    for key in ("rest_uv", "mvc_uv"):  # as --mvc-uv: a level reads at least the electrodes' own noise
        if key in data and not (_number(data[key]) and data[key] >= ELECTRODE_NOISE_UV):
            raise InputError(f"{path}: {key} must be a level of {ELECTRODE_NOISE_UV:g} µV or more, not {data[key]!r}")
    if "decision" in data:
        _check_decision(path, data["decision"])
    return data


def load_profile(path: str) -> dict[str, float]:
    """Read a profile; returns its positive numeric levels (``rest_uv``, ``mvc_uv``)."""
    data = read_profile(path)
    return {key: float(data[key]) for key in ("rest_uv", "mvc_uv") if key in data}


def load_decision(path: str) -> tuple[float, tuple[tuple[str, float], ...]] | None:
    """The person's decision of a profile: the offset (log-odds) and weights ((input, log-odds per SD), …).

    ``None`` when the profile holds none (one learned as no change is ``(0.0, ())``: it replaces a
    night's recorded adjustment, where ``None`` leaves it).
    """
    d = read_profile(path).get("decision")
    if d is None:
        return None
    return float(d.get("logit_offset", 0.0)), tuple((k, float(v)) for k, v in (d.get("weights") or {}).items())


def with_decision(config: PipelineConfig, decision: tuple[float, tuple[tuple[str, float], ...]] | None
                  ) -> PipelineConfig:
    """``config`` with a person's decision (:func:`load_decision`: offset, weights) in place of its own; ``config``
    itself when there is none."""
    if decision is None:
        return config
    offset, weights = decision
    detector = config.detector.replace(personal_logit_offset=offset, personal_weights=weights)
    return dataclasses.replace(config, detector=detector)


def _number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _check_decision(path: str, d: object) -> None:
    """One line saying what is wrong with a profile's ``decision``, if anything."""
    if not isinstance(d, dict):
        raise InputError(f"{path}: decision must be an object (as calibrate --learn writes it), not {d!r}")
    problem = personal_problem(d.get("logit_offset", 0.0), d.get("weights", {}), ("logit_offset", "weights"))
    if problem:
        raise InputError(f"{path}: decision {problem}")
    for key in ("nights", "labels"):
        if key in d and not (isinstance(d[key], int) and not isinstance(d[key], bool) and d[key] >= 0):
            raise InputError(f"{path}: decision {key} must be a count, not {d[key]!r}")
    from emgcramp.detect.model import model_id

    if d.get("weights") and "model" not in d:  # per SD of one model's inputs: meaningless under another
        raise InputError(f"{path}: its decision has weights but names no model they were learned against (as "
                         "calibrate --learn records it); learn it again with emgcramp calibrate --learn NIGHTS "
                         "--out PROFILE")
    if "model" in d and d["model"] != model_id():
        raise InputError(f"{path}: its decision was learned against another version of the cramp decision "
                         f"(model {d['model']!r}, this emgcramp has {model_id()!r}); learn it again with "
                         "emgcramp calibrate --learn NIGHTS --out PROFILE")
    from emgcramp.detect.features import INPUTS

    if unknown := [name for name in d.get("weights", {}) if name not in INPUTS]:
        raise InputError(f"{path}: decision weight for {unknown[0]!r}, which the decision does not weigh; "
                         "learn it again (emgcramp calibrate --learn)")
