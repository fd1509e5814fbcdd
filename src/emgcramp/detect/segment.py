"""The segmenter: a Numba state machine over envelope bins that closes episode candidates.

See :mod:`emgcramp.detect.detector` for what it tracks and why.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from emgcramp.core.trace import (
    F_EPISODE,
    F_FLAT,
    F_MOTION,
    T_BIN,
    T_ENV,
    T_ENV_S,
    T_FLAGS,
    T_REST,
)

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
