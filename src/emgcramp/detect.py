"""Cramp detection: a streaming state machine over the binned EMG envelope.

Input is one channel of :class:`emgcramp.dsp.Bins` at the detector rate
(``env_rate``, 50 Hz by default). Per bin the Numba kernel

1. smooths the envelope: RMS over 0.5 s (``env``, decisions and intensity)
   and over 0.1 s (``env_s``, to see the relaxations of clonic cramps);
2. measures motion: the raw bin means, high-passed at 1 Hz, as RMS over
   0.5 s; low-frequency power well above the EMG band marks a motion
   artefact or electrode pop;
3. marks the bin flat when nearly all its samples repeat (lead-off, rail
   saturation) or it carries no power;
4. tracks the person's rest level: each second of idle, non-flat envelope
   gives one mean; the rest level is the 20th percentile of the last two
   minutes of those. It is frozen inside an episode, so a ten-minute cramp
   does not become the new rest;
5. runs the hysteresis: an episode starts when ``env`` reaches the ON
   threshold with 40 % of its window over ON (so lone twitches, single
   motor-unit discharges, cannot start one) and ends once ``env`` has stayed under the OFF threshold for
   ``merge_gap_s`` (so the relaxations of a clonic cramp do not split it).
   An episode longer than ``max_duration_s`` is closed there and the rest
   level restarts from the current level (a lasting level shift, not a
   cramp, would otherwise never end).

Thresholds are relative to rest, with an absolute floor so that a very
quiet amplifier does not turn noise into episodes:
``ON = max(on_ratio·rest, rest + on_delta_uv)``, likewise OFF.

Per bin the kernel also leaves a trace (envelopes, rest, flags;
:mod:`emgcramp.trace`) that two more Numba passes read on the same block:
leg-movement scoring by the AASM rules (:mod:`emgcramp.movements`) and the
pre-cramp watch (:mod:`emgcramp.precramp`).

Each closed episode candidate is then judged in Python by :func:`judge`,
rule by rule, into a cramp (tonic or clonic) or a rejection with a reason.
Amplitude alone misleads (a cramp may engage only part of the muscle, a
leg movement can be louder), so the rules weigh what lasts: a short burst
needs to be strong and isolated, a long one needs to be mostly active and
free of motion and signal loss.

Times: episode edges are where the 0.1-s envelope crosses the EDGE level,
``max(2·rest, rest + 3 µV)``, below OFF so that a weak cramp's ramps count. The window is
causal, so a rising edge crosses the low OFF threshold almost at once while
a falling edge crosses it one window late; offsets are moved back by that
window.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
from numba import njit

from emgcramp.movements import MovementScorer, like_series
from emgcramp.muscles import LevelHistory
from emgcramp.precramp import PreCrampWatch
from emgcramp.design import butter_sos
from emgcramp.trace import F_EPISODE, F_FLAT, F_MOTION, N_TRACE, T_BIN, T_ENV, T_ENV_S, T_FLAGS, T_REST


# Layout of the kernel's float state vector.
(_G, _POS_L, _SUM_L, _POS_S, _SUM_S, _POS_LF, _SUM_LF, _HP1, _HP2, _HP3, _HP4,
 _SEC_SUM, _SEC_CNT, _SEC_BINS, _HIST_N, _HIST_POS, _REST,
 _IN_EP, _START, _LAST_QUIET_S, _LAST_ACTIVE_S, _QUIET_RUN, _PEAK, _SUM_ENV, _N_ENV,
 _N_SHORT_ACT, _N_RISES, _SHORT_UP, _PEAK_S, _N_MOTION, _N_FLAT, _REST_EP, _ON_EP, _OFF_EP,
 _TOT_BINS, _TOT_FLAT, _TOT_MOTION, _REST_SUM, _REST_CNT, _EDGE_EP, _LAST_BELOW_ON_S, _SUM_LF2, _SUM_MS,
 _FLAT_SINCE_QUIET, _N_STATE) = range(45)

# Layout of the kernel's parameter vector.
(_P_WL, _P_WS, _P_ON_R, _P_ON_D, _P_OFF_R, _P_OFF_D, _P_MIN_REST, _P_MERGE, _P_MAX, _P_WARM,
 _P_RATE_BINS, _P_MOT_R, _P_MOT_MIN, _P_HP_B0, _P_HP_B1, _P_HP_B2, _P_HP_A1, _P_HP_A2,
 _P_FLAT, _P_RISE, _P_RELAX, _P_EDGE_R, _P_EDGE_D, _P_WALK, _P_SUSTAIN, _P_CLIP, _P_FOLLOW, _P_REST_Q, _N_PARAMS) = range(29)

# Columns of a closed candidate row.
(C_START, C_END, C_PEAK, C_SUM, C_N, C_SHORT_ACT, C_RISES, C_MOTION, C_FLAT, C_REST, C_REASON,
 C_LF2, C_MS, _N_COLS) = range(14)
REASON_QUIET, REASON_MAX_LENGTH, REASON_END = 0.0, 1.0, 2.0

HIST_LEN = 120  # seconds of rest history



@dataclass(frozen=True)
class DetectorConfig:
    """Detector settings. Durations in seconds, levels in µV, ratios × rest."""

    on_ratio: float = 5.0
    on_delta_uv: float = 10.0
    off_ratio: float = 3.0
    off_delta_uv: float = 5.0
    # Episode edges: where the 0.1-s envelope leaves / returns to this level.
    edge_ratio: float = 2.0
    edge_delta_uv: float = 3.0
    # A cramp's onset is found at most this far before its climb to ON.
    max_rise_s: float = 0.5
    # An episode starts only when this share of the 0.5-s window is over ON.
    sustain_fraction: float = 0.4
    min_rest_uv: float = 1.0
    min_duration_s: float = 3.0
    merge_gap_s: float = 2.0
    max_duration_s: float = 900.0
    warmup_s: float = 5.0
    long_window_s: float = 0.5
    short_window_s: float = 0.1
    motion_ratio: float = 1.5
    motion_min_uv: float = 20.0
    flat_fraction: float = 0.9
    # A loud bin with this share of repeated samples is pinned at the rail (lead-off, saturation).
    # Live EMG at 16 bits repeats under 10 % of its samples (field excerpts, p99.9 of all bins).
    clip_fraction: float = 0.5
    # Inside an episode the rest level keeps learning while the envelope stays under this × rest:
    # twice ON, above the 2–5 × rest of pre-cramp tension (home recordings) and of light-sleep tone.
    rest_follow_ratio: float = 10.0
    # Rest is this quantile of the idle 1-s means: low, so that the twitches and brief
    # movements of light sleep (a few s a minute) do not lift it, not the minimum, so one
    # quiet lull does not sink it (the usual low-percentile noise floor of EMG onset detection).
    rest_quantile: float = 0.2
    # What a cramp's held level must show (see judge): at least the jump over the background
    # (min_contrast) over rest itself (hold_min_ratio × rest), reached suddenly.
    hold_min_ratio: float = 3.0
    min_contrast: float = 3.0
    sudden_contrast: float = 20.0
    max_rise_to_hold_s: float = 1.2
    background_s: float = 30.0
    # A held contraction: its median envelope is at least this share of its peak, or it held
    # half its peak for min_duration_s without a break.
    min_hold_share: float = 0.25
    # Low-frequency (1–25 Hz) to EMG-band RMS over a strong burst: the electrodes moved.
    motion_lf_ratio: float = 0.35
    motion_lf_min_ratio: float = 10.0
    # Leg-movement sized bursts and their spacing in a series (AASM/WASM).
    lm_min_s: float = 0.5
    lm_max_s: float = 10.0
    lm_min_interval_s: float = 5.0
    # Such a burst counts as a cramp only when isolated and this strong (× rest);
    # from sustained_s on, less is asked (it outlasts most leg movements).
    short_min_peak_ratio: float = 12.0
    sustained_s: float = 5.0
    sustained_min_peak_ratio: float = 6.0
    lm_series_window_s: float = 90.0
    # Leg-movement scoring (AASM): onset +8 µV over rest, end after 0.5 s within +2 µV; series of 4.
    lm_on_delta_uv: float = 8.0
    lm_off_delta_uv: float = 2.0
    lm_end_quiet_s: float = 0.5
    plm_min_count: int = 4
    # A short burst this many times stronger, or longer, than the LMs of its series is a cramp among them.
    plm_cramp_peak_ratio: float = 4.0
    # Several muscles (emgcramp.muscles): involved at involve_ratio × own rest; tibialis co-active
    # at coactive_ratio × rest over the first 2 s; a voluntary plantar flexion lasts at most voluntary_max_s.
    involve_ratio: float = 3.0
    coactive_ratio: float = 2.0
    voluntary_max_s: float = 15.0
    # Pre-cramp watch (emgcramp.precramp): tension ≥ warn_ratio × rest over most of a window.
    warn_ratio: float = 1.5
    warn_delta_uv: float = 2.0
    warn_window_s: float = 10.0
    twitch_ratio: float = 3.0
    warn_min_twitches: int = 3
    warn_refractory_s: float = 30.0
    warn_link_s: float = 30.0
    max_motion_fraction: float = 0.3
    max_flat_fraction: float = 0.2
    min_duty: float = 0.5
    clonic_min_duty: float = 0.25
    # Clonic: the 0.1-s envelope alternates between above clonic_rise and
    # below clonic_relax times the episode's own peak.
    clonic_rise: float = 0.5
    clonic_relax: float = 0.2
    clonic_min_rises: int = 3
    clonic_min_rate_hz: float = 0.25
    mvc_uv: float | None = None

    def replace(self, **changes) -> "DetectorConfig":
        """A copy with some fields changed (``None`` values are ignored)."""
        vals = {f.name: getattr(self, f.name) for f in fields(self)}
        vals.update({k: v for k, v in changes.items() if v is not None})
        return DetectorConfig(**vals)


# A cramp can exceed a voluntary maximum somewhat (it recruits without the will's limits), but
# by more than half again the MVC on file was not maximal.
MAX_PCT_MVC = 150.0

@dataclass
class Episode:
    """A detected cramp.

    Attributes:
        onset_s, offset_s, duration_s: seconds from the recording start.
        kind: ``"tonic"`` or ``"clonic"``.
        peak_intensity, mean_intensity: envelope (0.5-s RMS) in µV.
        rest_uv: the rest level the episode was measured against, µV RMS.
        channel: channel name.
        duty: fraction of the episode with the 0.1-s envelope above OFF.
        pct_mvc: peak as % of maximal voluntary contraction, when known.
        flags: quality notes (``max_length``, ``open_at_end``, ``motion``,
            ``above_mvc``: over 150 % of the profile's MVC, which was then not maximal).
        warning_lead_s: when a pre-cramp warning announced it, how long
            before the onset that warning began (s).
        muscles: the channels involved (several on a multi-muscle recording).
    """

    onset_s: float
    offset_s: float
    duration_s: float
    kind: str
    peak_intensity: float
    mean_intensity: float
    rest_uv: float
    channel: str = ""
    duty: float = 1.0
    pct_mvc: float | None = None
    flags: list[str] = field(default_factory=list)
    warning_lead_s: float | None = None
    muscles: list[str] = field(default_factory=list)

    @property
    def peak_x_rest(self) -> float:
        """Peak envelope as a multiple of the rest level."""
        return self.peak_intensity / self.rest_uv

    @property
    def mean_x_rest(self) -> float:
        """Mean envelope as a multiple of the rest level."""
        return self.mean_intensity / self.rest_uv


@dataclass(frozen=True)
class Candidate:
    """An active stretch the state machine closed, before judgement.

    Times in seconds, levels in µV, fractions of the stretch in [0, 1].
    """

    onset_s: float
    offset_s: float
    peak_uv: float
    mean_uv: float
    rest_uv: float
    duty: float
    rises: int
    motion: float
    flat: float
    closed_by: float
    hold_uv: float = float("nan")
    background_uv: float = float("nan")
    rise_s: float = 0.0
    lf_ratio: float = 0.0
    held_run_s: float = 0.0

    @property
    def contrast(self) -> float:
        """Held level over the background before the onset (× background)."""
        return self.hold_uv / max(self.background_uv, self.rest_uv)

    @property
    def duration_s(self) -> float:
        return self.offset_s - self.onset_s


def judge(c: Candidate, cfg: DetectorConfig, recent_lms: list[tuple[float, float, float]]) -> tuple[str, str]:
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
       (:func:`emgcramp.movements.like_series`) or clonic (a leg movement
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
    if c.duration_s < cfg.min_duration_s:
        return "", "short"
    if c.flat > cfg.max_flat_fraction:
        return "", "signal_loss"
    if c.motion > cfg.max_motion_fraction or _moved(c, cfg):
        return "", "motion"
    if c.hold_uv < cfg.min_hold_share * c.peak_uv and c.held_run_s < cfg.min_duration_s:
        return "", "intermittent"
    if c.hold_uv < cfg.hold_min_ratio * c.rest_uv:
        return "", "weak"
    if not _sudden(c, cfg):
        return "", "tone_change"
    rate = c.rises / max(c.duration_s, 1e-9)
    clonic = c.rises >= cfg.clonic_min_rises and rate >= cfg.clonic_min_rate_hz
    if c.duration_s <= cfg.lm_max_s:
        need = cfg.sustained_min_peak_ratio if c.duration_s >= cfg.sustained_s else cfg.short_min_peak_ratio
        if c.peak_uv < need * c.rest_uv:
            return "", "leg_movement"
        chain = _series_chain(c.onset_s, recent_lms, cfg)
        if not clonic and len(chain) >= 2 and like_series(c.peak_uv, chain, cfg):
            return "", "leg_movement_series"
    if c.duty < (cfg.clonic_min_duty if clonic else cfg.min_duty):
        return "", "sparse"
    return ("clonic" if clonic else "tonic"), ""


def _longest_run(mask: np.ndarray) -> int:
    """Length of the longest run of True in ``mask``."""
    if not mask.any():
        return 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return int((edges[1::2] - edges[::2]).max())


def _moved(c: Candidate, cfg: DetectorConfig) -> bool:
    """Low-frequency voltage beside a strong burst: the electrodes moved (rule 2 of :func:`judge`)."""
    return c.hold_uv >= cfg.motion_lf_min_ratio * c.rest_uv and c.lf_ratio >= cfg.motion_lf_ratio


def _sudden(c: Candidate, cfg: DetectorConfig) -> bool:
    """Held well above the background before it, reached quickly (rule 5 of :func:`judge`)."""
    if c.contrast < cfg.min_contrast:
        return False
    return c.contrast >= cfg.sudden_contrast or c.rise_s <= cfg.max_rise_to_hold_s


def _series_chain(onset_s: float, recent_lms: list[tuple[float, float, float]],
                  cfg: DetectorConfig) -> list[tuple[float, float]]:
    """(peak µV, duration s) of the earlier LMs that chain back from ``onset_s`` at PLM spacing."""
    chain, t = [], onset_s
    for on, peak, dur in sorted(recent_lms, reverse=True):
        gap = t - on
        if gap < cfg.lm_min_interval_s:
            continue
        if gap > cfg.lm_series_window_s:
            break
        chain.append((peak, dur))
        t = on
    return chain


@njit(cache=True)
def _push(ring, pos, total, v):
    """Replace the oldest value of a running-sum ring; returns new pos, total."""
    w = ring.shape[0]
    total += v - ring[pos]
    ring[pos] = v
    pos += 1
    if pos == w:
        pos = 0
        total = 0.0
        for j in range(w):  # re-sum each lap so rounding cannot drift
            total += ring[j]
    return pos, total


@njit(cache=True)
def _write_row(S, out, i, end, reason):
    """Describe the open episode, ending at bin ``end``, in row ``i`` of ``out``."""
    start = S[_START]
    out[i, C_START] = start
    out[i, C_END] = max(end, start + 1.0)
    out[i, C_PEAK] = S[_PEAK]
    out[i, C_SUM] = S[_SUM_ENV]
    out[i, C_N] = S[_N_ENV]
    out[i, C_SHORT_ACT] = S[_N_SHORT_ACT]
    out[i, C_RISES] = S[_N_RISES]
    out[i, C_MOTION] = S[_N_MOTION]
    out[i, C_FLAT] = S[_N_FLAT]
    out[i, C_REST] = S[_REST_EP]
    out[i, C_REASON] = reason
    out[i, C_LF2] = S[_SUM_LF2]
    out[i, C_MS] = S[_SUM_MS]


@njit(cache=True)
def _close(S, out, n_out, end, reason):
    _write_row(S, out, n_out, end, reason)
    S[_IN_EP] = 0.0
    S[_LAST_QUIET_S] = S[_LAST_BELOW_ON_S] = S[_G] - 1.0
    return n_out + 1


@njit(cache=True)
def _sorted_swap(srt, n, old, new, drop_old):
    """Keep ``srt[:n]`` sorted as ``new`` joins, ``old`` leaving when ``drop_old``; returns the new n.

    The rest history changes by one value a second; keeping it sorted costs
    a shift of at most :data:`HIST_LEN` values, where sorting (or Numba's
    ``np.percentile``, whose compilation alone took ~4 s) costs far more.
    """
    if drop_old:
        i = 0
        while i < n - 1 and srt[i] != old:
            i += 1
        for k in range(i, n - 1):
            srt[k] = srt[k + 1]
        n -= 1
    i = n
    while i > 0 and srt[i - 1] > new:
        srt[i] = srt[i - 1]
        i -= 1
    srt[i] = new
    return n + 1


@njit(cache=True)
def _sorted_quantile(srt, n, q):
    """Quantile ``q`` (0–1) of sorted ``srt[:n]``, interpolated between ranks as Numba's ``np.percentile``."""
    if n == 1:
        return srt[0]
    rank = 1.0 + (n - 1) * q
    f = np.floor(rank)
    m = rank - f
    k = int(f) - 1
    return srt[k] * (1.0 - m) + srt[k + 1] * m


@njit(cache=True)
def _sustained(ring, level_sq, fraction):
    """True when at least ``fraction`` of the window's bins reach ``level_sq``.

    A lone twitch (one motor-unit discharge) fills one or two 20-ms bins: it
    can lift the 0.5-s RMS over ON but not half of the window.
    """
    n = 0
    for v in ring:
        if v >= level_sq:
            n += 1
    return n >= fraction * ring.shape[0]


@njit(cache=True, nogil=True)
def _segment(ms, mean, stuck, P, S, ring_l, ring_s, ring_lf, hist, hist_sorted, out, trace, flush):
    """Advance the state machine over bins; write closed candidates to ``out``.

    Row ``j`` of ``trace`` gets what later passes (leg movements, warnings)
    read: both envelopes, the rest level (-1 until it is known) and flags.
    """
    ws = P[_P_WS]
    n_out = 0
    for j in range(ms.shape[0]):
        g = S[_G]
        S[_POS_L], S[_SUM_L] = _push(ring_l, int(S[_POS_L]), S[_SUM_L], ms[j])
        S[_POS_S], S[_SUM_S] = _push(ring_s, int(S[_POS_S]), S[_SUM_S], ms[j])
        env = np.sqrt(max(S[_SUM_L], 0.0) / ring_l.shape[0])
        env_s = np.sqrt(max(S[_SUM_S], 0.0) / ring_s.shape[0])
        # 2nd-order high-pass at 1 Hz of the bin means (direct form I).
        hp = (P[_P_HP_B0] * mean[j] + P[_P_HP_B1] * S[_HP1] + P[_P_HP_B2] * S[_HP2]
              - P[_P_HP_A1] * S[_HP3] - P[_P_HP_A2] * S[_HP4])
        S[_HP2], S[_HP1] = S[_HP1], mean[j]
        S[_HP4], S[_HP3] = S[_HP3], hp
        S[_POS_LF], S[_SUM_LF] = _push(ring_lf, int(S[_POS_LF]), S[_SUM_LF], hp * hp)
        lf = np.sqrt(max(S[_SUM_LF], 0.0) / ring_lf.shape[0])
        # Dead line, or an input pinned at the rail: a loud bin whose samples mostly repeat.
        loud = P[_P_ON_R] * max(S[_REST], P[_P_MIN_REST])
        flat = stuck[j] >= P[_P_FLAT] or ms[j] <= 1e-9 or (stuck[j] >= P[_P_CLIP] and ms[j] >= loud * loud)
        motion = lf > P[_P_MOT_R] * env and lf > P[_P_MOT_MIN]
        S[_TOT_BINS] += 1.0
        if flat:
            S[_TOT_FLAT] += 1.0
        if motion:
            S[_TOT_MOTION] += 1.0

        # Rest level: per-second means of the envelope outside episodes, and
        # inside one while it stays below a contraction's level (tone that
        # rose slowly and stays is the night's new rest; a cramp is not).
        idle = S[_IN_EP] == 0.0 or env < P[_P_FOLLOW] * S[_REST_EP]
        if idle and not flat and not motion:
            S[_SEC_SUM] += env
            S[_SEC_CNT] += 1.0
        S[_SEC_BINS] += 1.0
        if S[_SEC_BINS] >= P[_P_RATE_BINS]:
            if S[_SEC_CNT] >= 0.5 * P[_P_RATE_BINS]:
                pos, value = int(S[_HIST_POS]), S[_SEC_SUM] / S[_SEC_CNT]
                full = S[_HIST_N] == hist.shape[0]
                S[_HIST_N] = _sorted_swap(hist_sorted, int(S[_HIST_N]), hist[pos], value, full)
                hist[pos] = value
                S[_HIST_POS] = (S[_HIST_POS] + 1.0) % hist.shape[0]
                S[_REST] = _sorted_quantile(hist_sorted, int(S[_HIST_N]), P[_P_REST_Q])
                S[_REST_SUM] += S[_REST]
                S[_REST_CNT] += 1.0
            S[_SEC_SUM], S[_SEC_CNT], S[_SEC_BINS] = 0.0, 0.0, 0.0
        rest = max(S[_REST], P[_P_MIN_REST])
        on = max(P[_P_ON_R] * rest, rest + P[_P_ON_D])
        off = max(P[_P_OFF_R] * rest, rest + P[_P_OFF_D])
        edge = max(P[_P_EDGE_R] * rest, rest + P[_P_EDGE_D])
        trace[j, T_ENV], trace[j, T_ENV_S], trace[j, T_BIN] = env, env_s, np.sqrt(max(ms[j], 0.0))
        trace[j, T_REST] = rest if S[_HIST_N] >= P[_P_WARM] else -1.0
        trace[j, T_FLAGS] = (F_FLAT if flat else 0) + (F_MOTION if motion else 0) + (F_EPISODE if S[_IN_EP] else 0)

        if S[_IN_EP] == 0.0:
            if env_s < edge:
                S[_LAST_QUIET_S] = g
                S[_FLAT_SINCE_QUIET] = 0.0
            elif flat:
                S[_FLAT_SINCE_QUIET] += 1.0
            if env_s < on:
                S[_LAST_BELOW_ON_S] = g
            if S[_HIST_N] >= P[_P_WARM] and not flat and env >= on and _sustained(ring_l, on * on, P[_P_SUSTAIN]):
                S[_IN_EP] = 1.0
                # Edges come from the 0.1-s envelope: it lags by 0.1 s, not 0.5 s.
                # ... but not back through a long stretch of raised tension (a
                # warning before the cramp): at most P_WALK before the climb to ON.
                S[_START] = max(S[_LAST_QUIET_S], S[_LAST_BELOW_ON_S] - P[_P_WALK]) + 1.0
                S[_LAST_ACTIVE_S] = g
                S[_QUIET_RUN] = 0.0
                S[_PEAK], S[_SUM_ENV], S[_N_ENV] = 0.0, 0.0, 0.0
                S[_N_SHORT_ACT], S[_N_RISES], S[_SHORT_UP], S[_PEAK_S] = 0.0, 0.0, 0.0, 0.0
                # A flat stretch the onset is walked back over (a lead-off ending in a
                # transient) counts as signal loss of this episode.
                S[_N_MOTION], S[_N_FLAT], S[_SUM_LF2], S[_SUM_MS] = 0.0, S[_FLAT_SINCE_QUIET], 0.0, 0.0
                S[_REST_EP], S[_ON_EP], S[_OFF_EP], S[_EDGE_EP] = rest, on, off, edge
        if S[_IN_EP] == 1.0:
            if env >= S[_OFF_EP]:
                S[_QUIET_RUN] = 0.0
            else:
                S[_QUIET_RUN] += 1.0
            S[_SUM_LF2] += hp * hp
            S[_SUM_MS] += ms[j]
            if S[_QUIET_RUN] == 0.0:
                S[_PEAK] = max(S[_PEAK], env)
                S[_SUM_ENV] += env
                S[_N_ENV] += 1.0
                if motion:
                    S[_N_MOTION] += 1.0
                if flat:
                    S[_N_FLAT] += 1.0
            if env_s >= S[_EDGE_EP]:
                S[_LAST_ACTIVE_S] = g
            if env_s >= S[_OFF_EP] and S[_QUIET_RUN] == 0.0:
                S[_N_SHORT_ACT] += 1.0
            # Contractions of a clonic cramp, relative to the episode's own level.
            S[_PEAK_S] = max(S[_PEAK_S], env_s)
            if S[_SHORT_UP] == 0.0 and env_s >= P[_P_RISE] * S[_PEAK_S]:
                S[_SHORT_UP] = 1.0
                S[_N_RISES] += 1.0
            elif S[_SHORT_UP] == 1.0 and env_s < P[_P_RELAX] * S[_PEAK_S]:
                S[_SHORT_UP] = 0.0
            if S[_QUIET_RUN] >= P[_P_MERGE]:
                n_out = _close(S, out, n_out, S[_LAST_ACTIVE_S] + 1.0 - ws, REASON_QUIET)
            elif g + 1.0 - S[_START] >= P[_P_MAX]:
                n_out = _close(S, out, n_out, g + 1.0, REASON_MAX_LENGTH)
                # A level that lasts this long is the new normal: restart rest there.
                hist[:] = env
                hist_sorted[:] = env
                S[_HIST_N] = hist.shape[0]
                S[_REST] = env
        S[_G] = g + 1.0
    if flush and S[_IN_EP] == 1.0:
        n_out = _close(S, out, n_out, S[_LAST_ACTIVE_S] + 1.0 - ws, REASON_END)
    return n_out


def _highpass_coeffs(rate: float) -> np.ndarray:
    sos = butter_sos(2, 1.0, rate, "highpass")[0]
    return np.r_[sos[:3], sos[4:]]


class RestMultiples:
    """The 0.5-s envelope as a multiple of the rest level, read from a detector's trace history.

    ``window`` gives NaN where the rest level was not known yet.
    """

    def __init__(self, history: LevelHistory):
        self._history = history
        self.rate = history.rate

    def window(self, t0_s: float, t1_s: float) -> np.ndarray:
        rows = self._history.window(t0_s, t1_s)
        rest = rows[:, T_REST]
        return np.where(rest > 0, rows[:, T_ENV] / np.where(rest > 0, rest, 1.0), np.nan)


class Detector:
    """Streaming cramp detector for one channel.

    Feed it :class:`~emgcramp.dsp.Bins` columns at ``rate`` Hz with
    :meth:`process`; it returns the episodes that closed in that stretch.
    ``origin_s`` is the time (s) of the first bin; times in episodes are
    relative to the recording start.
    """

    def __init__(self, rate: float, config: DetectorConfig | None = None, channel: str = "",
                 origin_s: float = 0.0):
        self.rate = float(rate)
        self.cfg = config or DetectorConfig()
        self.channel = channel
        self.origin_s = origin_s
        self.rejected: dict[str, int] = {}
        self.lookalikes: list[tuple[float, float, str]] = []  # (onset s, offset s, reason) of rejected bursts
        self.moves = MovementScorer(self.rate, self.cfg, channel, origin_s)
        self.watch = PreCrampWatch(self.rate, self.cfg, channel, origin_s)
        # The trace, long enough to hold an episode and the background before it.
        self.history = LevelHistory(self.rate, self.cfg.max_duration_s + 2 * self.cfg.background_s, origin_s,
                                    N_TRACE)
        self.levels = RestMultiples(self.history)
        self._params = self._make_params()
        wl, ws = int(self._params[_P_WL]), int(self._params[_P_WS])
        self._S = np.zeros(_N_STATE)
        self._S[_LAST_QUIET_S] = self._S[_LAST_BELOW_ON_S] = -1.0
        self._ring_l, self._ring_s, self._ring_lf = np.zeros(wl), np.zeros(ws), np.zeros(wl)
        self._hist = np.zeros(HIST_LEN)
        self._hist_sorted = np.zeros(HIST_LEN)

    def _make_params(self) -> np.ndarray:
        c, r = self.cfg, self.rate
        p = np.zeros(_N_PARAMS)
        p[_P_WL] = max(1, round(c.long_window_s * r))
        p[_P_WS] = max(1, round(c.short_window_s * r))
        p[_P_ON_R], p[_P_ON_D] = c.on_ratio, c.on_delta_uv
        p[_P_OFF_R], p[_P_OFF_D] = c.off_ratio, c.off_delta_uv
        p[_P_MIN_REST] = c.min_rest_uv
        p[_P_MERGE] = max(1, round(c.merge_gap_s * r))
        p[_P_MAX] = round(c.max_duration_s * r)
        p[_P_WARM] = c.warmup_s
        p[_P_RATE_BINS] = max(1, round(r))
        p[_P_MOT_R], p[_P_MOT_MIN] = c.motion_ratio, c.motion_min_uv
        p[_P_HP_B0:_P_HP_A2 + 1] = _highpass_coeffs(r)
        p[_P_FLAT] = c.flat_fraction
        p[_P_RISE], p[_P_RELAX] = c.clonic_rise, c.clonic_relax
        p[_P_EDGE_R], p[_P_EDGE_D] = c.edge_ratio, c.edge_delta_uv
        p[_P_WALK] = round(c.max_rise_s * r)
        p[_P_SUSTAIN] = c.sustain_fraction
        p[_P_CLIP] = c.clip_fraction
        p[_P_FOLLOW] = c.rest_follow_ratio
        p[_P_REST_Q] = c.rest_quantile
        return p

    @property
    def rest_uv(self) -> float:
        """Current rest level, µV RMS (0 before the first second)."""
        return float(self._S[_REST])

    def carry_over(self, prev: "Detector") -> None:
        """Keep what ``prev`` logged (after a gap restarts detection)."""
        self.rejected, self.lookalikes = prev.rejected, prev.lookalikes
        self.moves.movements, self.watch.warnings = prev.moves.movements, prev.watch.warnings

    def process(self, ms: np.ndarray, mean: np.ndarray, stuck: np.ndarray, flush: bool = False) -> list[Episode]:
        """Advance over 1-D bin arrays (µV², µV, fraction); return closed episodes.

        Leg movements and warnings found on the way are in ``moves.movements``
        and ``watch.warnings``; both passes run before the episodes are
        judged, since judging reads the leg movements that came before.
        """
        out = np.empty((len(ms) // max(1, int(self._params[_P_MERGE])) + 2, _N_COLS))
        trace = np.empty((len(ms), N_TRACE))
        n = _segment(np.ascontiguousarray(ms, dtype=float), np.ascontiguousarray(mean, dtype=float),
                     np.ascontiguousarray(stuck, dtype=float), self._params, self._S,
                     self._ring_l, self._ring_s, self._ring_lf, self._hist, self._hist_sorted, out, trace, flush)
        self.moves.process(trace)
        self.watch.process(trace)
        self.history.push(trace)
        return [e for e in (self._episode(row) for row in out[:n]) if e is not None]

    @property
    def level_uv(self) -> float:
        """Current envelope (0.5-s RMS), µV."""
        return float(np.sqrt(max(self._S[_SUM_L], 0.0) / len(self._ring_l)))

    def open_candidate(self) -> Candidate | None:
        """The episode under way, measured up to now, or ``None`` when idle."""
        if self._S[_IN_EP] != 1.0:
            return None
        row = np.empty((1, _N_COLS))
        _write_row(self._S, row, 0, self._S[_LAST_ACTIVE_S] + 1.0 - self._params[_P_WS], REASON_END)
        return self._candidate(row[0])

    def would_be_cramp(self, c: Candidate) -> str:
        """The kind :func:`judge` would give ``c`` now (``""``: not a cramp)."""
        return judge(c, self.cfg, self._prior_movements(c))[0]

    def finish(self) -> list[Episode]:
        """Close an episode still open at the end of the signal."""
        e = np.empty(0)
        return self.process(e, e, e, flush=True)

    def quality(self) -> dict[str, float]:
        """Fractions of time flat and with motion, and the mean rest level (µV)."""
        S = self._S
        total = max(S[_TOT_BINS], 1.0)
        return {"seconds": S[_TOT_BINS] / self.rate,
                "flat_fraction": S[_TOT_FLAT] / total,
                "motion_fraction": S[_TOT_MOTION] / total,
                "rest_uv": S[_REST_SUM] / S[_REST_CNT] if S[_REST_CNT] else float("nan")}

    def _candidate(self, row: np.ndarray) -> Candidate:
        n = max(row[C_N], 1.0)
        span = max(row[C_END] - row[C_START], 1.0)
        onset_s, offset_s = self.origin_s + row[C_START] / self.rate, self.origin_s + row[C_END] / self.rate
        hold, background, rise, run = self._shape(onset_s, offset_s)
        return Candidate(
            onset_s=onset_s, offset_s=offset_s,
            peak_uv=float(row[C_PEAK]), mean_uv=float(row[C_SUM] / n),
            rest_uv=float(max(row[C_REST], self.cfg.min_rest_uv)),
            duty=float(min(row[C_SHORT_ACT] / span, 1.0)), rises=int(row[C_RISES]),
            motion=float(row[C_MOTION] / n), flat=float(min(row[C_FLAT] / n, 1.0)), closed_by=float(row[C_REASON]),
            hold_uv=hold, background_uv=background, rise_s=rise, held_run_s=run,
            lf_ratio=float(np.sqrt(row[C_LF2] / row[C_MS])) if row[C_MS] > 0 else 0.0)

    def _shape(self, onset_s: float, offset_s: float) -> tuple[float, float, float, float]:
        """Held level and background (µV), rise time and held run (s), from the envelope history.

        Held: the median 0.5-s envelope over the episode. Background: its
        median over ``background_s`` before the onset (the last second
        left out: it holds the climb). Rise: from the last time the
        envelope sat 20 % of the way from the background to the held level
        to the first time it was 80 % of the way, searched from 20 s before
        the onset. Held run: the longest stretch at half the episode's
        largest 0.5-s envelope or more (s).
        """
        body = self.history.window(onset_s, offset_s)[:, T_ENV]
        if not len(body):
            return float("nan"), float("nan"), 0.0, 0.0
        hold = float(np.median(body))
        run = _longest_run(body >= 0.5 * body.max()) / self.rate
        before = self.history.window(onset_s - self.cfg.background_s, onset_s - 1.0)[:, T_ENV]
        background = float(np.median(before)) if len(before) else 0.0
        lead = self.history.window(onset_s - 20.0, offset_s)[:, T_ENV]
        base = max(background, self.cfg.min_rest_uv)
        up = np.flatnonzero(lead >= base + 0.8 * (hold - base))
        if not len(up):
            return hold, background, 0.0, run
        low = np.flatnonzero(lead[: up[0]] <= base + 0.2 * (hold - base))
        start = low[-1] if len(low) else 0
        return hold, background, float((up[0] - start) / self.rate), run

    def _prior_movements(self, c: Candidate) -> list[tuple[float, float, float]]:
        """(onset s, peak µV, duration s) of the leg movements before ``c`` that may chain it into a PLM series.

        None when a pre-cramp warning led into it: rising tension crosses the
        LM level again and again, but periodic movements rise from rest.
        """
        return [] if self.watch.announced(c.onset_s) else self.moves.prior(c.onset_s)

    def _episode(self, row: np.ndarray) -> Episode | None:
        c = self._candidate(row)
        kind, reason = judge(c, self.cfg, self._prior_movements(c))
        if not kind:
            self.rejected[reason] = self.rejected.get(reason, 0) + 1
            self.lookalikes.append((round(c.onset_s, 3), round(c.offset_s, 3), reason))
            return None
        flags = []
        if c.closed_by == REASON_MAX_LENGTH:
            flags.append("max_length")
        if c.closed_by == REASON_END:
            flags.append("open_at_end")
        if c.motion > 0.05:
            flags.append("motion")
        mvc = self.cfg.mvc_uv
        if mvc and c.peak_uv > MAX_PCT_MVC / 100.0 * mvc:
            flags.append("above_mvc")  # the calibration's MVC was not maximal: %MVC is not to be trusted
        return Episode(onset_s=round(c.onset_s, 3), offset_s=round(c.offset_s, 3),
                       duration_s=round(c.duration_s, 3), kind=kind,
                       peak_intensity=c.peak_uv, mean_intensity=c.mean_uv, rest_uv=c.rest_uv,
                       channel=self.channel, duty=c.duty,
                       pct_mvc=100.0 * c.peak_uv / mvc if mvc else None, flags=flags,
                       warning_lead_s=self.watch.link(round(c.onset_s, 3)), muscles=[self.channel])
