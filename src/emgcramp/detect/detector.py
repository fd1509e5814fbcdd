"""Cramp detection: a streaming state machine over the binned EMG envelope.

Input is one channel of :class:`emgcramp.dsp.filters.Bins` at the detector rate
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
:mod:`emgcramp.core.trace`) that two more Numba passes read on the same block:
leg-movement scoring by the AASM rules (:mod:`emgcramp.detect.movements`) and the
pre-cramp watch (:mod:`emgcramp.detect.precramp`).

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

import numpy as np

from emgcramp.core.config import MAX_PCT_MVC, DetectorConfig
from emgcramp.core.history import LevelHistory
from emgcramp.core.trace import N_TRACE, T_ENV, T_REST
from emgcramp.core.types import Candidate, Episode, PriorMovement, Rejections
from emgcramp.detect.judge import judge
from emgcramp.detect.movements import MovementScorer
from emgcramp.detect.precramp import PreCrampWatch
from emgcramp.detect.segment import (
    C_END,
    C_FLAT,
    C_LF2,
    C_MOTION,
    C_MS,
    C_N,
    C_PEAK,
    C_REASON,
    C_REST,
    C_RISES,
    C_SHORT_ACT,
    C_START,
    C_SUM,
    REASON_END,
    REASON_MAX_LENGTH,
    Segmenter,
)


def _longest_run(mask: np.ndarray) -> int:
    """Length of the longest run of True in ``mask``."""
    if not mask.any():
        return 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return int((edges[1::2] - edges[::2]).max())


def x_rest(rows: np.ndarray) -> np.ndarray:
    """The 0.5-s envelope of trace rows as a multiple of their rest level (NaN where rest is not known yet)."""
    rest = rows[:, T_REST]
    return np.where(rest > 0, rows[:, T_ENV] / np.where(rest > 0, rest, 1.0), np.nan)


class RestMultiples:
    """The 0.5-s envelope as a multiple of the rest level, read from a detector's trace history.

    ``window`` gives NaN where the rest level was not known yet.
    """

    def __init__(self, history: LevelHistory):
        self._history = history
        self.rate = history.rate

    def window(self, t0_s: float, t1_s: float) -> np.ndarray:
        return x_rest(self._history.window(t0_s, t1_s))


class Detector:
    """Streaming cramp detector for one channel.

    Feed it :class:`~emgcramp.dsp.filters.Bins` columns at ``rate`` Hz with
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
        self.rejections = Rejections()
        self.moves = MovementScorer(self.rate, self.cfg, channel, origin_s)
        self.watch = PreCrampWatch(self.rate, self.cfg, channel, origin_s)
        # The trace, long enough to hold an episode and the background before it.
        held_s = self.cfg.segment.max_duration_s + 2 * self.cfg.judge.background_s
        self.history = LevelHistory(self.rate, held_s, origin_s, N_TRACE)
        self.levels = RestMultiples(self.history)
        self._seg = Segmenter(self.cfg, self.rate)
        self.fresh_levels: list[np.ndarray] | None = None  # a list: × rest of each block is kept for a reader

    @property
    def rest_uv(self) -> float:
        """Current rest level, µV RMS (0 before the first second)."""
        return float(self._seg.state["rest_uv"][0])

    def carry_over(self, prev: "Detector") -> None:
        """Keep what ``prev`` logged (after a gap restarts detection)."""
        self.rejections = prev.rejections
        self.fresh_levels = prev.fresh_levels  # levels not yet read, from before the gap
        self.moves.movements, self.watch.warnings = prev.moves.movements, prev.watch.warnings

    def process(self, ms: np.ndarray, mean: np.ndarray, stuck: np.ndarray, flush: bool = False) -> list[Episode]:
        """Advance over 1-D bin arrays (µV², µV, fraction); return closed episodes.

        Leg movements and warnings found on the way are in ``moves.movements``
        and ``watch.warnings``; both passes run before the episodes are
        judged, since judging reads the leg movements that came before.
        """
        rows, trace = self._seg.run(ms, mean, stuck, flush)
        self.moves.process(trace)
        self.watch.process(trace)
        self.history.push(trace)
        if self.fresh_levels is not None:
            self.fresh_levels.append(x_rest(trace))
        return [e for e in (self._episode(row) for row in rows) if e is not None]

    @property
    def level_uv(self) -> float:
        """Current envelope (0.5-s RMS), µV."""
        return float(np.sqrt(max(self._seg.state["long_sum"][0], 0.0) / len(self._seg.rings[0])))

    def open_candidate(self) -> Candidate | None:
        """The episode under way, measured up to now, or ``None`` when idle."""
        row = self._seg.open_row()
        return None if row is None else self._candidate(row)

    def would_be_cramp(self, c: Candidate) -> str:
        """The kind :func:`judge` would give ``c`` now (``""``: not a cramp)."""
        return judge(c, self.cfg, self._prior_movements(c))[0]

    def finish(self) -> list[Episode]:
        """Close an episode still open at the end of the signal."""
        e = np.empty(0)
        return self.process(e, e, e, flush=True)

    def quality(self) -> dict[str, float]:
        """Fractions of time flat and with motion, and the mean rest level (µV)."""
        s = self._seg.state[0]
        total = max(s["total_bins"], 1.0)
        return {"seconds": s["total_bins"] / self.rate,
                "flat_fraction": s["total_flat_bins"] / total,
                "motion_fraction": s["total_motion_bins"] / total,
                "rest_uv": s["rest_uv_sum"] / s["rest_updates"] if s["rest_updates"] else float("nan")}

    def _candidate(self, row: np.ndarray) -> Candidate:
        n = max(row[C_N], 1.0)
        span = max(row[C_END] - row[C_START], 1.0)
        onset_s, offset_s = self.origin_s + row[C_START] / self.rate, self.origin_s + row[C_END] / self.rate
        hold, background, rise, run = self._shape(onset_s, offset_s)
        return Candidate(
            onset_s=onset_s, offset_s=offset_s,
            peak_uv=float(row[C_PEAK]), mean_uv=float(row[C_SUM] / n),
            rest_uv=float(max(row[C_REST], self.cfg.segment.min_rest_uv)),
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
        before = self.history.window(onset_s - self.cfg.judge.background_s, onset_s - 1.0)[:, T_ENV]
        background = float(np.median(before)) if len(before) else 0.0
        lead = self.history.window(onset_s - 20.0, offset_s)[:, T_ENV]
        base = max(background, self.cfg.segment.min_rest_uv)
        up = np.flatnonzero(lead >= base + 0.8 * (hold - base))
        if not len(up):
            return hold, background, 0.0, run
        low = np.flatnonzero(lead[: up[0]] <= base + 0.2 * (hold - base))
        start = low[-1] if len(low) else 0
        return hold, background, float((up[0] - start) / self.rate), run

    def _prior_movements(self, c: Candidate) -> list[PriorMovement]:
        """(onset s, peak µV, duration s) of the leg movements before ``c`` that may chain it into a PLM series.

        None when a pre-cramp warning led into it: rising tension crosses the
        LM level again and again, but periodic movements rise from rest.
        """
        return [] if self.watch.announced(c.onset_s) else self.moves.prior(c.onset_s)

    def _episode(self, row: np.ndarray) -> Episode | None:
        c = self._candidate(row)
        kind, reason = judge(c, self.cfg, self._prior_movements(c))
        if not kind:
            self.rejections.add(round(c.onset_s, 3), round(c.offset_s, 3), reason)
            return None
        flags = []
        if c.closed_by == REASON_MAX_LENGTH:
            flags.append("max_length")
        if c.closed_by == REASON_END:
            flags.append("open_at_end")
        if c.motion > self.cfg.judge.motion_flag_fraction:
            flags.append("motion")
        mvc = self.cfg.judge.mvc_uv
        if mvc and c.peak_uv > MAX_PCT_MVC / 100.0 * mvc:
            flags.append("above_mvc")  # the calibration's MVC was not maximal: %MVC is not to be trusted
        return Episode(onset_s=round(c.onset_s, 3), offset_s=round(c.offset_s, 3),
                       duration_s=round(c.duration_s, 3), kind=kind,
                       peak_intensity=c.peak_uv, mean_intensity=c.mean_uv, rest_uv=c.rest_uv,
                       channel=self.channel, duty=c.duty,
                       pct_mvc=100.0 * c.peak_uv / mvc if mvc else None, flags=flags,
                       warning_lead_s=self.watch.link(round(c.onset_s, 3)), muscles=[self.channel])
