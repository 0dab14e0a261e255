"""The overview (总览) of a selection: headline figures, the monthly trend and the
breakdowns by region and by category, each with the arguments of its explanation.

Figures are computed exactly as :func:`jieneng.services.statistics.indicators.compute`
computes them: the storage layer returns additive sums, which become
:class:`~jieneng.core.indicators.AggregateInputs` and go through
:func:`~jieneng.core.indicators.compute_indicators`. The monthly trend applies the
same function to the sums of each month, so the twelve months add up to the year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from jieneng.core import indicator_registry as registry
from jieneng.core.categories import CATEGORIES
from jieneng.core.factors.sets import FactorSet
from jieneng.core.indicators import AggregateInputs, change
from jieneng.core.scope import Scope
from jieneng.services.database import Reader, reading
from jieneng.services.statistics import selection as sel
from jieneng.storage import dashboard as dashboard_queries
from jieneng.storage import meta

_TREND_FIGURES: tuple[str, ...] = registry.TOTALS


def overview(
    db: Reader,
    scope: Scope,
    *,
    region_code: str | None,
    year: int,
    months: tuple[int, int] | None = None,
    default_factor_set: str | None = None,
    category: str | None = None,
    institution_code: str | None = None,
) -> dict[str, Any]:
    """The overview of a region (or the caller's whole scope) for a year.

    Top level: the keys of :func:`jieneng.services.statistics.indicators.compute` (headline
    figures, ``previous_year``, ``yoy``, ``factor_set``, ``by_carrier``, ``basis``,
    ``notes``, ``region``, ``year``, ``months``, ``dataset_label``), with
    ``by_carrier`` items extended by ``previous_quantity``, ``previous_energy_tce``,
    ``previous_co2_t`` and ``yoy_quantity``; plus ``monthly_trend``,
    ``by_child_region`` and ``by_category`` (groups: ``code, name``, the headline
    figures, ``previous_year``, ``yoy``, ``explain``) and ``explain`` (the
    arguments of :func:`.explain.explain` for the headline figures).

    A year whose figures stop before December is compared over the same months of
    the year before (1–N月累计同比, :func:`.selection.year_to_date`); ``months`` then
    says which (``[1, N]``) and ``year_to_date`` is true.

    Raises :class:`NotFound` for a region or institution outside the scope.
    ``db``: an engine, or the connection of a caller's snapshot (a multi-part output).
    """
    months = sel.month_range(months)
    key = ("overview", scope, region_code, year, months, default_factor_set, category,
           institution_code)
    return sel.cached(db, key, lambda conn: _overview(
        conn, scope, region_code=region_code, year=year, months=months,
        default_factor_set=default_factor_set, category=category,
        institution_code=institution_code))


def _overview(
    conn: Connection, scope: Scope, *, region_code: str | None, year: int,
    months: tuple[int, int] | None, default_factor_set: str | None, category: str | None,
    institution_code: str | None,
) -> dict[str, Any]:
    ctx = sel.context(conn, scope, region_code=region_code, category=category,
                      institution_code=institution_code)
    asked = months
    fs = sel.factors(conn, ctx, default_factor_set)
    trend_rows = dashboard_queries.monthly_sums(conn, ctx.filters, years=(year - 1, year),
                                                categories=ctx.categories)
    months = sel.year_to_date(conn, ctx, year, months, trend_rows)  # 1–N月累计同比
    current = sel.grouped(conn, ctx, year, months)
    previous = sel.grouped(conn, ctx, year - 1, months)
    label = meta.get_meta(conn, "dataset_label")
    result = sel.figures(AggregateInputs.total(current.values()),
                         AggregateInputs.total(previous.values()), fs, year, ctx, full=True)
    before = {c["carrier"]: c for c in sel.compute(
        AggregateInputs.total(previous.values()), fs, year - 1, ctx).by_carrier}
    for item in result["by_carrier"]:
        old = before[item["carrier"]]
        item.update(
            previous_quantity=old["quantity"], previous_energy_tce=old["energy_tce"],
            previous_co2_t=old["co2_t"],
            yoy_quantity=change(item["quantity"], old["quantity"]),
        )
    result.update(
        region={"code": ctx.anchor, "name": ctx.region_name},
        year=year,
        months=list(months or (1, 12)),
        year_to_date=asked is None and months is not None,
        dataset_label=label,
        scope=scope.kind.value,
        explain=sel.explain_key(ctx, year, months),
        monthly_trend=_trend(trend_rows, fs, year, ctx),
        by_child_region=_region_groups(current, previous, fs, year, months, ctx),
        by_category=_category_groups(current, previous, fs, year, months, ctx),
    )
    return result


def child_category_figures(
    db: Reader, scope: Scope, *, region_code: str, year: int,
    default_factor_set: str | None = None,
) -> dict[tuple[str, str], dict[str, Any]]:
    """The headline figures of every (by-region group, category) of a region for a
    year — the cells behind the overview's by-region and by-category breakdowns
    (e.g. the bases of a target decomposition). Keys: (child region code — the
    region itself for 本级 —, category code). Raises NotFound outside the scope."""
    with reading(db) as conn:
        ctx = sel.context(conn, scope, region_code=region_code)
        fs = sel.factors(conn, ctx, default_factor_set)
        groups = sel.grouped(conn, ctx, year, None)
    return {key: sel.compute(inputs, fs, year, ctx).to_dict() for key, inputs in groups.items()}


def latest_year(
    db: Reader,
    scope: Scope,
    region_code: str | None,
    *,
    before: int | None = None,
    months: tuple[int, int] | None = None,
) -> int | None:
    """The latest year (before ``before``, if given) with figures in the scope
    and region (in ``months``, if given): one query; None without any figure.

    Raises :class:`NotFound` for a region outside the scope.
    """
    months = sel.month_range(months)
    key = ("latest_year", scope, region_code, before, months)

    def compute(conn: Connection) -> int | None:
        ctx = sel.context(conn, scope, region_code=region_code)
        return dashboard_queries.latest_year(conn, ctx.filters, before=before, months=months,
                                             categories=ctx.categories)

    return sel.cached(db, key, compute)


def _trend(rows: Sequence[Mapping[str, Any]], fs: FactorSet, year: int, ctx: sel.Context
           ) -> dict[str, Any]:
    """Twelve months of energy [tce], water [m³], CO₂ [t] and cost [元] for ``year``
    and the year before; None for a month without any figure. Each month is
    ``compute_indicators`` of that month's sums, so the months add up to the year."""
    by_key = {(r["year"], r["month"]): r for r in rows}
    return {
        "months": list(range(1, 13)),
        "year": year,
        "previous_year": year - 1,
        "units": {**{k: registry.BY_CODE[k].unit for k in _TREND_FIGURES}, "cost_yuan": "元"},
        "current": _series(by_key, fs, year, ctx),
        "previous": _series(by_key, fs, year - 1, ctx),
    }


def _series(by_key: Mapping[tuple[int, int], Mapping[str, Any]], fs: FactorSet, year: int,
            ctx: sel.Context) -> dict[str, list[Any]]:
    """One year's twelve months of the trend figures (None for a month without any)."""
    out: dict[str, list[Any]] = {k: [] for k in (*_TREND_FIGURES, "cost_yuan",
                                                 "institutions_reported")}
    for month in range(1, 13):
        row = by_key.get((year, month))
        if row is None:
            for values in out.values():
                values.append(None)
            continue
        inputs = AggregateInputs(quantity=dict(row["quantity"]),
                                 cost_yuan=dict(row["cost_yuan"]))
        figures = sel.compute(inputs, fs, year, ctx)
        for key in _TREND_FIGURES:
            out[key].append(getattr(figures, key))
        out["cost_yuan"].append(sum(row["cost_yuan"].values()))
        out["institutions_reported"].append(row["institutions_reported"])
    return out


def monthly_figures(
    db: Reader, scope: Scope, *, region_code: str, years: Sequence[int],
    default_factor_set: str | None = None, own_level: bool = False,
) -> dict[int, dict[str, list[Any]]]:
    """The overview's monthly trend of a region for any years, in one query: year →
    ``energy_tce``, ``water_m3``, ``co2_t``, ``cost_yuan``, ``institutions_reported``
    (twelve values, None for a month without figures) — the same numbers as
    ``overview(...)["monthly_trend"]``; with ``own_level`` those of the region's own
    units only (本级). Cached."""
    wanted = tuple(sorted(set(years)))
    key = ("monthly", scope, region_code, wanted, default_factor_set, own_level)

    def compute(conn: Connection) -> dict[int, dict[str, list[Any]]]:
        ctx = sel.context(conn, scope, region_code=region_code, own_level=own_level)
        fs = sel.factors(conn, ctx, default_factor_set)
        rows = dashboard_queries.monthly_sums(conn, ctx.filters, years=wanted,
                                              categories=ctx.categories)
        by_key = {(r["year"], r["month"]): r for r in rows}
        return {y: _series(by_key, fs, y, ctx) for y in wanted}

    return sel.cached(db, key, compute)


def _merge(
    parts: Mapping[tuple[str, str], AggregateInputs], key_of: Any
) -> dict[str, AggregateInputs]:
    lists: dict[str, list[AggregateInputs]] = {}
    for key, inputs in parts.items():
        code = key_of(key)
        if code is not None:
            lists.setdefault(code, []).append(inputs)
    return {code: AggregateInputs.total(p) for code, p in lists.items()}


def _region_groups(
    current: Mapping[tuple[str, str], AggregateInputs],
    previous: Mapping[tuple[str, str], AggregateInputs],
    fs: FactorSet, year: int, months: tuple[int, int] | None, ctx: sel.Context,
) -> list[dict[str, Any]]:
    tree = ctx.tree
    if ctx.anchor is None:
        def name(code: str) -> str:
            return tree.name(code)
    else:
        anchor = ctx.anchor
        def name(code: str) -> str:
            return tree.group_name(anchor, code)
    # The keys are by-region groups already (see selection.grouped); mapping again is the identity.
    now = _merge(current, lambda key: ctx.group_of(key[0]))
    before = _merge(previous, lambda key: ctx.group_of(key[0]))
    out = []
    for code in sorted(now):
        item = sel.figures(now[code], before.get(code, AggregateInputs.empty()), fs, year, ctx,
                           full=False)
        own = code == ctx.anchor
        item.update(code=code, name=name(code), own_level=own,
                    explain=sel.explain_key(ctx, year, months, region_code=code, own_level=own))
        out.append(item)
    return out


def _category_groups(
    current: Mapping[tuple[str, str], AggregateInputs],
    previous: Mapping[tuple[str, str], AggregateInputs],
    fs: FactorSet, year: int, months: tuple[int, int] | None, ctx: sel.Context,
) -> list[dict[str, Any]]:
    names = {c.code: (c.name_zh, c.name_en) for c in CATEGORIES}
    now = _merge(current, lambda key: key[1])
    before = _merge(previous, lambda key: key[1])
    out = []
    for code in sorted(now):
        item = sel.figures(now[code], before.get(code, AggregateInputs.empty()), fs, year, ctx,
                           full=False)
        zh, en = names.get(code, (code, code))
        item.update(code=code, name=zh, name_en=en,
                    explain=sel.explain_key(ctx, year, months, category=code))
        out.append(item)
    return out
