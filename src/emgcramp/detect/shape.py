"""How a candidate burst is shaped, read from the envelope history: its climb, held level, rise and edges.

Functions over a detector's :class:`~emgcramp.core.history.LevelHistory`
(the per-bin trace, :mod:`emgcramp.core.trace`). Times in s, levels in µV.
They read only bins that were known when the burst closed, so the result
does not depend on how the signal was cut into blocks.
"""

from __future__ import annotations

import numpy as np

from emgcramp.core.config import DetectorConfig
from emgcramp.core.history import LevelHistory
from emgcramp.core.trace import F_FLAT, F_MOTION, T_BIN, T_DMS, T_ENV, T_ENV_S, T_FLAGS, T_LF
from emgcramp.core.types import Candidate
from emgcramp.detect import segment as seg

# The spectrum's drift is measured between the first and last third of a burst's middle 60 % when each
# third holds this much signal (s). A spectral estimate from T seconds of noise-like signal of bandwidth
# B spreads by about 1/√(B·T) (Bendat & Piersol, Random Data, 4th ed. 2010, ch. 8): with the EMG's
# 100–200 Hz, 5–7 % at 2 s, below the fall a fatiguing contraction shows over tens of seconds.
DRIFT_MIN_S = 2.0
# Motion at a burst's edges is looked for this far either side of its onset and of its offset (s):
# the foot moves as a voluntary movement starts and ends, over about a second.
EDGE_S = 1.0


def _longest_run(mask: np.ndarray) -> int:
    """Length of the longest run of True in ``mask``."""
    if not mask.any():
        return 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return int((edges[1::2] - edges[::2]).max())


def climb_start(history: LevelHistory, onset_s: float, offset_s: float, cfg: DetectorConfig) -> float:
    """Where the burst's climb to its held level began (s); ``onset_s`` when that is at the onset.

    The segmenter opens an episode at a low level (2.5 × rest), so tension
    held before a cramp (a warning: 1.5–5 × rest for tens of seconds)
    joins it. The cramp starts where the envelope last sat under a fifth
    of its top level (the 90th percentile over the episode: the
    tension may outlast the cramp) before first reaching four fifths of
    it, as the rise time is measured; an onset found more than
    ``max_rise_s`` before that is moved there.
    """
    body = history.window(onset_s, offset_s)[:, T_ENV]
    if len(body) < 2:
        return onset_s
    hold = float(np.percentile(body, 90))
    up = np.flatnonzero(body >= 0.8 * hold)
    low = np.flatnonzero(body[: up[0]] <= 0.2 * hold) if len(up) else np.empty(0)
    if not len(low) or low[-1] / history.rate <= cfg.segment.max_rise_s:
        return onset_s
    return onset_s + (low[-1] + 1) / history.rate


def shape(history: LevelHistory, onset_s: float, offset_s: float,
          cfg: DetectorConfig) -> tuple[float, float, float, float]:
    """Held level and background (µV), rise time and held run (s), from the envelope history.

    Held: the median 0.5-s envelope over the episode. Background: its
    median over ``background_s`` before the onset (the last second
    left out: it holds the climb). Rise: from the last time the
    envelope sat 20 % of the way from the background to the held level
    to the first time it was 80 % of the way, searched from 20 s before
    the onset. Held run: the longest stretch at half the episode's
    largest 0.5-s envelope or more (s).
    """
    body = history.window(onset_s, offset_s)[:, T_ENV]
    if not len(body):
        return float("nan"), float("nan"), 0.0, 0.0
    hold = float(np.median(body))
    run = _longest_run(body >= 0.5 * body.max()) / history.rate
    before = history.window(onset_s - cfg.judge.background_s, onset_s - 1.0)[:, T_ENV]
    background = float(np.median(before)) if len(before) else 0.0
    lead = history.window(onset_s - 20.0, offset_s)[:, T_ENV]
    base = max(background, cfg.segment.min_rest_uv)
    up = np.flatnonzero(lead >= base + 0.8 * (hold - base))
    if not len(up):
        return hold, background, 0.0, run
    low = np.flatnonzero(lead[: up[0]] <= base + 0.2 * (hold - base))
    start = low[-1] if len(low) else 0
    return hold, background, float((up[0] - start) / history.rate), run


