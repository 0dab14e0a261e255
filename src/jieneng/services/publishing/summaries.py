"""Reporting rate (上报率, 审核率) of a reporting period and the summaries (汇总) of
approved figures — the data of ``/reporting/rate``, ``/summaries``, their JSON
twins and the Excel download.

Scope goes only through :func:`jieneng.services.scope.scoped_filters`. Figures are
computed as everywhere else: the storage returns additive sums
(:func:`jieneng.storage.summaries.approved_sums`, the shape of
:func:`jieneng.storage.indicators.group_sums`), which become
:class:`~jieneng.core.indicators.AggregateInputs`, are added up per row and column,
and go through :func:`~jieneng.core.indicators.compute_indicators` — so intensities
are ratios of sums, with the rules of the dashboard.

Definitions
-----------
- 应报 (expected): the tasks of the period in scope; 已报 (reported): tasks in
  ``submitted``, ``dept_approved``, ``region_approved`` or ``approved``;
  已审核 (approved): ``approved``.
  上报率 = reported ÷ expected; 审核率 = approved ÷ expected (None without tasks).
- Not yet reported: tasks in ``not_started``, ``in_progress`` or ``returned``;
  overdue once the deadline has passed.
- Summaries count only approved figures: the months of an institution whose monthly
  task, or whose annual task (年报) of the year, is ``approved``.
- Columns follow the national summary tables (NY301: S001 合计, S002 国家机关,
  S003 事业单位小计, S004–S009 教育 … 其他, S010 团体组织); 事业单位小计 is the sum
  of its six categories and 合计 of 国家机关 + 事业单位 + 团体组织.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

from sqlalchemy import Connection, Engine

from jieneng.core import chinatime
from jieneng.core.categories import CATEGORIES, CATEGORY_GROUPS, categories_under
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.indicator_registry import BY_CODE, HEADLINE
from jieneng.core.indicators import AggregateInputs, compute_indicators
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Scope, ScopeKind
from jieneng.services.database import reading
from jieneng.services.scope import Filters, held_regions, scoped_filters
from jieneng.services.statistics.factor_choice import resolve_factor_set
from jieneng.services.statistics.indicators import inputs_from_group
from jieneng.storage import regions
from jieneng.storage import summaries as queries

SummaryKind = Literal["region", "department", "category"]
SUMMARY_KINDS: tuple[str, ...] = ("region", "department", "category")

#: Columns of the summary tables: (key, name_zh, name_en, leaf categories).
COLUMNS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("total", "合计", "total", tuple(c.code for c in CATEGORIES)),
    ("01", CATEGORY_GROUPS["01"][0], CATEGORY_GROUPS["01"][1], ("01",)),
    ("02", "事业单位小计", "public service units, subtotal", categories_under("02")),
    *((c.code, c.name_zh, c.name_en, (c.code,)) for c in CATEGORIES if c.group == "02"),
    ("03", CATEGORY_GROUPS["03"][0], CATEGORY_GROUPS["03"][1], ("03",)),
)

#: Measures of every cell: key → (name_zh, name_en, unit).
MEASURES: dict[str, tuple[str, str, str]] = {
    "institutions": ("公共机构数量", "institutions", "个"),
    **{key: (BY_CODE[key].name_zh, BY_CODE[key].name_en, BY_CODE[key].unit) for key in HEADLINE},
}

KIND_NAMES: dict[str, tuple[str, str]] = {
    "region": ("行政区域汇总", "region summary"),
    "department": ("部门汇总", "department summary"),
    "category": ("分类汇总", "category summary"),
}

NO_DEPARTMENT = ("无主管部门", "no competent department")


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole > 0 else None


def _period_out(period: Mapping[str, Any], tree: RegionTree) -> dict[str, Any]:
    month = int(period["month"])
    label = f"{period['year']}年" + (f"{month}月 月报" if month else " 年报")
    deadline = period["deadline"]
    return {
        "id": int(period["id"]),
        "region_code": period["region_code"],
        "region_name": tree.name(period["region_code"]) if period["region_code"] in tree
        else period["region_code"],
        "kind": period["kind"],
        "year": int(period["year"]),
        "month": month,
        "deadline": deadline.isoformat() if isinstance(deadline, date) else str(deadline),
        "department_step": bool(period["department_step"]),
        "label": label,
    }


# --------------------------------------------------------------------- reporting rate
def _rate_counts(expected: int, reported: int, approved: int) -> dict[str, Any]:
    return {
        "expected": expected, "reported": reported, "approved": approved,
        "not_reported": expected - reported,
        "reporting_rate": _ratio(reported, expected),
        "review_rate": _ratio(approved, expected),
    }


def reporting_rate(
    engine: Engine,
    scope: Scope,
    *,
    period_id: int | None,
    region_code: str | None = None,
    home_region: str | None = None,
    page: int = 1,
    per_page: int = 100,
    today: date | None = None,
) -> dict[str, Any]:
    """上报率 and 审核率 of a period per child region, competent department and
    category, with the (paginated) list of institutions not yet reported.

    ``period_id`` None: the latest period opened for the region asked for (or
    ``home_region``), one of its ancestors or its subtree; without any, an answer
    with ``period`` None and no rows. A period, or a region, out of scope is
    NotFound.
    """
    today = today or chinatime.today()
    with reading(engine) as conn:
        tree = RegionTree(regions.load_regions(conn))
        period = None
        if period_id is not None:
            period = queries.get_period(conn, period_id)
            if period is None:
                raise NotFound.of("summaries.period_not_found", period_id=period_id)
        anchor = region_code
        if anchor is None and period is not None:
            anchor = period["region_code"]
            own = scope.region_code if scope.kind is ScopeKind.REGION else None
            if own is not None and own in set(tree.subtree(period["region_code"])):
                anchor = own  # a county looks at its part of the city's period
        if anchor is None:
            anchor = home_region
        filters = scoped_filters(conn, scope, region_code=anchor)
        visible = _visible_periods(conn, tree, anchor, held_regions(conn, scope, tree))
        if period is None:
            if period_id is not None or not visible:
                return _empty_rate(tree, anchor, visible)
            period = visible[0]
        elif anchor is not None and int(period["id"]) not in {int(p["id"]) for p in visible}:
            raise NotFound.of("summaries.period_not_found", period_id=period_id)
        return _rate_of(conn, tree, filters, period, anchor, visible, page=page,
                        per_page=per_page, today=today)


def _visible_periods(conn: Connection, tree: RegionTree, anchor: str | None,
                     held: set[str] | None) -> list[dict[str, Any]]:
    """Periods opened for ``anchor``, an ancestor of it or a region below it — of those,
    the ones covering a region where the caller's scope holds something (``held``;
    None: everything), so a unit of one county never sees another county's periods."""
    found = queries.periods_in(
        conn, None if anchor is None else [*tree.lineage(anchor)[1:], *tree.subtree(anchor)])
    if held is None:
        return found
    covering = {code for region in held for code in tree.lineage(region)}
    return [p for p in found if p["region_code"] in covering]


