"""A recording that opens inside a contraction, proposed once the rest level it settles to shows it.

The segmenter learns the rest level from the first idle seconds
(``warmup_s``). A recording that starts while the calf is contracted (an
excerpt cut inside a cramp, a monitor started during one) teaches it the
contraction as rest: nothing of it is proposed, and its waver is read as
leg movements. Streaming, that cannot be known at the start. It is known
once the rest level has settled under the level it first learned by as
much as an onset needs (the segmenter's ON rule, ``on_ratio`` × and
``on_delta_uv`` over rest): the opening stretch, up to where the envelope
then stayed under OFF for ``merge_gap_s`` (the segmenter's close), was a
contraction over that rest. It is proposed then, measured from the trace
history as any candidate is, and the one decision judges it; its onset lay
before the recording's, so its length is unknown (flag ``open_at_start``).

Looked for only within ``max_duration_s`` of the start, and only until the
segmenter opens an episode of its own: a level that lasts longer is the
night's rest (the segmenter restarts rest after an episode that long).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from emgcramp.core.config import DetectorConfig
from emgcramp.core.history import LevelHistory
from emgcramp.core.trace import F_EPISODE, T_BIN, T_ENV, T_ENV_S, T_FLAGS, T_LF, T_REST
from emgcramp.core.types import Candidate
from emgcramp.detect.shape import active_mean, activity, edges, shape

# Candidate.closed_by of an opening stretch (the segmenter's own reasons are 0–2).
REASON_OPENING = 3.0
LIVE_BINS = 8  # blocks of up to this many bins are looked at bin by bin


class OpeningWatch:
    """Watches the first bins of a channel's trace for an opening contraction (see the module)."""

    def __init__(self, rate: float, cfg: DetectorConfig):
        self.rate, self.cfg = rate, cfg
        self.first_rest = float("nan")  # µV, the first rest level the segmenter trusted
        self._under = float("nan")  # µV, a rest level at or under this shows it was a contraction
        self.done = False
        self._seen, self._limit = 0, int(cfg.segment.max_duration_s * rate)

    def after_gap(self) -> "OpeningWatch":
        """This watch, for the detector that takes over after a long gap: done, or still watching for a contraction
        the recording opened in (its rest level still the contraction's: a cramp under way when a monitor started
        and then a link dropped was lost whole), its times now from the gap's end, within the same limit."""
        self._limit, self._seen = self._limit - self._seen, 0
        return self

    def look(self, trace: np.ndarray) -> tuple[float, float] | None:
        """The first bin of the next ``trace`` rows that shows the opening was a contraction: (rest level µV,
        its time from the first bin s); ``None`` when none does."""
        if self.done:
            return None
        n, first = max(min(len(trace), self._limit - self._seen), 0), self._seen
        self._seen += len(trace)
        if n <= LIVE_BINS:  # a live block, a bin or two: read as numbers (numpy's calls would cost 15 µs)
            for i in range(n):
                r = trace.item(i, T_REST)
                if int(trace.item(i, T_FLAGS)) & F_EPISODE:  # from the segmenter's first episode on, it proposes
                    self.done = True
                    return None
                if r > 0 and self._settles(r):
                    return r, (first + i) / self.rate
            self.done = n < len(trace)
            return None
        rest, flags = trace[:n, T_REST], trace[:n, T_FLAGS]
        opened = np.flatnonzero(flags.astype(np.int64) & F_EPISODE)
        end = opened[0] if len(opened) else n
        known = np.flatnonzero(rest[:end] > 0)
        if not self.first_rest > 0 and len(known):
            self._first(float(rest[known[0]]))
        settled = known[rest[known] <= self._under]
        self.done = bool(len(settled)) or end < len(trace)
        return (float(rest[settled[0]]), (first + settled[0]) / self.rate) if len(settled) else None

    def _settles(self, rest: float) -> bool:
        """Whether ``rest`` (µV, known) shows the first rest level was a contraction (then the watch is done):
        the first at ON over it, ``first ≥ max(on_ratio·rest, rest + on_delta_uv)``, is ``rest ≤ self._under``."""
        if self.first_rest != self.first_rest:  # NaN: the first known rest level
            self._first(rest)
        self.done = rest <= self._under
        return self.done

    def _first(self, rest: float) -> None:
        seg = self.cfg.segment
        self.first_rest, self._under = rest, min(rest / seg.on_ratio, rest - seg.on_delta_uv)


