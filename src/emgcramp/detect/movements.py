"""Leg movements (LM) and periodic limb movement (PLM) series, scored as sleep labs do.

The rules follow the AASM scoring manual (2007, kept in 2012 and 2018) for
leg movements, with the WASM 2016 rule for where a series ends:

- An LM starts where the EMG rises 8 µV above the resting level and ends at
  the start of a period of at least 0.5 s in which it does not exceed 2 µV
  above rest. It lasts 0.5–10 s.
- A PLM series is at least 4 consecutive LMs whose onsets are 5–90 s apart
  (AASM; WASM 2016 asks 10–90 s).
- A series ends at an interval outside 5–90 s, and at any activity that is
  not an LM, i.e. longer than 10 s (WASM 2016, which scores such runs as
  non-candidate movements). AASM leaves both open.
- The PLM index is LMs in series per hour. Without sleep staging it is per
  hour of recording, not of sleep, so it is the PLMS + PLMW index.

Deviations, and why:

- "EMG amplitude" is the 0.1-s RMS envelope of the 20–450 Hz band-passed
  signal (µV RMS), not the rectified raw trace a scorer reads by eye; the
  envelope is what the cramp detector already computes, and it is not
  raised by mains hum, wander or ECG.
- "Rest" is the detector's rest level (20th percentile of the idle 1-s
  means over two minutes), frozen at an LM's onset for its end rule.
- The rules were written for the tibialis anterior. With a calf channel
  alone they are applied to the calf; when a recording has a tibialis
  channel, that channel is the one scored (see :mod:`emgcramp.detect.muscles`).
- On raised tone the AASM end may not come: after a periodic movement the
  calf's tone can climb to 10–16 µV and stay for tens of seconds (field
  excerpts), so the stretch runs past 10 s and is scored a non-LM that
  ends the series it belongs to. Where the AASM end has not come 10 s
  after the onset, the LM ends instead where the envelope first stayed
  0.5 s under the level that started it (rest + 8 µV), and the tone after
  it is scored as nothing until the AASM end comes. The LM is then known
  10 s after its onset rather than at its end. A movement inside that
  tone is missed (starting a new LM on each rise out of it counted tone
  wobbles as movements: 0 → 4 false PLM series on a field night).
- Onset and end are found on a causal envelope: the offset is moved back by
  the 0.1-s window, as the cramp detector does.
- A rise the resting EMG's own waver reaches by chance is no LM, and where
  that waver is so large that the AASM end would seldom come, an LM ends
  within a level it sets (:mod:`emgcramp.detect.waver`), taken at the start of
  each :data:`LEVEL_S` of trace so that it does not depend on how the signal was cut.
- Where the signal stops (a gap over 0.5 s, the recording's end) within the
  AASM end's 0.5 s, the LM ends where it fell to the end level
  (:meth:`MovementScorer.close`): nothing after the fall was above it. One
  still above that level when the signal stopped has no known end.
- Nothing is removed for respiratory events or arousals (no airflow or EEG).
  A stretch starting within 1 s of signal loss (lead-off, saturation) is
  not scored: it is the filters settling, not a movement.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from emgcramp.core.kernels import helper, kernel
from emgcramp.core.trace import F_FLAT, T_ENV_S, T_FLAGS, T_REST, trace_rows
from emgcramp.core.types import LegMovement, PriorMovement
from emgcramp.detect.waver import RestWaver

if TYPE_CHECKING:
    from emgcramp.core.config import DetectorConfig

_I, _F = np.int64, np.float64
# Flags (0/1), counts and indices of bins are integers; levels (µV) and fractions are float64.
STATE = np.dtype([
    ("bin", _I),  # index of the next trace row
    ("in_stretch", _I), ("start_bin", _I), ("onset_rest_uv", _F), ("peak_uv", _F),
    ("quiet_bins", _I), ("quiet_on_bins", _I),  # bins in a row within the end level; within the onset level
    ("flat_bins", _I), ("bins", _I), ("last_flat_bin", _I),
    # Where raised tone ends it (-1: not yet), and the peak and flat fraction up to there.
    ("fallback_end_bin", _I), ("fallback_peak_uv", _F), ("fallback_flat_fraction", _F),
    ("in_tail", _I)])  # 1 once the fallback end was emitted: the rest of the stretch is not another LM
PARAMS = np.dtype([
    ("on_delta_uv", _F), ("off_delta_uv", _F), ("end_quiet_bins", _I), ("short_bins", _I),
    ("settle_bins", _I),  # after signal loss, bins before a stretch may start (the filters settling)
    ("max_bins", _I)])
# Columns of an LM row: onset bin, offset bin, peak µV, rest µV, flat fraction.
(R_START, R_END, R_PEAK, R_REST, R_FLAT, _N_ROW) = range(6)
LEVEL_S = 10.0  # the end level holds for this long of trace: within the history RestWaver keeps past the minute
LIVE_ROWS = 8  # a block of this many trace rows or fewer is a live one: its period's level is measured at once


def make_params(cfg: DetectorConfig, rate: float) -> np.ndarray:
    """The kernel's parameters for ``cfg`` at ``rate`` trace rows per second (one-element array), by field name."""
    m, p = cfg.movements, np.zeros(1, PARAMS)
    p["on_delta_uv"], p["off_delta_uv"] = m.lm_on_delta_uv, m.lm_off_delta_uv
    p["end_quiet_bins"] = max(1, round(m.lm_end_quiet_s * rate))
    p["short_bins"] = max(1, round(cfg.segment.short_window_s * rate))
    p["settle_bins"] = round(m.lm_settle_s * rate)
    p["max_bins"] = round(m.lm_max_s * rate)
    return p


