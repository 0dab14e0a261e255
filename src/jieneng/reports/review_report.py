"""The annual 会审 report (:func:`jieneng.services.quality.review_report.review_report`) as a
公文 (GB/T 9704-2012, :mod:`jieneng.reports.documents`), and the rate format the page
and the document share. Rules are named by their titles (the quality catalogue),
severities by the catalogue's words: no rule code or internal key reaches the page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from jieneng.core.quality.catalogue import RULES
from jieneng.reports.documents import WordDoc
from jieneng.reports.gongwen import chinese_ordinal, letterhead


def percent(value: float | None) -> str:
    """A rate as shown in the page and the document: ``96.5%``, ``—`` for none."""
    return "—" if value is None else f"{value * 100:.1f}%"


_RULES = {r.code: r for r in RULES}


def rule_titles(report: dict[str, Any], english: bool) -> dict[str, str]:
    """Rule code → its title, from the report, else from the quality catalogue (the
    document and the page ``/review-report`` name rules by title, never by code)."""
    titles = {r["rule"]: (r.get("title_en") if english and r.get("title_en") else r["title"])
              for r in report["findings"]["rules"]}
    for w in report["unresolved_warnings"]:
        for code in w["rules"]:
            found = _RULES.get(code)
            if code not in titles:
                titles[code] = found.title("en" if english else "zh") if found else "—"
    return titles


def review_report_docx(report: dict[str, Any], translate: Callable[[str], str], *,
                       english: bool = False, issued: date | None = None,
                       sequence: int | None = None) -> bytes:
    """The report as a 公文 (.docx): ``translate`` gives the labels, ``english`` picks
    the rule titles' language; 版头 of the region's issuer, 发文字号 with
    ``sequence`` (blank when None), 成文日期 ``issued`` (today when None)."""
    name, year = report["region_name"], report["year"]
    doc = WordDoc(letterhead(report["region_code"], name, issued=issued or date.today(),
                             sequence=sequence))
    para, table = doc.para, doc.table
    titles = rule_titles(report, english)
    numbered = iter(range(1, 100))

    def heading(title: str, level: int) -> None:
        if level == 0:
            doc.heading(title, 0)
            return
        n = next(numbered)
        doc.heading(translate("document.heading1").format(
            title=title, number=str(n) if english else chinese_ordinal(n)), 1)

    heading(translate("review.doc_title").format(region=name, year=year), 0)

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
    if c.get("as_of"):  # what the rates count (the one rule of every yearly rate)
        para(translate("review.due_basis").format(as_of=c["as_of"], due=c["total"]["expected"],
                                                  not_due=c["total"].get("not_due", 0)))

    f = report["findings"]
    heading(translate("review.findings"), 1)
    table(
        [translate("review.rule"), translate("review.severity"), translate("review.open"),
         translate("review.explained"), translate("review.resolved"),
         translate("review.total")],
        [[titles[r["rule"]], translate(f"review.severity.{r['severity']}"),
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
            [[w["credit_code"], w["name"], str(w["open_warnings"]),
              (", " if english else "、").join(titles[c] for c in w["rules"])]
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
