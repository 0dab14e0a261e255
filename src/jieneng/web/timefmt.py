"""Times on the pages: stored in UTC, shown in China Standard Time (Asia/Shanghai,
UTC+8, no daylight saving), as the people using the platform read a clock.

:func:`local_time` is the template filter ``local_time``; :func:`local_day_start`
turns a date typed in a filter (China time) into the UTC instant it starts at.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def local_time(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC timestamp (aware, naive = UTC, or ISO text) as China time; '' for none."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return aware.astimezone(LOCAL_ZONE).strftime(fmt)


def local_day_start(day: date) -> datetime:
    """The UTC instant at which ``day`` begins in China time."""
    return datetime.combine(day, time(), LOCAL_ZONE).astimezone(UTC)
