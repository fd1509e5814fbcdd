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
- Nothing is removed for respiratory events or arousals (no airflow or EEG).
  A stretch starting within 1 s of signal loss (lead-off, saturation) is
  not scored: it is the filters settling, not a movement.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from emgcramp.core.trace import F_FLAT, N_TRACE, T_ENV_S, T_FLAGS, T_REST
from emgcramp.core.types import LegMovement

if TYPE_CHECKING:
    from emgcramp.core.config import DetectorConfig

# Kernel state and parameter layouts.
(_G, _IN, _START, _REST0, _QUIET, _PEAK, _N_FLAT, _N, _LAST_FLAT,
 _QUIET_ON, _FB_END, _FB_PEAK, _FB_FLAT, _TAIL, _N_STATE) = range(15)
(_P_ON, _P_OFF, _P_QUIET, _P_WS, _P_CLEAR, _P_MAX) = range(6)
# Columns of an LM row: onset bin, offset bin, peak µV, rest µV, flat fraction.
(R_START, R_END, R_PEAK, R_REST, R_FLAT, _N_ROW) = range(6)


@njit(cache=True, nogil=True)
def _lm_end(g, quiet, P, S):
    """Bin where an LM ends, given ``quiet`` bins at the end level up to bin ``g``."""
    return max(g + 1.0 - quiet - P[_P_WS], S[_START] + 1.0)


@njit(cache=True, nogil=True)
def _emit(out, n_out, end, peak, flat, S):
    out[n_out, R_START], out[n_out, R_END] = S[_START], end
    out[n_out, R_PEAK], out[n_out, R_REST], out[n_out, R_FLAT] = peak, S[_REST0], flat
    return n_out + 1


@njit(cache=True, nogil=True)
def _lm_scan(trace, P, S, out):
    """Advance the LM rules over trace rows; write finished stretches to ``out``."""
    n_out = 0
    for j in range(trace.shape[0]):
        g = S[_G]
        env, rest = trace[j, T_ENV_S], trace[j, T_REST]
        flat = (int(trace[j, T_FLAGS]) & F_FLAT) != 0
        if flat:
            S[_LAST_FLAT] = g
        if S[_IN] == 0.0:
            # After signal loss the filters ring as the signal returns: not a movement.
            if rest > 0.0 and g - S[_LAST_FLAT] > P[_P_CLEAR] and env >= rest + P[_P_ON]:
                S[_IN], S[_START], S[_REST0] = 1.0, g, rest
                S[_QUIET], S[_PEAK], S[_N_FLAT], S[_N] = 0.0, 0.0, 0.0, 0.0
                S[_QUIET_ON], S[_FB_END], S[_TAIL] = 0.0, -1.0, 0.0
        if S[_IN] == 1.0:
            S[_N] += 1.0
            if flat:
                S[_N_FLAT] += 1.0
            S[_QUIET] = S[_QUIET] + 1.0 if env <= S[_REST0] + P[_P_OFF] else 0.0
            S[_QUIET_ON] = S[_QUIET_ON] + 1.0 if env <= S[_REST0] + P[_P_ON] else 0.0
            if S[_QUIET] == 0.0 and S[_FB_END] < 0.0:
                S[_PEAK] = max(S[_PEAK], env)
            if S[_QUIET_ON] >= P[_P_QUIET] and S[_FB_END] < 0.0:
                S[_FB_END], S[_FB_PEAK] = _lm_end(g, S[_QUIET_ON], P, S), S[_PEAK]
                S[_FB_FLAT] = S[_N_FLAT] / S[_N]
            if S[_QUIET] >= P[_P_QUIET]:
                if S[_TAIL] == 0.0:
                    n_out = _emit(out, n_out, _lm_end(g, S[_QUIET], P, S), S[_PEAK], S[_N_FLAT] / S[_N], S)
                S[_IN] = 0.0
            elif S[_TAIL] == 0.0 and g - S[_START] >= P[_P_MAX] and S[_FB_END] >= 0.0:
                # Raised tone kept the AASM end away: end where it fell under its onset level.
                n_out = _emit(out, n_out, S[_FB_END], S[_FB_PEAK], S[_FB_FLAT], S)
                S[_TAIL] = 1.0
        S[_G] = g + 1.0
    return n_out


