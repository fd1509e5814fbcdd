"""The fitted model of the cramp decision, as it ships in ``model.json`` beside this module.

A logistic model over a burst's inputs (:data:`~emgcramp.detect.features.INPUTS`):
``p = 1 / (1 + exp(-(b + Σ wᵢ·zᵢ)))`` with ``zᵢ`` each input standardised by
the mean and spread it had in the fitting data, and the duration held at a
length chosen in the fit (:attr:`Model.duration_cap_s`). Bursts from a length
chosen in the fit on (:attr:`Model.split_s`) have weights of their own
(:attr:`Model.long`): what tells a brief cramp from a leg movement or an
arousal burst is not what tells a long one from a stretch or raised tone.
``bench/bench_families.py`` fits it; :mod:`emgcramp.detect.decide` uses it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path

from emgcramp.core.errors import InputError
from emgcramp.core.settings import PERSONAL_SETTINGS
from emgcramp.detect.features import INPUTS

MODEL_PATH = Path(__file__).with_name("model.json")
_DURATION = INPUTS.index("log_duration_s")


@dataclass(frozen=True)
class Model:
    """A fitted logistic model: standardisation, weights, intercept and the two tier thresholds.

    With :attr:`long` set, bursts of :attr:`split_s` or more are judged by
    that second weight set (:meth:`part`); this one judges the briefer ones.
    """

    inputs: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float
    cramp_threshold: float
    possible_floor: float
    # Past this length (s) a burst's duration speaks no more for a cramp: cramps last seconds to about
    # ten minutes, about a minute typically, while tone and wakefulness last many minutes (Miller &
    # Layzer 2005, doi:10.1002/mus.20341). The fit chooses it (bench/bench_families.py); inf: no cap.
    duration_cap_s: float = math.inf
    # Bursts of split_s (s) or longer are weighed by a second set of weights (``long``; its own
    # standardisation, intercept and the same cap): what tells a cramp from a look-alike differs with
    # length. Brief bursts are of the length of leg movements (0.5-10 s, AASM/WASM: Ferri et al. 2016,
    # doi:10.1016/j.sleep.2016.10.010) and arousal bursts; long ones of stretches, tone and most cramps.
    # The fit chooses the length (bench/bench_families.py); inf (and long None): one set for all.
    split_s: float = math.inf
    long: Model | None = None

    @classmethod
    def from_dict(cls, d: dict) -> Model:
        """The model of a ``model.json`` mapping; ValueError, in one line, when it is not a whole, sane one."""
        if tuple(d.get("inputs", ())) != INPUTS:
            raise ValueError("model inputs do not match emgcramp.detect.features.INPUTS: refit it")
        try:
            m = cls(INPUTS, *_part(d), float(d["cramp_threshold"]), float(d["possible_floor"]),
                    float(math.inf if d.get("duration_cap_s") is None else d["duration_cap_s"]),  # null: no cap
                    float(math.inf if d.get("split_s") is None else d["split_s"]))  # null: one set of weights
            if d.get("long") is not None:
                m = replace(m, long=cls(INPUTS, *_part(d["long"]), m.cramp_threshold, m.possible_floor,
                                        m.duration_cap_s))
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"model is incomplete ({type(e).__name__}: {e})") from None
        for part in (m, m.long) if m.long else (m,):
            numbers = (*part.mean, *part.scale, *part.weights, part.intercept)
            if not len(part.mean) == len(part.scale) == len(part.weights) == len(INPUTS) or \
                    not all(map(math.isfinite, numbers)):
                raise ValueError("model needs one finite mean, scale and weight per input")
            if min(part.scale) <= 0:
                raise ValueError("model needs positive scales")
        if not 0.0 <= m.possible_floor <= m.cramp_threshold <= 1.0:
            raise ValueError("model needs 0 <= possible_floor <= cramp_threshold <= 1")
        if not m.duration_cap_s > 0 or not m.split_s > 0 or (m.long is None) != math.isinf(m.split_s):
            raise ValueError("model needs a positive duration_cap_s, and a positive split_s with its long weights")
        return m

    def parts(self) -> tuple[Model, ...]:
        """The weight sets: this one, and the long bursts' when there is one."""
        return (self, self.long) if self.long is not None else (self,)

    def part(self, x: list[float]) -> Model:
        """The weight set that judges inputs ``x``: the long bursts' from :attr:`split_s` on, else this one."""
        if self.long is not None and x[_DURATION] >= math.log(self.split_s):
            return self.long
        return self

    def capped(self, x: list[float]) -> list[float]:
        """Inputs ``x`` with the duration held at :attr:`duration_cap_s` (``x`` itself when under it)."""
        cap = math.log(self.duration_cap_s)
        if x[_DURATION] <= cap:
            return x
        held = list(x)
        held[_DURATION] = cap
        return held

    def contributions(self, x: list[float]) -> list[float]:
        """wᵢ·zᵢ of each input (log-odds), by the weight set that judges ``x``."""
        m = self.part(x)
        return [w * z for w, z in zip(m.weights, self.standardised(x))]

    def logit(self, x: list[float]) -> float:
        """Log-odds that inputs ``x`` are a cramp's: ``b + Σ wᵢ·zᵢ`` (the weight set that judges ``x``)."""
        return self.part(x).intercept + sum(self.contributions(x))

    def standardised(self, x: list[float]) -> list[float]:
        """zᵢ of each input (in SDs of the fitting data of the weight set that judges ``x``)."""
        m = self.part(x)
        return [(v - mu) / s for v, mu, s in zip(m.capped(x), m.mean, m.scale)]

    def probability(self, x: list[float]) -> float:
        """Probability (0–1) that inputs ``x`` are a cramp's."""
        return sigmoid(self.logit(x))


