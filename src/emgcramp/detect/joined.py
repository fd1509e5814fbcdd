"""A burst that a long gap in the signal cut in two, weighed as one.

A gap longer than the 0.5-s bridge (:class:`~emgcramp.core.samples.GapBridge`)
ends detection, which restarts after it (:mod:`emgcramp.pipeline`); a
wireless link that drops and reconnects leaves gaps of a few seconds. A cramp
under way then left two parts, each shorter than the cramp and each
weighed alone: a 40-s cramp at 75 × rest with 2 s lost in its middle came
out as two possible cramps and no cramp. When the signal comes back with
the muscle still contracted (the part after opens at the gap's end,
``gap_at_start``), the parts are one burst with a hole in it, and
:func:`join` makes one candidate of them for the decision.

The hole is not evidence about the leg (a link that drops says nothing of
the muscle), so it takes no part in the joined record's measures. The parts
are one burst only where the detector's own rules would have made them one
(:func:`goes_on`); else each part is filed alone, as it would have been:

- the hole and the parts' own losses are at most ``max_flat_fraction`` of
  it (the stated gate of :mod:`emgcramp.detect.decide`: past it, no EMG is
  left to judge; :func:`lost_share`);
- it is no longer than ``max_duration_s`` (the segmenter closes a burst
  there: a level held longer is the new normal);
- each part's held level is at least ``drop_ratio`` of the other's (the
  segmenter ends a burst that falls under that share of its own level: a
  part of raised tone before the gap and a cramp after it are two bursts).

On a recording of several muscles the parts are filed at the gap, as
before: the muscles of a burst are settled together there
(:mod:`emgcramp.detect.muscles`), and what the other channels showed before
the gap is not kept to settle a joined one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from emgcramp.core.config import DetectorConfig
from emgcramp.core.types import Candidate
from emgcramp.detect.decide import Decision
from emgcramp.detect.features import Features
from emgcramp.detect.segment import Segmenter


@dataclass(frozen=True)
class CutPart:
    """The part before a long gap of a burst under way when the gap began, judged and not yet filed.

    ``flags``: its own (``gap_at_end``, …), as filed alone; ``onset_motion_uv``: the largest motion
    voltage around its onset (µV), the only one of its two edges the joined burst keeps.
    """

    candidate: Candidate
    features: Features
    decision: Decision
    flags: list[str]
    onset_motion_uv: float


def join(a: CutPart, b: Candidate, offset_motion_uv: float) -> Candidate:
    """The burst of which ``a`` is the part before a gap and ``b`` the part after it.

    It runs from ``a``'s onset to ``b``'s offset. What was measured over time
    (mean and held level, duty, motion, low-frequency share) is the mean of
    the parts weighted by their lengths; the peak is the larger; the rises
    add up, less the one ``b`` counts as it opens (the contraction going
    on, not a new one); the hole takes no part (see :func:`lost_share`). The onset's
    measures (background, rise, where it opened) are ``a``'s, the offset's
    (fall) ``b``'s; the motion at its edges, the larger of ``a``'s onset and
    ``b``'s offset (``offset_motion_uv``, µV), since the gap's own edges
    are the link's, not the leg's. Its longest held stretch is the longer
    of the parts' (where in each part it lay is not kept). Where the
    segmenter opened it is ``b``'s: the live alerts key a burst under way by
    it, which must not move when the parts join.

    What the decision then reads from the trace (:meth:`~emgcramp.detect.detector.Detector.features`:
    how the level waxes, the spectrum) is read on the part after the gap,
    as the trace before it went with the detector the gap ended; the shares
    and rates over the burst's length (held run, rises per second) count the
    hole as time, which lowers them, never raises them.
    """
    c = a.candidate
    da, db = c.duration_s, b.duration_s
    seen = max(da + db, 1e-9)

    def mean(x: float, y: float) -> float:
        if not math.isfinite(x) or not math.isfinite(y):  # a level one part could not measure: the other's
            return y if math.isfinite(y) else x
        return (x * da + y * db) / seen

    return Candidate(
        onset_s=c.onset_s, offset_s=b.offset_s, peak_uv=max(c.peak_uv, b.peak_uv), mean_uv=mean(c.mean_uv, b.mean_uv),
        rest_uv=c.rest_uv, duty=mean(c.duty, b.duty), rises=max(c.rises + b.rises - 1, 1),
        motion=mean(c.motion, b.motion), flat=mean(c.flat, b.flat), closed_by=b.closed_by,
        hold_uv=mean(c.hold_uv, b.hold_uv), background_uv=c.background_uv, rise_s=c.rise_s,
        lf_ratio=math.sqrt(mean(c.lf_ratio ** 2, b.lf_ratio ** 2)), held_run_s=max(c.held_run_s, b.held_run_s),
        fall_s=b.fall_s, edge_motion_uv=max(a.onset_motion_uv, offset_motion_uv), opened_s=b.opened_s)


def lost_share(a: CutPart, b: Candidate) -> float:
    """The share of the burst ``a`` and ``b`` make that has no signal: the hole between them and their own losses."""
    c = a.candidate
    hole = max(b.onset_s - c.offset_s, 0.0)
    return (hole + c.flat * c.duration_s + b.flat * b.duration_s) / max(b.offset_s - c.onset_s, 1e-9)


def goes_on(a: CutPart, b: Candidate, cfg: DetectorConfig) -> bool:
    """Whether ``b``, opened as the signal came back, and the part ``a`` before the gap are one burst (see above)."""
    c = a.candidate
    levels = sorted(x if math.isfinite(x) else 0.0 for x in (c.hold_uv, b.hold_uv))
    return (lost_share(a, b) <= cfg.judge.max_flat_fraction and b.offset_s - c.onset_s <= cfg.segment.max_duration_s
            and levels[0] >= cfg.segment.drop_ratio * levels[1])


def first_bins(cfg: DetectorConfig, rate: float) -> int:
    """The bins (at ``rate``, bins/s) of the first 0.5-s envelope window after a gap, and one: a burst that
    opened within them was under way as the signal came back."""
    return round(cfg.segment.long_window_s * rate) + 1


def may_go_on(segmenter: Segmenter, cfg: DetectorConfig, rate: float) -> bool:
    """Whether the burst a gap cut may still go on after it: a burst open from the gap's first window, or none
    yet and one that opens later could still be dated back into that window (the segmenter dates an opening
    back to the last quiet bin, or ``max_rise_s`` before its climb): so whether the parts join does not
    depend on how the signal is cut into blocks. Bins count from the gap's end."""
    s, p = segmenter.state[0], segmenter.params[0]
    earliest = max(s["last_quiet_bin"], s["last_below_on_bin"] - p["max_rise_bins"]) + 1
    return bool((s["start_bin"] if s["in_episode"] else earliest) < first_bins(cfg, rate))
