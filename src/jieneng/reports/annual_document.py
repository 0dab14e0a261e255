"""The annual notification (年度能源资源消费情况通报) as a 公文 (GB/T 9704-2012, see
:mod:`jieneng.reports.documents`) with two charts, built from the figures
:func:`jieneng.services.publishing.annual_report.annual_data` gathered (scope-checked).

Every text is a catalogue entry (``tongbao.*``, both languages); indicator names and
units come from the indicator registry, rule titles from the quality catalogue, so
no internal key (``energy_tce``, ``error``, a factor set's code) reaches the page.
Display rounding follows GB/T 8170 (:mod:`jieneng.core.rounding`); a change is
signed (``+5.2%``), a rate is not (``93.8%``).

One basis throughout (issue 11 §1): the document prints the basis sentence of
:func:`jieneng.services.publishing.annual_report.basis` under the first paragraph,
and every count and rate of reporting is the 会审 report's (report tasks, written
as the 会审 page writes them, :func:`jieneng.reports.review_report.percent`) — the
page, its JSON twin, the workbook and both documents show the same figure.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from jieneng.core import indicator_registry as registry
from jieneng.core.messages import language, text
from jieneng.core.rounding import format_number, format_percent
from jieneng.reports.charts import bar_chart, line_chart
from jieneng.reports.documents import WordDoc
from jieneng.reports.gongwen import chinese_ordinal, letterhead
from jieneng.reports.review_report import percent

#: The headline figures of the indicator registry, in display order.
HEADLINE: tuple[str, ...] = registry.HEADLINE


def fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else format_number(value, digits)


def rate(value: float | None) -> str:
    """A share of a whole, unsigned: ``93.8%`` (``—`` for none)."""
    return "—" if value is None else f"{format_number(value * 100, 1, thousands=False)}%"


def _headline_rows(ov: dict[str, Any], lang: str) -> list[list[str]]:
    rows = []
    for key in HEADLINE:
        f = registry.BY_CODE[key]
        rows.append([f.name(lang), f.unit_en if lang == "en" else f.unit_zh, fmt(ov.get(key)),
                     fmt(ov["previous_year"].get(key)), format_percent(ov["yoy"].get(key))])
    return rows


def assessment_lines(assessment: dict[str, Any], t: Any, lang: str) -> list[list[str]]:
    """The assessment's table in a document: region, target, 完成值 / 目标值, result
    (the 通报's part 三 and the assessment document)."""
    rows = []
    for row in assessment["rows"]:
        for tgt in row["targets"]:
            found = registry.BY_CODE.get(tgt["metric"])
            name = found.name(lang) if found else t("tongbao.target_other")
            if tgt["kind"] == "cap":
                detail = t("tongbao.cap_detail", actual=fmt(tgt.get("actual")),
                           limit=fmt(tgt["limit"]), ratio=rate(tgt.get("ratio")))
            else:
                detail = t("tongbao.reduction_detail",
                           achieved=rate(-(tgt.get("achieved_change") or 0.0)),
                           required=rate(tgt["value"]))
            rows.append([row["region_name"], name, detail,
                         t("tongbao.met" if tgt["met"] else "tongbao.not_met")])
    return rows


def _overall(doc: WordDoc, data: dict[str, Any], t: Any, lang: str) -> None:
    region, year, ov = data["region"]["name"], data["year"], data["overview"]
    total = data["review"]["completeness"]["total"]
    doc.heading(t("tongbao.h_overall"), 1)
    doc.para(t("tongbao.overall", year=year, region=region, expected=total["expected"],
               reported=total["reported"], approved=total["approved"],
               reporting=percent(total["reporting_rate"]),
               approval=percent(total["approval_rate"])))
    basis = data.get("basis") or {}
    if basis:
        doc.para(basis["text_en" if lang == "en" else "text_zh"])
    as_of = data["review"]["completeness"].get("as_of")
    if as_of:  # what the rates count: the tasks due by that day
        doc.para(t("review.due_basis", as_of=as_of, due=total["expected"],
                   not_due=total.get("not_due", 0)))
    doc.table([t("tongbao.col_indicator"), t("tongbao.col_unit"),
               t("tongbao.col_year", year=year), t("tongbao.col_year", year=year - 1),
               t("tongbao.col_yoy")], _headline_rows(ov, lang))
    trend, energy = ov["monthly_trend"], registry.BY_CODE["energy_tce"]
    doc.picture(line_chart(
        [t("tongbao.month", month=m) for m in trend["months"]],
        {t("tongbao.col_year", year=year): trend["current"]["energy_tce"],
         t("tongbao.col_year", year=year - 1): trend["previous"]["energy_tce"]},
        title=t("tongbao.chart_trend"), unit=energy.unit_zh))


def _regions(doc: WordDoc, ov: dict[str, Any], t: Any) -> None:
    children = [g for g in ov["by_child_region"] if not g.get("own_level")]
    if not children:
        return
    doc.heading(t("tongbao.h_regions"), 1)
    doc.table([t("tongbao.col_region"), t("tongbao.col_energy"), t("tongbao.col_yoy"),
               t("tongbao.col_per_capita")],
              [[g["name"], fmt(g["energy_tce"]), format_percent(g["yoy"].get("energy_tce")),
                fmt(g["energy_per_capita_kgce"])] for g in ov["by_child_region"]])
    doc.picture(bar_chart([g["name"] for g in children], [g["energy_tce"] for g in children],
                          title=t("tongbao.chart_regions"), unit=t("tongbao.col_energy"),
                          other=t("tongbao.chart_other")))


def _targets_and_rankings(doc: WordDoc, data: dict[str, Any], t: Any, lang: str) -> None:
    doc.heading(t("tongbao.h_targets"), 1)
    rows = assessment_lines(data["assessment"], t, lang)
    if rows:
        doc.table([t("tongbao.col_region"), t("tongbao.col_target"), t("tongbao.col_result"),
                   t("tongbao.col_outcome")], rows)
    else:
        doc.para(t("tongbao.no_targets"))
    doc.heading(t("tongbao.h_rankings"), 1)
    for number, ranking in enumerate(data["rankings"], start=1):
        cat = ranking["category"]
        title = t("tongbao.ranking_category", count=ranking["rankable_count"],
                  category=cat.get("name_en") if lang == "en" and cat.get("name_en")
                  else cat["name_zh"])
        doc.heading(t("document.heading2", title=title, number=str(number) if lang == "en"
                      else chinese_ordinal(number)), 2)
        doc.table([t("tongbao.col_rank"), t("tongbao.col_institution"),
                   t("tongbao.col_per_capita")],
                  [[str(i["rank"] or "—"), i["name"], fmt(i["value"])]
                   for i in ranking["items"]])
    doc.heading(t("tongbao.h_quota"), 1)
    if data["over_quota"]:
        doc.table([t("tongbao.col_institution"), t("tongbao.col_indicator"),
                   t("tongbao.col_value"), t("tongbao.col_constraint"), t("tongbao.col_unit")],
                  [[i["name"], i["indicator_name"], fmt(i["value"]),
                    fmt(i["constraint_value"]), i["unit"]] for i in data["over_quota"]])
    else:
        doc.para(t("tongbao.no_over_quota"))


def _quality(doc: WordDoc, data: dict[str, Any], t: Any, lang: str) -> None:
    review, ov = data["review"], data["overview"]
    doc.heading(t("tongbao.h_quality"), 1)
    doc.para(t("tongbao.completeness"))
    done = review["completeness"]
    doc.table([t("tongbao.col_region"), t("pages.rate.expected"), t("pages.rate.reported"),
               t("pages.rate.approved"), t("pages.rate.reporting_rate"),
               t("pages.rate.review_rate")],
              [[r["region_name"], str(r["expected"]), str(r["reported"]), str(r["approved"]),
                percent(r["reporting_rate"]), percent(r["approval_rate"])]
               for r in [*done["regions"], done["total"]]])
    findings = review["findings"]["rules"]
    if findings:
        doc.table([t("review.rule"), t("review.severity"), t("review.total"), t("review.open"),
                   t("review.explained"), t("review.resolved")],
                  [[f.get("title_en") if lang == "en" and f.get("title_en") else f["title"],
                    t(f"review.severity.{f['severity']}"), str(f["total"]), str(f["open"]),
                    str(f["explained"]), str(f["resolved"])] for f in findings])
    else:
        doc.para(t("tongbao.no_findings"))
    factors = ov["factor_set"]
    doc.para(t("tongbao.factor_set", title=factors.get("title_en") if lang == "en"
               else factors["title_zh"]))
    if ov.get("dataset_label"):
        doc.para(t("tongbao.data_note", label=ov["dataset_label"]))


def annual_docx(data: dict[str, Any], *, lang: str = "zh-CN", issued: date | None = None,
                sequence: int | None = None) -> bytes:
    """The notification as a 公文 (.docx) with two charts: 版头 of the region's issuer
    (``data/documents/issuers.toml``), 发文字号 with ``sequence`` (blank for the 文书
    to fill when None), 成文日期 ``issued`` (today when None)."""
    lang = language(lang)
    t = partial(text, lang)
    region = data["region"]
    head = letterhead(region["code"], region["name"], issued=issued or date.today(),
                      sequence=sequence)
    doc = WordDoc(head)
    doc.heading(t("tongbao.title", region=region["name"], year=data["year"]), 0)
    _overall(doc, data, t, lang)
    _regions(doc, data["overview"], t)
    _targets_and_rankings(doc, data, t, lang)
    _quality(doc, data, t, lang)
    return doc.to_bytes()
