"""The pre-cramp watch: raised calf tension and twitching before a cramp.

Home recordings show calf EMG at about 2–5 × the resting level for roughly
40 s before people wake with a cramp (a pilot study), and twitching
(fasciculation-like lone discharges) sometimes comes first. This pass looks
for that state on the detector's trace, live:

- a 20-ms bin is *tense* when its RMS is at least
  ``max(warn_ratio·rest, rest + warn_delta_uv)`` (1.5 × rest by default: the
  tension creeps up, so 2 × is reached only near its end) and it is free
  of motion, signal loss and contraction (a candidate burst at the
  contraction level, ``contraction_ratio`` × rest). Bins, not the 0.5-s envelope: ECG bleed
  lifts the envelope of every second its QRS falls in, but only a few bins,
  and a heart rate that drifts over minutes would otherwise read as tension;
- a *twitch* is a 20-ms bin at least ``twitch_ratio`` × the 0.5-s envelope
  around it (3 ×, which is about 3.7 × the bins beside it) while that
  envelope stays under the cramp ON level: one discharge, not a burst;
- a warning opens when, over the last ``warn_window_s`` (10 s), at least
  80 % of bins are tense, or at least half are tense and there were
  ``warn_min_twitches`` twitches. Twitches alone do not open one: ECG bleed
  makes spikes of that size about once a second all night.
- It closes when tension has stayed under half of the window for half a
  window (5 s; its end is where that began), or when a contraction starts
  (a candidate burst held at ``contraction_ratio`` × rest for
  ``contraction_s``: a twitch lifts the 0.5-s envelope for half a second
  at most; the end is where the contraction began); that cramp's lead time is its onset minus the warning's
  onset. A warning's onset is the end of the first window that qualified
  less its tense time: the start of the tension when it was continuous.
- For ``warn_refractory_s`` after an episode none opens: the calf is still
  settling.

A warning is not a cramp and never counts as one; ``monitor`` can alert on
it (``--alert-on warning``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from emgcramp.core.kernels import kernel
from emgcramp.core.trace import F_EPISODE, F_FLAT, F_MOTION, T_BIN, T_ENV, T_FLAGS, T_REST, trace_rows
from emgcramp.core.types import CrampWarning
from emgcramp.detect.rings import ring_push

if TYPE_CHECKING:
    from emgcramp.core.config import DetectorConfig

_I, _F = np.int64, np.float64
# Flags (0/1), counts and indices of bins are integers; levels (µV, × rest), ratios and shares are float64.
STATE = np.dtype([
    ("bin", _I),  # index of the next trace row
    # The rings' next slot, and how many of their bins were tense, twitched: counts, but float64 as the running
    # sums ring_push keeps (it serves the segmenter's µV² windows too); whole numbers, so exact all the same.
    ("pos", _I), ("tense_bins", _F), ("twitch_bins", _F),
    ("open", _I), ("start_bin", _I), ("level_x_rest_sum", _F), ("level_bins", _I), ("twitches", _I),
    ("last_episode_bin", _I), ("last_end_bin", _I), ("calm_bins", _I), ("contraction_run", _I)])
PARAMS = np.dtype([
    ("warn_ratio", _F), ("warn_delta_uv", _F), ("twitch_ratio", _F), ("on_ratio", _F), ("on_delta_uv", _F),
    ("min_twitches", _I), ("refractory_bins", _I), ("calm_bins", _I), ("tense_share", _F),
    ("tense_share_with_twitches", _F), ("contraction_bins", _I)])
(R_START, R_END, R_LEVEL, R_TWITCHES, _N_ROW) = range(5)


def make_params(cfg: DetectorConfig, rate: float) -> np.ndarray:
    """The kernel's parameters for ``cfg`` at ``rate`` trace rows per second (one-element array), by field name."""
    w, p = cfg.warnings, np.zeros(1, PARAMS)
    p["warn_ratio"], p["warn_delta_uv"], p["twitch_ratio"] = w.warn_ratio, w.warn_delta_uv, w.twitch_ratio
    p["on_ratio"], p["on_delta_uv"] = w.contraction_ratio, w.contraction_delta_uv  # the contraction level
    p["min_twitches"] = w.warn_min_twitches
    p["refractory_bins"] = round(w.warn_refractory_s * rate)
    p["calm_bins"] = max(1, round(0.5 * w.warn_window_s * rate))  # half a window
    p["tense_share"], p["tense_share_with_twitches"] = w.warn_tense_share, w.warn_tense_share_with_twitches
    p["contraction_bins"] = max(1, round(w.contraction_s * rate))
    return p


