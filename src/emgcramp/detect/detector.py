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
   minutes of those. In an episode it learns only under ``rest_follow_ratio``
   × the episode's rest, so a ten-minute cramp does not become the new rest;
5. runs the hysteresis: an episode starts when ``env`` reaches the ON
   threshold with 40 % of its window over ON (so lone twitches, single
   motor-unit discharges, cannot start one) and ends once ``env`` has stayed under the OFF threshold for
   ``merge_gap_s`` (so the relaxations of a clonic cramp do not split it).
   An episode longer than ``max_duration_s`` is closed there and the rest
   level restarts from the current level (a lasting level shift, not a
   cramp, would otherwise never end).

A recording that opens inside a contraction teaches the rest level that
contraction; :mod:`emgcramp.detect.opening` proposes the opening stretch
once the rest level settles under it.

Thresholds are relative to rest, with an absolute floor so that a very
quiet amplifier does not turn noise into episodes:
``ON = max(on_ratio·rest, rest + on_delta_uv)``, likewise OFF.

Per bin the kernel also leaves a trace (envelopes, rest, flags;
:mod:`emgcramp.core.trace`) that two more Numba passes read on the same block:
leg-movement scoring by the AASM rules (:mod:`emgcramp.detect.movements`) and the
pre-cramp watch (:mod:`emgcramp.detect.precramp`).

The segmenter decides nothing. Each closed candidate is described by a
:class:`~emgcramp.detect.features.Features` record (durations, levels ×
rest, shape, motion, the background it rose from, the leg movements and
warnings before it; for the record, its spectrum's RMS frequency and
drift), and :func:`~emgcramp.detect.decide.decide` turns the record into a
probability, a tier (``cramp``, ``possible_cramp`` or a look-alike) and a
reason. Amplitude alone misleads (a cramp may engage only part of the
muscle, a leg movement can be louder), so the record holds ratios and
shapes, never µV.

