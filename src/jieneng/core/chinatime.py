"""China Standard Time (Asia/Shanghai, UTC+8 all year, no daylight saving since 1991),
the clock every deadline, reporting day and meter period of the platform is read on.

Stored instants are UTC (aware datetimes, or epoch seconds for meter readings); a
*date* a person means — a deadline, a day of readings — is a China date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

OFFSET_S = 8 * 3600
ZONE = timezone(timedelta(seconds=OFFSET_S), "CST")


def today(now: datetime | None = None) -> date:
    """The China date at ``now`` (default: the current instant)."""
    moment = datetime.now(UTC) if now is None else now
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZONE).date()


def past(deadline: date | None, today_: date) -> bool:
    """A deadline has passed once its China day is over."""
    return deadline is not None and deadline < today_
