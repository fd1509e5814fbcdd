"""What the pipeline finds: episodes, leg movements, warnings, and the night's analysis.

Plain dataclasses, NumPy at most: readers, writers and reports use them
without loading the numerical stack. Times in seconds from the recording
start, levels in µV RMS of the 0.5-s envelope unless a name says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

import numpy as np

from emgcramp.core.clock import later


class Lookalike(NamedTuple):
    """A burst not counted as a cramp, and why (see :mod:`emgcramp.detect.decide` and the muscles step).

    ``probability``: the decision's that it was a cramp (for a stretch or a voluntary flexion, the calf's
    own; for a tibialis episode, its channel's; for a short cramp retracted as one of a PLM series, the one
    it was found with). ``features``: the evidence it was judged on, when kept: an
    :class:`emgcramp.detect.features.Features`, for a stretch or a voluntary flexion the ``MuscleEvidence``.
    """

    onset_s: float
    offset_s: float
    reason: str
    probability: float = float("nan")
    features: tuple | None = None


class PriorMovement(NamedTuple):
    """An earlier leg movement, as the judge weighs it for a PLM series."""

    onset_s: float
    peak_uv: float
    duration_s: float


class Rejections:
    """Bursts turned down: counts by reason, and each one in the order found."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.items: list[Lookalike] = []

    def add(self, onset_s: float, offset_s: float, reason: str, probability: float | None = None,
            features: tuple | None = None) -> None:
        """Count and keep one burst turned down (``probability`` ``None``: it has none, NaN in the record)."""
        self.counts[reason] = self.counts.get(reason, 0) + 1
        p = float("nan") if probability is None else float(probability)
        self.items.append(Lookalike(float(onset_s), float(offset_s), reason, p, features))


@dataclass
class Episode:
    """A detected cramp.

    Attributes:
        onset_s, offset_s, duration_s: seconds from the recording start.
        kind: ``"tonic"`` or ``"clonic"``.
        peak_intensity, mean_intensity: envelope (0.5-s RMS) in µV: its largest, and its mean over
            the time the muscle was active (over the OFF level: a clonic cramp's relaxations left out).
        rest_uv: the rest level the episode was measured against, µV RMS.
        channel: channel name.
        duty: fraction of the episode with the 0.1-s envelope above OFF.
        pct_mvc: peak as % of maximal voluntary contraction, when known.
        flags: quality notes (``max_length``, ``open_at_end``, ``motion``,
            ``above_mvc``: over 150 % of the profile's MVC, which was then not maximal;
            ``gap``: samples were missing inside it, see ``missing_s`` (a gap of up to 0.5 s is
            bridged; across a longer one, a burst still under way on both sides is one burst);
            ``gap_at_end`` / ``gap_at_start``: a longer gap cut it there and it did not go on
            across, so its true length is unknown; ``open_at_start``: the recording began inside it,
            its onset is the recording's).
        warning_lead_s: when a pre-cramp warning announced it, how long
            before the onset that warning began (s).
        muscles: the channels involved (several on a multi-muscle recording).
        probability: the decision's probability (0–1) that it is a cramp.
        tier: ``cramp`` (counted, alarmed) or ``possible_cramp`` (listed only).
        reason: for a possible cramp, what spoke most against it.
        missing_s: seconds of signal missing inside it (the gaps it spans).
        freq_hz: its channel's band-passed RMS frequency over it, Hz (it tracks the median frequency;
            compare it within one sensor and sampling rate; ``None`` when not measured).
        freq_drift: its relative change from the first to the last third of the episode's middle
            (-0.1: it fell by a tenth, as in fatigue; ``None`` for an episode too short to tell).
    """

    onset_s: float
    offset_s: float
    duration_s: float
    kind: str
    peak_intensity: float
    mean_intensity: float
    rest_uv: float
    channel: str = ""
    duty: float = 1.0
    pct_mvc: float | None = None
    flags: list[str] = field(default_factory=list)
    warning_lead_s: float | None = None
    muscles: list[str] = field(default_factory=list)
    probability: float | None = None
    tier: str = "cramp"
    reason: str = ""
    missing_s: float = 0.0
    freq_hz: float | None = None
    freq_drift: float | None = None

    def __post_init__(self) -> None:
        # plain floats, whatever NumPy scalar the detector measured them as: reprs, JSON and tables read alike
        for name in ("onset_s", "offset_s", "duration_s", "peak_intensity", "mean_intensity", "rest_uv", "duty",
                     "missing_s", "pct_mvc", "warning_lead_s", "probability", "freq_hz", "freq_drift"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, float(value))

    @property
    def peak_x_rest(self) -> float:
        """Peak envelope as a multiple of the rest level (NaN when no rest level above 0 is known)."""
        return self.peak_intensity / self.rest_uv if self.rest_uv > 0 else float("nan")

    @property
    def mean_x_rest(self) -> float:
        """Mean envelope as a multiple of the rest level (NaN when no rest level above 0 is known)."""
        return self.mean_intensity / self.rest_uv if self.rest_uv > 0 else float("nan")


