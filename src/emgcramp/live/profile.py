"""The calibration profile: a person's rest and maximal-contraction levels.

A small JSON file, written by calibration and read by ``analyze`` (and later
``monitor``)::

    {"rest_uv": 4.1, "mvc_uv": 310.0, "channel": "calf", "created": "2026-…"}

Levels are envelope RMS in µV, measured with this package's own chain so
that %MVC compares like with like.
"""

from __future__ import annotations

import json
import math

from emgcramp.core.errors import InputError


def load_profile(path: str) -> dict[str, float]:
    """Read a profile; returns its positive numeric levels (``rest_uv``, ``mvc_uv``)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise InputError(f"{path}: no such calibration profile") from None
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: not a readable calibration profile ({e})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a calibration profile is a JSON object")
    levels = {}
    for key in ("rest_uv", "mvc_uv"):
        if key in data:
            v = data[key]
            if not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
                raise InputError(f"{path}: {key} must be a positive number of µV, not {v!r}")
            levels[key] = float(v)
    return levels
