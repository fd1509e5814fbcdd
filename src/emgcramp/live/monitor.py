"""Live monitoring: a source through the pipeline, into a crash-safe night folder.

:func:`run_monitor` is the loop behind ``emgcramp monitor``. It creates the
:class:`~emgcramp.pipeline.Pipeline` when the source knows its rate, logs
every block and episode as it comes (:class:`~emgcramp.io.night.NightLog`),
raises an alert once per cramp as soon as the episode under way would be
judged a cramp, and reports a status line about once a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from emgcramp.core.blocks import MIN_SIGNAL_S, Block
from emgcramp.core.clock import hms
from emgcramp.core.config import SIGNAL_LOST_S, PipelineConfig
from emgcramp.core.errors import BadSamples
from emgcramp.core.settings import settings_of
from emgcramp.core.types import Analysis, Episode, episode_record
from emgcramp.detect.model import model_id
from emgcramp.io.night import NightLog
from emgcramp.live.alerts import MERGE_SLACK_S, Alert, log_quiet_events, new_alerts
from emgcramp.pipeline import Pipeline
from emgcramp.runner import Runner, SensorChanged, say_doubts


def _state(pipe: Pipeline | None, log: NightLog | None, cramps: int, now_s: float,
           alerted: set[tuple[str, float, bool]]) -> dict:
    """What the status line shows (``channels`` empty until the first block); the cramps counted, and one
    under way once it is alerted (``alerted``: keys of :func:`~emgcramp.live.alerts.new_alerts`)."""
    if pipe is None or log is None:
        return {"t_s": 0.0, "gaps": 0, "cramps": 0, "channels": [], "not_stored_since": None, "store_error": ""}
    live = pipe.live()
    cramps += any(s["open"] is not None and (s["channel"], s["open"].opened_s, False) in alerted for s in live)
    return {"t_s": now_s, "gaps": pipe.gaps, "cramps": cramps, "channels": live,
            "not_stored_since": log.stopped_since, "store_error": log.store_error,
            "signal_lost": [ch for ch, s in zip(pipe.channel_names, pipe.flat_s) if s >= SIGNAL_LOST_S]}


@dataclass
class MonitorResult:
    """The night's analysis and alerts; ``stopped`` says, in one line, why the night ended early or is unusable."""

    analysis: Analysis
    alerts: list[Alert] = field(default_factory=list)
    stopped: str = ""


def _log_lead_off(night: NightMonitor, bits: int, was: list[int]) -> None:
    """Log the channels whose electrodes the sensor says came off (``lead_off``) or back on (``lead_on``) since
    ``was[0]``, at the night's time now (s), so that the morning's view can tell when."""
    names = night.runner.pipe.channel_names if night.runner.pipe is not None else []
    for kind, changed in (("lead_off", bits & ~was[0]), ("lead_on", was[0] & ~bits)):
        chans = [name for k, name in enumerate(names) if changed >> k & 1]
        if chans:
            night.log.event({"type": kind, "channels": chans, "onset_s": round(night.now_s, 3)})
    was[0] = bits


def _watch_signal(pipe: Pipeline, log: NightLog, lost: dict[str, float]) -> None:
    """Log where each channel's signal is lost (flat for :data:`SIGNAL_LOST_S`) and where it comes back, to the
    sample whatever the block's length: the flat lines the sample checks listed as it passed, then those under way."""
    done, pipe.checks.losses = pipe.checks.losses, []  # taken as they come (a night of lost frames lists many gaps)
    for on, off, ch in [d for d in done if d[2] != "gap"]:  # a gap breaks a flat line: that is no loss of its own
        if ch not in lost:  # lost and back within the block
            log.event({"type": "signal_lost", "channel": ch, "onset_s": round(on, 3)})
        onset = lost.pop(ch, on)
        log.event({"type": "signal_back", "channel": ch, "onset_s": round(onset, 3), "offset_s": round(off, 3)})
    for ch, flat_s, since in zip(pipe.channel_names, pipe.flat_s, pipe.checks.flat_since_s):
        if flat_s >= SIGNAL_LOST_S and ch not in lost:
            lost[ch] = float(since)
            log.event({"type": "signal_lost", "channel": ch, "onset_s": round(lost[ch], 3)})


class _Unstored:
    """Stands in for the night log when nothing is to be stored (``folder=None``: a replay, the Python API)."""

    stopped_since, store_error = None, ""

    def __init__(self, start: datetime | None, on_event: Callable[[dict], None] | None = None, clock: bool = True):
        self.start = start or datetime.now().replace(microsecond=0) if clock else None
        self.on_event = on_event

    def block(self, b: Block) -> None: ...

    def flush(self) -> None: ...

    def episode(self, e) -> None:
        self.event({"type": "cramp"} | episode_record(e, self.start))

    def event(self, record: dict) -> None:
        if self.on_event is not None:
            self.on_event(record)

    def close(self, summary: dict | None = None) -> None: ...


