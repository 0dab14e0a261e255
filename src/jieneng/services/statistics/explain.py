"""The explanation behind every figure: what the figures of a selection are made
of — factor set, formulas, basis, notes and the institution-level inputs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from jieneng.core.indicators import HEADLINE_FIGURES, AggregateInputs
from jieneng.core.scope import Scope
from jieneng.services.statistics import selection as sel
from jieneng.services.statistics.indicators import HEADLINE_KEYS, inputs_of_institution
from jieneng.services.statistics.selection import FORMULAS
from jieneng.storage import indicators as queries


def explain(
    engine: Engine,
    scope: Scope,
    *,
    region_code: str | None,
    year: int,
    months: tuple[int, int] | None = None,
    category: str | None = None,
    institution_code: str | None = None,
    own_level: bool = False,
    page: int = 1,
    per_page: int = 50,
    default_factor_set: str | None = None,
) -> dict[str, Any]:
    """What the figures of a selection are made of.

    Returns ``region, year, months, category, institution_code, own_level``, the
    ``figures`` (headline values, ``previous_year``, ``yoy``), ``factor_set``
    (:meth:`FactorSet.describe` with the electricity CO₂ factor applied),
    ``formulas`` (per headline figure: ``key, name_zh, name_en, unit, formula_zh,
    formula_en, value``), ``basis`` and ``notes`` of the computation, and the
    institution-level ``inputs`` (``items, page, per_page, total``): per
    institution ``credit_code, name, region_code, category, status, reported,
    months_reported, occupants, floor_area_m2, in_per_capita, in_per_area,
    energy_tce, water_m3, co2_t, quantity, cost_yuan``.
    """
    page, per_page = sel.paging(page, per_page)
    months = sel.month_range(months)
    with engine.connect() as conn:
        ctx = sel.context(conn, scope, region_code=region_code, category=category,
                          institution_code=institution_code, own_level=own_level)
        fs = sel.factors(conn, ctx, default_factor_set)
        current = sel.grouped(conn, ctx, year, months)
        previous = sel.grouped(conn, ctx, year - 1, months)
        rows = queries.institution_inputs(conn, ctx.filters, year=year, months=months,
                                          categories=ctx.categories)
    figures = sel.figures(AggregateInputs.total(current.values()),
                          AggregateInputs.total(previous.values()), fs, year, ctx, full=True)
    start = (page - 1) * per_page
    items = []
    for row in rows[start:start + per_page]:
        result = sel.compute(inputs_of_institution(row), fs, year, ctx)
        reported = bool(row["reported"])
        items.append({
            "credit_code": row["credit_code"], "name": row["name"],
            "region_code": row["region_code"], "category": row["category"],
            "status": row["status"], "reported": reported,
            "months_reported": row["months_reported"], "occupants": row["occupants"],
            "floor_area_m2": row["floor_area_m2"],
            "in_per_capita": reported and (row["occupants"] or 0) > 0,
            "in_per_area": reported and (row["floor_area_m2"] or 0) > 0,
            "energy_tce": result.energy_tce if reported else None,
            "water_m3": result.water_m3 if reported else None,
            "co2_t": result.co2_t if reported else None,
            "quantity": row["quantity"], "cost_yuan": row["cost_yuan"],
        })
    return {
        "region": {"code": ctx.anchor, "name": ctx.region_name},
        "year": year,
        "months": list(months or (1, 12)),
        "category": ctx.category_code,
        "institution_code": institution_code,
        "own_level": own_level,
        "figures": {k: v for k, v in figures.items()
                    if k in (*HEADLINE_KEYS, "previous_year", "yoy")},
        "by_carrier": figures["by_carrier"],
        "factor_set": figures["factor_set"],
        "formulas": [{"key": key, **FORMULAS[key], "value": figures[key]}
                     for key in HEADLINE_FIGURES],
        "basis": figures["basis"],
        "notes": figures["notes"],
        "inputs": {"items": items, "page": page, "per_page": per_page, "total": len(rows)},
    }
