"""The period a statistics page shows by default: the **last complete reviewed
period** (最近一个审核完成的报告期), one rule for the overview, the 汇总, the 会审
report and the other pages that open on a year without being asked.

Definition: among the reporting periods with tasks in the caller's scope (and
region), the latest one — 月报 by (year, month), a 年报 counting as December of its
year — in which at least ``min_approved`` of the tasks are approved (已审核). The
threshold is the setting ``default_period_min_approved`` (default 0.8: 80 % of the
tasks approved). Without such a period (no reporting periods yet, or none reviewed
far enough) the page falls back to the latest year with any figure, as before.

So one unit importing next year's months moves no one's default (its tasks are
not approved), and the 2026-01 period opened yesterday does not either until 80 %
of its reports are reviewed. ``docs/statistics.md`` states the rule for users.
"""

from __future__ import annotations

from dataclasses import dataclass

from jieneng.core import chinatime
from jieneng.core.scope import Scope
from jieneng.services.database import Reader, reading
from jieneng.services.statistics import selection as sel
from jieneng.services.statistics.overview import latest_year
from jieneng.storage import review_queue

#: Share of a period's tasks that must be approved for it to count as reviewed.
DEFAULT_MIN_APPROVED = 0.8
#: How many reporting months back the last complete reviewed period is looked for.
LOOKBACK_PERIODS = 36


@dataclass(frozen=True)
class DefaultPeriod:
    """The period a page opens on, and why: ``basis`` ``reviewed`` (the last complete
    reviewed period; ``approved``/``tasks`` its counts), ``data`` (no reviewed period:
    the latest year with figures) or ``none`` (no figures either; ``year`` is None)."""

    year: int | None
    month: int | None
    basis: str
    tasks: int = 0
    approved: int = 0

    def to_dict(self) -> dict[str, object]:
        return {"year": self.year, "month": self.month, "basis": self.basis,
                "tasks": self.tasks, "approved": self.approved,
                "rate": self.approved / self.tasks if self.tasks else None}


def reviewed_period(
    db: Reader, scope: Scope, *, region_code: str | None = None,
    min_approved: float = DEFAULT_MIN_APPROVED,
) -> DefaultPeriod | None:
    """The last complete reviewed period of the scope (and region), or None.

    The periods are tried newest first (periods of the same month on different
    regions together), one count each on the ``(period_id, state)`` index, stopping at
    the first complete one — usually one to three queries, whatever the number of
    tasks; at most :data:`LOOKBACK_PERIODS` months back. Not cached: a review moves no
    data version (the result cache's key)."""
    with reading(db) as conn:
        ctx = sel.context(conn, scope, region_code=region_code)
        months: dict[tuple[int, int], list[int]] = {}
        for row in review_queue.recent_periods(conn, limit=4 * LOOKBACK_PERIODS):
            months.setdefault((row["year"], row["month"]), []).append(row["id"])
        for (year, month), ids in list(months.items())[:LOOKBACK_PERIODS]:
            tasks, approved = review_queue.period_completion(conn, ctx.filters, ids)
            if tasks and approved >= min_approved * tasks:
                return DefaultPeriod(year, month or 12, "reviewed", tasks, approved)
    return None


def default_period(
    db: Reader, scope: Scope, *, region_code: str | None = None,
    min_approved: float = DEFAULT_MIN_APPROVED,
) -> DefaultPeriod:
    """The period a page shows when none is asked for: the last complete reviewed
    period, else the latest year with figures (``month`` None), else nothing."""
    found = reviewed_period(db, scope, region_code=region_code, min_approved=min_approved)
    if found is not None:
        return found
    year = latest_year(db, scope, region_code, before=chinatime.today().year + 1)
    return DefaultPeriod(year, None, "data" if year is not None else "none")