def new_rows(params: np.ndarray, n_bins: int, apart: int | None = None, kept: np.ndarray | None = None) -> np.ndarray:
    """Room for every LM row the kernel can write over ``n_bins`` trace rows (``_N_ROW`` columns): ``kept``
    when it has enough (a live block's rows are few: its buffer is reused), else a new array.

    A stretch writes one row at most (its AASM end, or its fallback end and
    then nothing), on its ``end_quiet_bins``-th row at the earliest: the end
    level must hold that long, and the fallback waits for the onset level to
    hold as long. The next stretch starts on a later row, so rows come at
    least ``end_quiet_bins`` apart; the first may come on row 0 (a stretch
    carried in from the last block).
    """
    rows = n_bins // (apart or rows_apart(params)) + 1
    return kept if kept is not None and len(kept) >= rows else np.empty((rows, _N_ROW))


def rows_apart(params: np.ndarray) -> int:
    """Trace rows between two LM rows at the least (see :func:`new_rows`)."""
    return max(1, int(params["end_quiet_bins"][0]))


@helper
def _lm_end(g, quiet, p, s):
    """Bin where an LM ends, given ``quiet`` bins at the end level up to bin ``g``."""
    return max(g + 1 - quiet - p["short_bins"], s["start_bin"] + 1)


@helper
def _emit(out, n_out, end, peak, flat, s):
    """Write an LM row at ``n_out`` unless ``out`` is full; count it either way (the caller checks)."""
    if n_out < out.shape[0]:
        out[n_out, R_START], out[n_out, R_END] = s["start_bin"], end
        out[n_out, R_PEAK], out[n_out, R_REST], out[n_out, R_FLAT] = peak, s["onset_rest_uv"], flat
    return n_out + 1


def scan_movements(trace, params, state, out):
    """Advance the LM rules over trace rows; write finished stretches to ``out``; return how many.

    ``params``, ``state``: one-record arrays of :data:`PARAMS`, :data:`STATE`.
    Rows past the end of ``out`` are counted, not written: a count above its
    length means :func:`new_rows` undersized it.
    The plain-Python reference; :func:`_lm_scan` is the same function compiled.
    """
    p, s = params[0], state[0]
    n_out = 0
    for j in range(trace.shape[0]):
        g = s["bin"]
        env, rest = trace[j, T_ENV_S], trace[j, T_REST]
        flat = (int(trace[j, T_FLAGS]) & F_FLAT) != 0
        if flat:
            s["last_flat_bin"] = g
        if s["in_stretch"] == 0:
            # After signal loss the filters ring as the signal returns: not a movement.
            if rest > 0.0 and g - s["last_flat_bin"] > p["settle_bins"] and env >= rest + p["on_delta_uv"]:
                s["in_stretch"], s["start_bin"], s["onset_rest_uv"] = 1, g, rest
                s["quiet_bins"], s["peak_uv"], s["flat_bins"], s["bins"] = 0, 0.0, 0, 0
                s["quiet_on_bins"], s["fallback_end_bin"], s["in_tail"] = 0, -1, 0
        if s["in_stretch"] == 1:
            s["bins"] += 1
            if flat:
                s["flat_bins"] += 1
            s["quiet_bins"] = s["quiet_bins"] + 1 if env <= s["onset_rest_uv"] + p["off_delta_uv"] else 0
            s["quiet_on_bins"] = s["quiet_on_bins"] + 1 if env <= s["onset_rest_uv"] + p["on_delta_uv"] else 0
            if s["quiet_bins"] == 0 and s["fallback_end_bin"] < 0:
                s["peak_uv"] = max(s["peak_uv"], env)
            if s["quiet_on_bins"] >= p["end_quiet_bins"] and s["fallback_end_bin"] < 0:
                s["fallback_end_bin"], s["fallback_peak_uv"] = _lm_end(g, s["quiet_on_bins"], p, s), s["peak_uv"]
                s["fallback_flat_fraction"] = s["flat_bins"] / s["bins"]
            if s["quiet_bins"] >= p["end_quiet_bins"]:
                if s["in_tail"] == 0:
                    end = _lm_end(g, s["quiet_bins"], p, s)
                    n_out = _emit(out, n_out, end, s["peak_uv"], s["flat_bins"] / s["bins"], s)
                s["in_stretch"] = 0
            elif s["in_tail"] == 0 and g - s["start_bin"] >= p["max_bins"] and s["fallback_end_bin"] >= 0:
                # Raised tone kept the AASM end away: end where it fell under its onset level.
                n_out = _emit(out, n_out, s["fallback_end_bin"], s["fallback_peak_uv"], s["fallback_flat_fraction"], s)
                s["in_tail"] = 1
        s["bin"] = g + 1
    return n_out