def _empty_rate(tree: RegionTree, anchor: str | None, visible: list[dict[str, Any]]
                ) -> dict[str, Any]:
    return {
        "period": None,
        "periods": [_period_out(p, tree) for p in visible],
        "region_code": anchor,
        "region_name": tree.name(anchor) if anchor and anchor in tree else None,
        "total": _rate_counts(0, 0, 0),
        "by_region": [], "by_department": [], "by_category": [],
        "not_reported": {"items": [], "total": 0, "page": 1, "per_page": 0},
        "overdue": False,
    }


def _rate_of(
    conn: Connection, tree: RegionTree, filters: Filters, period: Mapping[str, Any],
    anchor: str | None, visible: list[dict[str, Any]], *, page: int, per_page: int,
    today: date,
) -> dict[str, Any]:
    counts = queries.task_counts(conn, filters, period_id=int(period["id"]))
    child_of = tree.child_under(anchor) if anchor else {}

    def add(into: dict[Any, list[int]], key: Any, row: Mapping[str, Any]) -> None:
        acc = into.setdefault(key, [0, 0, 0])
        acc[0] += row["expected"]
        acc[1] += row["reported"]
        acc[2] += row["approved"]

    by_region: dict[str, list[int]] = {}
    by_dept: dict[int | None, list[int]] = {}
    by_cat: dict[str, list[int]] = {}
    total = [0, 0, 0]
    for row in counts:
        group = child_of.get(row["region_code"], row["region_code"]) if anchor else (
            row["region_code"])
        add(by_region, group, row)
        add(by_dept, row["department_id"], row)
        add(by_cat, row["category"], row)
        for n, name in enumerate(("expected", "reported", "approved")):
            total[n] += row[name]
    dept_ids = [d for d in by_dept if d is not None]
    offset = (page - 1) * per_page
    n_open, open_rows = queries.open_tasks(conn, filters, period_id=int(period["id"]),
                                           limit=per_page, offset=offset)
    names = queries.institution_names(
        conn, dept_ids + [r["department_id"] for r in open_rows if r["department_id"]])
    deadline = period["deadline"]
    overdue = isinstance(deadline, date) and today > deadline
    regions_out = [
        {"region_code": code, "name": tree.group_name(anchor, code) if anchor else
         tree.name(code), **_rate_counts(*v)}
        for code, v in sorted(by_region.items())
    ]
    depts_out = [
        {"department_id": d, "credit_code": names[d][0] if d is not None else None,
         "name": names[d][1] if d is not None else NO_DEPARTMENT[0], **_rate_counts(*v)}
        for d, v in sorted(by_dept.items(), key=lambda kv: (
            kv[0] is None, names[kv[0]][0] if kv[0] is not None else ""))
    ]
    cats_out = [
        {"category": c.code, "name_zh": c.name_zh, "name_en": c.name_en,
         **_rate_counts(*by_cat[c.code])}
        for c in CATEGORIES if c.code in by_cat
    ]
    items = [
        {"task_id": int(r["task_id"]),
         "credit_code": r["credit_code"], "name": r["name"], "region_code": r["region_code"],
         "region_name": tree.name(r["region_code"]) if r["region_code"] in tree else "",
         "category": r["category"], "department_name": names[r["department_id"]][1]
         if r["department_id"] in names else None,
         "state": r["state"], "overdue": overdue}
        for r in open_rows
    ]
    return {
        "period": _period_out(period, tree),
        "periods": [_period_out(p, tree) for p in visible],
        "region_code": anchor,
        "region_name": tree.name(anchor) if anchor and anchor in tree else None,
        "total": _rate_counts(*total),
        "by_region": regions_out,
        "by_department": depts_out,
        "by_category": cats_out,
        "not_reported": {"items": items, "total": n_open, "page": page, "per_page": per_page},
        "overdue": overdue,
    }


