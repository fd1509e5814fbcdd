"""Several muscles of one leg: which were involved in a cramp, and what the others say.

Calf sensors often carry 2–3 channels: the medial and lateral heads of the
gastrocnemius (GM, GL), the soleus, and sometimes the tibialis anterior
(TA), the antagonist on the shin. A channel is taken for the tibialis when
its name says so (``TA``, ``tib…``); every other channel is a calf muscle.

Each channel has its own detector, rest level and envelope. When a calf
channel closes an episode, :class:`MuscleJudge` looks at every channel's
envelope over the same time, each against its own rest level
(:func:`evidence`), and the one decision says what that means
(:func:`emgcramp.detect.decide.overrule`, where the physiology is):

1. Calf episodes on several channels that overlap are one cramp record;
   ``muscles`` lists the calf channels whose mean envelope over it reached
   ``involve_ratio`` (3) × their rest level. A cramp may be confined to one
   head while the other stays quiet.
2. If the tibialis was co-active at the onset (≥ 2 × its rest over the
   first 2 s), active (≥ 3 × its rest) through at least half of the
   episode, and at least as far above its rest as the calf channel was, it
   is a ``stretch`` (pulling the foot up), not a cramp.
3. If the tibialis was co-active at the onset (≥ 2 × its rest over the
   first 2 s), all calf channels were involved and it lasted at most
   ``voluntary_max_s`` (15 s), it is ``voluntary`` (a plantar flexion).
4. Otherwise a cramp. Tibialis activity (2 s or more) that began after the
   onset is the usual relief manoeuvre (stretching the calf): flagged
   ``stretched``. Involvement (rule 1) is then judged on the time before
   it, since the stretch stirs every calf head.

Without a tibialis channel, rules 2–4 cannot be told and only rule 1 runs.
Likewise a pre-cramp warning on a calf channel while the tibialis works is
the calf stirred by a stretch, and is dropped.
Episodes of the tibialis itself are not calf cramps; they are logged as
look-alikes (``tibialis``), are not listed as possible cramps either, and
its leg movements are the ones scored (the AASM rules were written for
that muscle). Possible cramps go through rules 2–3 as cramps do, and those of
several calf channels that overlap are one listed event
(``MuscleJudge.possible``), released as cramps are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from emgcramp.core.channels import is_tibialis
from emgcramp.core.config import DetectorConfig
from emgcramp.core.history import LevelHistory
from emgcramp.core.types import Episode, Rejections
from emgcramp.detect.decide import overrule
from emgcramp.detect.features import MuscleEvidence

if TYPE_CHECKING:
    from emgcramp.detect.detector import Detector


@dataclass(frozen=True)
class Verdict:
    """What the other channels say of a calf episode: ``reason`` (``""``: a cramp), the evidence, flags."""

    reason: str
    evidence: MuscleEvidence
    flags: tuple[str, ...] = ()


def _mean(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.mean()) if len(x) else 0.0


def _frac(x: np.ndarray, level: float) -> float:
    x = x[np.isfinite(x)]
    return float((x >= level).mean()) if len(x) else 0.0


def evidence(onset_s: float, offset_s: float, heads: dict[str, LevelHistory], tibialis: LevelHistory | None,
             cfg: DetectorConfig, primary: str) -> MuscleEvidence:
    """What every channel showed over the calf episode ``primary`` from ``onset_s`` to ``offset_s`` (s).

    Each channel against its own rest level; what it means is said by
    :func:`emgcramp.detect.decide.overrule`.
    """
    end = offset_s
    if tibialis is not None:
        # Once the person stretches, the stretch stirs every calf head: judge involvement before it.
        ta_after = tibialis.window(onset_s + cfg.muscles.onset_window_s, offset_s)
        up = np.flatnonzero(np.nan_to_num(ta_after) >= cfg.muscles.involve_ratio)
        if len(up):
            end = max(onset_s + cfg.muscles.onset_window_s + up[0] / tibialis.rate, onset_s + cfg.muscles.min_involve_s)
    involved = tuple(n for n, h in heads.items()
                     if n == primary or _mean(h.window(onset_s, end)) >= cfg.muscles.involve_ratio)
    if tibialis is None:
        return MuscleEvidence(involved, len(involved) == len(heads))
    ta = tibialis.window(onset_s, offset_s)
    share = _frac(ta, cfg.muscles.involve_ratio)
    return MuscleEvidence(
        involved, len(involved) == len(heads), tibialis=True,
        coactive=_mean(tibialis.window(onset_s, onset_s + cfg.muscles.onset_window_s)) >= cfg.muscles.coactive_ratio,
        tibialis_share=share, tibialis_active_s=share * len(ta) / tibialis.rate,
        tibialis_over_calf=_mean(ta) >= _mean(heads[primary].window(onset_s, offset_s)))


class MuscleJudge:
    """Cross-channel step of :class:`~emgcramp.pipeline.Pipeline` for recordings of several muscles.

    :meth:`settle` takes the episodes the channel detectors closed and
    returns cramp records once no other calf channel has an episode under
    way that could join them.
    """

    def __init__(self, names: list[str], cfg: DetectorConfig, muscles: dict[str, str] | None = None):
        self.names, self.cfg = list(names), cfg
        self.tibialis = [i for i, n in enumerate(names) if is_tibialis(n, (muscles or {}).get(n, ""))]
        if len(self.tibialis) == len(names):  # no calf, only channels named for the tibialis: judged as they are
            self.tibialis = []
        self.heads = [i for i in range(len(names)) if i not in self.tibialis]
        self.rejections = Rejections()
        self._pending: list[Episode] = []
        self._possible_seen: dict[int, int] = {}  # per channel, its possible cramps taken so far
        self._possible_pending: list[Episode] = []
        self.possible: list[Episode] = []  # the possible cramps as events of the leg, released as cramps are
        self._cramp_spans: list[tuple[float, float]] = []  # (onset s, offset s) of the cramp records released

    def settle(self, new: list[Episode], detectors: list[Detector], final: bool = False) -> list[Episode]:
        """Add closed episodes; return the cramp records now complete, judged and merged."""
        for e in new:
            if e.channel in self._names_of(self.tibialis):
                self.rejections.add(e.onset_s, e.offset_s, "tibialis", e.probability)
            else:
                self._pending.append(e)
        self._pending.sort(key=lambda e: e.onset_s)
        self._take_possible(detectors)
        # The onsets of the bursts under way, which what waits may join: measured only when something waits, as
        # measuring one reads its whole length (a long cramp at every block would cost ever more)
        busy = [c.onset_s for i in self.heads if (c := detectors[i].open_candidate()) is not None] \
            if (self._pending or self._possible_pending) and not final else []
        out, keep = [], []
        for group in _overlapping(self._pending):
            if final or not busy or max(e.offset_s for e in group) < min(busy):
                out += self._judge(group, detectors)
            else:
                keep += group
        self._pending = keep
        self._cramp_spans += [(e.onset_s, e.offset_s) for e in out]
        self._release_possible(busy, final)
        return out

    def _take_possible(self, detectors: list[Detector]) -> None:
        """The possible cramps closed since the last call, judged as cramps are: those of the tibialis, and a
        stretch or a plantar flexion the tibialis shows, are look-alikes; the rest wait to be released."""
        for i, d in enumerate(detectors):
            for e in d.possible[self._possible_seen.get(i, 0):]:
                v = None if i in self.tibialis else self._verdict(e.onset_s, e.offset_s, e.channel, detectors)
                if v is None or v.reason:
                    self.rejections.add(e.onset_s, e.offset_s, v.reason if v else "tibialis", e.probability,
                                        v.evidence if v else None)
                else:
                    self._possible_pending.append(e)
            self._possible_seen[i] = len(d.possible)

    def _release_possible(self, busy: list[float], final: bool) -> None:
        """Release the possible cramps no burst under way or cramp waiting can still join, as events of the leg:
        those of several calf channels that overlap one record (the likeliest, over their union, its ``muscles``
        the channels), those within a cramp record none (the cramp holds them)."""
        waiting = [(e.onset_s, e.offset_s) for e in self._pending]
        keep = []
        for group in _overlapping(sorted(self._possible_pending, key=lambda e: e.onset_s)):
            onset, offset = min(e.onset_s for e in group), max(e.offset_s for e in group)
            if any(onset < b and a < offset for a, b in self._cramp_spans):
                continue
            if not final and (any(onset < b and a < offset for a, b in waiting) or busy and offset >= min(busy)):
                keep += group
                continue
            main = max(group, key=lambda e: e.probability)
            self.possible.append(main if len(group) == 1 else replace(
                main, onset_s=onset, offset_s=offset, duration_s=round(offset - onset, 3),
                flags=list(dict.fromkeys(f for e in group for f in e.flags)),
                muscles=[n for n in self.names if any(e.channel == n for e in group)]))
        self._possible_pending = keep

    def live_kind(self, kind: str, channel: str, onset_s: float, now_s: float, detectors: list[Detector]) -> str:
        """The kind an episode under way on ``channel`` would be given now, all channels considered."""
        if not kind or channel in self._names_of(self.tibialis):
            return ""
        # Judged as if it ended now: a possible voluntary flexion stays one until it outlasts voluntary_max_s.
        return "" if self._verdict(onset_s, now_s, channel, detectors).reason else kind

    def during_stretch(self, onset_s: float, offset_s: float, detectors: list[Detector]) -> bool:
        """True when the tibialis was active (≥ ``involve_ratio`` × rest) over ``warning_stretch_share`` of a span.

        Calf tension while the foot is pulled up is the stretch, not a warning.
        """
        if not self.tibialis:
            return False
        ta = detectors[self.tibialis[0]].levels.window(onset_s, offset_s)
        return _frac(ta, self.cfg.muscles.involve_ratio) >= self.cfg.muscles.warning_stretch_share

    def _names_of(self, idx: list[int]) -> list[str]:
        return [self.names[i] for i in idx]

    def _verdict(self, onset_s: float, offset_s: float, primary: str, detectors: list[Detector]) -> Verdict:
        heads = {self.names[i]: detectors[i].levels for i in self.heads}
        ta = detectors[self.tibialis[0]].levels if self.tibialis else None
        ev = evidence(onset_s, offset_s, heads, ta, self.cfg, primary)
        reason, flags = overrule(ev, offset_s - onset_s, self.cfg)
        return Verdict(reason, ev, flags)

    def _judge(self, group: list[Episode], detectors: list[Detector]) -> list[Episode]:
        main = max(group, key=lambda e: e.peak_intensity)
        onset, offset = min(e.onset_s for e in group), max(e.offset_s for e in group)
        v = self._verdict(onset, offset, main.channel, detectors)
        if v.reason:  # with the calf burst's own probability, and what the other muscles showed
            self.rejections.add(onset, offset, v.reason, main.probability, v.evidence)
            return []
        flags = list(dict.fromkeys([f for e in group for f in e.flags] + list(v.flags)))
        leads = [e.warning_lead_s for e in group if e.warning_lead_s is not None]
        return [replace(main, onset_s=onset, offset_s=offset, duration_s=round(offset - onset, 3), flags=flags,
                        muscles=list(v.evidence.muscles), warning_lead_s=max(leads) if leads else None)]


def _overlapping(episodes: list[Episode]) -> list[list[Episode]]:
    """Group episodes (sorted by onset) whose spans overlap, transitively."""
    groups: list[list[Episode]] = []
    end = -np.inf
    for e in episodes:
        if groups and e.onset_s < end:
            groups[-1].append(e)
            end = max(end, e.offset_s)
        else:
            groups.append([e])
            end = e.offset_s
    return groups
