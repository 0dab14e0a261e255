"""The annual notification (年度能源资源消费情况通报) as an Excel workbook with every
table, built from the figures :func:`jieneng.services.publishing.annual_report.annual_data`
gathered (scope-checked); the Word document (a 公文 with charts) is
:func:`jieneng.reports.annual_document.annual_docx`, re-exported here.

Display rounding follows GB/T 8170 (:mod:`jieneng.core.rounding`); the workbook
keeps the unrounded values, text written as text (never a formula or a link:
:mod:`jieneng.reports.spreadsheet`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from jieneng.core import indicator_registry as registry
from jieneng.reports.annual_document import annual_docx
from jieneng.reports.spreadsheet import new_workbook, write_row

#: The headline figures of the indicator registry, in display order.
HEADLINE: tuple[str, ...] = registry.HEADLINE
#: The indicator of the 同类可比 rankings in the notification.
RANK_INDICATOR = "energy_per_capita_kgce"

__all__ = ["annual_docx", "annual_xlsx", "assessment_xlsx"]


def _sheet(book: Any, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
           ) -> None:
    sheet = book.add_worksheet(name)
    write_row(sheet, 0, header, book.add_format({"bold": True}))
    for r, row in enumerate(rows, start=1):
        write_row(sheet, r, row)


def _assessment_sheet_rows(assessment: dict[str, Any]) -> list[list[Any]]:
    return [[row["region_code"], row["region_name"], t["metric"], t["kind"], t["value"],
             t.get("actual"), t.get("projected"), t.get("achieved_change"),
             t.get("required_change"), t.get("source"), "完成" if t["met"] else "未完成"]
            for row in assessment["rows"] for t in row["targets"]]


ASSESSMENT_HEADER = ["地区代码", "地区", "目标", "类型", "目标值", "实际", "预计全年", "实际降幅",
                     "要求降幅", "来源", "结果"]


def assessment_xlsx(assessment: dict[str, Any]) -> bytes:
    """The year-end assessment (目标绩效考核) as a workbook, unrounded."""
    out = io.BytesIO()
    book = new_workbook(out)
    _sheet(book, "目标考核", ASSESSMENT_HEADER, _assessment_sheet_rows(assessment))
    book.close()
    return out.getvalue()


def annual_xlsx(data: dict[str, Any]) -> bytes:
    """Every table of the notification, unrounded, one sheet each."""
    ov, out = data["overview"], io.BytesIO()
    book = new_workbook(out)
    _sheet(book, "总体", ["指标", "单位", "本年", "上年", "同比"],
           [[registry.BY_CODE[k].name_zh, registry.BY_CODE[k].unit, ov.get(k),
             ov["previous_year"].get(k), ov["yoy"].get(k)] for k in HEADLINE])
    _sheet(book, "分地区", ["地区代码", "地区", *HEADLINE],
           [[g["code"], g["name"], *(g.get(k) for k in HEADLINE)]
            for g in ov["by_child_region"]])
    _sheet(book, "分类别", ["类别代码", "类别", *HEADLINE],
           [[g["code"], g["name"], *(g.get(k) for k in HEADLINE)] for g in ov["by_category"]])
    _sheet(book, "目标完成", ASSESSMENT_HEADER, _assessment_sheet_rows(data["assessment"]))
    _sheet(book, "同类排名", ["类别", "名次", "统一社会信用代码", "单位", RANK_INDICATOR],
           [[r["category"]["code"], i["rank"], i["credit_code"], i["name"], i["value"]]
            for r in data["rankings"] for i in r["items"]])
    _sheet(book, "超定额", ["统一社会信用代码", "单位", "指标", "实际值", "约束值", "基准值",
                         "引导值", "单位"],
           [[i["credit_code"], i["name"], i["indicator"], i["value"], i["constraint_value"],
             i["benchmark_value"], i["guide_value"], i["unit"]] for i in data["over_quota"]])
    total = data["review"]["completeness"]
    _sheet(book, "上报率", ["地区", "应报", "已上报", "已审核", "上报率", "审核率"],
           [[r["region_name"], r["expected"], r["reported"], r["approved"],
             r["reporting_rate"], r["approval_rate"]]
            for r in [*total["regions"], total["total"]]])
    _sheet(book, "数据质量", ["规则", "合计", "未处理", "已说明", "已解决"],
           [[f["rule"], f["total"], f["open"], f["explained"], f["resolved"]]
            for f in data["review"]["findings"]["rules"]])
    book.close()
    return out.getvalue()