Times: episode edges are where the 0.1-s envelope crosses the EDGE level,
``max(edge_ratio·rest, rest + edge_delta_uv)`` (1.5 × rest, 1.5 µV), below OFF so that a weak cramp's ramps count. The window is
causal, so a rising edge crosses the low OFF threshold almost at once while
a falling edge crosses it one window late; offsets are moved back by that
window.
"""

from __future__ import annotations

import numpy as np

from emgcramp.core.config import MAX_PCT_MVC, DetectorConfig
from emgcramp.core.history import LevelHistory
from emgcramp.core.trace import N_TRACE, RestMultiples, x_rest
from emgcramp.core.types import Candidate, Episode, Rejections
from emgcramp.detect import segment as seg
from emgcramp.detect.decide import CRAMP, POSSIBLE, Decision, decide
from emgcramp.detect.features import Features
from emgcramp.detect.joined import CutPart, first_bins, goes_on, join, may_go_on
from emgcramp.detect.live_view import OpenView
from emgcramp.detect.movements import MovementScorer
from emgcramp.detect.opening import REASON_OPENING, OpeningWatch, opening_candidate
from emgcramp.detect.precramp import PreCrampWatch
from emgcramp.detect.series import series_chain
from emgcramp.detect.shape import measure, offset_motion, onset_motion, spectrum, waxing

# Bins are run through the detector at most this many seconds at a time (see Detector.process).
PIECE_S = 60.0
NAN = float("nan")


class Detector:
    """Streaming cramp detector for one channel.

    Feed it :class:`~emgcramp.dsp.filters.Bins` columns at ``rate`` Hz with
    :meth:`process`; it returns the episodes that closed in that stretch.
    ``origin_s`` is the time (s) of the first bin; times in episodes are
    relative to the recording start.
    """

    def __init__(self, rate: float, config: DetectorConfig | None = None, channel: str = "",
                 origin_s: float = 0.0, log: list | None = None, keep_levels: bool = False,
                 fs_hz: float = NAN):
        self.rate, self.fs_hz = float(rate), float(fs_hz)  # bins/s; samples/s, for the spectrum (NaN: not known)
        self.cfg, self.channel, self.origin_s = config or DetectorConfig(), channel, origin_s
        self.rejections = Rejections()
        self.possible: list[Episode] = []  # the possible_cramp tier: listed, never alarmed
        # When a list: every candidate's (onset s, offset s, features, rises) is appended (the bench refits on it).
        self.log = log
        self.moves = MovementScorer(self.rate, self.cfg, channel, origin_s)
        self.watch = PreCrampWatch(self.rate, self.cfg, channel, origin_s)
        # The trace, long enough to hold an episode and the background before it.
        held_s = self.cfg.segment.max_duration_s + 2 * self.cfg.judge.background_s + PIECE_S
        self.history = LevelHistory(self.rate, held_s, origin_s, N_TRACE)
        self.levels = RestMultiples(self.history)
        self._seg = seg.Segmenter(self.cfg, self.rate)
        self.opening = OpeningWatch(self.rate, self.cfg)  # a recording that opens inside a contraction
        self.view = OpenView()  # the episode under way as the live path shows it
        self._levels: list[np.ndarray] | None = [] if keep_levels else None  # × rest of each block, for a reader
        self._end_flag = "open_at_end"  # how an episode the flush closes is flagged
        self.after_gap = False  # True when this detector took over from one a long gap ended
        self._cut: CutPart | None = None  # a burst's part before a long gap, filed once the signal is back

    @property
    def rest_uv(self) -> float:
        """Current rest level, µV RMS (0 before the first second)."""
        return float(self._seg.state["rest_uv"][0])

    def carry_over(self, prev: Detector) -> None:
        """Keep what ``prev`` logged and the rest level it had learned (after a long gap restarts detection).

        With the rest level known from the first bin, a contraction still
        under way when the signal comes back opens an episode at once
        (flagged ``gap_at_start``) instead of being learned as the new rest;
        the part of a burst ``prev`` held at the gap is held here, to join it
        (:mod:`~emgcramp.detect.joined`), and a contraction the recording
        opened in is still watched for (:meth:`.OpeningWatch.after_gap`).
        """
        self.rejections = prev.rejections
        self.possible = prev.possible
        if self._levels is not None and prev._levels:
            self._levels[:0] = prev._levels  # levels not yet read, from before the gap
        self.moves.carry_over(prev.moves)
        self.watch.carry_over(prev.watch)
        self._seg.carry_rest(prev._seg)
        self.after_gap, self.opening = True, prev.opening.after_gap()
        self._cut, prev._cut = prev._cut, None

    def process(self, ms: np.ndarray, mean: np.ndarray, stuck: np.ndarray, dms: np.ndarray | None = None,
                flush: bool = False) -> list[Episode]:
        """Advance over 1-D bin arrays (µV², µV, fraction; ``dms`` µV², see :class:`~emgcramp.dsp.filters.Bins`).

        Returns the cramps that closed (and one held at a gap, once filed). Leg movements and warnings
        found on the way are in ``moves.movements`` and ``watch.warnings``; both passes run before the
        episodes are judged, since judging reads the leg movements that came before.
        """
        # In pieces of at most PIECE_S: an episode is judged from the history before the bins after
        # its close push its start out, however long the block.
        step, out = max(1, int(PIECE_S * self.rate)), []
        for i in range(0, max(len(ms), 1), step):
            last = i + step >= len(ms)  # and a live block is one piece, passed on without slicing
            piece = (ms, mean, stuck, dms) if len(ms) <= step else tuple(
                None if a is None else a[i:i + step] for a in (ms, mean, stuck, dms))
            rows, trace = self._seg.run(*piece[:3], flush and last, piece[3])
            self.moves.process(trace)
            self.watch.process(trace)
            self.history.push(trace)
            if self._levels is not None:
                self._levels.append(x_rest(trace))
            opening = self.opening.look(trace)
            cands = [measure(row, self.history, self.origin_s, self.cfg) for row in rows]
            if opening is not None:
                cands.append(opening_candidate(self.history, self.origin_s, opening, self.cfg, self.moves))
            out += [e for c in cands if c is not None for e in self._episode(c)]
            if self._cut is not None and self._end_flag != "gap_at_end" and (
                    flush and last or not may_go_on(self._seg, self.cfg, self.rate)):
                out += self.file_cut()  # the signal came back without the burst the gap cut
        return out

    def keep_levels(self) -> None:
        """From now on, keep each block's envelope × rest for :meth:`take_levels`."""
        self._levels = [] if self._levels is None else self._levels

    def take_levels(self) -> np.ndarray:
        """The 0.5-s envelope × rest of the bins since the last call (kept only with ``keep_levels``)."""
        parts, self._levels = self._levels or [], [] if self._levels is not None else None
        return np.concatenate(parts) if parts else np.empty(0)

    @property
    def level_uv(self) -> float:
        """Current envelope (0.5-s RMS), µV."""
        return float(np.sqrt(max(self._seg.state["long_sum"][0], 0.0) / len(self._seg.rings[0])))

    def open_span_s(self) -> tuple[float, float] | None:
        """The episode under way: where it opened and its last active bin (s), or ``None``; cheap, unlike it."""
        row, o, r = self._seg.open_row(), self.origin_s, self.rate
        return None if row is None else (float(o + row[seg.C_START] / r), float(o + row[seg.C_END] / r))

    def open_candidate(self) -> Candidate | None:
        """The episode under way, measured up to now, or ``None`` when idle."""
        row = self._seg.open_row()
        return None if row is None else self._continued(measure(row, self.history, self.origin_s, self.cfg))

    @property
    def cut_opened_s(self) -> float | None:
        """Where the burst a gap cut, not yet filed, opened (s), or ``None`` (:mod:`~emgcramp.detect.joined`)."""
        return None if self._cut is None else self._cut.candidate.opened_s

    def _continued(self, c: Candidate) -> Candidate:
        """The burst a gap cut, if ``c`` opened as the signal came back and goes on with it (:mod:`.joined`)."""
        whole = self._cut is not None and self.opened_at_gap(c) and goes_on(self._cut, c, self.cfg)
        return join(self._cut, c, offset_motion(self.history, c.offset_s)) if whole else c

    def opened_at_gap(self, c: Candidate) -> bool:
        """Whether ``c`` opened in the first envelope window after the gap this detector took over from."""
        return self.after_gap and 0 <= round((c.opened_s - self.origin_s) * self.rate) < first_bins(self.cfg, self.rate)

    def would_be_cramp(self, c: Candidate) -> str:
        """The kind ``c`` would be logged as if it closed now (``""``: not in the cramp tier)."""
        return d.kind if (d := self._decide(c)).tier == CRAMP else ""

    def finish(self, cut_by: str = "open_at_end") -> list[Episode]:
        """Close an episode still open at the end of the signal; flag it ``cut_by`` (``gap_at_end``: held)."""
        self._end_flag = cut_by
        self.moves.close()  # a leg movement whose end the signal stopped short of confirming
        return self.process(*[np.empty(0)] * 3, flush=True)

    def quality(self) -> dict[str, float]:
        """Fractions of time flat and with motion, the mean rest level (µV), and the rises not scored as
        leg movements, as the resting EMG's own waver reaches them (:mod:`emgcramp.detect.waver`)."""
        s = self._seg.state[0]
        total = max(s["total_bins"], 1.0)
        return {"seconds": s["total_bins"] / self.rate, "flat_fraction": s["total_flat_bins"] / total,
                "motion_fraction": s["total_motion_bins"] / total,
                "rest_uv": s["rest_uv_sum"] / s["rest_updates"] if s["rest_updates"] else float("nan"),
                "lm_unscored": float(len(self.moves.unscored))}

    def features(self, c: Candidate, spectrum_too: bool = True) -> Features:
        """The evidence about ``c`` (:class:`~emgcramp.detect.features.Features`).

        Without ``spectrum_too`` its spectrum is NaN: it is not weighed, so a burst still under way,
        judged at every block, is spared reading its whole length again.
        """
        prior = self.moves.prior(c.onset_s)
        # Only a burst of leg-movement length (AASM: 0.5–10 s) can continue a series of them. (Whether a
        # warning led in is not asked here: whether it had closed by now depends on the blocks.)
        lm_sized = c.duration_s <= self.cfg.movements.lm_max_s
        chain = series_chain(c.onset_s, prior, self.cfg) if lm_sized else []
        ratio = c.peak_uv / float(np.median([p for p, _ in chain])) if chain else 1.0
        freq, drift = spectrum(self.history, c.onset_s, c.offset_s, self.fs_hz) if spectrum_too else (NAN, NAN)
        rest = c.rest_uv
        return Features(
            duration_s=c.duration_s, hold_x_rest=c.hold_uv / rest, peak_x_rest=c.peak_uv / rest,
            contrast=c.contrast, rise_s=c.rise_s, hold_share=c.hold_uv / c.peak_uv if c.peak_uv > 0 else 0.0,
            held_run_share=min(c.held_run_s / max(c.duration_s, 1e-9), 1.0), duty=c.duty,
            clonic_rate_hz=c.rises / max(c.duration_s, 1e-9), motion=c.motion, flat=c.flat, lf_ratio=c.lf_ratio,
            background_x_rest=max(c.background_uv, 0.0) / rest, lm_chain=len(chain), series_ratio=ratio,
            recent_lms=len(prior), announced=self.watch.announced(c.onset_s), fall_s=c.fall_s,
            edge_motion_x_hold=c.edge_motion_uv / max(c.hold_uv, rest) if np.isfinite(c.hold_uv) else 0.0,
            wax=waxing(self.history, c.onset_s, c.offset_s), freq_hz=freq, freq_drift=drift)

    def _decide(self, c: Candidate) -> Decision:
        cut = self.cut(c)
        return decide(self.features(c, spectrum_too=False), c.rises, self.cfg, cut=cut != "",
                      unseen_onset=cut == "open_at_start")

    def cut(self, c: Candidate) -> str:
        """``gap_at_end`` / ``gap_at_start`` when a long gap cut ``c``, ``open_at_start`` when the recording
        opened inside it (:mod:`~emgcramp.detect.opening`): its true length unknown; else ``""``."""
        if c.closed_by == REASON_OPENING:
            return "open_at_start"
        if c.closed_by == seg.REASON_END and self._end_flag == "gap_at_end":
            return "gap_at_end"
        if self.opened_at_gap(c) and c.onset_s >= self.origin_s:  # not one a gap cut and joined: its length known
            return "gap_at_start"
        return ""

    def _episode(self, c: Candidate) -> list[Episode]:
        """Decide ``c`` (joined to the part a gap cut off, when it goes on), file it or hold it at a gap."""
        if (whole := self._continued(c)) is not c:
            c, self._cut, out = whole, None, []
        else:  # any other burst closes after the part before a gap was due: that part is filed first
            out = self.file_cut()
        f = self.features(c)
        cut = self.cut(c)
        d = decide(f, c.rises, self.cfg, cut=cut != "", unseen_onset=cut == "open_at_start")
        if cut == "gap_at_end":  # it may go on after the gap: filed when the signal is back
            self._cut = CutPart(c, f, d, self._flags(c), onset_motion(self.history, c.onset_s))
            return out
        return out + self._file(c, d, f, self._flags(c))

    def file_cut(self) -> list[Episode]:
        """File the part before the gap alone, as judged (the signal came back without it), if one is held."""
        part, self._cut = self._cut, None
        return [] if part is None else self._file(part.candidate, part.decision, part.features, part.flags)

    def _file(self, c: Candidate, d: Decision, f: Features, flags: list[str]) -> list[Episode]:
        """List ``c`` in its tier: a cramp is returned, a possible cramp and a look-alike kept (and ``log`` has it)."""
        if self.log is not None:  # a part held at a gap and then joined is not: the joined burst is
            self.log.append((c.onset_s, c.offset_s, f, c.rises))
        if d.tier == POSSIBLE:  # listed apart, never alarmed; not a look-alike either
            self.possible.append(self._record(c, d, f, None, flags))
            return []
        if d.tier != CRAMP:
            self.rejections.add(round(c.onset_s, 3), round(c.offset_s, 3), d.reason, d.probability, f)
            return []
        return [self._record(c, d, f, self.watch.link(round(c.onset_s, 3), c.offset_s), flags)]

    def _flags(self, c: Candidate) -> list[str]:
        """How ``c`` was cut: closed at the length guard, by the end of the signal or a gap, or opened by one."""
        flags = {seg.REASON_MAX_LENGTH: ["max_length"], seg.REASON_END: [self._end_flag]}.get(c.closed_by, [])
        return flags + [cut] if (cut := self.cut(c)) in ("gap_at_start", "open_at_start") else flags

    def _record(self, c: Candidate, d: Decision, f: Features, lead_s: float | None, flags: list[str]) -> Episode:
        flags = list(flags)
        if c.motion > self.cfg.judge.motion_flag_fraction:
            flags.append("motion")
        mvc = self.cfg.judge.mvc_uv
        if mvc and c.peak_uv > MAX_PCT_MVC / 100.0 * mvc:
            flags.append("above_mvc")  # the calibration's MVC was not maximal: %MVC is not to be trusted
        return Episode(onset_s=round(c.onset_s, 3), offset_s=round(c.offset_s, 3), duration_s=round(c.duration_s, 3),
                       kind=d.kind, peak_intensity=c.peak_uv, mean_intensity=c.mean_uv, rest_uv=c.rest_uv,
                       channel=self.channel, duty=c.duty,
                       pct_mvc=100.0 * c.peak_uv / mvc if mvc else None, flags=flags,
                       warning_lead_s=lead_s, muscles=[self.channel],
                       probability=round(d.probability, 4), tier=d.tier, reason=d.reason,
                       freq_hz=_known(f.freq_hz), freq_drift=_known(f.freq_drift))


def _known(x: float) -> float | None:
    """``x``, or ``None`` where it was not measured (NaN)."""
    return x if np.isfinite(x) else None

