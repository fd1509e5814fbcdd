"""One pipeline for live, offline and bench use: blocks of µV in, episodes out.

:class:`Pipeline` holds the filter and detector state, so the result depends neither on how the
signal is cut into blocks nor on frames lost on the way (:mod:`emgcramp.core.samples`).
:func:`emgcramp.runner.run_blocks` drives it over a recording.
"""

from __future__ import annotations

from collections import Counter
from operator import attrgetter

import numpy as np

from emgcramp.core.blocks import Block, check_fs
from emgcramp.core.config import PipelineConfig
from emgcramp.core.samples import GapBridge
from emgcramp.core.types import Analysis, CrampWarning, Episode, LegMovement, Lookalike, Rejections
from emgcramp.detect.decide import check_personal, in_series, thresholds
from emgcramp.detect.detector import Detector
from emgcramp.detect.muscles import MuscleJudge
from emgcramp.detect.series import merge_channels, score_series
from emgcramp.dsp.filters import EmgFilter, channel_parts, map_parts
from emgcramp.dsp.mains import MainsWatch, detect_mains, mains_harmonics
from emgcramp.dsp.samples import SampleChecks

MAINS_PROBE_S = 8.0
_onset = attrgetter("onset_s")  # episodes in time order


class Pipeline:
    """Streaming pipeline over blocks of ``n_channels`` µV samples at ``fs`` Hz.

    :meth:`process` returns the episodes that closed within a block;
    :meth:`finish` closes the signal and returns the rest.
    """

    def __init__(self, fs: float, channel_names: list[str], config: PipelineConfig | None = None,
                 muscles: dict[str, str] | None = None):
        self.fs = check_fs(fs)
        self.channel_names = list(channel_names)
        self.muscles = {n: m for n, m in (muscles or {}).items() if n in self.channel_names and m}
        self.config = config or PipelineConfig()
        check_personal(self.config.detector.judge)  # before any sample: a weight for no input is no adjustment
        self.notches: list[float] | None = self._fixed_notches()
        self.samples_seen, self.end_sample, self._collect_levels = 0, 0, False  # fed; after the last, gaps counted
        self._pending: list[Block] = []
        self._filter: EmgFilter | None = None
        # hum that begins later in the night: notched (mains="auto"), or with mains set, said (hum_left, Hz)
        self._watch = None if self.notches is None else MainsWatch(self.fs, len(channel_names),
                                                                   self.config.band[1], self.notches)
        self.hum_left: list[float] = []
        self.hum_said = 0  # how many of hum_left were said (runner.say_doubts)
        self._detectors: list[Detector] = []
        self._origin, self.gaps = 0, 0
        # per channel, how many of its detector's warnings and possible cramps were given out, screened, marked
        self._warnings_taken, self._warnings_screened, self._possible_taken, self._possible_marked = ({}, {}, {}, {})
        self._muscles = MuscleJudge(self.channel_names, self.config.detector, self.muscles) if len(self.channel_names) > 1 else None
        self.checks = SampleChecks(self.fs, self.channel_names)  # list_losses() for the stretches without signal
        seg = self.config.detector.segment  # bridge gaps up to the envelope window; no episode is longer than
        self._bridge = GapBridge(self.fs, len(self.channel_names), seg.long_window_s, seg.max_duration_s + 120.0)
        self.candidate_log: list | None = None  # a list: every candidate the detectors weigh goes there (Detector.log)

    def take_levels(self) -> np.ndarray:
        """The envelope × rest of the bins since the last call, bins × channels (NaN while rest is unknown);
        the first call starts the collection (until it, nothing is kept)."""
        if not self._collect_levels:
            self._collect_levels = True
            for d in self._detectors:
                d.keep_levels()
            return np.empty((0, len(self.channel_names)))
        parts = [d.take_levels() for d in self._detectors]
        n = min((len(p) for p in parts), default=0)
        return np.column_stack([p[:n] for p in parts]) if n else np.empty((0, len(self.channel_names)))

    @property
    def env_rate(self) -> float | None:
        """The detector's bin rate (Hz), once the filters are built."""
        return None if self._filter is None else self._filter.env_rate

    def _fixed_notches(self) -> list[float] | None:
        mains = self.config.mains
        if mains == "off":
            return []
        if mains == "auto":
            return None
        return mains_harmonics(float(mains), self.fs, self.config.band[1])

    def _start(self, origin_sample: int) -> None:
        cfg = self.config
        self._filter = EmgFilter(self.fs, len(self.channel_names), cfg.band, self.notches, cfg.env_rate, cfg.order)
        old = self._detectors or [None] * len(self.channel_names)
        self._detectors = [self._detector(origin_sample / self.fs, prev, name)
                           for name, prev in zip(self.channel_names, old)]
        self._origin = origin_sample

    def _detector(self, origin_s: float, prev: Detector | None, name: str) -> Detector:
        """A channel's detector from ``origin_s`` (s), taking over what ``prev`` logged and learned."""
        d = Detector(self._filter.env_rate, self.config.detector, name, origin_s,
                     log=self.candidate_log, keep_levels=self._collect_levels, fs_hz=self._filter.fs)
        if prev is not None:
            d.carry_over(prev)
        return d

    def process(self, block: Block) -> list[Episode]:
        """Feed one block; return the episodes it completed."""
        x = np.asarray(block.samples, dtype=np.float64)
        if x.ndim == 1:
            x = x[:, None]
        self.checks.check(x, block.t0_sample, block.gap_before)
        self.samples_seen += len(x)
        self.end_sample = max(self.end_sample, block.t0_sample + len(x))
        if x is not block.samples:  # a block made of its float64, 2-D samples (live blocks are already)
            block = Block(block.t0_sample, x, block.gap_before)
        if self.notches is not None:
            return self._watched(block)
        self._pending.append(block)
        if sum(len(b.samples) for b in self._pending) < MAINS_PROBE_S * self.fs:
            return []
        return self._decide_mains()

    @property
    def flat_s(self) -> np.ndarray:
        """Per channel, how long the signal has been flat up to now (s; 0 while it moves)."""
        return self.checks.samples / self.fs

    def _feed(self, block: Block) -> list[Episode]:
        """Run a block through the filters and detectors, across the gap before it.

        A gap the :class:`~emgcramp.core.samples.GapBridge` can bridge keeps every state; episodes that span
        it say how much was missing. A longer gap ends the episodes open before it (``gap_at_end``) and
        restarts detection after it, with the rest level it had learned (:mod:`emgcramp.detect.joined`).
        """
        episodes: list[Episode] = []
        x = block.samples
        if self._filter is None:
            self._start(block.t0_sample)
        elif block.gap_before:
            self.gaps += 1
            hum = min(self.notches) if self.notches else None  # the fundamental is always notched (dsp.mains)
            filler = self._bridge.fill(block.t0_sample, int(block.gap_before), hum)
            if filler is None:
                episodes += self._close_all("gap_at_end")
                self._start(block.t0_sample)
            else:
                x = np.concatenate([filler, x])
        self._bridge.remember(x)
        episodes += self._run(x)
        return self._marked(episodes)

    def _marked(self, episodes: list[Episode]) -> list[Episode]:
        """``episodes`` (and the possible cramps closed meanwhile) with what they missed of the gaps they span."""
        if self._bridge.bridged:
            self._bridge.mark(_new_since(self._possible_lists(), self._possible_marked) + episodes)
        return episodes

    def _decide_mains(self) -> list[Episode]:
        probe = np.concatenate([b.samples[: int(MAINS_PROBE_S * self.fs)] for b in self._pending])
        self.notches = detect_mains(probe[: int(MAINS_PROBE_S * self.fs)], self.fs, self.config.band[1])
        self._watch = MainsWatch(self.fs, len(self.channel_names), self.config.band[1], self.notches)
        pending, self._pending = self._pending, []
        return sorted((e for b in pending for e in self._watched(b)), key=_onset)

    def _watched(self, block: Block) -> list[Episode]:
        """Feed ``block``; where the mains watch finds new hum in it, notch that from there on."""
        if self._watch is None:
            return self._feed(block)
        episodes, x, at = [], block.samples, 0
        for cut, lines in self._watch.look(block.t0_sample, x):
            if self.config.mains != "auto":  # the person's setting stands; what it leaves in is said (say_doubts)
                self.hum_left += lines
                continue
            episodes += self._feed(Block(block.t0_sample + at, x[at:cut], block.gap_before if not at else 0))
            self._filter.add_notches(lines, x[cut - 1])
            self.notches, at = self.notches + lines, cut
        return episodes + self._feed(Block(block.t0_sample + at, x[at:], 0)) if at else self._feed(block)

    def _run(self, x: np.ndarray) -> list[Episode]:
        bins = self._filter.process(x)
        if len(self._detectors) == 1:  # one channel (every live calf block): no parts to split, nothing to settle
            return sorted(self._detectors[0].process(*bins.of(0)), key=_onset)

        def detect(part: slice) -> list[Episode]:  # a channel's detector touches only its own state
            return [e for c in range(part.start, part.stop) for e in
                    self._detectors[c].process(*bins.of(c))]

        episodes = [e for found in map_parts(detect, channel_parts(len(self._detectors), len(x))) for e in found]
        if self._muscles is not None:
            self._screen_warnings()
            episodes = self._muscles.settle(episodes, self._detectors)
        return sorted(episodes, key=_onset)

    def _close_all(self, cut_by: str = "open_at_end") -> list[Episode]:
        episodes = [e for d in self._detectors for e in d.finish(cut_by)]
        if self._muscles is not None:  # several muscles are settled together here: no part is held past it
            episodes += [e for d in self._detectors for e in d.file_cut()]
            episodes = self._muscles.settle(episodes, self._detectors, final=True)
        return sorted(episodes, key=_onset)

    def finish(self) -> list[Episode]:
        """End of signal: close open episodes and return them."""
        episodes = self._decide_mains() if self.notches is None and self._pending else []
        return self._marked(episodes + self._close_all())

    def analysis(self, episodes: list[Episode]) -> "Analysis":
        """What the signal so far comes to, given the episodes it gave.

        A short cramp that the decision finds to be one of a PLM series
        (:func:`~emgcramp.detect.decide.in_series`) is retracted here, with its probability: it was judged before
        the rest of the series had come (live, its alert has gone out; the night's record drops it).
        """
        moves = self.movements(episodes)
        series_ = [e for e in episodes if in_series(e, moves, self.config.detector)]
        kept = [e for e in episodes if e not in series_]
        # A cramp is not also a leg movement: an episode is one or the other. So is a possible cramp
        # longer than any LM; one of LM length stays an LM too (the AASM scoring waits on no verdict).
        possible, lm_max = self.possible_cramps(), self.config.detector.movements.lm_max_s
        bursts = kept + [e for e in possible if e.duration_s > lm_max]
        moves = [m for m in moves if not any(m.onset_s < e.offset_s and e.onset_s < m.offset_s for e in bursts)]
        retracted = Rejections()
        for e in series_:
            retracted.add(e.onset_s, e.offset_s, "leg_movement_series", e.probability)
        rejected = dict(Counter(self.rejected()) + Counter(retracted.counts))
        return Analysis(kept, self.fs, self.channel_names, self.end_sample / self.fs, list(self.notches or []),
                        self.quality(), rejected, sorted(self.lookalikes() + retracted.items), moves, self.warnings(),
                        possible, dict(self.muscles), thresholds(self.config.detector),
                        self.samples_seen / self.fs)

    def possible_cramps(self) -> list[Episode]:
        """Bursts of the ``possible_cramp`` tier so far (listed, never alarmed), as events of the leg, in time order."""
        return sorted((e for part in self._possible_lists() for e in part), key=_onset)

    def _possible_lists(self) -> list[list[Episode]]:  # each channel's; of several muscles, the leg's (MuscleJudge)
        return [d.possible for d in self._detectors] if self._muscles is None else [self._muscles.possible]

    def live(self) -> list[dict]:
        """Per channel now: envelope and rest (µV), and the episode under way.

        ``kind`` is what the episode would be called if it ended now
        (``""``: not a cramp, or none under way), ``cut`` how a gap cut it (``gap_at_start``: it opened at a
        gap's end), ``cut_opened_s`` where a burst a gap cut opened while it may yet go on (else ``None``);
        ``warning_since`` is the onset (s) of a pre-cramp warning under way, else ``None``.
        """
        out = []
        now_s = self.end_sample / self.fs
        for d in self._detectors:
            c, kind = d.view.look(d, self._muscles, self._detectors, now_s)  # as last measured (detect.live_view)
            since = d.watch.open_since()
            since = since if since is None or self._is_warning(d, since, now_s) else None
            out.append({"channel": d.channel, "level_uv": d.level_uv, "rest_uv": d.rest_uv, "open": c, "kind": kind,
                        "warning_since": since, "cut": "gap_at_start" if c and d.opened_at_gap(c) else "",
                        "cut_opened_s": d.cut_opened_s})
        return out

    def quality(self) -> dict[str, dict[str, float]]:
        """Per channel: seconds analysed, flat and motion fractions, rest level (µV)."""
        return {d.channel: d.quality() for d in self._detectors}

    def lookalikes(self) -> list[Lookalike]:
        """Rejected bursts as (onset s, offset s, reason), in time order."""
        extra = self._muscles.rejections.items if self._muscles is not None else []
        return sorted([x for d in self._detectors for x in d.rejections.items] + extra)

    def movements(self, episodes: list[Episode]) -> list[LegMovement]:
        """Leg movements of the night, PLM series numbered.

        With a tibialis channel, that is the one scored (as the AASM rules
        ask); otherwise the channels of the leg are merged, overlapping
        stretches being one movement. Cramps longer than an LM end a series
        (see :func:`~emgcramp.detect.decide.in_series` for a shorter one).
        """
        cfg = self.config.detector
        scored = [d for d in self._detectors if self._tibialis(d.channel)] or self._detectors
        per_channel = [d.moves.movements for d in scored]
        merged = per_channel[0] if len(per_channel) == 1 else merge_channels(per_channel, cfg)
        breaks = [(e.onset_s, e.offset_s) for e in episodes + self.possible_cramps()
                  if e.duration_s > cfg.movements.lm_max_s]
        return score_series(merged, cfg, breaks)

    def new_warnings(self) -> list[CrampWarning]:
        """Warnings that closed since the last call (for a live log)."""
        return _new_since([d.watch.warnings for d in self._detectors], self._warnings_taken)

    def new_possible_cramps(self) -> list[Episode]:
        """Possible cramps closed since the last call (for a live log; never alarmed), as :meth:`possible_cramps`."""
        return sorted(_new_since(self._possible_lists(), self._possible_taken), key=_onset)

    def warnings(self) -> list[CrampWarning]:
        """Pre-cramp warnings that closed, in time order."""
        return sorted((w for d in self._detectors for w in d.watch.linked()), key=lambda w: w.onset_s)

    def _screen_warnings(self) -> None:
        """Drop warnings just closed on the tibialis or during a stretch, while their time is still held."""
        if self._muscles is None:
            return
        for c, d in enumerate(self._detectors):
            self._warnings_screened[c] = d.watch.screen(lambda w, d=d: self._is_warning(d, w.onset_s, w.offset_s),
                                                        self._warnings_screened.get(c, 0))

    def _is_warning(self, d: Detector, onset_s: float, offset_s: float) -> bool:
        return self._muscles is None or not self._tibialis(d.channel) and not self._muscles.during_stretch(
            onset_s, offset_s, self._detectors)

    def _tibialis(self, channel: str) -> bool:  # as the muscles are judged: with no calf recorded, none is
        return self._muscles is not None and self.channel_names.index(channel) in self._muscles.tibialis

    def rejected(self) -> dict[str, int]:
        """Counts of candidates rejected as look-alikes or artefacts, by reason."""
        extra = [self._muscles.rejections.counts] if self._muscles is not None else []
        return dict(sum((Counter(c) for c in [d.rejections.counts for d in self._detectors] + extra), Counter()))


def _new_since(per_channel: list[list], taken: dict[int, int]) -> list:
    """The items each channel's list gained since the last call; ``taken`` keeps how many were seen."""
    new = []
    for c, items in enumerate(per_channel):
        new += items[taken.get(c, 0):]
        taken[c] = len(items)
    return new
