"""The segmenter: a state machine over envelope bins that closes episode candidates.

See :mod:`emgcramp.detect.detector` for what it tracks and why. The state and the parameters are NumPy
records with named fields (units in the names: ``_bin`` a bin index or count at the detector rate, ``_uv``
µV RMS); the helpers are plain functions compiled into the kernel (:func:`emgcramp.core.kernels.helper`),
so :func:`segment_bins` runs as plain Python too.
"""

from __future__ import annotations

import functools

import numpy as np

from emgcramp.core.config import DetectorConfig
from emgcramp.core.kernels import helper, kernel
from emgcramp.core import trace as tr
from emgcramp.detect.rings import ring_push, sorted_quantile, sorted_swap
from emgcramp.dsp.design import butter_sos

_F = np.float64
_as_f64 = functools.partial(np.ascontiguousarray, dtype=np.float64)  # what the kernel takes, without a copy if it is
# What the state machine carries from bin to bin (all float64, so the arithmetic is one type).
STATE = np.dtype([(name, _F) for name in (
    "bin",  # index of the next bin
    "long_pos", "long_sum", "short_pos", "short_sum", "lf_pos", "lf_sum",  # running sums (µV²) and their slots
    "hp_x1", "hp_x2", "hp_y1", "hp_y2",  # delays of the 1-Hz high-pass of the bin means (µV)
    "second_env_sum", "second_idle_bins", "second_bins",  # the second under way: summed envelope (µV), bins
    "rest_means", "rest_pos", "rest_uv",  # 1-s rest means held, the next slot, the rest level
    "in_episode", "start_bin", "last_quiet_bin", "last_active_bin", "last_below_on_bin", "quiet_run_bins",
    "peak_uv", "env_sum", "active_bins", "short_active_bins", "rises", "short_up", "peak_short_uv",
    "motion_bins", "flat_bins", "flat_bins_since_quiet", "lf_sq_sum", "ms_sum", "motion_run_bins",
    "episode_rest_uv", "episode_on_uv", "episode_off_uv", "episode_edge_uv",
    "total_bins", "total_flat_bins", "total_motion_bins", "rest_uv_sum", "rest_updates")])
# What the segmenter after a long gap takes over (Segmenter.carry_rest).
CARRIED = ("rest_means", "rest_pos", "rest_uv", "total_bins", "total_flat_bins", "total_motion_bins",
           "rest_uv_sum", "rest_updates")
PARAMS = np.dtype([(name, _F) for name in (
    "long_bins", "short_bins", "on_ratio", "on_delta_uv", "off_ratio", "off_delta_uv", "edge_ratio",
    "edge_delta_uv", "min_rest_uv", "merge_gap_bins", "max_duration_bins", "max_rise_bins",
    "warmup_means",  # 1-s means of idle signal needed before the rest level is trusted
    "bins_per_s", "motion_ratio", "motion_min_uv", "hp_b0", "hp_b1", "hp_b2", "hp_a1", "hp_a2",
    "flat_fraction", "clip_fraction", "clonic_rise", "clonic_relax", "sustain_fraction",
    "rest_follow_ratio", "rest_quantile", "rest_idle_share", "drop_ratio", "motion_max_bins")])

(C_START, C_END, C_PEAK, C_SUM, C_N, C_SHORT_ACT, C_RISES, C_MOTION, C_FLAT, C_REST, C_REASON,
 C_LF2, C_MS, N_COLS) = range(14)  # columns of a closed candidate row
REASON_QUIET, REASON_MAX_LENGTH, REASON_END = 0.0, 1.0, 2.0

HIST_LEN = 120  # seconds of rest history


def new_state() -> np.ndarray:
    """A fresh state record (one-element array)."""
    state = np.zeros(1, STATE)
    state["last_quiet_bin"] = state["last_below_on_bin"] = -1.0
    return state


