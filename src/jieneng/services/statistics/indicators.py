"""Indicators for a region's subtree, a category, a department or one institution.

The storage layer returns additive sums per (region, category) group or per
institution; this module turns them into :class:`AggregateInputs`, adds them up
to the requested grouping, and lets :func:`jieneng.core.indicators.compute_indicators`
do the arithmetic — so every figure is a ratio of sums and traceable to the
institution-level inputs (:func:`indicator_inputs`) and the factor set used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from sqlalchemy import Connection, Engine

from jieneng.core.categories import CATEGORIES, categories_under, parse_category
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.factors.sets import DEFAULT_FACTOR_SET, FactorSet
from jieneng.core.indicators import HEADLINE_FIGURES, AggregateInputs, compute_indicators, yoy
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Scope
from jieneng.services.scope import Filters, scoped_filters
from jieneng.services.statistics.factor_choice import resolve_factor_set
from jieneng.storage import dashboard, institutions, meta, regions
from jieneng.storage import indicators as queries

GroupBy = Literal["region", "category", "institution"]


@dataclass(frozen=True)
class IndicatorQuery:
    """What to compute: scope, period, grouping and method choices."""

    region_code: str
    year: int
    months: tuple[int, int] | None = None
    group_by: GroupBy | None = None
    category: str | None = None
    department_code: str | None = None
    institution_code: str | None = None
    #: None: the set chosen for the region (:mod:`jieneng.services.statistics.factor_choice`)
    factor_set: str | None = None
    co2_scope: str | None = None
    #: the installation's default (``Settings.factor_set``), where no region has chosen
    default_factor_set: str = DEFAULT_FACTOR_SET
    area_excludes_vehicle_fuel: bool = True


@dataclass(frozen=True)
class _Scope:
    region_name: str
    filters: Filters  # the caller's scope inside the query's region
    province_code: str
    categories: list[str] | None


def parse_months(text: str | None) -> tuple[int, int] | None:
    """``"1-6"`` → (1, 6); ``"3"`` → (3, 3); None → whole year."""
    if not text:
        return None
    parts = text.replace("—", "-").replace("~", "-").split("-")
    try:
        start, end = int(parts[0]), int(parts[-1])
    except ValueError:
        start, end = 0, 0
    if len(parts) > 2 or not 1 <= start <= end <= 12:
        raise ValidationFailed.of("indicators.invalid_month_range", text=text)
    return None if (start, end) == (1, 12) else (start, end)


def compute(
    engine: Engine, query: IndicatorQuery, scope: Scope | None = None
) -> dict[str, Any]:
    """Headline indicators, year-on-year change and optional groups, as one JSON-able dict.

    ``scope`` is the caller's (default: everything, as for the CLI); it is
    intersected with the query by :func:`jieneng.services.scope.scoped_filters`,
    and a query reaching outside it is answered with NotFound. Without months, a year
    whose figures stop at month N < 12 is compared over months 1–N of both years
    (1–N月累计同比, as :func:`jieneng.services.statistics.selection.year_to_date`).
    """
    with engine.connect() as conn:
        resolved = _resolve_scope(conn, query, scope or Scope.everything())
        asked = query.months
        query = replace(query, months=year_to_date(
            conn, resolved.filters, resolved.categories, query.year, query.months))
        fs = _factor_set(conn, query)
        current = _grouped_inputs(conn, query, resolved, query.year)
        previous = _grouped_inputs(conn, query, resolved, query.year - 1)
        label = meta.get_meta(conn, "dataset_label")
        result = _result(AggregateInputs.total(current.values()),
                         AggregateInputs.total(previous.values()), fs, query, resolved)
        result.update(
            region={"code": query.region_code, "name": resolved.region_name},
            year=query.year,
            months=list(query.months or (1, 12)),
            year_to_date=asked is None and query.months is not None,
            dataset_label=label,
        )
        if query.group_by:
            result["groups"] = _groups(conn, current, previous, fs, query, resolved)
    return result


def year_to_date(
    conn: Connection, filters: Filters, categories: Sequence[str] | None, year: int,
    months: tuple[int, int] | None, rows: Sequence[Mapping[str, Any]] | None = None,
) -> tuple[int, int] | None:
    """The months a year is compared over (1–N月累计同比): the months asked for, else —
    when the figures of ``filters`` in ``year`` stop at month N < 12 — months 1–N, so a
    partial year is compared with the same months of the year before, never with a
    whole year. ``rows``: :func:`jieneng.storage.dashboard.monthly_sums` of ``year`` if
    the caller has them (else one query).

    References
    ----------
    统计制度 1–N 月累计 (年初至本月累计) and its 同比: the same months of the year before.
    """
    if months is not None:
        return months
    if rows is None:
        rows = dashboard.monthly_sums(conn, filters, years=(year,), categories=categories)
    last = max((int(r["month"]) for r in rows if int(r["year"]) == year), default=None)
    return None if last is None or last == 12 else (1, last)


def _factor_set(conn: Connection, query: IndicatorQuery) -> FactorSet:
    """The query's set, or the one in effect for its region; the query's CO₂ scope wins."""
    return resolve_factor_set(
        conn, query.region_code, requested=query.factor_set, co2_scope=query.co2_scope,
        default=query.default_factor_set,
    )


def indicator_inputs(
    engine: Engine, query: IndicatorQuery, scope: Scope | None = None
) -> list[dict[str, Any]]:
    """The institution-level inputs behind a result: one row per reporting institution."""
    with engine.connect() as conn:
        resolved = _resolve_scope(conn, query, scope or Scope.everything())
        return queries.institution_inputs(
            conn, resolved.filters, year=query.year, months=query.months,
            categories=resolved.categories,
        )


def _resolve_scope(conn: Connection, query: IndicatorQuery, caller: Scope) -> _Scope:
    tree = RegionTree(regions.load_regions(conn))
    if query.region_code not in tree:
        raise NotFound.of("indicators.region_not_found", region_code=query.region_code)
    categories = None
    if query.category:
        categories = list(categories_under(parse_category(query.category).code))
    filters = scoped_filters(
        conn, caller, region_code=query.region_code,
        department_id=_institution_id(conn, query.department_code),
        institution_id=_institution_id(conn, query.institution_code),
    )
    return _Scope(
        region_name=tree.name(query.region_code),
        filters=Filters(filters.region_codes or tree.subtree(query.region_code),
                        filters.department_id, filters.institution_ids),
        province_code=query.region_code[:2] + "0000",
        categories=categories,
    )


def _institution_id(conn: Connection, credit_code: str | None) -> int | None:
    if not credit_code:
        return None
    row = institutions.get_institution(conn, credit_code)
    if row is None:
        raise NotFound.of("indicators.institution_not_in_directory", credit_code=credit_code)
    return row.id


def _grouped_inputs(
    conn: Connection, query: IndicatorQuery, scope: _Scope, year: int
) -> dict[tuple[Any, ...], AggregateInputs]:
    """AggregateInputs per storage group key, expected counts included."""
    filters, categories = scope.filters, scope.categories
    if query.group_by == "institution":
        rows = queries.institution_inputs(conn, filters, year=year, months=query.months,
                                          categories=categories)
        return {_institution_key(row): inputs_of_institution(row) for row in rows}
    groups: dict[tuple[Any, ...], AggregateInputs] = {}
    for row in queries.group_sums(conn, filters, year=year, months=query.months,
                                  categories=categories):
        key = (row["region_code"], row["category"])
        groups[key] = groups.get(key, AggregateInputs.empty()) + inputs_from_group(row)
    for row in queries.expected_counts(conn, filters, year=year, months=query.months,
                                       categories=categories):
        key = (row["region_code"], row["category"])
        expected = AggregateInputs.empty(institutions_expected=int(row["institutions_expected"]))
        groups[key] = groups.get(key, AggregateInputs.empty()) + expected
    return groups


def _institution_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return (row["credit_code"], row["name"], row["region_code"], row["category"])


def inputs_from_group(row: Mapping[str, Any]) -> AggregateInputs:
    return AggregateInputs(
        institutions_expected=0,
        institutions_reported=int(row["institutions_reported"]),
        quantity=dict(row["quantity"]),
        quantity_with_occupants=dict(row["quantity_with_occupants"]),
        quantity_with_area=dict(row["quantity_with_area"]),
        cost_yuan=dict(row["cost_yuan"]),
        occupants=float(row["occupants"]),
        floor_area_m2=float(row["floor_area_m2"]),
    )


def inputs_of_institution(row: Mapping[str, Any]) -> AggregateInputs:
    """One institution's inputs; it is expected when active or when it reported."""
    reported = bool(row["reported"])
    quantity = {c: float(v or 0.0) for c, v in (row["quantity"] or {}).items()}
    occupants = float(row["occupants"] or 0.0)
    area = float(row["floor_area_m2"] or 0.0)
    counted = reported
    return AggregateInputs(
        institutions_expected=int(reported or row["status"] == "active"),
        institutions_reported=int(reported),
        quantity=quantity,
        quantity_with_occupants=quantity if counted and occupants > 0 else {},
        quantity_with_area=quantity if counted and area > 0 else {},
        cost_yuan={c: float(v or 0.0) for c, v in (row["cost_yuan"] or {}).items()},
        occupants=occupants if counted and occupants > 0 else 0.0,
        floor_area_m2=area if counted and area > 0 else 0.0,
    )