def new_rows(n_bins: int) -> np.ndarray:
    """Room for every warning the kernel can close over ``n_bins`` trace rows (``_N_ROW`` columns).

    A warning opens on one row and closes on a later one, and the next opens
    on a row after that: closes come at least two rows apart. The first may
    come on row 0 (a warning carried in from the last block).
    """
    return np.empty((n_bins // 2 + 1, _N_ROW))


def watch_bins(trace, params, state, tense_ring, twitch_ring, out):
    """Advance the watch over trace rows; write closed warnings to ``out``; return how many.

    ``params``, ``state``: one-record arrays of :data:`PARAMS`, :data:`STATE`;
    the rings hold which of the window's bins were tense, which twitched.
    Warnings past the end of ``out`` are counted, not written: a count above
    its length means :func:`new_rows` undersized it.
    The plain-Python reference; :func:`_watch` is the same function compiled.
    """
    p, s = params[0], state[0]
    w = tense_ring.shape[0]
    n_out = 0
    for j in range(trace.shape[0]):
        g = s["bin"]
        rest = trace[j, T_REST]
        flags = int(trace[j, T_FLAGS])
        env = trace[j, T_ENV]
        on = max(p["on_ratio"] * rest, rest + p["on_delta_uv"])
        # A candidate burst is a contraction, not tension, once it has held the contraction level for
        # contraction_bins: a twitch lifts the 0.5-s envelope for one window at most.
        loud = (flags & F_EPISODE) != 0 and env >= on
        s["contraction_run"] = s["contraction_run"] + 1 if loud else 0
        in_ep = s["contraction_run"] >= p["contraction_bins"]
        if in_ep:
            s["last_episode_bin"] = g
        usable = rest > 0.0 and (flags & (F_FLAT | F_MOTION)) == 0 and not loud
        tense = usable and trace[j, T_BIN] >= max(p["warn_ratio"] * rest, rest + p["warn_delta_uv"])
        twitch = usable and env < on and trace[j, T_BIN] >= p["twitch_ratio"] * env
        pos = s["pos"]
        _, s["tense_bins"] = ring_push(tense_ring, pos, s["tense_bins"], 1.0 if tense else 0.0)
        s["pos"], s["twitch_bins"] = ring_push(twitch_ring, pos, s["twitch_bins"], 1.0 if twitch else 0.0)
        settled = g - s["last_episode_bin"] > p["refractory_bins"]
        if s["open"] == 0:
            tense, twitches = s["tense_bins"], s["twitch_bins"] >= p["min_twitches"]
            qualifies = tense >= p["tense_share"] * w or (tense >= p["tense_share_with_twitches"] * w and twitches)
            if qualifies and settled and g + 1 >= w:
                s["open"] = 1
                s["start_bin"] = max(g + 1 - int(s["tense_bins"]), s["last_episode_bin"] + 1, s["last_end_bin"])
                s["level_x_rest_sum"], s["level_bins"], s["twitches"], s["calm_bins"] = 0.0, 0, int(s["twitch_bins"]), 0
        elif s["open"] == 1:
            if usable:
                s["level_x_rest_sum"] += env / rest
                s["level_bins"] += 1
            if twitch:
                s["twitches"] += 1
            s["calm_bins"] = s["calm_bins"] + 1 if s["tense_bins"] < p["tense_share_with_twitches"] * w else 0
            if in_ep or s["calm_bins"] >= p["calm_bins"]:
                end = g + 1 - s["contraction_run"] if in_ep else g + 1 - s["calm_bins"]
                if n_out < out.shape[0]:  # never past the rows given: the count tells the caller
                    out[n_out, R_START], out[n_out, R_END] = s["start_bin"], end
                    out[n_out, R_LEVEL] = s["level_x_rest_sum"] / max(s["level_bins"], 1)
                    out[n_out, R_TWITCHES] = s["twitches"]
                s["last_end_bin"] = end
                n_out += 1
                s["open"] = 0
        s["bin"] = g + 1
    return n_out


def _signature():
    from numba import from_dtype
    from numba import types as t

    a1, a2 = t.float64[:], t.float64[:, :]
    return t.intp(a2, from_dtype(PARAMS)[:], from_dtype(STATE)[:], a1, a1, a2)


_watch = kernel(watch_bins, _signature)


class PreCrampWatch:
    """Streaming pre-cramp watch over the detector's trace for one channel.

    ``rate`` is the trace rate (Hz); ``origin_s`` the time of its first row.
    Closed warnings accumulate in :attr:`warnings`. ``kernel``: :func:`_watch`
    (compiled, the default) or :func:`watch_bins` (the plain-Python reference
    the tests compare it with).
    """

    def __init__(self, rate: float, config: DetectorConfig, channel: str = "", origin_s: float = 0.0,
                 kernel: Callable[..., int] | None = None):
        self.rate, self.channel, self.origin_s, self.cfg = float(rate), channel, origin_s, config
        self._P = make_params(config, rate)
        self._S = np.zeros(1, STATE)
        self._S["last_episode_bin"] = -10**12  # no episode yet: settled from the first row
        n = max(1, round(config.warnings.warn_window_s * rate))
        self._tense, self._twitch = np.zeros(n), np.zeros(n)
        self.kernel = kernel or _watch
        self.warnings: list[CrampWarning] = []
        self.leads: dict[float, float] = {}  # warning onset (s) → lead (s) of the cramp it announced

    def carry_over(self, prev: "PreCrampWatch") -> None:
        """Go on from the warnings ``prev`` logged and linked (detection restarted after a long gap)."""
        self.warnings, self.leads = list(prev.warnings), dict(prev.leads)

    def process(self, trace: np.ndarray) -> list[CrampWarning]:
        """Advance over trace rows; return the warnings that closed."""
        trace = trace_rows(trace)
        out = new_rows(len(trace))
        n = self.kernel(trace, self._P, self._S, self._tense, self._twitch, out)
        if n > len(out):  # the kernel stopped writing at the end of ``out``: warnings were lost
            raise RuntimeError(f"{n} warnings in {len(trace)} trace rows, room for {len(out)}")
        t0, rate = self.origin_s, self.rate
        new = [CrampWarning(round(t0 + r[R_START] / rate, 3), round(t0 + r[R_END] / rate, 3),
                            round(float(r[R_LEVEL]), 2), int(r[R_TWITCHES]), self.channel) for r in out[:n]]
        self.warnings += new
        return new

    def open_since(self) -> float | None:
        """Onset (s) of the warning under way, or ``None``."""
        s = self._S[0]
        return self.origin_s + s["start_bin"] / self.rate if s["open"] == 1 else None

    def announced(self, onset_s: float) -> bool:
        """True when a warning was under way up to (within ``warn_link_s`` of) ``onset_s``."""
        for w in reversed(self.warnings):
            if w.onset_s < onset_s and onset_s - w.offset_s <= self.cfg.warnings.warn_link_s:
                return True
            if onset_s - w.offset_s > self.cfg.warnings.warn_link_s:
                return False
        return False

    def link(self, onset_s: float, offset_s: float) -> float | None:
        """A cramp from ``onset_s`` to ``offset_s`` was decided: mark the warnings that led to it; return the lead (s).

        Warnings that follow each other within ``warn_link_s`` are one run
        (tension that dipped and came back); the lead counts from the first.
        Only warnings that ended half a window (the longest a close takes to
        be seen) before the cramp did count: those are closed by the time the
        cramp is decided however the signal was cut into blocks, so live and
        offline link the same. A warning still open when the cramp ended was
        no warning of it, but the tension of the same burst.
        """
        seen_by = offset_s - 0.5 * self.cfg.warnings.warn_window_s
        run: list[CrampWarning] = []
        t = onset_s
        for w in reversed([w for w in self.warnings if w.offset_s <= seen_by]):
            if w.onset_s in self.leads or w.onset_s >= onset_s or t - w.offset_s > self.cfg.warnings.warn_link_s:
                break
            run.append(w)
            t = w.onset_s
        if not run:
            return None
        lead = round(onset_s - run[-1].onset_s, 3)
        self.leads.update((w.onset_s, lead) for w in run)
        return lead

    def linked(self) -> list[CrampWarning]:
        """The warnings with what :meth:`link` found (``cramp_followed``, ``lead_s``), as new records.

        The records themselves stay as they closed (and as a live log wrote them).
        """
        return [replace(w, cramp_followed=True, lead_s=self.leads[w.onset_s]) if w.onset_s in self.leads else w
                for w in self.warnings]

    def screen(self, keep: Callable[[CrampWarning], bool], since: int) -> int:
        """Drop the warnings from position ``since`` on that ``keep`` refuses; return how many are held now."""
        self.warnings[since:] = [w for w in self.warnings[since:] if keep(w)]
        return len(self.warnings)