def make_params(cfg: DetectorConfig, rate: float) -> np.ndarray:
    """The kernel's parameters for ``cfg`` at ``rate`` bins per second (one-element array)."""
    if not 0.0 <= cfg.segment.rest_quantile <= 1.0:  # the kernel indexes its sorted history by it, unchecked
        raise ValueError(f"rest_quantile must lie in [0, 1], not {cfg.segment.rest_quantile}")
    p = np.zeros(1, PARAMS)
    p["long_bins"] = max(1, round(cfg.segment.long_window_s * rate))
    p["short_bins"] = max(1, round(cfg.segment.short_window_s * rate))
    p["merge_gap_bins"] = max(1, round(cfg.segment.merge_gap_s * rate))
    p["max_duration_bins"] = round(cfg.segment.max_duration_s * rate)
    p["max_rise_bins"] = round(cfg.segment.max_rise_s * rate)
    p["warmup_means"] = cfg.segment.warmup_s  # one mean per second of idle signal
    p["bins_per_s"] = max(1, round(rate))
    p["motion_max_bins"] = round(cfg.segment.motion_max_s * rate)
    for name in ("on_ratio", "on_delta_uv", "off_ratio", "off_delta_uv", "edge_ratio", "edge_delta_uv", "min_rest_uv",
                 "motion_ratio", "motion_min_uv", "flat_fraction", "clip_fraction", "clonic_rise", "clonic_relax",
                 "sustain_fraction", "rest_follow_ratio", "rest_quantile", "rest_idle_share", "drop_ratio"):
        p[name] = getattr(cfg.segment, name)
    # b0, b1, b2, a1, a2 of a 2nd-order Butterworth high-pass of the bin means (motion)
    sos = butter_sos(2, cfg.segment.motion_highpass_hz, rate, "highpass")[0]
    p["hp_b0"], p["hp_b1"], p["hp_b2"], p["hp_a1"], p["hp_a2"] = *sos[:3], *sos[4:]
    return p