def _signature():
    from numba import from_dtype
    from numba import types as t

    return t.intp(t.float64[:, :], from_dtype(PARAMS)[:], from_dtype(STATE)[:], t.float64[:, :])


_lm_scan = kernel(scan_movements, _signature)


class MovementScorer:
    """Streaming LM scoring over the detector's trace for one channel.

    ``rate`` is the trace rate (Hz); ``origin_s`` the time of its first row.
    Finished stretches accumulate in :attr:`movements`. ``kernel``:
    :func:`_lm_scan` (compiled, the default) or :func:`scan_movements` (the
    plain-Python reference the tests compare it with).
    """

    def __init__(self, rate: float, config: DetectorConfig, channel: str = "", origin_s: float = 0.0,
                 kernel: Callable[..., int] | None = None):
        self.cfg = config
        self.rate, self.channel, self.origin_s = float(rate), channel, origin_s
        self._P = make_params(config, rate)
        self._S = np.zeros(1, STATE)
        self._S["last_flat_bin"] = -10**12  # no signal loss yet: settled from the first row
        self.kernel = kernel or _lm_scan
        self._apart = rows_apart(self._P)  # per block, the record's field costs more than the kernel's call
        self.movements: list[LegMovement] = []
        mv = config.movements
        self.waver = RestWaver(rate, config.segment.short_window_s, mv.lm_on_delta_uv, mv.lm_max_s + 2.0)
        self.unscored: list[float] = []  # onsets (s) of rises the resting EMG's own waver reaches by chance
        self._aside_s = -math.inf  # rises from before this (s) were an opening contraction's, not the rest's
        self._out = new_rows(self._P, 0, self._apart)
        self._level_rows, self._level_period, self._row = max(1, round(LEVEL_S * rate)), -1, 0
        # the independent envelope windows in the AASM end's 0.5 s (0.1 s each): five
        self._end_windows = max(1, round(mv.lm_end_quiet_s / config.segment.short_window_s))

    def set_aside_before(self, t_s: float) -> None:
        """Leave out of the rises not scored those from before ``t_s`` (s), found so far or later: the waver of
        a contraction the recording opened in (:mod:`emgcramp.detect.opening`), however the blocks came."""
        self._aside_s = t_s
        self.unscored = [t for t in self.unscored if t > t_s]

    def carry_over(self, prev: "MovementScorer") -> None:
        """Go on from the movements ``prev`` scored (detection restarted after a long gap)."""
        self.movements, self.unscored = list(prev.movements), list(prev.unscored)

    def process(self, trace: np.ndarray) -> list[LegMovement]:
        """Advance over trace rows (``N_TRACE`` columns); return the stretches that ended."""
        trace = trace_rows(trace)
        self.waver.add(trace)
        self._out = out = new_rows(self._P, len(trace), self._apart, self._out)
        first, size = self._row, self._level_rows
        self._row += len(trace)
        if first // size == self._level_period and (first % size) + len(trace) <= size:
            n = self.kernel(trace, self._P, self._S, out)  # a live block within 10 s whose level is set: as before
        else:
            n = self._by_level(trace, first, out)
        if n > len(out):  # the kernel stopped writing at the end of ``out``: rows were lost
            raise RuntimeError(f"{n} leg movements in {len(trace)} trace rows, room for {len(out)}")
        return self._take(out[:n]) if n else []  # (most blocks end none: they pay nothing more)

    def close(self) -> list[LegMovement]:
        """The signal stopped (a long gap, the recording's end): score a stretch that had fallen to its end level.

        The AASM end is the start of 0.5 s at that level; with the signal gone
        before the 0.5 s were over, nothing after the fall was above it, so
        the LM ends at the fall (before, it was lost, and a PLM series with
        it). A stretch still above its end level has no known end: not scored.
        """
        s, p = self._S[0], self._P[0]
        if not s["in_stretch"] or s["in_tail"] or not s["quiet_bins"]:
            return []
        s["in_stretch"], row = 0, np.empty((1, _N_ROW))
        _emit(row, 0, _lm_end(s["bin"] - 1, s["quiet_bins"], p, s), s["peak_uv"], s["flat_bins"] / s["bins"], s)
        return self._take(row)

    def _take(self, rows: np.ndarray) -> list[LegMovement]:
        """The movements of LM ``rows`` (``R_*`` columns): the scored ones kept in :attr:`movements`."""
        # Under 0.5 s is not a movement at all (a jerk, a pop's tail): dropped, it ends nothing. Nor is an LM
        # whose rise the rest's own waver reaches by chance (a noisy baseline's).
        new = [m for m in (self._movement(row) for row in rows) if m.duration_s >= self.cfg.movements.lm_min_s]
        if new:
            kept = [m for m in new if not (m.is_lm and self.waver.by_chance(
                round((m.onset_s - self.origin_s) * self.rate), m.peak_uv - m.rest_uv))]
            self.unscored += [m.onset_s for m in new if m not in kept and m.onset_s > self._aside_s]
            self.movements += kept
            return kept
        return new

    def _by_level(self, trace: np.ndarray, first: int, out: np.ndarray) -> int:
        """Run the kernel over ``trace`` (its first row is trace row ``first``), each :data:`LEVEL_S` of trace
        with its end level; the number of LM rows written to ``out``.

        The level is measured only where it is used: where a stretch is under way or may start (or at once
        for a live block, whose period's other blocks then take the fast path). Rows where neither is so run
        in one call with the rows after them: no level applies to them, so they are not cut apart.
        """
        size, n, start, live = self._level_rows, 0, 0, len(trace) <= LIVE_ROWS
        edges = [0, *range(size - first % size, len(trace), size), len(trace)]
        may_start = trace[:, T_ENV_S] >= trace[:, T_REST] + self._P["on_delta_uv"][0]
        for a, b in zip(edges[:-1], edges[1:]):
            if not (live or may_start[a:b].any() or (start == a and self._S["in_stretch"][0])):
                continue  # no stretch under way (none started in the rows before) nor starting: no level used
            if (first + a) // size != self._level_period:
                self._level_period = (first + a) // size
                self._P["off_delta_uv"] = self.waver.end_delta_uv(self._level_period * size,
                                                                  self.cfg.movements.lm_off_delta_uv, self._end_windows)
            n += self.kernel(trace[start:b], self._P, self._S, out[min(n, len(out)):])
            start = b
        if start < len(trace):
            n += self.kernel(trace[start:], self._P, self._S, out[min(n, len(out)):])
        return n

    def _movement(self, row: np.ndarray) -> LegMovement:
        on = self.origin_s + row[R_START] / self.rate
        off = self.origin_s + row[R_END] / self.rate
        cfg = self.cfg
        ok = cfg.movements.lm_min_s <= off - on <= cfg.movements.lm_max_s and row[R_FLAT] <= cfg.judge.max_flat_fraction
        return LegMovement(round(float(on), 3), round(float(off), 3), float(row[R_PEAK]), float(row[R_REST]),
                           self.channel, bool(ok))

    def prior(self, before_s: float) -> list[PriorMovement]:
        """(onset s, peak µV, duration s) of LMs that ended by ``before_s``, within two series windows, oldest first.

        Only finished LMs count, so the answer does not depend on how the
        signal was cut into blocks.
        """
        out = []
        for m in reversed(self.movements):
            if before_s - m.onset_s > 2 * self.cfg.movements.lm_series_window_s:
                break
            if m.is_lm and m.offset_s <= before_s:
                out.append(PriorMovement(m.onset_s, m.peak_uv, m.duration_s))
        return out[::-1]
