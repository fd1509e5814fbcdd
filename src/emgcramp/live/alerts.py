"""The alerts of a night under way: a cramp confirmed while it lasts is alerted once, and withdrawn if it closes
as less than a cramp.

One alert wakes the person for one cramp: a cramp a gap cut is not alerted again as the signal returns, nor is
a cramp on a second muscle while the first muscle's alerted cramp lasts (the night counts them as one).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from emgcramp.core.clock import hms
from emgcramp.core.types import Episode, episode_record
from emgcramp.io.night import NightLog
from emgcramp.pipeline import Pipeline


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


# An alert may go out up to the merge gap after the offset, while the burst is still open (s).
MERGE_SLACK_S = 3.0


def new_alerts(pipe: Pipeline, log: NightLog, now_s: float, alert_on_warning: bool,
                alerted: set[tuple[str, float, bool]], cut_alerted: set[str],
                alerted_until: dict[str, float]) -> list[Alert]:
    """Alerts for cramps (and, if asked, warnings) under way that have not been raised yet.

    A cramp under way when a gap came (a lost link, a sensor restart) is alerted once: the part that
    opens as the signal returns is the same cramp (``cut_alerted``: the channels whose alerted cramp a gap
    cut), not a new one to wake anyone for. So is a cramp on a second muscle while the first muscle's alerted
    cramp is under way (``alerted_until``): the night counts them as one, of both muscles.
    """
    new, states = [], list(pipe.live())
    for state in states:  # how far each alerted cramp reaches: its offset were it to close now
        c = state["open"]
        if (state["channel"], state["cut_opened_s"], False) in alerted:  # a gap cut it: held until the signal is back
            cut_alerted.add(state["channel"])
        if c is not None and (state["channel"], c.opened_s, False) in alerted:
            alerted_until[state["channel"]] = c.offset_s
    for state in states:
        c, since = state["open"], state["warning_since"]
        if c is not None and state["cut"] != "gap_at_start":
            cut_alerted.discard(state["channel"])  # a burst of its own: alerted as any
        raise_ = []
        if c is not None and state["kind"] and state["channel"] in cut_alerted:
            alerted.add((state["channel"], c.opened_s, False))  # the rest of a cramp alerted before the gap
        elif c is not None and state["kind"]:
            # the night counts cramps of muscles that overlap in time as one (detect.muscles): so do the alerts
            if any(ch != state["channel"] and until > c.onset_s for ch, until in alerted_until.items()):
                alerted.add((state["channel"], c.opened_s, False))  # the same cramp, alerted on another muscle
            else:
                alerted_until[state["channel"]] = c.offset_s  # a muscle after it in this block is the same cramp
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
            alert.onset_clock = hms(log.start, alert.onset_s)
            new.append(alert)
    return new


def log_quiet_events(pipe: Pipeline, log: NightLog, alerts: list[Alert]) -> list[Episode]:
    """Log the warnings and possible cramps that closed: listed in the night, never counted. A burst alerted while
    under way that closed below the cramp threshold gets its alert retracted (it went out as the burst looked then).
    Returns the possible cramps logged.
    """
    for w in pipe.new_warnings():
        log.event({"type": "warning"} | asdict(w))
    possible = pipe.new_possible_cramps()
    for e in possible:
        log.event({"type": "possible_cramp"} | episode_record(e, log.start))
        for a in alerts:
            heads = e.muscles or [e.channel]  # each head's alert, of several
            if a.kind != "warning" and a.channel in heads and e.onset_s <= a.at_s <= e.offset_s + MERGE_SLACK_S:
                log.event({"type": "retracted", "channel": a.channel, "onset_s": a.onset_s,
                           "onset_clock": a.onset_clock, "reason": "possible_cramp"})
    return possible