def edges(history: LevelHistory, onset_s: float, offset_s: float, hold: float, background: float,
          cfg: DetectorConfig) -> tuple[float, float]:
    """Fall time (s), and the largest motion voltage around the onset (± ``EDGE_S``) or before the offset (µV).

    Nothing past the offset is read: how soon after it the episode closed
    depends on the signal, and what is read must not depend on the blocks.

    Fall: from the last time the 0.5-s envelope was 80 % of the way from
    the background to the held level to the offset (20–80 % is the usual
    edge measure, as for the rise). Motion: the low-frequency voltage
    (bin means high-passed at 1 Hz, 0.5-s RMS) around the onset and the
    offset. A voluntary movement moves the foot, and the electrodes, as it
    starts and as it ends; a cramp holds the leg.
    """
    body = history.window(onset_s, offset_s)[:, T_ENV]
    if not len(body) or not np.isfinite(hold):
        return 0.0, 0.0
    base = max(background, cfg.segment.min_rest_uv)
    high = np.flatnonzero(body >= base + 0.8 * (hold - base))
    fall = (len(body) - 1 - high[-1]) / history.rate if len(high) else 0.0
    return float(fall), max(onset_motion(history, onset_s), offset_motion(history, offset_s))


def onset_motion(history: LevelHistory, onset_s: float) -> float:
    """The largest motion voltage within ``EDGE_S`` of the onset (µV; 0 where nothing is held)."""
    lf = history.window(onset_s - EDGE_S, onset_s + EDGE_S)[:, T_LF]
    return float(lf.max()) if len(lf) else 0.0


def offset_motion(history: LevelHistory, offset_s: float) -> float:
    """The largest motion voltage in the ``2 × EDGE_S`` before the offset (µV; 0 where nothing is held)."""
    lf = history.window(offset_s - 2 * EDGE_S, offset_s)[:, T_LF]
    return float(lf.max()) if len(lf) else 0.0


def activity(history: LevelHistory, onset_s: float, offset_s: float, rest_uv: float,
             cfg: DetectorConfig) -> tuple[int, float, float, float]:
    """Rises, duty and the motion and flat shares of a stretch, from the trace, as the segmenter counts them.

    For a burst whose onset moved to its climb (:func:`climb_start`): the
    segmenter's counts also cover the tension before it. Rises: the 0.1-s
    envelope climbing to ``clonic_rise`` of its running peak after falling
    under ``clonic_relax`` of it; duty: the share of bins with the 0.1-s
    envelope at the OFF level or above; motion and flat: the shares of
    bins so marked.
    """
    rows = history.window(onset_s, offset_s)
    if not len(rows):
        return 0, 0.0, 0.0, 0.0
    seg = cfg.segment
    env_s, flags = rows[:, T_ENV_S], rows[:, T_FLAGS].astype(np.int64)
    peak = np.maximum.accumulate(env_s)
    rises, up = 0, False
    for above, below in zip(env_s >= seg.clonic_rise * peak, env_s < seg.clonic_relax * peak):  # a burst, once
        if not up and above:
            up, rises = True, rises + 1
        elif up and below:
            up = False
    off = max(seg.off_ratio * rest_uv, rest_uv + seg.off_delta_uv)
    return (rises, float(np.mean(env_s >= off)), float(np.mean((flags & F_MOTION) > 0)),
            float(np.mean((flags & F_FLAT) > 0)))


def active_mean(history: LevelHistory, onset_s: float, offset_s: float, rest_uv: float, cfg: DetectorConfig) -> float:
    """The 0.5-s envelope's mean over a stretch's bins at the OFF level or above (µV), as the segmenter sums an
    episode's: a clonic cramp's relaxations left out (the whole stretch's mean when no bin is that high)."""
    body = history.window(onset_s, offset_s)[:, T_ENV]
    seg = cfg.segment
    active = body[body >= max(seg.off_ratio * rest_uv, rest_uv + seg.off_delta_uv)]
    return float(np.mean(active if len(active) else body))


def waxing(history: LevelHistory, onset_s: float, offset_s: float) -> float:
    """How much the held level waxes and wanes: the spread of its 1-s means over the middle 60 % of the burst.

    Coefficient of variation (SD over mean) of the 0.5-s envelope's 1-s
    means, its first and last fifth (the rise and the fall) left out; 0 when
    fewer than two whole seconds remain. A cramp is a contraction of a
    slowly moving fraction of the muscle's fibres (Roeleveld et al. 2000,
    J Appl Physiol 88:1698, doi:10.1152/jappl.2000.88.5.1698), so under one
    electrode its level waxes and wanes; a voluntary contraction is held at
    the effort chosen.
    """
    body = history.window(onset_s, offset_s)[:, T_ENV]
    per_s = max(1, int(round(history.rate)))
    middle = body[int(0.2 * len(body)): int(0.8 * len(body))]
    whole = len(middle) // per_s
    if whole < 2:
        return 0.0
    means = middle[: whole * per_s].reshape(whole, per_s).mean(axis=1)
    return float(means.std() / means.mean()) if means.mean() > 0 else 0.0


