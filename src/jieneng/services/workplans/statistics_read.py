"""The energy, water and CO₂ figures a work plan's statistics items read: a region's
own total and its direct children's, with the change against the same months of the
year before — and nothing else of the overview (no monthly trend, no category groups).

Each figure is computed exactly as :func:`jieneng.services.statistics.overview.overview`
computes it for the same region and year (the same selection context, factor set,
grouped roll-up sums, 1–N月累计同比 months and :func:`.selection.figures`), so a plan's
value is the overview's, figure for figure; only the reads the plan does not need are
left out. The month range comes from one ``MAX(month)``
(:func:`jieneng.storage.figure_months.last_month`) instead of the twelve months' sums.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from jieneng.core.indicators import AggregateInputs
from jieneng.core.scope import Scope
from jieneng.services.statistics import selection as sel
from jieneng.storage.figure_months import last_month


def region_figures(conn: Connection, region_code: str, year: int) -> dict[str, dict[str, Any]]:
    """Region code → its figures for ``year`` (the headline keys, ``previous_year`` and
    ``yoy``): ``region_code`` itself (all its institutions, as the overview's top level)
    and each direct child that has figures (as the overview's ``by_child_region``; its
    本级 group is left out). Cached under the data version."""
    key = ("workplan_region_figures", region_code, year)
    return sel.cached(conn, key, lambda c: _region_figures(c, region_code, year))


def _region_figures(conn: Connection, region_code: str, year: int
                    ) -> dict[str, dict[str, Any]]:
    ctx = sel.context(conn, Scope.everything(), region_code=region_code)
    fs = sel.factors(conn, ctx, None)
    last = last_month(conn, ctx.filters, year=year, categories=ctx.categories)
    rows = [] if last is None else [{"year": year, "month": last}]
    months = sel.year_to_date(conn, ctx, year, None, rows)
    current = sel.grouped(conn, ctx, year, months)
    previous = sel.grouped(conn, ctx, year - 1, months)
    out: dict[str, dict[str, Any]] = {}
    now = _merge(current, ctx)
    before = _merge(previous, ctx)
    for code in sorted(now):
        if code != ctx.anchor:
            out[code] = sel.figures(now[code], before.get(code, AggregateInputs.empty()),
                                    fs, year, ctx, full=False)
    out[region_code] = sel.figures(AggregateInputs.total(current.values()),
                                   AggregateInputs.total(previous.values()), fs, year, ctx,
                                   full=False)
    return out


def _merge(parts: Mapping[tuple[str, str], AggregateInputs], ctx: sel.Context
           ) -> dict[str, AggregateInputs]:
    """The (group, category) sums added up per by-region group, in the overview's
    order (so the float sums are the same)."""
    lists: dict[str, list[AggregateInputs]] = {}
    for (region, _category), inputs in parts.items():
        code = ctx.group_of(region)
        if code is not None:
            lists.setdefault(code, []).append(inputs)
    return {code: AggregateInputs.total(p) for code, p in lists.items()}