# The one place an episode is rounded for output: field → decimals (None: text). The events CSV, the
# BIDS TSV, the activity CSV, the JSON summary and the night log all take their values from here, each
# choosing only its empty cell and its separator.
EPISODE_FIELDS: dict[str, int | None] = {
    "onset_s": 3, "offset_s": 3, "duration_s": 3, "kind": None, "peak_intensity": 2, "mean_intensity": 2,
    "channel": None, "onset_clock": None, "rest_uv": 2, "peak_x_rest": 1, "mean_x_rest": 1, "pct_mvc": 1,
    "duty": 2, "flags": None, "warning_lead_s": 1, "muscles": None, "probability": 3, "missing_s": 3,
    "tier": None, "reason": None, "freq_hz": 1, "freq_drift": 3}


def clock_time(start: datetime | None, t: float) -> str:
    """Wall-clock time ``t`` s after ``start``, ISO 8601 to the second (``""`` with no start)."""
    return later(start, t).isoformat(timespec="seconds") if start else ""


def episode_record(e: Episode, start: datetime | None = None) -> dict[str, object]:
    """An episode's values, rounded as :data:`EPISODE_FIELDS` says (``None`` where there is none): for JSON."""
    values = {"onset_clock": clock_time(start, e.onset_s) or None, "peak_x_rest": e.peak_x_rest,
              "mean_x_rest": e.mean_x_rest, "muscles": "+".join(e.muscles)}
    out = {}
    for name, decimals in EPISODE_FIELDS.items():
        v = values[name] if name in values else getattr(e, name)
        out[name] = round(float(v), decimals) + 0.0 if decimals is not None and v is not None else v  # no -0.0
    return out


@dataclass(frozen=True)
class Candidate:
    """An active stretch the state machine closed, before judgement.

    Times in seconds, levels in µV, fractions of the stretch in [0, 1].
    """

    onset_s: float
    offset_s: float
    peak_uv: float
    mean_uv: float
    rest_uv: float
    duty: float
    rises: int
    motion: float
    flat: float
    closed_by: float
    hold_uv: float = float("nan")
    background_uv: float = float("nan")
    rise_s: float = 0.0
    lf_ratio: float = 0.0
    held_run_s: float = 0.0
    fall_s: float = 0.0
    edge_motion_uv: float = 0.0
    # Where the segmenter opened it (s); ``onset_s`` may lie later, where the climb to its level began.
    opened_s: float = float("nan")

    @property
    def contrast(self) -> float:
        """Held level over the background before the onset (× background)."""
        return self.hold_uv / max(self.background_uv, self.rest_uv)

    @property
    def duration_s(self) -> float:
        return self.offset_s - self.onset_s


@dataclass(frozen=True)
class LegMovement:
    """A stretch of activity scored with the LM rules. Times in s, levels in µV RMS.

    ``is_lm`` is false for activity longer than 10 s, which is not an LM
    and ends a PLM series, or mostly lost to signal loss. ``series`` numbers the
    PLM series the LM belongs to (0: none); it is set by :func:`~emgcramp.detect.series.score_series`.
    """

    onset_s: float
    offset_s: float
    peak_uv: float
    rest_uv: float
    channel: str = ""
    is_lm: bool = True
    series: int = 0

    @property
    def duration_s(self) -> float:
        return self.offset_s - self.onset_s


def lm_summary(movements: list[LegMovement], hours: float) -> dict:
    """LM count, PLM series count, LMs in series and the PLM index (per hour of recording with samples)."""
    lms = [m for m in movements if m.is_lm]
    plm = [m for m in lms if m.series]
    return {"lm": len(lms), "plm_series": len({m.series for m in plm}), "plm": len(plm),
            "plm_index_per_h": round(len(plm) / hours, 2) if hours > 0 else 0.0}


@dataclass
class CrampWarning:
    """A pre-cramp state. Times in s; ``level_x_rest`` is its mean envelope × rest.

    ``lead_s`` is how long before a cramp's onset it began, when a cramp
    followed within ``warn_link_s`` of its end (``cramp_followed``).
    """

    onset_s: float
    offset_s: float
    level_x_rest: float
    twitches: int
    channel: str = ""
    cramp_followed: bool = False
    lead_s: float | None = None

    @property
    def duration_s(self) -> float:
        return self.offset_s - self.onset_s