def rms_frequency(ms: np.ndarray, dms: np.ndarray, fs_hz: float) -> float:
    """The RMS frequency (Hz) of a band-passed signal, from its mean square and its first difference's.

    For a spectrum S(f) sampled at ``fs_hz``, E[(y[n] − y[n−1])²] = ∫ 4 sin²(πf/fs) S(f) df,
    so the frequency returned, (fs/π)·arcsin(√(Σdms / 4Σms)), is √(m₂/m₀) for f ≪ fs (at 1 kHz,
    the full 20–450 Hz band reads about 10 % below it) and exact for one tone. It is half the
    expected zero-crossing rate (Rice 1944), which tracks the median frequency of surface EMG
    through fatigue, force and muscle length (Inbar et al. 1986, Med Biol Eng Comput,
    doi:10.1007/BF02441600). Its level depends on the sampling rate too: below 1 kHz the band-pass
    stops at 0.45·fs, so compare it within one sensor. NaN when there is no power or it was not measured.
    """
    power = float(np.sum(ms))
    if not power > 0.0:
        return float("nan")
    return float(fs_hz / np.pi * np.arcsin(min(np.sqrt(np.sum(dms) / (4.0 * power)), 1.0)))


def spectrum(history: LevelHistory, onset_s: float, offset_s: float, fs_hz: float) -> tuple[float, float]:
    """A burst's RMS frequency (Hz) and its relative drift from the first to the last third of its middle.

    The frequency is power-weighted over the whole burst (:func:`rms_frequency`). The drift is the
    frequency over the last third of the middle 60 % (the rise and fall left out, as for
    :func:`waxing`) over that of the first third, minus 1: a fatiguing contraction's falls
    (Merletti et al. 1990, doi:10.1152/jappl.1990.69.5.1810); NaN when a third is shorter than
    :data:`DRIFT_MIN_S`. Depth and fat low-pass the signal, so the level of the frequency differs
    between placements; its drift is the burst's own.
    """
    rows = history.window(onset_s, offset_s)
    ms, dms = rows[:, T_BIN] ** 2, rows[:, T_DMS]
    whole = rms_frequency(ms, dms, fs_hz)
    a, b = int(0.2 * len(rows)), int(0.8 * len(rows))
    third = (b - a) // 3
    if third < DRIFT_MIN_S * history.rate:
        return whole, float("nan")
    first, last = (rms_frequency(ms[i:i + third], dms[i:i + third], fs_hz) for i in (a, b - third))
    return whole, last / first - 1.0 if first > 0 else float("nan")


def measure(row: np.ndarray, history: LevelHistory, origin_s: float, cfg: DetectorConfig) -> Candidate:
    """The candidate a closed segmenter row (:mod:`~emgcramp.detect.segment` ``C_*`` columns) describes, measured
    on ``history`` (the trace at its rate); ``origin_s``: the time of the row's bin 0, s."""
    n = max(row[seg.C_N], 1.0)
    span = max(row[seg.C_END] - row[seg.C_START], 1.0)
    onset_s, offset_s = (float(origin_s + row[k] / history.rate) for k in (seg.C_START, seg.C_END))
    opened_s, mean_uv = onset_s, float(row[seg.C_SUM] / n)
    rest = float(max(row[seg.C_REST], cfg.segment.min_rest_uv))
    rises, duty = int(row[seg.C_RISES]), float(min(row[seg.C_SHORT_ACT] / span, 1.0))
    motion, flat = float(row[seg.C_MOTION] / n), float(min(row[seg.C_FLAT] / n, 1.0))
    climb_s = climb_start(history, onset_s, offset_s, cfg)
    if climb_s > onset_s:  # the segmenter's counts also cover the tension before the climb
        onset_s = float(climb_s)
        mean_uv = active_mean(history, onset_s, offset_s, rest, cfg)
        rises, duty, motion, flat = activity(history, onset_s, offset_s, rest, cfg)
    hold, background, rise, run = shape(history, onset_s, offset_s, cfg)
    fall, edge_motion = edges(history, onset_s, offset_s, hold, background, cfg)
    return Candidate(
        onset_s=onset_s, offset_s=offset_s, peak_uv=float(row[seg.C_PEAK]), mean_uv=mean_uv, rest_uv=rest,
        duty=duty, rises=rises, motion=motion, flat=flat, closed_by=float(row[seg.C_REASON]),
        hold_uv=hold, background_uv=background, rise_s=rise, held_run_s=float(run), fall_s=fall,
        edge_motion_uv=edge_motion, opened_s=opened_s,
        lf_ratio=float(np.sqrt(row[seg.C_LF2] / row[seg.C_MS])) if row[seg.C_MS] > 0 else 0.0)
