"""The one cramp decision: evidence in, a probability, a tier and a main reason out.

Every candidate burst the segmenter proposes comes here as a
:class:`~emgcramp.detect.features.Features` record, and nowhere else is a
burst called a cramp or turned down. On a recording of several muscles,
what the other channels showed over a calf cramp comes here too, as a
:class:`~emgcramp.detect.features.MuscleEvidence` record that
:mod:`emgcramp.detect.muscles` measures (:func:`overrule`).

The decision is a logistic model over the record's inputs
(:data:`~emgcramp.detect.features.INPUTS`), :class:`~emgcramp.detect.model.Model`:
``p = 1 / (1 + exp(-(b + Σ wᵢ·zᵢ)))`` with ``zᵢ`` each input standardised by
the mean and spread it had in the fitting data, the duration held at a
length chosen in the fit (past it, length no longer speaks for a cramp, as
tone and wakefulness last longer than most cramps), and one set of weights
for brief bursts and one for long ones (the length chosen in the fit). The
weights, the standardisation, the cap, the split and the two tier
thresholds ship in ``model.json``; ``bench/bench_families.py`` fits them
on synthetic nights of several independently written generator families,
and reports each family left out of the fit in turn (``bench/RESULTS.md``).
The shipped weights and intercepts carry a calibration: scaled by how far
the log-odds of a model fitted on some families held on another
(cross-fitted Platt scaling), so that a probability means about as many
cramps on nights of a new kind. No weight was set by hand; the stated
rules below use settings of :mod:`emgcramp.core.config`, each under its source.

Two things are not weighed but stated, since no evidence outweighs them:

- ``signal_loss``: over ``max_flat_fraction`` (20 %) of the burst is a dead
  line or an input pinned at a rail: there is no EMG to judge;
- ``short``: under ``min_duration_s`` (3 s, the user's ``--min-duration``),
  unless a gap in the signal cut it (its length is then unknown):
  cramps last from seconds to minutes (Miller & Layzer 2005, Muscle Nerve
  32:431, doi:10.1002/mus.20341; Allen & Kirby 2012, Am Fam Physician
  86:350), a jerk or a twitch is shorter.

And on a recording with a tibialis channel (:func:`overrule`, the
physiology in its docstring; one channel cannot tell these, and no family
of test nights has a tibialis to fit a weight on):

- ``stretch``: the tibialis active from the onset (``coactive_ratio``, 2 ×
  its rest, over the first ``onset_window_s``, 2 s), over ``stretch_share``
  (half) of the burst and at least as high over its rest as the calf:
  the foot pulled up;
- ``voluntary``: the tibialis co-active at the onset, every calf channel
  involved, and no longer than ``voluntary_max_s`` (15 s): a plantar
  flexion.

And once the leg movements of the night are scored (:func:`in_series`):

- ``leg_movement_series``: a cramp of leg-movement length (at most
  ``lm_max_s``, 10 s, AASM) that turns out to be one of a PLM series'
  movements, not a clonic one, and under ``plm_cramp_peak_ratio`` (4) ×
  the series' median peak. It was judged before the rest of the series
  had come (live, its alert has gone out); the night's record retracts it.

Tiers: ``cramp`` (counted, alarmed) when ``p`` reaches the cramp
threshold, chosen in the fit for at most 0.1 false cramps an hour on the
fitting nights, or the person's own (``judge.cramp_probability``, the
command line's ``--cramp-threshold``);
``possible_cramp`` (listed, never alarmed) from the floor, chosen so the
two tiers together find nearly every cramp, and above the cramp threshold
a burst the recording opened inside (``open_at_start``) or a part under
``min_duration_s`` that a gap cut off (``cut_short``), whose length is not
known; below the floor, a look-alike, with the input that spoke most against
a cramp as its reason
(:data:`~emgcramp.detect.features.REASON_OF`), or ``uncertain`` when none did.

A person's own adjustment (``judge.personal_logit_offset`` and
``judge.personal_weights``, learned from the labels of their nights by
:mod:`emgcramp.detect.personal`) is added to the log-odds before the tiers:
``p = 1 / (1 + exp(-(b + Σ wᵢ·zᵢ + m)))`` with the move
``m = offset + Σ Δwᵢ·zᵢ`` held within ±:data:`~emgcramp.core.config.PERSONAL_MAX_LOGIT`
(0.9 log-odds), so the labels shift where the tiers fall for that person and
never further than that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emgcramp.core.config import PERSONAL_MAX_LOGIT, DetectorConfig, JudgeConfig
from emgcramp.core.errors import InputError
from emgcramp.core.types import Episode, LegMovement
from emgcramp.detect.features import INPUTS, REASON_OF, Features, MuscleEvidence, vector
from emgcramp.detect.model import Model, shipped_model, sigmoid

CRAMP, POSSIBLE = "cramp", "possible_cramp"



@dataclass(frozen=True)
class Decision:
    """The verdict on one burst: ``tier`` ``cramp``, ``possible_cramp`` or ``""`` (a look-alike).

    ``kind`` is ``tonic`` or ``clonic`` whatever the tier; ``reason`` says
    why a burst is not (confidently) a cramp: for a look-alike the input
    that weighed most against it, for a possible cramp the same, ``""`` for
    a cramp.
    """

    probability: float
    tier: str
    kind: str
    reason: str


def kind_of(f: Features, rises: int, cfg: DetectorConfig) -> str:
    """``clonic`` when the 0.1-s envelope rose and relaxed at least 3 times at ≥ 0.25 Hz, else ``tonic``.

    Clonic cramps alternate contraction and relaxation; a tonic plateau's
    slow waver does not make three full relaxations.
    """
    j = cfg.judge
    return "clonic" if rises >= j.clonic_min_rises and f.clonic_rate_hz >= j.clonic_min_rate_hz else "tonic"


def gate(f: Features, cfg: DetectorConfig, cut: bool = False) -> str:
    """The stated reason that stops ``f`` before any weight (``signal_loss``, ``short``), or ``""``."""
    if f.flat > cfg.judge.max_flat_fraction:
        return "signal_loss"
    if f.duration_s < cfg.judge.min_duration_s and not cut:
        return "short"
    return ""


def thresholds(cfg: DetectorConfig, model: Model | None = None) -> tuple[float, float]:
    """The cramp threshold and the possible floor (probabilities, 0–1): the user's, else ``model``'s (the shipped one).

    A cramp threshold under the floor lowers the floor to it: a burst from there on is a cramp, and no burst is
    possible (it left bursts between the two rejected, neither tier's)."""
    j, model = cfg.judge, model or shipped_model()
    cramp = j.cramp_probability if j.cramp_probability is not None else model.cramp_threshold
    return cramp, min(cramp, j.possible_probability if j.possible_probability is not None else model.possible_floor)


def check_personal(judge: JudgeConfig, model: Model | None = None) -> None:
    """:class:`InputError` when the person's weights name an input ``model`` (the shipped one) does not have."""
    inputs = (model or shipped_model()).inputs
    if unknown := [name for name, _ in judge.personal_weights if name not in inputs]:
        raise InputError(f"a personal weight names no input of the decision: {unknown[0]!r} (its inputs: "
                         f"{', '.join(inputs)}); a profile learned for another decision is learned again")


def personal_move(x: list[float], judge: JudgeConfig, model: Model) -> float:
    """The person's move of the log-odds of inputs ``x``: offset + Σ Δwᵢ·zᵢ, within ±PERSONAL_MAX_LOGIT."""
    move = judge.personal_logit_offset
    if judge.personal_weights:
        check_personal(judge, model)
        z = dict(zip(model.inputs, model.standardised(x)))
        move += sum(w * z[name] for name, w in judge.personal_weights)
    return max(-PERSONAL_MAX_LOGIT, min(PERSONAL_MAX_LOGIT, move))


def overrule(ev: MuscleEvidence, duration_s: float, cfg: DetectorConfig) -> tuple[str, tuple[str, ...]]:
    """What the other muscles say of a calf cramp of ``duration_s`` (s): a reason it is none (``""``), and flags.

    Physiology: a cramp is an involuntary discharge of one muscle; its
    antagonist stays silent (reciprocal inhibition) until the person
    stretches, and it may seize one head of the gastrocnemius alone. A
    voluntary plantar flexion recruits both heads together, with some
    co-contraction of the tibialis to steady the ankle. Pulling the foot up
    to stretch the calf is tibialis work from the start. Tibialis work that
    begins after the onset and lasts ``onset_window_s`` or more is the usual
    relief stretch: flagged ``stretched``, still a cramp.
    """
    m = cfg.muscles
    if not ev.tibialis:
        return "", ()
    if ev.coactive and ev.tibialis_share >= m.stretch_share and ev.tibialis_over_calf:
        return "stretch", ()
    if ev.coactive and ev.all_heads and duration_s <= m.voluntary_max_s:
        return "voluntary", ()
    return "", ("stretched",) if ev.tibialis_active_s >= m.onset_window_s else ()


def in_series(e: Episode, moves: list[LegMovement], cfg: DetectorConfig) -> bool:
    """True when the cramp ``e`` is one of the movements of a PLM series of ``moves`` (``leg_movement_series``).

    Of LM length (AASM: 0.5–10 s), overlapping a movement of a series, not
    clonic, and of a kind with that series' other movements: periodic
    movements are stereotyped in strength, and a cramp among them stands out
    by ``plm_cramp_peak_ratio`` × their median peak. Length does not tell:
    leg movements run anywhere from 0.5 to 10 s.
    """
    mine = [m for m in moves if m.series and m.onset_s < e.offset_s and e.onset_s < m.offset_s]
    if e.duration_s > cfg.movements.lm_max_s or not mine or e.kind == "clonic":
        return False
    peaks = [m.peak_uv for m in moves if m.series == mine[0].series and m not in mine]
    return not peaks or bool(e.peak_intensity < cfg.movements.plm_cramp_peak_ratio * np.median(peaks))


# The reason of a burst below the cramp threshold that no input spoke against.
UNSURE = "uncertain"


def decide(f: Features, rises: int, cfg: DetectorConfig, model: Model | None = None, cut: bool = False,
           unseen_onset: bool = False) -> Decision:
    """The verdict on one burst (see the module docstring).

    ``cut``: a gap in the signal cut the burst, so how long it lasted is not
    known; it is weighed, not refused as ``short``, and under ``min_duration_s``
    it is a possible cramp at most (``cut_short``): the model is fitted on
    bursts from that length on (3 s, ``bench/bench_families.py``), and says
    nothing sure of a shorter one (a 0.2-s part of a leg movement that a gap
    cut was a cramp at 0.99). ``unseen_onset``: the
    recording began inside it (:mod:`~emgcramp.detect.opening`): how it rose,
    from what and after what are not known, nor the rest level the other
    muscles were read against, so it is listed as a possible cramp at most,
    never alarmed (a night that opens in waking tone that then settles looks
    alike).
    """
    kind = kind_of(f, rises, cfg)
    stop = gate(f, cfg, cut)
    if stop:
        return Decision(0.0, "", kind, stop)
    model = model or shipped_model()
    x = vector(f)
    p = sigmoid(model.logit(x) + personal_move(x, cfg.judge, model))
    cramp_at, floor = thresholds(cfg, model)
    short_cut = cut and f.duration_s < cfg.judge.min_duration_s
    if p >= cramp_at and not (unseen_onset or short_cut):
        return Decision(p, CRAMP, kind, "")
    if p >= cramp_at:
        return Decision(p, POSSIBLE, kind, "open_at_start" if unseen_onset else "cut_short")
    contrib = model.contributions(x)
    # The input that spoke most against it, among those the model weighs (one with no weight says
    # nothing). When none spoke against it, it fell short on its own: naming the input that spoke least
    # for it would blame, say, signal loss on a burst that had none.
    weights = model.part(x).weights
    said = [i for i, name in enumerate(INPUTS) if REASON_OF[name] and weights[i]] or \
        [i for i, name in enumerate(INPUTS) if REASON_OF[name]]
    worst = min(said, key=contrib.__getitem__)
    reason = REASON_OF[INPUTS[worst]] if contrib[worst] < 0 else UNSURE
    return Decision(p, POSSIBLE if p >= floor else "", kind, reason)