def _result(
    current: AggregateInputs,
    previous: AggregateInputs,
    fs: FactorSet,
    query: IndicatorQuery,
    scope: _Scope,
) -> dict[str, Any]:
    now = compute_indicators(
        current, fs, year=query.year, province_code=scope.province_code,
        area_excludes_vehicle_fuel=query.area_excludes_vehicle_fuel,
    )
    before = compute_indicators(
        previous, fs, year=query.year - 1, province_code=scope.province_code,
        area_excludes_vehicle_fuel=query.area_excludes_vehicle_fuel,
    )
    data = now.to_dict()
    data["previous_year"] = {k: v for k, v in before.to_dict().items() if k in HEADLINE_KEYS}
    data["yoy"] = yoy(now, before)
    return data


#: The headline figures of the indicator registry and the two counts.
HEADLINE_KEYS: Sequence[str] = (*HEADLINE_FIGURES, "institutions_expected",
                                "institutions_reported")


def _groups(
    conn: Connection,
    current: dict[tuple[Any, ...], AggregateInputs],
    previous: dict[tuple[Any, ...], AggregateInputs],
    fs: FactorSet,
    query: IndicatorQuery,
    scope: _Scope,
) -> list[dict[str, Any]]:
    labels, key_of = _grouping(conn, query, current, previous)
    merged_now: dict[str, AggregateInputs] = {}
    merged_before: dict[str, AggregateInputs] = {}
    for source, target in ((current, merged_now), (previous, merged_before)):
        for key, inputs in source.items():
            code = key_of(key)
            if code is not None:
                target[code] = target.get(code, AggregateInputs.empty()) + inputs
    out = []
    for code in sorted(merged_now):
        item = _result(
            merged_now[code], merged_before.get(code, AggregateInputs.empty()), fs, query, scope
        )
        item.update(code=code, name=labels.get(code, code))
        out.append(item)
    return out


def _grouping(
    conn: Connection, query: IndicatorQuery, *parts: dict[tuple[Any, ...], AggregateInputs]
) -> tuple[dict[str, str], Any]:
    """Labels and a key function mapping a storage group key to the output group code."""
    if query.group_by == "institution":
        keys = {key[0]: key[1] for part in parts for key in part}
        return keys, lambda key: key[0]
    if query.group_by == "category":
        return {c.code: c.name_zh for c in CATEGORIES}, lambda key: key[1]
    tree = RegionTree(regions.load_regions(conn))
    child_of = tree.child_under(query.region_code)
    labels = {c: tree.group_name(query.region_code, c) for c in set(child_of.values())}
    return labels, lambda key: child_of.get(key[0])
