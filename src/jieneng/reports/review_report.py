"""The annual 会审 report (:func:`jieneng.services.quality.review_report.review_report`) as a
Word document, and the rate format the page and the document share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jieneng.reports.documents import WordDoc


def percent(value: float | None) -> str:
    """A rate as shown in the page and the document: ``96.5%``, ``—`` for none."""
    return "—" if value is None else f"{value * 100:.1f}%"


def review_report_docx(report: dict[str, Any], translate: Callable[[str], str]) -> bytes:
    """The report as a Word document (.docx); ``translate`` gives the labels."""
    doc = WordDoc()
    heading, para, table = doc.heading, doc.para, doc.table

    name, year = report["region_name"], report["year"]
    heading(f"{name} {year} {translate('review.title')}", 0)
    para(f"{translate('review.region')}: {report['region_code']} {name}")

    c = report["completeness"]
    heading(translate("review.completeness"), 1)
    table(
        [translate("review.col_region"), translate("review.expected"),
         translate("review.reported"), translate("review.approved"),
         translate("review.reporting_rate"), translate("review.approval_rate")],
        [[r["region_name"], str(r["expected"]), str(r["reported"]), str(r["approved"]),
          percent(r["reporting_rate"]), percent(r["approval_rate"])]
         for r in [*c["regions"], c["total"]]],
    )

    f = report["findings"]
    heading(translate("review.findings"), 1)
    table(
        [translate("review.rule"), translate("review.severity"), translate("review.open"),
         translate("review.explained"), translate("review.resolved"),
         translate("review.total")],
        [[f"{r['title']} ({r['rule']})", translate(f"review.severity.{r['severity']}"),
          str(r["open"]), str(r["explained"]), str(r["resolved"]), str(r["total"])]
         for r in f["rules"]]
        + [[translate("review.total"), "", str(f["total"]["open"]),
            str(f["total"]["explained"]), str(f["total"]["resolved"]),
            str(f["total"]["total"])]],
    )

    heading(translate("review.unresolved"), 1)
    warnings = report["unresolved_warnings"]
    if warnings:
        table(
            [translate("review.credit_code"), translate("review.institution"),
             translate("review.open_warnings"), translate("review.rule")],
            [[w["credit_code"], w["name"], str(w["open_warnings"]), ", ".join(w["rules"])]
             for w in warnings],
        )
    else:
        para(translate("review.none"))

    a = report["accuracy"]
    heading(translate("review.accuracy"), 1)
    table(
        [translate("review.col_region"), translate("review.sampled"),
         translate("review.verified"), translate("review.accurate"),
         translate("review.accuracy_rate")],
        [[r["region_name"], str(r["sampled"]), str(r["verified"]), str(r["accurate"]),
          percent(r["accuracy_rate"])] for r in [*a["regions"], a["total"]]],
    )
    return doc.to_bytes()
