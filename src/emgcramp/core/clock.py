"""Clock times in a night: a start and the seconds since it."""

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
