"""The detector learns the person: an adjustment of the cramp decision fitted to their labels.

In the morning a person answers the events of the night (``cramp``,
``not_cramp``, ``unsure``; :mod:`emgcramp.io.labels`). Each answer is paired
with the candidate burst it overlaps in the night's candidate log (the
candidate the general model scores highest, when several), which gives the
general model's log-odds for it and its standardised inputs;
``unsure`` answers are left out, and a ``cramp`` answer that overlaps no
candidate the decision weighs (none was proposed, or a stated gate such as
``short`` stopped it) is counted as out of reach: no adjustment can find it.

The adjustment is added to every burst's log-odds (:func:`emgcramp.detect.decide.personal_move`)::

    move = offset + share · Σ Δwᵢ·zᵢ, held within ±PERSONAL_MAX_LOGIT (0.9)

and is fitted in two steps:

1. the direction, ``Δw``: a logistic regression over the labelled bursts with
   the general model's log-odds as a fixed offset, each personal weight held
   towards 0 by a ridge (:data:`RIDGE`) and none allowed to turn an input
   against the way the physiology lets it push
   (:data:`~emgcramp.detect.features.DIRECTION`), as in the general fit;
2. how much of it (``share`` in :data:`SHARES`) and the ``offset`` (on a
   0.01 log-odds grid within ±PERSONAL_MAX_LOGIT), chosen by the labels' counts, in order:
   no labelled cramp the general decision counted may fall below the cramp
   threshold; then the fewest labelled false cramps over it; then the fewest
   labelled cramps under it (missed cramps may pull the decision up); then
   the smallest share of the weights; then the smallest offset.

The first rule holds whatever the labels say: the general decision always
meets it (share 0, offset 0), so the fit never loses a labelled cramp.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emgcramp.core.config import PERSONAL_MAX_LOGIT, DetectorConfig
from emgcramp.detect.decide import gate, thresholds
from emgcramp.detect.features import DIRECTION, vector
from emgcramp.detect.model import Model, log_odds, shipped_model

# The ridge on each personal weight (log-odds per SD), in labelled bursts: the weights move only as far as
# about three answers' worth of evidence outweighs the general model. Chosen on tuning persons (seeds
# 100-114 of the look-alike scenarios of bench/bench_personal.py, not its reported seeds) among 1, 3 and 10:
# at 1 the weights learned one night's quirks (one person's false cramps on further nights rose from 3.2
# to 7.9 an hour); 3 and 10 both cut the tone persons' false cramps to a tenth or less; 3, the weaker hold, was kept.
# Checked again with the model fitted on three families (5 labelled nights, seeds 105-114 scored): 3 cut the four
# persons' false cramps from 2.20/3.60/0.45/0.10 to 0.50/1.10/0.00/0.00 an hour and found the most cramps of 1, 3
# and 10. Checked again with the four-family model (bound 0.6, the same seeds): 1, 3 and 10 cut the light
# sleeper's false cramps from 3.40 to 1.25, 1.50 and 2.25 an hour and the arousal-prone person's from 6.20 to 3.60,
# 3.55 and 3.40, the other two at most one in 20 hours; 3 found the most of the light sleeper's cramps (40 against
# 36 and 38; the other's 34 against 35 and 33), so 3 stays.
RIDGE = 3.0
# How much of the fitted direction may be applied: in quarters, the plain offset (0) first on a tie.
SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)
STEP = 0.01  # the offset's grid, log-odds: finer than any answer separates
ITERATIONS = 50  # Newton steps of the ridge fit (it converges in under 10 on the tuning persons)


@dataclass(frozen=True)
class Labelled:
    """One answered burst: the general model's log-odds, its standardised inputs, and the answer."""

    logit: float
    z: tuple[float, ...]
    cramp: bool