class NightMonitor:
    """A night watched block by block: :meth:`feed` stores, analyses and alerts; :meth:`finish` closes it.

    The object ``emgcramp monitor`` drives (through :func:`run_monitor`) and
    the Python API's :class:`emgcramp.Monitor` is. ``fs`` is asked when the
    first block arrives (a live source learns its rate from the sensor), and
    so is the channel count: ``channels`` names them (empty: ``calf`` for
    one, ``ch0``, ``ch1``, … for several). ``start`` is the wall-clock time
    of the first sample (default: now); with ``clock`` False there is none
    (a replay of a recording without a start: no clock time is made up). Each block is written to ``folder``
    before it is analysed, so a crash loses at most the last second
    (``None``: nothing is stored). Warnings are logged as they close; with
    ``alert_on_warning`` each one also raises an alert when it opens.
    ``on_event`` is told every record the night logs; ``on_levels`` gets
    each block's bins as multiples of rest (bins × channels) and their rate (Hz).
    """

    def __init__(self, fs: float | Callable[[], float | None], channels: list[str], folder: str | None = None,
                 config: PipelineConfig | None = None, alert_on_warning: bool = False,
                 start: datetime | None = None, on_event: Callable[[dict], None] | None = None,
                 on_levels: Callable[[np.ndarray, float], None] | None = None, clock: bool = True):
        self.runner = Runner(fs, channels, config)
        self.folder, self.config, self.start, self.has_clock = folder, config, start, clock
        self.alert_on_warning, self.on_event, self.on_levels = alert_on_warning, on_event, on_levels
        self.log: NightLog | _Unstored | None = None
        self.alerts: list[Alert] = []
        self.now_s = 0.0  # signal time at the end of the last block (s)
        self._alerted: set[tuple[str, float, bool]] = set()
        self._alerted_until: dict[str, float] = {}  # per channel, until when (s) its alerted cramp was seen open
        self._cut_alerted: set[str] = set()  # channels whose alerted cramp a gap cut: its rest is not a new one
        self._units_said: bool | None = None  # None: not looked at yet (once, at UNITS_CHECK_S)
        self._lost: dict[str, float] = {}  # channels whose signal is lost, since when (s)
        self._new: list[dict] = []

    def feed(self, block: Block) -> list[dict]:
        """Store and analyse one block; the records the night logged for it (cramps, alerts, warnings, …).

        Raises :class:`~emgcramp.runner.SensorChanged` (and stores nothing of
        the block) when the channel count or the rate is not the night's, and
        :class:`~emgcramp.core.errors.BadSamples` after storing and analysing the
        samples before a bad one.
        """
        self.runner.admit(block)
        pipe, self._new = self.runner.pipe, []
        if self.log is None:
            self.log = self._open_log(pipe)
        try:
            closed = self.runner.process(block)  # its samples are checked first: a bad one stops it whole
        except BadSamples as e:  # the samples before it are the night's: stored and analysed, then it stops
            if e.at or block.gap_before:
                e.records = self.feed(Block(block.t0_sample, block.samples[:e.at], block.gap_before))
            raise
        self.log.block(block)
        for e in closed:
            self.log.episode(e)
        self._cut(closed + log_quiet_events(pipe, self.log, self.alerts))
        self.now_s = (block.t0_sample + len(block.samples)) / pipe.fs
        if self.on_levels and pipe.env_rate:
            levels = pipe.take_levels()
            if len(levels):
                self.on_levels(levels, pipe.env_rate)
        _watch_signal(pipe, self.log, self._lost)
        if self._units_said is None and self.now_s >= UNITS_CHECK_S:  # a night of nothing found is no way to learn it
            self._units_said = say_doubts(pipe, movements=False)
        for alert in new_alerts(pipe, self.log, self.now_s, self.alert_on_warning, self._alerted, self._cut_alerted,
                                 self._alerted_until):
            self.alerts.append(alert)
            self.log.event({"type": "alert", "channel": alert.channel, "onset_s": round(alert.onset_s, 3),
                            "onset_clock": alert.onset_clock,  # to the ms and the 0.01 µV, as the cramps' records
                            "kind": alert.kind, "at_s": round(alert.at_s, 3), "peak_uv": round(alert.peak_uv, 2)})
        return self._new

    def _cut(self, ended: list[Episode]) -> None:
        """Mark the channels whose alerted burst a gap cut, closed as a cramp or as a possible one: what opens
        there as the signal returns is the rest of it, not a new one to wake anyone for."""
        for e in ended:
            heads = e.muscles or [e.channel]  # a cramp of several muscles is alerted on one: the rest of it on any
            if "gap_at_end" in e.flags and any(a.channel in heads and a.kind != "warning" and
                                               e.onset_s <= a.at_s <= e.offset_s + MERGE_SLACK_S for a in self.alerts):
                self._cut_alerted.update(heads)

    def state(self) -> dict:
        """What the status line shows; the samples it counts are stored first, so what it showed survives a kill."""
        if self.log is not None:
            self.log.flush()
        return _state(self.runner.pipe, self.log, len(self.runner.episodes), self.now_s, self._alerted)

    def clock(self, t_s: float) -> str:
        """The night's clock time (``HH:MM:SS``) at ``t_s`` seconds of signal; without a clock, ``t_s`` in s."""
        start = self.log.start if self.log is not None else (self.start or datetime.now()) if self.has_clock else None
        return hms(start, t_s) or f"{t_s:.1f} s"

    def finish(self, stopped: str = "") -> MonitorResult:
        """Close the signal and the night folder; the night's analysis and alerts."""
        if self.runner.pipe is None:
            raise ConnectionError("no data arrived from the source")
        self._new = []
        analysis = _finish(self.runner, self.log, self.alerts)
        say_doubts(self.runner.pipe, units=not self._units_said)  # as analyze says them
        return MonitorResult(analysis, self.alerts, stopped or self.runner.problem())

    def _open_log(self, pipe: Pipeline) -> NightLog | _Unstored:
        pipe.checks.list_losses(SIGNAL_LOST_S)  # where a lost signal comes back, to the sample (_watch_signal)
        if self.on_levels:
            pipe.take_levels()  # start collecting
        if self.folder is None:
            return _Unstored(self.start, self._told, self.has_clock)
        return NightLog(self.folder, pipe.fs, pipe.channel_names, self.start, on_event=self._told,
                        settings=night_settings(self.config), clock=self.has_clock)

    def _told(self, record: dict) -> None:
        self._new.append(record)
        if self.on_event is not None:
            self.on_event(record)


