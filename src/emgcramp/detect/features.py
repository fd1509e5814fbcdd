"""What a candidate burst shows, as named numbers: the evidence the decision weighs.

The segmenter proposes candidates and decides nothing; each one leaves
the detector as a :class:`Features` record. The names carry the units
(``_s`` seconds, ``_x_rest`` multiples of the rest level, ``_hz`` Hz, the
rest fractions of the burst in [0, 1]). Levels are ratios, never µV, so
that the same record means the same thing for any gain, electrode spacing
or subcutaneous fat: a cut in µV tuned on one placement breaks on another.

:func:`vector` turns a record into the model's inputs (logarithms of the
ratios and durations, the rest as they are); :data:`REASON_OF` names,
for each input, the look-alike a low value of it speaks for, which is how
a rejected burst gets its main reason.
"""

from __future__ import annotations

import math
from typing import NamedTuple


class Features(NamedTuple):
    """The evidence about one candidate burst.

    Attributes
    ----------
    duration_s : float
        Onset to offset, s.
    hold_x_rest, peak_x_rest : float
        Median and largest 0.5-s envelope over the burst, × the rest level.
    contrast : float
        Held level over the background of the 30 s before it (× background).
    rise_s : float
        20 %–80 % rise from that background to the held level, s.
    hold_share : float
        Median over largest envelope: how flat the plateau is.
    held_run_share : float
        Longest stretch at half the largest envelope or more, over the duration.
    duty : float
        Share of the burst with the 0.1-s envelope above the OFF level.
    clonic_rate_hz : float
        Contractions (rises of the 0.1-s envelope) per second.
    motion, flat : float
        Share of the active bins with motion artefact, and with signal loss.
    lf_ratio : float
        Low-frequency (1–25 Hz) RMS over EMG-band RMS: electrodes that move.
    background_x_rest : float
        Median envelope of the 30 s before, × rest: the tone the burst rose from.
    lm_chain : int
        Leg movements chained at PLM spacing (5–90 s) right before it, when it is
        itself of leg-movement length (≤ 10 s); else 0.
    series_ratio : float
        Its peak over the median peak of that chain (1 with no chain).
    recent_lms : int
        Leg movements in the 180 s before it: a restless stretch.
    announced : bool
        A pre-cramp warning (tension, twitching) that had closed led into it. Kept for the
        record, not weighed: whether the warning has closed when the burst is judged depends
        on how the signal was cut into blocks.
    fall_s : float
        80 %–20 % fall from the held level at its end, s.
    edge_motion_x_hold : float
        Largest low-frequency (motion) voltage within 1 s of its onset or its offset, × its held level.
    wax : float
        How much the held level waxes and wanes: SD over mean of its 1-s means, rise and fall left out.
    freq_hz : float
        The band-passed signal's RMS frequency over the burst, Hz (it tracks the median frequency;
        :func:`~emgcramp.detect.shape.rms_frequency`). NaN when not measured. Kept for the record, not
        weighed: its level depends on the placement (depth and fat low-pass the EMG) and on the sampling
        rate (below 1 kHz the band-pass stops at 0.45 × the rate).
    freq_drift : float
        Its relative change from the first to the last third of the burst's middle (negative: it fell,
        as in a fatiguing contraction); NaN for a burst too short to tell. Kept for the record, not
        weighed: it separates cramps from look-alikes in one generator family of four (the one that
        models fatigue; ``bench/RESULTS.md``, *Kept for the record*).
    """

    duration_s: float
    hold_x_rest: float
    peak_x_rest: float
    contrast: float
    rise_s: float
    hold_share: float
    held_run_share: float
    duty: float
    clonic_rate_hz: float
    motion: float
    flat: float
    lf_ratio: float
    background_x_rest: float
    lm_chain: int
    series_ratio: float
    recent_lms: int
    announced: bool
    fall_s: float = 0.0
    edge_motion_x_hold: float = 0.0
    wax: float = 0.0
    freq_hz: float = float("nan")
    freq_drift: float = float("nan")


