"""The annual notification (年度能源资源消费情况通报) as a Word document with charts
and as an Excel workbook with every table, built from the figures
:func:`jieneng.services.publishing.annual_report.annual_data` gathered (scope-checked).

Display rounding follows GB/T 8170 (:mod:`jieneng.core.rounding`); the workbook
keeps the unrounded values, text written as text (never a formula or a link:
:mod:`jieneng.reports.spreadsheet`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from jieneng.core import indicator_registry as registry
from jieneng.core.rounding import format_number, format_percent
from jieneng.reports.documents import WordDoc, bar_chart, line_chart
from jieneng.reports.spreadsheet import new_workbook, write_row

#: The headline figures of the indicator registry, in display order.
HEADLINE: tuple[str, ...] = registry.HEADLINE
#: The indicator of the 同类可比 rankings in the notification.
RANK_INDICATOR = "energy_per_capita_kgce"


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else format_number(value, digits)


def _headline_rows(overview: dict[str, Any]) -> list[list[str]]:
    rows = []
    for key in HEADLINE:
        f = registry.BY_CODE[key]
        rows.append([f.name_zh, f.unit, _fmt(overview.get(key)),
                     _fmt(overview["previous_year"].get(key)),
                     format_percent(overview["yoy"].get(key))])
    return rows


def _metric_name(code: str) -> str:
    found = registry.BY_CODE.get(code)
    return found.name_zh if found else code


def _assessment_rows(assessment: dict[str, Any]) -> list[list[str]]:
    rows = []
    for row in assessment["rows"]:
        for tgt in row["targets"]:
            name = _metric_name(tgt["metric"])
            if tgt["kind"] == "cap":
                detail = f"实际 {_fmt(tgt.get('actual'))} / 上限 {_fmt(tgt['limit'])}"
            else:
                detail = (f"下降 {format_percent(-(tgt.get('achieved_change') or 0.0))}"
                          f" / 要求 {format_percent(tgt['value'])}")
            rows.append([row["region_name"], name, detail, "完成" if tgt["met"] else "未完成"])
    return rows


def annual_docx(data: dict[str, Any]) -> bytes:
    """The notification as a Word document (.docx), with two charts."""
    region, year, ov = data["region"], data["year"], data["overview"]
    doc = WordDoc()
    doc.heading(f"{region['name']}{year}年度公共机构能源资源消费情况通报", 0)
    if ov.get("dataset_label"):
        doc.para(f"数据说明：{ov['dataset_label']}")
    doc.heading("一、总体情况", 1)
    doc.para(f"{year}年，全区域应报送单位 {ov['institutions_expected']} 家，"
             f"已报送 {ov['institutions_reported']} 家。")
    doc.table(["指标", "单位", f"{year}年", f"{year - 1}年", "同比"], _headline_rows(ov))
    trend = ov["monthly_trend"]
    doc.picture(line_chart([f"{m}月" for m in trend["months"]], {
        f"{year}年": trend["current"]["energy_tce"],
        f"{year - 1}年": trend["previous"]["energy_tce"]}, title="逐月能源消费量", unit="tce"))
    children = [g for g in ov["by_child_region"] if not g.get("own_level")]
    if children:
        doc.heading("二、分地区情况", 1)
        doc.table(["地区", "能源消费总量(tce)", "同比", "人均综合能耗(kgce/人)"],
                  [[g["name"], _fmt(g["energy_tce"]), format_percent(g["yoy"].get("energy_tce")),
                    _fmt(g["energy_per_capita_kgce"])] for g in ov["by_child_region"]])
        doc.picture(bar_chart([g["name"] for g in children],
                              [g["energy_tce"] for g in children],
                              title="各地区能源消费总量", unit="tce"))
    doc.heading("三、目标完成情况", 1)
    rows = _assessment_rows(data["assessment"])
    if rows:
        doc.table(["地区", "目标", "完成值 / 目标值", "结果"], rows)
    else:
        doc.para("本年度未下达分地区目标。")
    doc.heading("四、同类单位人均综合能耗排名（由低到高，前十名）", 1)
    for ranking in data["rankings"]:
        doc.para(f"{ranking['category']['name_zh']}（可排名 {ranking['rankable_count']} 家）")
        doc.table(["名次", "单位", "人均综合能耗(kgce/人)"],
                  [[str(i["rank"] or "—"), i["name"], _fmt(i["value"])]
                   for i in ranking["items"]])
    doc.heading("五、超定额约束值单位", 1)
    if data["over_quota"]:
        doc.table(["单位", "指标", "实际值", "约束值", "单位"],
                  [[i["name"], i["indicator_name"], _fmt(i["value"]),
                    _fmt(i["constraint_value"]), i["unit"]] for i in data["over_quota"]])
    else:
        doc.para("无单位超过所分配定额的约束值。")
    review = data["review"]
    doc.heading("六、统计报送与数据质量", 1)
    total = review["completeness"]["total"]
    doc.para(f"应报 {total['expected']} 家次，已上报 {total['reported']} 家次，"
             f"已审核 {total['approved']} 家次；上报率 {format_percent(total['reporting_rate'])}，"
             f"审核率 {format_percent(total['approval_rate'])}。")
    findings = review["findings"]["rules"]
    if findings:
        doc.table(["规则", "严重程度", "合计", "未处理", "已说明", "已解决"],
                  [[f["title"], f["severity"],
                    str(f["total"]), str(f["open"]), str(f["explained"]), str(f["resolved"])]
                   for f in findings])
    else:
        doc.para("本年度未发现数据质量问题。")
    doc.para(f"因子集：{ov['factor_set']['title_zh']}（{ov['factor_set']['name']}）。")
    return doc.to_bytes()


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