def _part(d: dict) -> tuple:
    """(mean, scale, weights, intercept) of one weight set of a ``model.json`` mapping."""
    return (*(tuple(float(v) for v in d[k]) for k in ("mean", "scale", "weights")), float(d["intercept"]))


def sigmoid(logit: float) -> float:
    """The probability (0–1) of a log-odds, clamped to ±50 so that it never overflows."""
    return 1.0 / (1.0 + math.exp(-max(min(logit, 50.0), -50.0)))


def log_odds(p: float) -> float:
    """The log-odds of a probability (``±inf`` at 1 and 0)."""
    return math.inf if p >= 1.0 else -math.inf if p <= 0.0 else math.log(p / (1.0 - p))


@functools.cache
def model_id() -> str:
    """A short fingerprint of the shipped ``model.json`` (12 hex digits of its SHA-256; ``""`` if unreadable).

    A personal adjustment is learned against one model's log-odds; the profile
    keeps this so that one learned against another model is not applied to this one.
    """
    try:
        return hashlib.sha256(MODEL_PATH.read_bytes()).hexdigest()[:12]
    except OSError:
        return ""


def other_model(settings: dict) -> str:
    """The model a night's recorded personal adjustment was made for, when not this one (``""``: it is, or none).

    A personal adjustment moves one model's log-odds, input by input, so it
    holds for that model only (a profile made for another is refused). A
    recorded cramp threshold is a probability, which every calibrated model
    means alike: it holds for any.
    """
    recorded = settings.get("model")
    if recorded in (None, model_id()) or not any(k in settings for k in PERSONAL_SETTINGS):
        return ""
    return str(recorded)


@functools.cache
def shipped_model() -> Model:
    """The model in ``model.json`` (read once); a damaged file is one clear line (InputError)."""
    try:
        return Model.from_dict(json.loads(MODEL_PATH.read_text()))
    except (OSError, ValueError) as e:  # json.JSONDecodeError is a ValueError
        raise InputError(f"{MODEL_PATH}: the decision's model is damaged or missing ({e}); "
                         "reinstall emgcramp") from None
