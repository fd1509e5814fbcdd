"""Clock times in a night (a start and the seconds since it), and durations in words."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


def later(start: datetime, t: float) -> datetime:
    """The time ``t`` s after ``start``: for a ``start`` with a time zone, ``t`` s of elapsed time (a night
    across a daylight-saving change reads its clock's own offset after it), else ``t`` s on its clock."""
    if start.tzinfo is None:
        return start + timedelta(seconds=t)
    return (start.astimezone(timezone.utc) + timedelta(seconds=t)).astimezone(start.tzinfo)


def hms(start: datetime | None, t_s: float) -> str:
    """The clock time (``HH:MM:SS``) ``t_s`` seconds after ``start``; empty for a night without a clock."""
    return later(start, t_s).strftime("%H:%M:%S") if start is not None else ""


def duration(s: float) -> str:
    """A duration in minutes and seconds, ``m:ss`` (``h:mm:ss`` from an hour on); under half a second, ``0.1 s``."""
    whole = int(round(s))
    if whole == 0 and s > 0:  # a tenth of a second of signal lost is not nothing
        return _tenths(s)
    h, m, sec = whole // 3600, whole // 60 % 60, whole % 60
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def duration_words(s: float) -> str:
    """A duration for a sentence: ``13 s``, ``3 min``, ``2 min 50 s``; from an hour on, to the minute: ``1 h 5 min``."""
    whole = int(round(s))
    if whole == 0 and s > 0:
        return _tenths(s)
    if whole < 60:
        return f"{whole} s"
    if whole >= 3600:
        h, m = divmod(int(round(whole / 60)), 60)
        return f"{h} h {m} min" if m else f"{h} h"
    m, sec = divmod(whole, 60)
    return f"{m} min {sec} s" if sec else f"{m} min"


def _tenths(s: float) -> str:
    """A duration under half a second (s > 0), to the tenth: ``0.3 s``, ``under 0.1 s``."""
    return f"{s:.1f} s" if s >= 0.05 else "under 0.1 s"
