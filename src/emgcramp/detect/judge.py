"""Judging a closed episode candidate: a cramp (tonic or clonic), or a look-alike and why."""

from __future__ import annotations

from emgcramp.core.config import DetectorConfig
from emgcramp.core.types import Candidate, PriorMovement
from emgcramp.detect.movements import like_series


def judge(c: Candidate, cfg: DetectorConfig, recent_lms: list[PriorMovement]) -> tuple[str, str]:
    """Decide what a candidate is: ``("tonic"|"clonic", "")`` or ``("", reason)``.

    A cramp starts suddenly, holds, and is involuntary; the rules test each,
    in order (durations in s, levels × the rest level unless said):

    1. shorter than ``min_duration_s`` (3): ``short`` (jerks, twitches);
    2. over 20 % signal loss (a dead line, or an input pinned at the rail):
       ``signal_loss``; over 30 % of the time with motion artefact, or, on
       a burst held at 10 × rest or more, low-frequency (1–25 Hz) voltage at
       0.35 × the EMG's RMS or more: ``motion``. A movement moves the
       electrodes; a cramp holds the leg. Cramp EMG carries ~0.16 of its
       RMS there, position changes 0.2–1.4 (field excerpts), so this
       catches the plainer ones;
    3. median envelope under a quarter of its peak and never half its peak
       for ``min_duration_s`` on end: ``intermittent`` — not held: a run of
       leg movements joined by raised tone, heartbeats, pops. (A cramp
       followed by a weaker stretch of the foot has a low median but held
       its level while it lasted.);
    4. held under ``hold_min_ratio`` (3) × rest, the contrast rule 5 asks
       over the background, asked over rest itself: ``weak``. Home
       recordings show 2–5 × rest of tension before cramps; a weak cramp
       at 3–5 × is still told from that tension by rule 5, since tension
       creeps up over tens of seconds and a cramp does not;
    5. not sudden: held less than 3 × above the background of the 30 s
       before (tone raised by lighter sleep, heartbeat bleed that has come
       and stays), or, under 20 × that background, climbing from 20 % to
       80 % of the way from the background to its held level in more than
       1.2 s (``max_rise_to_hold_s``: sleep depth moves tone over 10–60 s, a
       cramp's drive rises within about a second; 20–80 % is the usual
       edge measure, and unlike a fixed multiple of the background it is
       not lengthened by tension creeping up before the cramp): ``tone_change``;
    6. within leg-movement length (≤ 10 s) a burst must be strong: 12 × rest,
       or 6 × rest once it has lasted 5 s, longer than most leg movements
       (periodic ones last 1.5–4 s): else ``leg_movement``;
    7. within leg-movement length, a burst that continues a run of leg
       movements spaced as periodic ones are (``recent_lms``: (onset s,
       peak µV, duration s) of earlier LMs scored by the AASM rules, two or
       more chained at 5–90 s) is part of the series,
       ``leg_movement_series``, unless 4 × stronger than they are
       (:func:`emgcramp.detect.movements.like_series`) or clonic (a leg movement
       is one burst; a clonic cramp contracts again and again). A live decision cannot wait
       for the fourth LM that makes a series; the night's record retracts
       the first ones once it is known (:meth:`emgcramp.pipeline.Pipeline.analysis`);
    8. mostly quiet inside (activity over less than half the time, a quarter
       for clonic ones): ``sparse``;
    9. otherwise a cramp: ``clonic`` when the 0.1-s envelope rises and
       relaxes at least 3 times at ≥ 0.25 Hz, else ``tonic``.

    Past 10 s nothing is a leg movement: sustained, near-continuous activity
    is what tells a cramp from an LM series.
    """
    if c.duration_s < cfg.judge.min_duration_s:
        return "", "short"
    if c.flat > cfg.judge.max_flat_fraction:
        return "", "signal_loss"
    if c.motion > cfg.judge.max_motion_fraction or _moved(c, cfg):
        return "", "motion"
    if c.hold_uv < cfg.judge.min_hold_share * c.peak_uv and c.held_run_s < cfg.judge.min_duration_s:
        return "", "intermittent"
    if c.hold_uv < cfg.judge.hold_min_ratio * c.rest_uv:
        return "", "weak"
    if not _sudden(c, cfg):
        return "", "tone_change"
    rate = c.rises / max(c.duration_s, 1e-9)
    clonic = c.rises >= cfg.judge.clonic_min_rises and rate >= cfg.judge.clonic_min_rate_hz
    if c.duration_s <= cfg.movements.lm_max_s:
        j = cfg.judge
        need = j.sustained_min_peak_ratio if c.duration_s >= j.sustained_s else j.short_min_peak_ratio
        if c.peak_uv < need * c.rest_uv:
            return "", "leg_movement"
        chain = _series_chain(c.onset_s, recent_lms, cfg)
        if not clonic and len(chain) >= 2 and like_series(c.peak_uv, chain, cfg):
            return "", "leg_movement_series"
    if c.duty < (cfg.judge.clonic_min_duty if clonic else cfg.judge.min_duty):
        return "", "sparse"
    return ("clonic" if clonic else "tonic"), ""


def _moved(c: Candidate, cfg: DetectorConfig) -> bool:
    """Low-frequency voltage beside a strong burst: the electrodes moved (rule 2 of :func:`judge`)."""
    return c.hold_uv >= cfg.judge.motion_lf_min_ratio * c.rest_uv and c.lf_ratio >= cfg.judge.motion_lf_ratio


def _sudden(c: Candidate, cfg: DetectorConfig) -> bool:
    """Held well above the background before it, reached quickly (rule 5 of :func:`judge`)."""
    if c.contrast < cfg.judge.min_contrast:
        return False
    return c.contrast >= cfg.judge.sudden_contrast or c.rise_s <= cfg.judge.max_rise_to_hold_s


def _series_chain(onset_s: float, recent_lms: list[PriorMovement],
                  cfg: DetectorConfig) -> list[tuple[float, float]]:
    """(peak µV, duration s) of the earlier LMs that chain back from ``onset_s`` at PLM spacing."""
    chain, t = [], onset_s
    for on, peak, dur in sorted(recent_lms, reverse=True):
        gap = t - on
        if gap < cfg.movements.lm_min_interval_s:
            continue
        if gap > cfg.movements.lm_series_window_s:
            break
        chain.append((peak, dur))
        t = on
    return chain