@dataclass(frozen=True)
class Fit:
    """A fitted adjustment and what it does to the labelled bursts.

    Attributes
    ----------
    offset : float
        Added to every burst's log-odds.
    weights : tuple of (str, float)
        Personal weight per input, log-odds per SD of the fitting data (only those not 0).
    false_before, false_after : int
        Labelled ``not_cramp`` bursts at or over the cramp threshold, without and with the adjustment.
    found_before, kept : int
        Labelled cramps over the threshold without the adjustment, and how many of them stay over it.
    missed_before, missed_after : int
        Labelled cramps under the threshold (out of reach ones included), without and with it.
    """

    offset: float
    weights: tuple[tuple[str, float], ...]
    false_before: int
    false_after: int
    found_before: int
    kept: int
    missed_before: int
    missed_after: int


def labelled_bursts(log: list, labels: list, cfg: DetectorConfig,
                    model: Model | None = None) -> tuple[list[Labelled], int]:
    """Pair each answer with the candidate it overlaps.

    Parameters
    ----------
    log : list of (onset s, offset s, Features, rises)
        A night's candidate log (:attr:`emgcramp.pipeline.Pipeline.candidate_log`).
    labels : list
        The night's answers: anything with ``onset_s``, ``offset_s`` (s) and ``label``
        (:class:`emgcramp.io.labels.Label`).
    cfg : DetectorConfig
        The settings the night is judged with (its stated gates).
    model : Model, optional
        The general model (default: the shipped one).

    Returns
    -------
    list of Labelled, int
        The answered bursts, and the ``cramp`` answers out of reach (no candidate the decision weighs).
    """
    model = model or shipped_model()
    weighed = [(on, off, vector(f)) for on, off, f, _ in log if not gate(f, cfg)]
    out, out_of_reach = [], 0
    for lab in labels:
        if lab.label not in ("cramp", "not_cramp"):
            continue
        over = [x for on, off, x in weighed if on < lab.offset_s and lab.onset_s < off]
        if not over:
            out_of_reach += lab.label == "cramp"
            continue
        x = max(over, key=model.logit)
        out.append(Labelled(model.logit(x), tuple(model.standardised(x)), lab.label == "cramp"))
    return out, out_of_reach


def fit(items: list[Labelled], threshold: float, model: Model | None = None, out_of_reach: int = 0,
        bound: float = PERSONAL_MAX_LOGIT) -> Fit:
    """The adjustment for these answers (the module docstring's two steps).

    Parameters
    ----------
    items : list of Labelled
        The answered bursts.
    threshold : float
        The cramp threshold, log-odds (:func:`threshold_logit`).
    model : Model, optional
        The general model whose weights the personal ones adjust (default: the shipped one).
    out_of_reach : int
        ``cramp`` answers with no candidate: counted as missed before and after.
    bound : float
        How far any burst's log-odds may move (default PERSONAL_MAX_LOGIT, log-odds).
    """
    model = model or shipped_model()
    logit = np.array([i.logit for i in items], dtype=float)
    cramp = np.array([i.cramp for i in items], dtype=bool)
    z = np.array([i.z for i in items], dtype=float).reshape(len(items), len(model.inputs))
    both = cramp.any() and (~cramp).any()  # one kind of answer says which way to move, not along what
    direction = _direction(logit, z, cramp, model) if both else np.zeros(len(model.inputs))
    best = None
    for share in SHARES if direction.any() else (0.0,):
        w = np.round(share * direction, 3)
        offset, key = choose_offset(logit, cramp, threshold, z @ w, bound)
        key = (*key[:3], share, key[3])  # the smaller share first, then the smaller offset
        if best is None or key < best[0]:
            best = (key, offset, w)
    _, offset, w = best
    on = _over(logit, z @ w, offset, threshold, bound)
    base = logit >= threshold
    return Fit(offset, tuple((n, float(v)) for n, v in zip(model.inputs, w) if v != 0.0),
               int((base & ~cramp).sum()), int((on & ~cramp).sum()), int((base & cramp).sum()),
               int((base & cramp & on).sum()), int((~base & cramp).sum()) + out_of_reach,
               int((~on & cramp).sum()) + out_of_reach)