class MuscleEvidence(NamedTuple):
    """What the other channels of the leg show over a calf burst (measured by :mod:`emgcramp.detect.muscles`).

    Levels are each channel's envelope × its own rest level.

    Attributes
    ----------
    muscles : tuple of str
        The calf channels involved, in the recording's order: the burst's own, and each other one
        whose mean level over it (before any stretch began) reached ``involve_ratio`` × rest.
    all_heads : bool
        Every calf channel recorded was involved.
    tibialis : bool
        A tibialis channel was recorded; without one, none of the fields below is measured.
    coactive : bool
        The tibialis at ``coactive_ratio`` × rest or more over the first ``onset_window_s`` (s).
    tibialis_share : float
        Share of the burst with the tibialis at ``involve_ratio`` × rest or more, in [0, 1].
    tibialis_active_s : float
        Time with the tibialis at ``involve_ratio`` × rest or more over the burst, s (its share of the
        burst's recorded bins times the burst's length: a stretch without signal counts at that share).
    tibialis_over_calf : bool
        The tibialis's mean level over the burst at least the calf channel's.
    """

    muscles: tuple[str, ...]
    all_heads: bool
    tibialis: bool = False
    coactive: bool = False
    tibialis_share: float = 0.0
    tibialis_active_s: float = 0.0
    tibialis_over_calf: bool = False


# The model's inputs, in order: (name, how it is taken from the record).
_LOG = ("duration_s", "hold_x_rest", "peak_x_rest", "contrast", "background_x_rest", "series_ratio",
        "edge_motion_x_hold")
INPUTS: tuple[str, ...] = (
    "log_duration_s", "log_hold_x_rest", "log_peak_x_rest", "log_contrast", "log_background_x_rest",
    "log_series_ratio", "log_edge_motion_x_hold", "log1p_rise_s", "hold_share", "held_run_share", "duty",
    "clonic_rate_hz", "motion",
    "flat", "lf_ratio", "lm_chain", "recent_lms", "log1p_fall_s", "wax")

# The look-alike a low contribution of each input speaks for (the colours of the night report); None:
# the input says what a cramp is like, not what a look-alike is (a steady burst is no less a cramp).
REASON_OF: dict[str, str | None] = {
    "clonic_rate_hz": None,
    "log_duration_s": "brief", "log_hold_x_rest": "weak", "log_peak_x_rest": "weak",
    "log_contrast": "tone_change", "log_background_x_rest": "tone_change", "log1p_rise_s": "tone_change",
    "log_series_ratio": "leg_movement_series", "lm_chain": "leg_movement_series",
    "recent_lms": "leg_movement_series", "hold_share": "intermittent", "held_run_share": "intermittent",
    "duty": "sparse", "motion": "motion", "lf_ratio": "motion", "log_edge_motion_x_hold": "motion",
    "flat": "signal_loss", "log1p_fall_s": "leg_movement", "wax": "voluntary",
}


# Which way each input may push the probability when the model is fitted (+1 towards a cramp, -1
# away): what the physiology says, so that a fit cannot learn a quirk of one simulator
# that runs the other way (the fit holds a weight at 0 rather than let it change sign).
# A cramp lasts, holds a high level over rest and over the background it rose from, reached
# suddenly and fading slowly, and is continuous (Miller & Layzer 2005, doi:10.1002/mus.20341;
# Minetto et al. 2013, doi:10.1097/JES.0b013e3182724817); movements move the electrodes, leg
# movements come in series of like bursts (AASM/WASM: Ferri et al. 2016,
# doi:10.1016/j.sleep.2016.10.010). Rhythmic contraction and relaxation, held, is a clonic cramp's
# mark; look-alikes are single bursts, or series spaced 5–90 s apart.
DIRECTION: dict[str, int] = {
    "log_duration_s": 1, "log_hold_x_rest": 1, "log_peak_x_rest": 1, "log_contrast": 1,
    "log_background_x_rest": -1, "log_series_ratio": 1, "log1p_rise_s": -1, "hold_share": 1,
    "held_run_share": 1, "duty": 1, "clonic_rate_hz": 1, "motion": -1, "flat": -1, "lf_ratio": -1,
    "lm_chain": -1, "recent_lms": -1, "log1p_fall_s": 1, "log_edge_motion_x_hold": -1, "wax": 1,
}


def _log(x: float) -> float:
    """Natural log, floored at 1e-3 so that a zero or a NaN level stays a finite input."""
    return math.log(x) if x > 1e-3 else math.log(1e-3)


def vector(f: Features) -> list[float]:
    """The model's inputs (:data:`INPUTS`) for one record."""
    logs = [_log(getattr(f, name)) for name in _LOG]
    rest = [math.log1p(max(f.rise_s, 0.0)), f.hold_share, f.held_run_share, f.duty, f.clonic_rate_hz, f.motion,
            f.flat, f.lf_ratio, float(min(f.lm_chain, 4)), float(min(f.recent_lms, 10)),
            math.log1p(max(f.fall_s, 0.0)), f.wax]
    return [v if math.isfinite(v) else 0.0 for v in logs + rest]
