"""The annual notification (年度能源资源消费情况通报) as an Excel workbook with every
table, built from the figures :func:`jieneng.services.publishing.annual_report.annual_data`
gathered (scope-checked); the Word document (a 公文 with charts) is
:func:`jieneng.reports.annual_document.annual_docx`, re-exported here.

Display rounding follows GB/T 8170 (:mod:`jieneng.core.rounding`); the workbook
keeps the unrounded values, text written as text (never a formula or a link:
:mod:`jieneng.reports.spreadsheet`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jieneng.core import indicator_registry as registry
from jieneng.core.listing import Column, indicator_column
from jieneng.core.messages import text
from jieneng.core.quality.catalogue import RULES
from jieneng.reports.annual_document import annual_docx
from jieneng.reports.tables import Cell, Sheet, table_xlsx

#: The headline figures of the indicator registry, in display order.
HEADLINE: tuple[str, ...] = registry.HEADLINE
#: The indicator of the 同类可比 rankings in the notification.
RANK_INDICATOR = "energy_per_capita_kgce"

__all__ = ["ASSESSMENT_COLUMNS", "annual_docx", "annual_xlsx", "assessment_rows",
           "assessment_xlsx"]

#: The year-end assessment's columns (the page's table, its export, the 通报's sheet)
ASSESSMENT_COLUMNS: tuple[Column, ...] = (
    Column("region_code", "export.col.region_code", "code"),
    Column("region_name", "pages.region"),
    Column("metric_label", "pages.targets.metric"),
    Column("unit", "pages.unit"),
    Column("kind_label", "export.col.target_kind"),
    Column("value", "pages.targets.value", "number"),
    Column("actual", "pages.targets.actual", "number"),
    Column("ratio", "pages.targets.ratio", "percent"),
    Column("projected", "pages.targets.projected", "number"),
    Column("achieved_change", "export.col.achieved_change", "change"),
    Column("required_change", "export.col.required_change", "change"),
    Column("source", "export.col.source"),
    Column("met_label", "export.col.result"),
)


#: How a target came about (``target.source``, and a progress item's ``inherited`` /
#: ``own_level``), each named in the catalogue (``export.target_source.*``).
TARGET_SOURCES = frozenset({"manual", "import", "decomposed", "inherited", "own_level"})


def assessment_rows(assessment: Mapping[str, Any], lang: str = "zh-CN"
                    ) -> list[dict[str, Any]]:
    """One line per (child region or 本级, target) of the assessment: a cap in its unit
    and the registry's decimals with its ratio (actual ÷ cap), a reduction as a
    percentage."""
    en = lang == "en"
    out = []
    for row in assessment["rows"]:
        for target in row["targets"]:
            found = registry.BY_CODE.get(target["metric"])
            decimals = found.decimals if found else 2
            cap = target["kind"] == "cap"
            out.append({
                **target, "region_code": row["region_code"], "region_name": row["region_name"],
                "metric_label": target["metric_en"] if en else target["metric_zh"],
                "unit": (found.unit_en if en else found.unit_zh) if found and cap else "%",
                "kind_label": text(lang, f"export.target.{target['kind']}"),
                "source": text(lang, f"export.target_source.{target['source']}")
                if target.get("source") in TARGET_SOURCES else target.get("source"),
                "value": Cell(target["value"], kind="number" if cap else "percent",
                              decimals=decimals if cap else 2),
                "actual": Cell(target.get("actual"), decimals=decimals),
                "ratio": target.get("ratio") if cap else None,
                "projected": Cell(target.get("projected"), decimals=decimals),
                "met_label": text(lang, "pages.targets.met" if target["met"]
                                  else "pages.targets.not_met"),
            })
    return out


def assessment_xlsx(assessment: Mapping[str, Any], lang: str = "zh-CN", *,
                    notes: Sequence[str] = ()) -> bytes:
    """The year-end assessment (目标绩效考核) as a workbook, values unrounded."""
    title = text(lang, "pages.targets.assessment")
    region = assessment.get("region") or {}
    heading = " · ".join(str(p) for p in (title, region.get("name"), assessment.get("year"))
                         if p)
    return table_xlsx([Sheet(title, heading, ASSESSMENT_COLUMNS,
                             assessment_rows(assessment, lang), notes=notes)], lang)


def _figures() -> tuple[Column, ...]:
    return tuple(indicator_column(k) for k in HEADLINE)


def _overview_rows(ov: Mapping[str, Any], lang: str) -> Iterable[list[Any]]:
    en = lang == "en"
    for k in HEADLINE:
        found = registry.BY_CODE[k]
        yield [found.name("en" if en else "zh"), found.unit_en if en else found.unit_zh,
               Cell(ov.get(k), decimals=found.decimals),
               Cell(ov["previous_year"].get(k), decimals=found.decimals), ov["yoy"].get(k)]


def _rule_title(code: str, lang: str) -> str:
    found = next((r for r in RULES if r.code == code), None)
    return found.title("en" if lang == "en" else "zh") if found else code


def annual_xlsx(data: dict[str, Any], lang: str = "zh-CN") -> bytes:
    """Every table of the notification, one sheet each: headers in ``lang``, values
    unrounded in the registry's number formats (:func:`jieneng.reports.tables.table_xlsx`)."""
    ov, en = data["overview"], lang == "en"
    basis = data.get("basis") or {}
    notes = [text(lang, "export.period", period=data["year"]),
             text(lang, "export.basis", basis=basis.get("text_en" if en else "text_zh", ""))]
    region = (data.get("region") or {}).get("name") or ""
    code, name = Column("code", "export.col.code", "code"), Column("name", "pages.region")
    sheets = [
        Sheet(text(lang, "export.annual.overview"),
              f"{region} {text(lang, 'export.annual.overview')}",
              (Column("name", "pages.figure"), Column("unit", "pages.unit"),
               Column("now", "export.col.this_year", "number"),
               Column("before", "pages.previous_year", "number"),
               Column("yoy", "pages.yoy", "change")),
              list(_overview_rows(ov, lang)), notes=notes),
        Sheet(text(lang, "export.annual.by_region"), text(lang, "export.annual.by_region"),
              (code, name, *_figures()),
              ov["by_child_region"],
              notes=notes),
        Sheet(text(lang, "export.annual.by_category"), text(lang, "export.annual.by_category"),
              (Column("code", "export.col.category_code", "code"),
               Column("name", "pages.category"), *_figures()),
              ov["by_category"], notes=notes),
        Sheet(text(lang, "export.annual.targets"), text(lang, "export.annual.targets"),
              ASSESSMENT_COLUMNS, assessment_rows(data["assessment"], lang), notes=notes),
        Sheet(text(lang, "export.annual.rankings"), text(lang, "export.annual.rankings"),
              (Column("category", "export.col.category_code", "code"),
               Column("rank", "pages.ranking.rank", "int"),
               Column("credit_code", "pages.credit_code", "code"),
               Column("name", "pages.institution"), indicator_column(RANK_INDICATOR, "value")),
              [{**i, "category": r["category"]["code"]} for r in data["rankings"]
               for i in r["items"]], notes=notes),
        Sheet(text(lang, "export.annual.over_quota"), text(lang, "export.annual.over_quota"),
              (Column("credit_code", "pages.credit_code", "code"),
               Column("name", "pages.institution"), Column("indicator_label", "pages.figure"),
               Column("value", "export.col.actual_value", "number"),
               Column("constraint_value", "export.col.constraint", "number"),
               Column("benchmark_value", "export.col.benchmark", "number"),
               Column("guide_value", "export.col.guide", "number"),
               Column("unit", "pages.unit")),
              [{**i, "indicator_label": _indicator_name(i["indicator"], lang)}
               for i in data["over_quota"]], notes=notes),
        Sheet(text(lang, "export.annual.rates"), text(lang, "export.annual.rates"),
              (name, Column("expected", "pages.rate.expected", "int"),
               Column("reported", "pages.rate.reported", "int"),
               Column("approved", "pages.rate.approved", "int"),
               Column("reporting_rate", "pages.rate.reporting_rate", "percent"),
               Column("approval_rate", "pages.rate.review_rate", "percent")),
              [{**r, "name": r["region_name"]} for r in [
                  *data["review"]["completeness"]["regions"],
                  data["review"]["completeness"]["total"]]], notes=notes),
        Sheet(text(lang, "export.annual.quality"), text(lang, "export.annual.quality"),
              (Column("rule_title", "review.rule"), Column("total", "review.total", "int"),
               Column("open", "review.open", "int"),
               Column("explained", "review.explained", "int"),
               Column("resolved", "review.resolved", "int")),
              [{**f, "rule_title": _rule_title(f["rule"], lang)}
               for f in data["review"]["findings"]["rules"]], notes=notes),
    ]
    return table_xlsx(sheets, lang)


def _indicator_name(code: str, lang: str) -> str:
    found = registry.BY_CODE.get(code)
    return found.name("en" if lang == "en" else "zh") if found else code