def choose_offset(logit: np.ndarray, cramp: np.ndarray, threshold: float, shift: np.ndarray | None = None,
                  bound: float = PERSONAL_MAX_LOGIT) -> tuple[float, tuple]:
    """The offset (log-odds, on a 0.01 grid within ±``bound``) the labels ask for, and its ranking key.

    ``logit``: the general model's log-odds of each labelled burst; ``cramp``:
    its answer; ``shift``: what personal weights add to each (log-odds, none by
    default). The key ranks, in order: labelled cramps the general decision
    counted that fall under ``threshold`` (log-odds), labelled false cramps
    over it, labelled cramps under it, the offset's size.
    """
    shift = np.zeros(len(logit)) if shift is None else shift
    grid = np.round(np.arange(-round(bound / STEP), round(bound / STEP) + 1) * STEP, 2)
    on = _over(logit[None, :], shift[None, :], grid[:, None], threshold, bound)
    counted = cramp & (logit >= threshold)
    keys = [(int((counted & ~o).sum()), int((~cramp & o).sum()), int((cramp & ~o).sum()), abs(float(d)))
            for o, d in zip(on, grid)]
    k = min(range(len(grid)), key=keys.__getitem__)
    return float(grid[k]) + 0.0, keys[k]  # + 0.0: no -0.0 in a profile


def threshold_logit(cfg: DetectorConfig, model: Model | None = None) -> float:
    """The cramp threshold of ``cfg`` (the model's unless overridden) in log-odds."""
    return log_odds(thresholds(cfg, model)[0])


def _over(logit, shift, offset, threshold: float, bound: float):
    """Which bursts reach ``threshold`` with the move ``offset + shift`` held within ±``bound``."""
    return logit + np.clip(offset + shift, -bound, bound) >= threshold


def _direction(logit: np.ndarray, z: np.ndarray, cramp: np.ndarray, model: Model) -> np.ndarray:
    """Personal weights (log-odds per SD): ridge logistic regression with the general log-odds as offset.

    An input whose weight, general plus personal, would run against
    DIRECTION (in either of the model's weight sets) is held at its general
    weight and the rest fitted again.
    """
    general = np.array([part.weights for part in model.parts()])
    sign = np.array([DIRECTION[name] for name in model.inputs])
    free = np.ones(general.shape[1], dtype=bool)
    while free.any():
        dw = np.zeros(general.shape[1])
        dw[free] = _ridge(logit, z[:, free], cramp.astype(float))
        wrong = (sign * (general + dw) < -1e-12).any(axis=0)
        if not wrong.any():
            return dw
        free &= ~wrong
    return np.zeros(general.shape[1])


def _ridge(offset: np.ndarray, z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Newton's method for ``y ~ sigmoid(offset + b + z·w)``, ridge RIDGE on ``w``; returns ``w``.

    Each step is halved until it lowers the penalised loss: the general log-odds
    of look-alikes far over the threshold (up to tens) saturate the sigmoid, and
    a full Newton step from there can overshoot without end.
    """
    x = np.column_stack([np.ones(len(z)), z])
    beta = np.zeros(x.shape[1])
    ridge = np.full(x.shape[1], RIDGE)
    ridge[0] = 1e-3  # the intercept is nearly free: the offset is chosen afterwards by the counts

    def loss(b: np.ndarray) -> float:
        eta = offset + x @ b
        return float(np.sum(np.logaddexp(0.0, eta) - y * eta) + 0.5 * ridge @ (b * b))

    for _ in range(ITERATIONS):
        p = 1.0 / (1.0 + np.exp(-np.clip(offset + x @ beta, -50.0, 50.0)))
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(ridge)
        step = np.linalg.solve(hess, x.T @ (p - y) + ridge * beta)
        before = loss(beta)
        while loss(beta - step) > before and np.abs(step).max() > 1e-12:
            step = step / 2.0
        beta -= step
        if not np.all(np.isfinite(beta)):
            return np.zeros(z.shape[1])
        if np.abs(step).max() < 1e-9:
            break
    return beta[1:]


def describe(f: Fit) -> str:
    """How the decision moves, in words: ``-0.80 log-odds and 3 personal weights``."""
    weights = f" and {len(f.weights)} personal weight{'s' * (len(f.weights) != 1)}" if f.weights else ""
    return f"{f.offset:+.2f} log-odds{weights} (at most ±{PERSONAL_MAX_LOGIT:g})"

