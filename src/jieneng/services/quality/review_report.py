"""The annual 会审 report of a region (数据会审, 国管节能〔2015〕304号).

For a region and a year, inside the caller's scope:

- **completeness** (数据完整性): the tasks of the year's reporting periods
  (月报 and 年报) of the institutions in scope that are due on the day (ended, past
  their deadline: :func:`jieneng.storage.reporting.period_due`, the one rule of every
  yearly rate) — expected, reported (submitted, department-approved or approved) and
  approved, with 上报率 = reported ÷ expected and 审核率 = approved ÷ expected, per
  direct child region and in total, and the tasks not yet due (``not_due``, in no
  rate) (:func:`completeness`, :func:`jieneng.storage.year_rates.year_task_counts`);
- **quality findings** of the year by rule and severity with their resolution
  (open / explained / resolved counts, from ``quality_finding``);
- the **institutions with unresolved warnings** (warning findings still open);
- **accuracy** (数据准确率) from the year's spot checks
  (:func:`jieneng.services.quality.spot_checks.accuracy_for_region`).

:func:`review_report` gives the figures the page, the JSON twin and the Word
document (:func:`jieneng.reports.review_report.review_report_docx`) all show.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from jieneng.core import chinatime
from jieneng.core.exceptions import NotFound
from jieneng.core.quality.catalogue import rule
from jieneng.core.quality.model import Severity
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Scope
from jieneng.services.database import Reader, reading
from jieneng.services.quality.spot_checks import accuracy_for_region, check_year
from jieneng.services.scope import Filters, scoped_filters
from jieneng.storage import regions
from jieneng.storage import tables as t
from jieneng.storage.scoping import institution_conditions
from jieneng.storage.year_rates import year_task_counts

FINDING_STATES = ("open", "explained", "resolved")
#: a list of at most this many institutions with unresolved warnings in the report
MAX_LISTED = 500


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def completeness(
    conn: Connection, filters: Filters, tree: RegionTree, region_code: str, year: int, *,
    as_of: date,
) -> dict[str, Any]:
    """Reporting and approval rates of the year's tasks due on ``as_of`` (the one rule,
    :func:`jieneng.storage.reporting.period_due`), per child region and in total;
    ``not_due`` counts the year's tasks left out, ``as_of`` is the day (ISO)."""
    child_of = tree.child_under(region_code)
    groups: dict[str, list[int]] = {}
    for found in year_task_counts(conn, filters, year=year, as_of=as_of):
        child = child_of.get(found["region_code"])
        if child is None:
            continue
        counts = groups.setdefault(child, [0, 0, 0, 0])
        for n, key in enumerate(("expected", "reported", "approved", "not_due")):
            counts[n] += found[key]
    p = t.reporting_period
    periods = conn.execute(
        select(p.c.kind, func.count()).where(p.c.year == year,
                                             p.c.region_code.in_(tree.subtree(region_code)))
        .group_by(p.c.kind)
    ).all()

    def row(code: str, name: str, counts: list[int]) -> dict[str, Any]:
        return {"region_code": code, "region_name": name, "expected": counts[0],
                "reported": counts[1], "approved": counts[2], "not_due": counts[3],
                "reporting_rate": _rate(counts[1], counts[0]),
                "approval_rate": _rate(counts[2], counts[0])}

    rows = [row(c, tree.group_name(region_code, c), groups[c]) for c in sorted(groups)]
    total = [sum(r[key] for r in rows)
             for key in ("expected", "reported", "approved", "not_due")]
    return {"periods": {str(kind): int(n) for kind, n in periods}, "regions": rows,
            "total": row(region_code, tree.name(region_code), total),
            "as_of": as_of.isoformat()}


def _rule_title(code: str, lang: str) -> str:
    try:
        return rule(code).title(lang)
    except Exception:  # a rule retired from the catalogue keeps its code
        return code


def findings_by_rule(conn: Connection, filters: Filters, year: int) -> list[dict[str, Any]]:
    """Counts of the year's findings per (rule, severity) and state."""
    f, i = t.quality_finding, t.institution
    query = (
        select(f.c.rule, f.c.severity, f.c.state, func.count().label("n"))
        .select_from(f.join(i, i.c.id == f.c.institution_id))
        .where(f.c.year == year, *institution_conditions(conn, filters))
        .group_by(f.c.rule, f.c.severity, f.c.state)
    )
    table: dict[tuple[str, str], dict[str, int]] = {}
    for r in conn.execute(query):
        counts = table.setdefault((str(r.rule), str(r.severity)),
                                  dict.fromkeys(FINDING_STATES, 0))
        counts[str(r.state)] = counts.get(str(r.state), 0) + int(r.n)
    order = {s.value: n for n, s in enumerate(Severity)}
    return [
        {"rule": code, "title": _rule_title(code, "zh"), "title_en": _rule_title(code, "en"),
         "severity": severity, **counts, "total": sum(counts.values())}
        for (code, severity), counts in sorted(
            table.items(), key=lambda kv: (order.get(kv[0][1], 9), kv[0][0]))
    ]


def unresolved_warnings(conn: Connection, filters: Filters, year: int) -> list[dict[str, Any]]:
    """Institutions with warning findings of the year still open (most first)."""
    f, i = t.quality_finding, t.institution
    query = (
        select(i.c.id, i.c.credit_code, i.c.name, i.c.region_code, f.c.rule,
               func.count().label("n"))
        .select_from(f.join(i, i.c.id == f.c.institution_id))
        .where(f.c.year == year, f.c.severity == Severity.WARNING.value, f.c.state == "open",
               *institution_conditions(conn, filters))
        .group_by(i.c.id, i.c.credit_code, i.c.name, i.c.region_code, f.c.rule)
    )
    out: dict[int, dict[str, Any]] = {}
    for r in conn.execute(query):
        entry = out.setdefault(int(r.id), {
            "institution_id": int(r.id), "credit_code": str(r.credit_code),
            "name": str(r.name), "region_code": str(r.region_code), "open_warnings": 0,
            "rules": []})
        entry["open_warnings"] += int(r.n)
        entry["rules"].append(str(r.rule))
    rows = sorted(out.values(), key=lambda e: (-e["open_warnings"], e["credit_code"]))
    for entry in rows:
        entry["rules"].sort()
    return rows[:MAX_LISTED]


def review_report(db: Reader, scope: Scope, *, region_code: str, year: int,
                  as_of: date | None = None) -> dict[str, Any]:
    """The 会审 report of ``region_code`` and ``year`` inside ``scope`` on ``as_of``
    (default today: which tasks are due), every part read in one snapshot (``db``: an
    engine, or the connection of a caller's snapshot such as the 通报's)."""
    check_year(year)
    with reading(db) as conn:
        filters = scoped_filters(conn, scope, region_code=region_code)
        tree = RegionTree(regions.load_regions(conn))
        if region_code not in tree:  # pragma: no cover - scoped_filters refused it
            raise NotFound.of("quality.region_not_found")
        findings = findings_by_rule(conn, filters, year)
        totals = {s: sum(r[s] for r in findings) for s in (*FINDING_STATES, "total")}
        return {
            "region_code": region_code, "region_name": tree.name(region_code), "year": year,
            "completeness": completeness(conn, filters, tree, region_code, year,
                                         as_of=as_of or chinatime.today()),
            "findings": {"rules": findings, "total": totals},
            "unresolved_warnings": unresolved_warnings(conn, filters, year),
            "accuracy": accuracy_for_region(conn, filters, tree, region_code, year),
        }


__all__ = [
    "completeness",
    "findings_by_rule",
    "review_report",
    "unresolved_warnings",
]
