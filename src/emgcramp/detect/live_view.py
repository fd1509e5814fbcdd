"""The episode under way as the live path shows it, at a cost per second that does not grow with its length.

Measuring a burst under way (its shape, its onset, the verdict it would
get) reads its whole length. Done at every block, a long cramp would cost
more each second than the one before: at 4 kHz with 8 channels in
3-sample frames, the monitor fell behind real time within a minute of a
cramp. So a burst under way is measured again once at least
:data:`EVERY_S` of signal has passed, or :data:`SHARE` of its length
for a long one (a 10-min cramp: every 6 s), and shown as last measured in between. Only what the live
path shows waits so (the alert, the status line): each episode is still
judged whole when it closes, whatever the blocks.
"""

from __future__ import annotations

import math
from dataclasses import replace

EVERY_S = 0.25  # a burst under way is measured again after this much signal (s) …
SHARE = 0.01  # … or this share of its length, whichever is longer: an alert waits at most 1 % of the burst


class OpenView:
    """One channel's episode under way, and the kind it would be given if it ended now, as last measured."""

    def __init__(self) -> None:
        self._since: float | None = None
        self._at_s, self._seen = -math.inf, (None, "")

    def look(self, d, muscles, detectors: list, now_s: float) -> tuple:
        """(candidate or ``None``, kind: ``""`` if not a cramp) of detector ``d`` at ``now_s`` (s).

        ``muscles``: the :class:`~emgcramp.detect.muscles.MuscleJudge` of several channels, or ``None``.
        """
        span = d.open_span_s()
        if span is None:
            self._since = None
            return None, ""
        since, end = span
        if since == self._since and now_s - self._at_s < max(EVERY_S, SHARE * (now_s - since)):
            c, kind = self._seen  # where it reaches is known now, at no cost: whether another muscle's joins it
            return (replace(c, offset_s=max(c.offset_s, end)) if c is not None else None), kind
        c = d.open_candidate()
        kind = d.would_be_cramp(c) if c else ""
        if kind and muscles is not None:
            kind = muscles.live_kind(kind, d.channel, c.onset_s, now_s, detectors)
        self._since, self._at_s, self._seen = since, now_s, (c, kind)
        return self._seen