@dataclass
class Analysis:
    """Result of an offline run: episodes, signal facts, and quality figures."""

    episodes: list[Episode]
    fs: float
    channels: list[str]
    duration_s: float  # the night's timeline (s): from its first sample to after its last, gaps included
    notches_hz: list[float]
    quality: dict[str, dict[str, float]]
    rejected: dict[str, int]
    lookalikes: list[Lookalike] = field(default_factory=list)
    movements: list[LegMovement] = field(default_factory=list)
    warnings: list[CrampWarning] = field(default_factory=list)
    possible_cramps: list[Episode] = field(default_factory=list)
    muscles: dict[str, str] = field(default_factory=dict)  # channel → the muscle it records, where known
    # The tiers' thresholds the night was judged with (probabilities): the cramp tier's, the possible floor.
    thresholds: tuple[float, float] = (float("nan"), float("nan"))
    # Seconds with samples (the timeline less its gaps): what a rate per hour is over, the PLM index among
    # them, as no movement can be scored where nothing was received. None: duration_s.
    recorded_s: float | None = None

    def notes(self) -> list[tuple[float, float, str]]:
        """Every event as (onset s, duration s, text), in time order: the EDF+ and MNE annotations.

        ``cramp:tonic peak 212 uV`` (with ``GM+GL`` on several channels),
        ``possible_cramp:tonic p 0.41``, ``lm`` or ``plm N`` (its PLM series),
        ``warning CHANNEL``.
        """
        several = len(self.channels) > 1
        notes = [(e.onset_s, e.duration_s, f"cramp:{e.kind} peak {e.peak_intensity:.0f} uV"
                  + (f" {'+'.join(e.muscles)}" if several else "")) for e in self.episodes]
        notes += [(m.onset_s, m.duration_s, f"plm {m.series}" if m.series else "lm")
                  for m in self.movements if m.is_lm]
        notes += [(w.onset_s, w.duration_s, f"warning {w.channel}") for w in self.warnings]
        notes += [(e.onset_s, e.duration_s, f"possible_cramp:{e.kind} p {e.probability:.2f}")
                  for e in self.possible_cramps]
        return sorted(notes)

    def summary(self, start: datetime | None = None) -> dict:
        """Machine-readable summary: counts, total cramp time (s), leg movements, warnings, quality.

        Possible cramps are given whole (:func:`episode_record`), with their clock time when ``start`` is given.
        """
        kinds = [e.kind for e in self.episodes]
        leads = [e.warning_lead_s for e in self.episodes if e.warning_lead_s is not None]
        return {
            "duration_s": round(self.duration_s, 3),
            "fs_hz": self.fs,
            "channels": self.channels,
            "muscles": self.muscles,
            "mains_notches_hz": self.notches_hz,
            "n_episodes": len(self.episodes),
            "cramp_threshold": round(self.thresholds[0], 4), "possible_floor": round(self.thresholds[1], 4),
            "possible_cramps": [episode_record(e, start) for e in self.possible_cramps],
            "tonic": kinds.count("tonic"),
            "clonic": kinds.count("clonic"),
            "total_cramp_s": round(sum(e.duration_s for e in self.episodes), 3),
            "longest_cramp_s": round(max((e.duration_s for e in self.episodes), default=0.0), 3),
            "rejected_lookalikes": self.rejected,
            "leg_movements": lm_summary(self.movements, (self.duration_s if self.recorded_s is None
                                                          else self.recorded_s) / 3600.0),
            "warnings": {"count": len(self.warnings),
                         "followed_by_cramp": sum(w.cramp_followed for w in self.warnings),
                         "cramps_announced": len(leads),
                         "median_lead_s": round(float(np.median(leads)), 1) if leads else None},
            "quality": {ch: {k: round(float(v), 4) for k, v in q.items()} for ch, q in self.quality.items()},
        }


def activity_line(summary: dict) -> str:
    """Leg movements, PLM series and warnings of an :meth:`Analysis.summary`, in one line."""
    lm, w = summary["leg_movements"], summary["warnings"]
    lead = f", median lead {w['median_lead_s']:.0f} s" if w["median_lead_s"] is not None else ""
    return (f"{lm['lm']} leg movement(s), {lm['plm_series']} PLM series, PLM index {lm['plm_index_per_h']:.1f}/h; "
            f"{w['count']} pre-cramp warning(s), {w['cramps_announced']} cramp(s) announced{lead}")