# --------------------------------------------------------------------- summaries
def summary(
    engine: Engine,
    scope: Scope,
    *,
    region_code: str,
    year: int,
    kind: str = "region",
    months: tuple[int, int] | None = None,
    default_factor_set: str | None = None,
) -> dict[str, Any]:
    """A summary table of approved figures: rows (child regions, competent
    departments, or the region as a whole for ``category``) × :data:`COLUMNS`,
    each cell the :data:`MEASURES` of its institutions; the total row first."""
    if kind not in SUMMARY_KINDS:
        raise ValidationFailed.of("summaries.unknown_kind", kind=kind)
    with reading(engine) as conn:
        tree = RegionTree(regions.load_regions(conn))
        filters = scoped_filters(conn, scope, region_code=region_code)
        fs = resolve_factor_set(conn, region_code, default=default_factor_set)
        province = region_code[:2] + "0000"
        by: queries.SumsBy = "department" if kind == "department" else "region"
        sums = queries.approved_sums(conn, filters, year=year, months=months, by=by)
        parts: dict[Any, dict[str, list[AggregateInputs]]] = {}
        child_of = tree.child_under(region_code)
        for row in sums:
            if kind == "region":
                key: Any = child_of.get(row["region_code"])
                if key is None:
                    continue
            elif kind == "department":
                key = row["department_id"]
            else:
                key = "total"
            parts.setdefault(key, {}).setdefault(row["category"], []).append(
                inputs_from_group(row))
        row_keys: list[tuple[Any, str, str | None]]  # key, name, code
        if kind == "region":
            children = tree.children.get(region_code, [])
            keys = ([region_code] if region_code in parts else []) + list(children)
            row_keys = [(k, tree.group_name(region_code, k), k) for k in keys]
        elif kind == "department":
            names = queries.institution_names(conn, [k for k in parts if k is not None])
            row_keys = sorted(((k, names[k][1], names[k][0]) for k in parts if k is not None),
                              key=lambda x: x[2] or "")
            if None in parts:
                row_keys.append((None, NO_DEPARTMENT[0], None))
        else:
            row_keys = []

    def cells(groups: Mapping[str, list[AggregateInputs]]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for column, _zh, _en, leaves in COLUMNS:
            inputs = AggregateInputs.total(p for leaf in leaves for p in groups.get(leaf, ()))
            result = compute_indicators(inputs, fs, year=year, province_code=province)
            figures = result.to_dict()
            out[column] = {"institutions": result.institutions_reported,
                           **{k: figures[k] for k in HEADLINE}}
        return out

    everything: dict[str, list[AggregateInputs]] = {}
    for groups in parts.values():
        for category, items in groups.items():
            everything.setdefault(category, []).extend(items)
    rows = [{"key": "total", "code": None, "name": "合计", "total": True,
             "cells": cells(everything)}]
    for key, name, code in row_keys:
        rows.append({"key": key, "code": code, "name": name, "total": False,
                     "cells": cells(parts.get(key, {}))})
    return {
        "kind": kind,
        "kind_name_zh": KIND_NAMES[kind][0],
        "kind_name_en": KIND_NAMES[kind][1],
        "region_code": region_code,
        "region_name": tree.name(region_code),
        "year": year,
        "months": list(months) if months else None,
        "basis": "approved",
        "factor_set": fs.name,
        "columns": [{"key": k, "name_zh": zh, "name_en": en, "categories": list(leaves)}
                    for k, zh, en, leaves in COLUMNS],
        "measures": [{"key": k, "name_zh": zh, "name_en": en, "unit": unit}
                     for k, (zh, en, unit) in MEASURES.items()],
        "rows": rows,
    }