def new_rows(params: np.ndarray, n_bins: int, apart: int | None = None) -> np.ndarray:
    """Room for every candidate the kernel can close over ``n_bins`` bins (``N_COLS`` columns).

    A bin closes one at most. The episode after a close opens on a later bin with its start no earlier
    than the closing bin, and closes after a merge gap of quiet from its opening or at the length guard
    from its start: ``merge_gap_bins`` or ``max_duration_bins - 1`` bins after that close at the least.
    The first close may come on bin 0 (an episode carried in), and the flush adds one. ``apart``: see below.
    """
    return np.empty((n_bins // (apart or closes_apart(params)) + 2, N_COLS))


def closes_apart(params: np.ndarray) -> int:
    """Bins between two closes at the least (see :func:`new_rows`; a caller keeps it: a record's field costs)."""
    return max(1, int(min(params["merge_gap_bins"][0], params["max_duration_bins"][0] - 1)))


@helper
def _write_row(s, out, i, end, reason):
    """Describe the open episode, ending at bin ``end``, in row ``i`` of ``out``."""
    start = s["start_bin"]
    out[i, C_START], out[i, C_END], out[i, C_REASON], out[i, C_MS] = start, max(end, start + 1.0), reason, s["ms_sum"]
    out[i, C_PEAK], out[i, C_SUM], out[i, C_REST] = s["peak_uv"], s["env_sum"], s["episode_rest_uv"]
    out[i, C_N], out[i, C_RISES], out[i, C_FLAT] = s["active_bins"], s["rises"], s["flat_bins"]
    out[i, C_SHORT_ACT], out[i, C_MOTION], out[i, C_LF2] = s["short_active_bins"], s["motion_bins"], s["lf_sq_sum"]


@helper
def _close(s, out, n_out, end, reason):
    if n_out < out.shape[0]:  # never past the rows given: the count tells the caller
        _write_row(s, out, n_out, end, reason)
    s["in_episode"] = 0.0
    s["last_quiet_bin"] = s["last_below_on_bin"] = s["bin"] - 1.0
    return n_out + 1


@helper
def _sustained(ring, level_sq, fraction):
    """True when at least ``fraction`` of the window's bins reach ``level_sq``.

    A lone twitch (one motor-unit discharge) fills one or two 20-ms bins: it
    can lift the 0.5-s RMS over ON but not ``sustain_fraction`` (40 %) of the window.
    """
    n = 0
    for v in ring:
        n += v >= level_sq
    return n >= fraction * ring.shape[0]


# One function, not a loop over helpers: split into four helpers (inlined or not) the kernel ran
# 4x slower under Numba (0.024 -> 0.092 s for the bins of an 8-h night), so the per-bin steps are
# marked by comments instead: measure the bin, learn rest, watch for an onset, follow an episode.
def segment_bins(ms, mean, stuck, dms, params, state, ring_l, ring_s, ring_lf, hist, hist_sorted, out, trace, flush):
    """Advance the state machine over bins; write closed candidates to ``out``; return how many.

    ``ms``, ``mean``, ``stuck``, ``dms``: the bins (µV², µV, fraction, µV²). ``params`` and ``state``:
    one-record arrays of :data:`PARAMS` and :data:`STATE`. ``ring_l``, ``ring_s``, ``ring_lf``: the
    running-sum windows (0.5-s and 0.1-s envelope, 0.5-s low-frequency power); ``hist`` the 1-s rest
    means and ``hist_sorted`` their sorted copy. Row ``j`` of ``trace`` gets what later passes (leg
    movements, warnings, the features) read: both envelopes, the rest level (-1 until known), flags, ``dms``.

    Candidates past the end of ``out`` are counted, not written. The plain-Python reference: :func:`_segment`
    is the same function compiled by Numba, and the tests hold the two to identical output.
    """
    p, s = params[0], state[0]
    ws = p["short_bins"]
    n_out = 0
    for j in range(ms.shape[0]):
        g = s["bin"]
        s["long_pos"], s["long_sum"] = ring_push(ring_l, int(s["long_pos"]), s["long_sum"], ms[j])
        s["short_pos"], s["short_sum"] = ring_push(ring_s, int(s["short_pos"]), s["short_sum"], ms[j])
        env = np.sqrt(max(s["long_sum"], 0.0) / ring_l.shape[0])
        env_s = np.sqrt(max(s["short_sum"], 0.0) / ring_s.shape[0])
        # 2nd-order high-pass of the bin means (direct form I).
        hp = (p["hp_b0"] * mean[j] + p["hp_b1"] * s["hp_x1"] + p["hp_b2"] * s["hp_x2"]
              - p["hp_a1"] * s["hp_y1"] - p["hp_a2"] * s["hp_y2"])
        s["hp_x2"], s["hp_x1"] = s["hp_x1"], mean[j]
        s["hp_y2"], s["hp_y1"] = s["hp_y1"], hp
        s["lf_pos"], s["lf_sum"] = ring_push(ring_lf, int(s["lf_pos"]), s["lf_sum"], hp * hp)
        lf = np.sqrt(max(s["lf_sum"], 0.0) / ring_lf.shape[0])
        # Dead line, or an input pinned at the rail: a loud bin whose samples mostly repeat.
        loud = p["on_ratio"] * max(s["rest_uv"], p["min_rest_uv"])
        clipped = stuck[j] >= p["clip_fraction"] and ms[j] >= loud * loud
        flat = stuck[j] >= p["flat_fraction"] or ms[j] <= 1e-9 or clipped
        motion = lf > p["motion_ratio"] * env and lf > p["motion_min_uv"]
        s["motion_run_bins"] = s["motion_run_bins"] + 1.0 if motion else 0.0
        s["total_bins"] += 1.0
        if flat:
            s["total_flat_bins"] += 1.0
        if motion:
            s["total_motion_bins"] += 1.0

        # Rest level: per-second means of the envelope outside episodes, and
        # inside one while it stays below a contraction's level (tone that
        # rose slowly and stays is the night's new rest; a cramp is not). A movement's artefact does not
        # teach it, but low-frequency voltage held longer than any movement (heartbeat bleed) does.
        idle = s["in_episode"] == 0.0 or env < p["rest_follow_ratio"] * s["episode_rest_uv"]
        if idle and not flat and (not motion or s["motion_run_bins"] > p["motion_max_bins"]):
            s["second_env_sum"] += env
            s["second_idle_bins"] += 1.0
        s["second_bins"] += 1.0
        if s["second_bins"] >= p["bins_per_s"]:
            if s["second_idle_bins"] >= p["rest_idle_share"] * p["bins_per_s"]:
                pos, value = int(s["rest_pos"]), s["second_env_sum"] / s["second_idle_bins"]
                full = s["rest_means"] == hist.shape[0]
                s["rest_means"] = sorted_swap(hist_sorted, int(s["rest_means"]), hist[pos], value, full)
                hist[pos] = value
                s["rest_pos"] = (s["rest_pos"] + 1.0) % hist.shape[0]
                s["rest_uv"] = sorted_quantile(hist_sorted, int(s["rest_means"]), p["rest_quantile"])
                s["rest_uv_sum"] += s["rest_uv"]
                s["rest_updates"] += 1.0
            s["second_env_sum"], s["second_idle_bins"], s["second_bins"] = 0.0, 0.0, 0.0
        rest = max(s["rest_uv"], p["min_rest_uv"])
        on = max(p["on_ratio"] * rest, rest + p["on_delta_uv"])
        off = max(p["off_ratio"] * rest, rest + p["off_delta_uv"])
        edge = max(p["edge_ratio"] * rest, rest + p["edge_delta_uv"])
        trace[j, tr.T_ENV], trace[j, tr.T_ENV_S], trace[j, tr.T_BIN] = env, env_s, np.sqrt(max(ms[j], 0.0))
        trace[j, tr.T_REST] = rest if s["rest_means"] >= p["warmup_means"] else -1.0
        trace[j, tr.T_LF], trace[j, tr.T_DMS] = lf, dms[j]
        trace[j, tr.T_FLAGS] = ((tr.F_FLAT if flat else 0) + (tr.F_MOTION if motion else 0)
                                + (tr.F_EPISODE if s["in_episode"] else 0))

        if s["in_episode"] == 0.0:
            if env_s < edge:
                s["last_quiet_bin"], s["flat_bins_since_quiet"] = g, 0.0
            elif flat:
                s["flat_bins_since_quiet"] += 1.0
            if env_s < on:
                s["last_below_on_bin"] = g
            warm = s["rest_means"] >= p["warmup_means"]
            if warm and not flat and env >= on and _sustained(ring_l, on * on, p["sustain_fraction"]):
                s["in_episode"] = 1.0
                # Edges come from the 0.1-s envelope (it lags by 0.1 s, not 0.5 s), but not back through a long
                # stretch of raised tension (a warning before the cramp): at most max_rise_bins before the climb to ON.
                s["start_bin"] = max(s["last_quiet_bin"], s["last_below_on_bin"] - p["max_rise_bins"]) + 1.0
                s["last_active_bin"] = g
                s["quiet_run_bins"] = 0.0
                s["peak_uv"], s["env_sum"], s["active_bins"] = 0.0, 0.0, 0.0
                s["short_active_bins"], s["rises"], s["short_up"], s["peak_short_uv"] = 0.0, 0.0, 0.0, 0.0
                # A flat stretch the onset is walked back over (a lead-off ending in a transient) is its signal loss.
                s["motion_bins"], s["lf_sq_sum"], s["ms_sum"] = 0.0, 0.0, 0.0
                s["flat_bins"] = s["flat_bins_since_quiet"]
                s["episode_rest_uv"], s["episode_on_uv"] = rest, on
                s["episode_off_uv"], s["episode_edge_uv"] = off, edge
        if s["in_episode"] == 1.0:
            # Quiet: back under OFF, or fallen far below the episode's own peak, so that a burst
            # on raised tone ends with the burst and does not chain into the next one.
            if env >= s["episode_off_uv"] and env >= p["drop_ratio"] * s["peak_uv"]:
                s["quiet_run_bins"] = 0.0
            else:
                s["quiet_run_bins"] += 1.0
            s["lf_sq_sum"] += hp * hp
            s["ms_sum"] += ms[j]
            if s["quiet_run_bins"] == 0.0:
                s["peak_uv"] = max(s["peak_uv"], env)
                s["env_sum"] += env
                s["active_bins"] += 1.0
                if motion:
                    s["motion_bins"] += 1.0
                if flat:
                    s["flat_bins"] += 1.0
            if env_s >= s["episode_edge_uv"]:
                s["last_active_bin"] = g
            if env_s >= s["episode_off_uv"] and s["quiet_run_bins"] == 0.0:
                s["short_active_bins"] += 1.0
            # Contractions of a clonic cramp, relative to the episode's own level.
            s["peak_short_uv"] = max(s["peak_short_uv"], env_s)
            if s["short_up"] == 0.0 and env_s >= p["clonic_rise"] * s["peak_short_uv"]:
                s["short_up"] = 1.0
                s["rises"] += 1.0
            elif s["short_up"] == 1.0 and env_s < p["clonic_relax"] * s["peak_short_uv"]:
                s["short_up"] = 0.0
            if s["quiet_run_bins"] >= p["merge_gap_bins"]:
                n_out = _close(s, out, n_out, s["last_active_bin"] + 1.0 - ws, REASON_QUIET)
            elif g + 1.0 - s["start_bin"] >= p["max_duration_bins"]:
                n_out = _close(s, out, n_out, g + 1.0, REASON_MAX_LENGTH)
                # A level that lasts this long is the new normal: restart rest there.
                hist[:] = env
                hist_sorted[:] = env
                s["rest_means"] = hist.shape[0]
                s["rest_uv"] = env
        s["bin"] = g + 1.0
    if flush and s["in_episode"] == 1.0:
        n_out = _close(s, out, n_out, s["last_active_bin"] + 1.0 - ws, REASON_END)
    return n_out


def _signature():
    from numba import from_dtype, types as t

    a1, a2 = t.float64[:], t.float64[:, :]
    return t.intp(a1, a1, a1, a1, from_dtype(PARAMS)[:], from_dtype(STATE)[:], a1, a1, a1, a1, a1, a2, a2, t.boolean)


_segment = kernel(segment_bins, _signature)


class Segmenter:
    """The segmenter's state for one channel, and a call to run it over a stretch of bins.

    ``kernel``: :func:`_segment` (compiled, the default) or :func:`segment_bins` (the plain-Python reference).
    """

    def __init__(self, cfg: DetectorConfig, rate: float, kernel=None):
        self.params = make_params(cfg, rate)
        self.state = new_state()
        long_bins, short_bins = int(self.params["long_bins"][0]), int(self.params["short_bins"][0])
        self.rings = (np.zeros(long_bins), np.zeros(short_bins), np.zeros(long_bins),  # 0.5-s, 0.1-s, LF
                      np.zeros(HIST_LEN), np.zeros(HIST_LEN))  # 1-s rest means, sorted copy
        self.kernel = kernel or _segment
        self._apart = closes_apart(self.params)

    def run(self, ms: np.ndarray, mean: np.ndarray, stuck: np.ndarray, flush: bool = False,
            dms: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Closed candidate rows (``C_*`` columns) and the trace (``T_*`` columns) of these bins (no ``dms``: NaN)."""
        ms, mean, stuck, dms = map(_as_f64, (ms, mean, stuck, np.full(len(ms), np.nan) if dms is None else dms))
        if not (ms.ndim == mean.ndim == stuck.ndim == dms.ndim == 1
                and len(ms) == len(mean) == len(stuck) == len(dms)):
            raise ValueError(f"bins must be four vectors of one length, not {ms.shape}, {mean.shape}, {stuck.shape}, "
                             f"{dms.shape}")  # the kernel checks neither types nor bounds
        out, trace = new_rows(self.params, len(ms), self._apart), np.empty((len(ms), tr.N_TRACE))
        n = self.kernel(ms, mean, stuck, dms, self.params, self.state, *self.rings, out, trace, bool(flush))
        if n > len(out):  # the kernel stopped writing at the end of ``out``: candidates were lost
            raise RuntimeError(f"{n} candidates in {len(ms)} bins, room for {len(out)}")
        return out[:n], trace

    def carry_rest(self, prev: "Segmenter") -> None:
        """Take over ``prev``'s rest level, the 1-s means it came from, and its night totals."""
        self.rings[3][:], self.rings[4][:] = prev.rings[3], prev.rings[4]
        self.state[list(CARRIED)] = prev.state[list(CARRIED)]

    def open_row(self) -> np.ndarray | None:
        """The episode under way as a candidate row measured up to now, or ``None`` when idle."""
        s = self.state[0]
        if s["in_episode"] != 1.0:
            return None
        row = np.empty((1, N_COLS))
        _write_row(s, row, 0, s["last_active_bin"] + 1.0 - self.params["short_bins"][0], REASON_END)
        return row[0]
