"""Times as people read them: UTC, with a relative hint ("in 23 hours", "2 days ago")."""

from __future__ import annotations

from datetime import datetime

from shoplink.workflows.clock import as_utc


def parse(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return None if value is None else as_utc(value)
    return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


def utc(value: str | datetime | None) -> str:
    """`2026-03-02 12:00 UTC`, or a dash when there is no time."""
    moment = parse(value)
    return "—" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def _span(seconds: float) -> str:
    for unit, size, up_to in (("minute", 60, 60), ("hour", 3600, 49), ("day", 86400, None)):
        count = int(seconds // size)
        if up_to is None or count < up_to:
            return f"{count} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable")


def relative(value: str | datetime | None, now: datetime) -> str:
    """`in 23 hours`, `5 minutes ago`, `now`: floored, so a deadline is never shown early."""
    moment = parse(value)
    if moment is None:
        return ""
    seconds = (moment - as_utc(now)).total_seconds()
    if abs(seconds) < 60:
        return "now"
    return f"in {_span(seconds)}" if seconds > 0 else f"{_span(-seconds)} ago"