def opening_candidate(history: LevelHistory, origin_s: float, found: tuple[float, float], cfg: DetectorConfig,
                      scorer: Any = None) -> Candidate | None:
    """The opening stretch as a candidate, from the trace up to where it was ``found``; ``None``: there is none.

    ``found``: what :meth:`OpeningWatch.look` gave, the rest level (µV) that showed it, still falling, and the
    time of that (s from ``origin_s``). The stretch ends where the 0.5-s envelope first stays under OFF for
    ``merge_gap_s``, at the 0.1-s envelope's last bin over the EDGE level before that (moved back by its window,
    as the segmenter's offsets are). It is measured over the rest level it settles to: the ``rest_quantile``
    of the 0.5-s envelope after the stretch, as the segmenter takes rest.

    ``scorer``: the movement scorer, told to set aside the rises of the stretch's own waver, which it took for
    the rest's (a note said the resting EMG wavered, of a night whose rest was steady after a minute of cramp).
    (The night's mean rest in its quality figures still counts the levels the stretch taught: the segmenter
    does not say when it learned each, and set aside where the stretch is found, the mean would depend on how
    the signal came in blocks.)
    """
    rest_uv, now_s = found[0], origin_s + found[1]
    rows = history.window(origin_s, now_s)
    end, _ = _end(rows, rest_uv, cfg, history.rate)
    after = rows[end:, T_ENV]
    if len(after):
        rest_uv = max(float(np.quantile(after, cfg.segment.rest_quantile)), cfg.segment.min_rest_uv)
    _, offset_s = _end(rows, rest_uv, cfg, history.rate)
    offset_s += origin_s
    if offset_s <= origin_s:
        return None
    if scorer is not None:
        scorer.set_aside_before(offset_s)
    body = history.window(origin_s, offset_s)
    hold, background, rise, run = shape(history, origin_s, offset_s, cfg)
    fall, edge_motion = edges(history, origin_s, offset_s, hold, background, cfg)
    rises, duty, motion, flat = activity(history, origin_s, offset_s, rest_uv, cfg)
    ms = float(np.sum(body[:, T_BIN] ** 2))
    return Candidate(
        onset_s=origin_s, offset_s=float(offset_s), peak_uv=float(body[:, T_ENV].max()),
        mean_uv=active_mean(history, origin_s, offset_s, rest_uv, cfg), rest_uv=rest_uv, duty=duty, rises=rises,
        motion=motion, flat=flat,
        closed_by=REASON_OPENING, hold_uv=hold, background_uv=background, rise_s=rise, held_run_s=float(run),
        fall_s=fall, edge_motion_uv=edge_motion, opened_s=origin_s,
        lf_ratio=float(np.sqrt(np.sum(body[:, T_LF] ** 2) / ms)) if ms > 0 else 0.0)


def _end(rows: np.ndarray, rest_uv: float, cfg: DetectorConfig, rate: float) -> tuple[int, float]:
    """(first bin of the quiet run closing the opening stretch, its offset from the first bin s) over ``rest_uv``."""
    seg = cfg.segment
    off = max(seg.off_ratio * rest_uv, rest_uv + seg.off_delta_uv)
    edge = max(seg.edge_ratio * rest_uv, rest_uv + seg.edge_delta_uv)
    gap = max(int(seg.merge_gap_s * rate), 1)
    runs = np.flatnonzero(np.convolve(rows[:, T_ENV] < off, np.ones(gap), "valid") >= gap)
    end = int(runs[0]) if len(runs) else len(rows)
    active = np.flatnonzero(rows[:end, T_ENV_S] >= edge)
    return end, float((active[-1] + 1) / rate - seg.short_window_s) if len(active) else 0.0
