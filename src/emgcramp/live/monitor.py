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
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

import numpy as np

from emgcramp.core.blocks import Block
from emgcramp.core.config import PipelineConfig
from emgcramp.core.errors import InputError
from emgcramp.core.types import Analysis, Episode
from emgcramp.io.night import NightLog
from emgcramp.pipeline import MIN_SECONDS, Pipeline


@dataclass
class Alert:
    """A cramp confirmed while under way, or a warning opening (``kind`` ``warning``).

    Channel, onset (s), kind, level (µV), when raised (s), and the onset's
    clock time (``HH:MM:SS``, the night's own clock).
    """

    channel: str
    onset_s: float
    kind: str
    peak_uv: float
    at_s: float
    onset_clock: str = ""


def _names(channels: list[str], width: int) -> list[str]:
    if not channels:
        return ["calf"] if width == 1 else [f"ch{i + 1}" for i in range(width)]
    if len(channels) != width:
        raise InputError(f"the sensor sends {width} channel(s) but --muscles names {len(channels)}")
    return list(channels)


def _state(pipe: Pipeline | None, log: NightLog | None, cramps: int, now_s: float) -> dict:
    """What the status line shows (``channels`` empty until the first block)."""
    if pipe is None or log is None:
        return {"t_s": 0.0, "gaps": 0, "cramps": 0, "channels": [], "not_stored_since": None, "store_error": ""}
    return {"t_s": now_s, "gaps": pipe.gaps, "cramps": cramps, "channels": pipe.live(),
            "not_stored_since": log.stopped_since, "store_error": log.store_error}


@dataclass
class MonitorResult:
    analysis: Analysis
    alerts: list[Alert] = field(default_factory=list)


def run_monitor(blocks: Iterable[Block], fs: Callable[[], float | None], channels: list[str], folder: str,
                config: PipelineConfig | None = None, on_alert: Callable[[Alert], None] | None = None,
                on_status: Callable[[dict], None] | None = None, status_every_s: float = 1.0,
                alert_on_warning: bool = False, start: datetime | None = None,
                on_event: Callable[[dict], None] | None = None,
                on_levels: Callable[[np.ndarray, float], None] | None = None) -> MonitorResult:
    """Monitor until ``blocks`` ends; return the night's analysis and alerts.

    Warnings are logged as they close; with ``alert_on_warning`` each one
    also raises an alert when it opens.

    ``fs`` is asked when the first block arrives (a live source learns its
    rate from the sensor), and so is the channel count: ``channels`` names
    them (empty: ``calf`` for one, ``ch1``, ``ch2``, … for several). ``start``
    is the wall-clock time of the first sample (default: now; a replay
    passes the recording's own). Every block is written to ``folder`` before it is
    analysed, so a crash loses at most the last second.

    ``on_event`` is told every record the night folder logs (cramps, warnings,
    alerts, retractions); ``on_levels`` gets each block's bins as multiples of
    rest (bins × channels, NaN while rest is unknown) and their rate (Hz).
    """
    pipe: Pipeline | None = None
    log: NightLog | None = None
    episodes: list[Episode] = []
    alerts: list[Alert] = []
    alerted: set[tuple[str, float, bool]] = set()
    last_status, now_s = 0.0, 0.0
    for block in blocks:
        if block is None:  # the source has had nothing for a while: say so as it happens
            if on_status and time.monotonic() - last_status >= status_every_s:
                last_status = time.monotonic()
                on_status(_state(pipe, log, len(episodes), now_s))
            continue
        if pipe is None:
            channels = _names(channels, block.samples.shape[1] if block.samples.ndim == 2 else 1)
            if on_status:  # building the filters may compile them (first run): say so
                on_status(_state(None, None, 0, 0.0) | {"preparing": True})
            pipe = Pipeline(fs(), channels, config)
            log = NightLog(folder, pipe.fs, channels, start, on_event=on_event)
            if on_levels:
                pipe.take_levels()  # start collecting
        log.block(block)
        for e in pipe.process(block):
            log.episode(e)
            episodes.append(e)
        now_s = (block.t0_sample + len(block.samples)) / pipe.fs
        if on_levels and pipe.env_rate:
            levels = pipe.take_levels()
            if len(levels):
                on_levels(levels, pipe.env_rate)
        _log_quiet_events(pipe, log, alerts)
        for alert in _new_alerts(pipe, log, now_s, alert_on_warning, alerted):
            alerts.append(alert)
            log.event({"type": "alert", "channel": alert.channel, "onset_s": alert.onset_s,
                       "kind": alert.kind, "at_s": alert.at_s})
            if on_alert:
                on_alert(alert)
        if on_status and time.monotonic() - last_status >= status_every_s:
            last_status = time.monotonic()
            on_status(_state(pipe, log, len(episodes), now_s))
    if pipe is None:
        raise ConnectionError("no data arrived from the source")
    analysis = _finish(pipe, log, episodes, alerts)
    return MonitorResult(analysis, alerts)


# An alert may go out up to the merge gap after the offset, while the burst is still open (s).
MERGE_SLACK_S = 3.0


def _new_alerts(pipe: Pipeline, log: NightLog, now_s: float, alert_on_warning: bool,
                alerted: set[tuple[str, float, bool]]) -> list[Alert]:
    """Alerts for cramps (and, if asked, warnings) under way that have not been raised yet."""
    new = []
    for state in pipe.live():
        c, since = state["open"], state["warning_since"]
        raise_ = []
        if c is not None and state["kind"]:
            raise_.append(Alert(state["channel"], c.onset_s, state["kind"], c.peak_uv, now_s))
        if alert_on_warning and since is not None:
            raise_.append(Alert(state["channel"], since, "warning", state["level_uv"], now_s))
        for alert in raise_:
            # One alert per burst: keyed by where the segmenter opened it, which does not move as it grows.
            opened = c.opened_s if alert.kind != "warning" and c is not None else alert.onset_s
            key = (alert.channel, opened, alert.kind == "warning")
            if key in alerted:
                continue
            alerted.add(key)
            alert.onset_clock = (log.start + timedelta(seconds=alert.onset_s)).strftime("%H:%M:%S")
            new.append(alert)
    return new


def _log_quiet_events(pipe: Pipeline, log: NightLog, alerts: list[Alert]) -> None:
    """Log the warnings and possible cramps that closed: listed in the night, never counted.

    A burst alerted while under way that closed below the cramp threshold gets its alert
    retracted in the log (the alert went out as the burst looked then).
    """
    for w in pipe.new_warnings():
        log.event({"type": "warning"} | asdict(w))
    for e in pipe.new_possible_cramps():
        log.event({"type": "possible_cramp"} | asdict(e))
        for a in alerts:
            if a.kind != "warning" and a.channel == e.channel and e.onset_s <= a.at_s <= e.offset_s + MERGE_SLACK_S:
                log.event({"type": "retracted", "channel": a.channel, "onset_s": a.onset_s,
                           "reason": "possible_cramp"})


def _finish(pipe: Pipeline, log: NightLog, episodes: list[Episode], alerts: list[Alert]) -> Analysis:
    """Close the signal and the night folder; log what the whole night retracts."""
    for e in pipe.finish():
        log.episode(e)
        episodes.append(e)
    _log_quiet_events(pipe, log, alerts)
    analysis = pipe.analysis(episodes)
    for e in episodes:
        if e not in analysis.episodes:  # found inside a PLM series once it was complete
            log.event({"type": "retracted", "channel": e.channel, "onset_s": e.onset_s,
                       "reason": "leg_movement_series"})
    log.close(analysis.summary() if analysis.duration_s >= MIN_SECONDS else None)
    return analysis
