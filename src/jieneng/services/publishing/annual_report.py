"""The figures of the annual notification (年度能源资源消费情况通报) of a region; the
Word document and the workbook are built from them by
:mod:`jieneng.reports.annual_report`.

Every figure comes from the services the pages and the API use — the overview
(:func:`jieneng.services.statistics.overview.overview`), the target assessment
(:func:`jieneng.services.targets.progress.assessment`), the 同类可比 rankings
(:func:`jieneng.services.statistics.ranking.ranking`), quota positions
(:func:`jieneng.services.targets.quotas.positions`) and the 会审 report
(:func:`jieneng.services.quality.review_report.review_report`: reporting rate, data
quality, spot-check accuracy) — so the document says what the pages say; and every
part from the same snapshot of the database, so the parts say the same.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.messages import text as message
from jieneng.reports.annual_report import RANK_INDICATOR
from jieneng.services.quality import review_report
from jieneng.services.statistics import overview as stats_overview
from jieneng.services.statistics import ranking as stats_ranking
from jieneng.services.targets import progress, quotas
from jieneng.storage.engine import read_snapshot

RANK_SIZE = 10


def basis(overview: dict[str, Any]) -> dict[str, Any]:
    """The one basis the 通报 states for its figures (``text_zh`` / ``text_en`` from the
    catalogue, ``annual.basis``): consumption is every figure entered (reviewed or not;
    the 汇总 counts approved data only), every count and rate of reporting (应报,
    已上报, 已审核, 上报率, 审核率) counts report tasks as the 会审 report does, and a
    year with figures up to month N < 12 is compared over months 1–N of the year
    before (1–N月累计同比). The document and the workbook print the text."""
    first, last = overview["months"][0], overview["months"][-1]
    months = (message("zh-CN", "annual.basis.months", first=first, last=last),
              message("en", "annual.basis.months", first=first, last=last)) \
        if (first, last) != (1, 12) else (message("zh-CN", "annual.basis.year"),
                                          message("en", "annual.basis.year"))
    return {"figures": "all_entered", "rates": "tasks", "months": [first, last],
            "year_to_date": bool(overview.get("year_to_date")),
            "text_zh": message("zh-CN", "annual.basis", months=months[0]),
            "text_en": message("en", "annual.basis", months=months[1])}


def annual_data(engine: Engine, user: User, *, region_code: str, year: int,
                factor_set: str | None = None) -> dict[str, Any]:
    """Every table of the notification (scope-checked through the services), all read
    in one snapshot on one connection (:func:`jieneng.storage.engine.read_snapshot`):
    a write committed while the 通报 is assembled cannot make its parts disagree."""
    with read_snapshot(engine) as conn:
        overview = stats_overview.overview(conn, user.scope, region_code=region_code,
                                           year=year, default_factor_set=factor_set)
        categories = [g["code"] for g in overview["by_category"]]
        rankings = [stats_ranking.ranking(conn, user.scope, region_code=region_code,
                                          year=year, category=code, indicator=RANK_INDICATOR,
                                          order="asc", per_page=RANK_SIZE,
                                          default_factor_set=factor_set)
                    for code in categories]
        positions = quotas.positions(conn, user, region_code=region_code, year=year,
                                     default_factor_set=factor_set)
        assessment = progress.assessment(conn, user, region_code=region_code, year=year,
                                         factor_set=factor_set)
        review = review_report.review_report(conn, user.scope, region_code=region_code,
                                             year=year)
    return {
        "region": overview["region"], "year": year, "overview": overview,
        "basis": basis(overview),
        "assessment": assessment,
        "rankings": rankings,
        "over_quota": [i for i in positions["items"] if i["position"] == "above_constraint"],
        "review": review,
    }