def night_settings(config: PipelineConfig | None) -> dict:
    """What a night folder records of ``config`` (:func:`~emgcramp.core.settings.settings_of`) and the decision's
    model id, by which its events were counted."""
    return settings_of(config) | {"model": model_id()}


def run_monitor(blocks: Iterable[Block | None], fs: Callable[[], float | None], channels: list[str],
                folder: str | None, config: PipelineConfig | None = None,
                on_alert: Callable[[Alert], None] | None = None, on_status: Callable[[dict], None] | None = None,
                status_every_s: float = 1.0, alert_on_warning: bool = False, start: datetime | None = None,
                on_event: Callable[[dict], None] | None = None,
                on_levels: Callable[[np.ndarray, float], None] | None = None, clock: bool = True,
                lead_off: Callable[[], int] | None = None) -> MonitorResult:
    """Monitor until ``blocks`` ends (``None``: nothing came for a while); the night's analysis and alerts.

    A :class:`NightMonitor` fed every block (see it for the arguments), with
    ``on_alert`` told each alert and ``on_status`` given the status line's
    state about every ``status_every_s`` seconds. A change of channel count
    or rate mid-night ends the night there, whole (:attr:`MonitorResult.stopped`
    says why), and so does a bad sample after the first (NaN, infinite, beyond any
    electrode's input: the samples before it are kept); nothing else does.
    ``lead_off``: the sensor's lead-off bits now (bit k: channel k), logged as they change.
    """
    night = NightMonitor(fs, channels, folder, config, alert_on_warning, start, on_event, on_levels, clock)
    last_status, stopped, off = 0.0, "", [0]
    for block in blocks:
        if block is not None:
            if night.log is None and on_status:  # building the filters may compile them (first run): say so
                on_status(night.state() | {"preparing": True})
            try:
                n_alerts = len(night.alerts)
                night.feed(block)
            except SensorChanged as e:  # the night so far is one set-up: close it whole rather than mix two
                stopped = (f"{e} at {night.clock(block.t0_sample / night.runner.pipe.fs)}: the night up to then "
                           "is stored and summarised; start monitor again for the new set-up")
                break
            except BadSamples as e:  # what came before is the night's, kept whole, its alerts told
                if not night.now_s:
                    raise
                stopped = f"{e}; the night up to {night.clock(night.now_s)} is stored and summarised"
            for alert in night.alerts[n_alerts:] if on_alert else ():
                on_alert(alert)
            if lead_off is not None and night.log is not None:
                _log_lead_off(night, lead_off(), off)
            if stopped:
                break
        if on_status and time.monotonic() - last_status >= status_every_s:
            last_status = time.monotonic()
            on_status(night.state())
    return night.finish(stopped)


UNITS_CHECK_S = 120.0  # signal (s) after which samples not in µV are said: a night of them finds nothing
def _finish(runner: Runner, log: NightLog, alerts: list[Alert]) -> Analysis:
    """Close the signal and the night folder; log what the whole night retracts."""
    for e in runner.finish():
        log.episode(e)
    log_quiet_events(runner.pipe, log, alerts)
    analysis = runner.analysis()
    for e in runner.episodes:
        if e not in analysis.episodes:  # found inside a PLM series once it was complete
            log.event({"type": "retracted", "channel": e.channel, "onset_s": e.onset_s,
                       "onset_clock": hms(log.start, e.onset_s), "reason": "leg_movement_series"})
    log.close(analysis.summary(log.start) if analysis.duration_s >= MIN_SIGNAL_S else None)
    return analysis