class MovementScorer:
    """Streaming LM scoring over the detector's trace for one channel.

    ``rate`` is the trace rate (Hz); ``origin_s`` the time of its first row.
    Finished stretches accumulate in :attr:`movements`.
    """

    def __init__(self, rate: float, config: DetectorConfig, channel: str = "", origin_s: float = 0.0):
        self.cfg = config
        self.rate, self.channel, self.origin_s = float(rate), channel, origin_s
        c = config
        self._P = np.array([c.lm_on_delta_uv, c.lm_off_delta_uv, max(1, round(c.lm_end_quiet_s * rate)),
                            max(1, round(c.short_window_s * rate)), round(rate), round(c.lm_max_s * rate)])
        self._S = np.zeros(_N_STATE)
        self._S[_LAST_FLAT] = -1e12
        self.movements: list[LegMovement] = []

    def process(self, trace: np.ndarray) -> list[LegMovement]:
        """Advance over trace rows (``N_TRACE`` columns); return the stretches that ended."""
        out = np.empty((len(trace) // max(1, int(self._P[_P_QUIET])) + 2, _N_ROW))
        n = _lm_scan(np.ascontiguousarray(trace).reshape(-1, N_TRACE), self._P, self._S, out)
        # Under 0.5 s is not a movement at all (a jerk, a pop's tail): dropped, it ends nothing.
        new = [m for m in (self._movement(row) for row in out[:n]) if m.duration_s >= self.cfg.lm_min_s]
        self.movements += new
        return new

    def _movement(self, row: np.ndarray) -> LegMovement:
        on = self.origin_s + row[R_START] / self.rate
        off = self.origin_s + row[R_END] / self.rate
        cfg = self.cfg
        ok = cfg.lm_min_s <= off - on <= cfg.lm_max_s and row[R_FLAT] <= cfg.max_flat_fraction
        return LegMovement(round(float(on), 3), round(float(off), 3), float(row[R_PEAK]), float(row[R_REST]),
                           self.channel, bool(ok))

    def prior(self, before_s: float) -> list[tuple[float, float, float]]:
        """(onset s, peak µV, duration s) of LMs that ended by ``before_s``, within two series windows, oldest first.

        Only finished LMs count, so the answer does not depend on how the
        signal was cut into blocks.
        """
        out = []
        for m in reversed(self.movements):
            if before_s - m.onset_s > 2 * self.cfg.lm_series_window_s:
                break
            if m.is_lm and m.offset_s <= before_s:
                out.append((m.onset_s, m.peak_uv, m.duration_s))
        return out[::-1]


def like_series(peak_uv: float, others: list[tuple[float, float]], cfg: DetectorConfig) -> bool:
    """True when a burst is of a kind with the movements of a series (``others``: (peak µV, duration s)).

    Periodic movements are stereotyped in strength; a cramp among them
    stands out by ``plm_cramp_peak_ratio`` × their median peak. Length does
    not tell: AASM leg movements run anywhere from 0.5 to 10 s, and a cramp
    that outlasts that is no leg movement anyway.
    """
    if not others:
        return True
    peaks = np.array(others, dtype=float)[:, 0]
    return bool(peak_uv < cfg.plm_cramp_peak_ratio * np.median(peaks))


def score_series(movements: Iterable[LegMovement], cfg: DetectorConfig,
                 breaks: Iterable[tuple[float, float]] = ()) -> list[LegMovement]:
    """Number the PLM series among ``movements`` (in time order); return them all, ``series`` set.

    ``breaks`` are other (onset, offset) intervals in s that end a series,
    such as cramps; an LM that overlaps one is part of it (the first burst
    of a clonic cramp, say) and is left out.
    """
    breaks = list(breaks)
    ms = sorted((m for m in movements if not (m.is_lm and any(m.onset_s < off and on < m.offset_s for on, off in breaks))),
                key=lambda m: m.onset_s)
    stops = sorted(b[0] for b in breaks)
    series = [0] * len(ms)
    run: list[int] = []
    next_id = 1

    def close() -> None:
        nonlocal next_id
        if len(run) >= cfg.plm_min_count:
            for i in run:
                series[i] = next_id
            next_id += 1
        run.clear()

    for i, m in enumerate(ms):
        if not m.is_lm:
            if m.duration_s > cfg.lm_max_s:
                close()
            continue
        if run:
            prev = ms[run[-1]].onset_s
            gap = m.onset_s - prev
            broken = any(prev < t < m.onset_s for t in stops)
            if broken or not cfg.lm_min_interval_s <= gap <= cfg.lm_series_window_s:
                close()
        run.append(i)
    close()
    return [LegMovement(m.onset_s, m.offset_s, m.peak_uv, m.rest_uv, m.channel, m.is_lm, s)
            for m, s in zip(ms, series)]


def merge_channels(per_channel: Iterable[list[LegMovement]], cfg: DetectorConfig) -> list[LegMovement]:
    """One leg, several channels: overlapping stretches are one movement.

    The merged stretch spans the union, keeps the largest peak and is an LM
    only if its length still is (AASM counts a movement once).
    """
    allm = sorted((m for ms in per_channel for m in ms), key=lambda m: m.onset_s)
    merged: list[LegMovement] = []
    for m in allm:
        if merged and m.onset_s <= merged[-1].offset_s:
            p = merged[-1]
            on, off = p.onset_s, max(p.offset_s, m.offset_s)
            names = p.channel if m.channel in p.channel.split("+") else f"{p.channel}+{m.channel}"
            ok = (p.is_lm or m.is_lm) and off - on <= cfg.lm_max_s
            merged[-1] = LegMovement(on, off, max(p.peak_uv, m.peak_uv), p.rest_uv, names, ok)
        else:
            merged.append(m)
    return merged


