"""The figures of every institution at once: the big screen's publication
(公布各单位用能情况), the intensities behind quotas and progress, and the
coefficients behind them — the values :func:`~jieneng.services.statistics.ranking.ranking`
gives, formed in one pass.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from jieneng.core.scope import Scope, ScopeKind
from jieneng.services.database import Reader, reading
from jieneng.services.statistics import selection as sel
from jieneng.services.statistics.ranking import Coefficients, unrankable_reason
from jieneng.services.statistics.selection import RANKABLE
from jieneng.storage import indicators as queries

#: Category groups whose institutions together make a region's publication.
PUBLISHED_CATEGORIES: tuple[str, ...] = ("01", "02", "03")


def publication(
    db: Reader, region_code: str, year: int, *, scope: Scope | None = None,
    default_factor_set: str | None = None,
) -> list[dict[str, Any]]:
    """Each institution's annual energy use (:func:`_publication`), cached; ``db``: an
    engine, or the connection of a caller's snapshot (the big screen)."""
    key = ("publication", region_code, year, scope, default_factor_set)
    return sel.cached(db, key, lambda conn: _publication(
        conn, region_code, year, scope=scope, default_factor_set=default_factor_set))


def _publication(
    conn: Connection,
    region_code: str,
    year: int,
    *,
    scope: Scope | None = None,
    default_factor_set: str | None = None,
) -> list[dict[str, Any]]:
    """Each institution's annual energy use in one pass (公布各单位用能情况).

    Every institution of :data:`PUBLISHED_CATEGORIES` under ``region_code`` that is
    active or reported in ``year`` (default scope: public), sorted by region,
    category and name: ``credit_code, name, region_code, region_name, category,
    energy_tce, energy_per_area_kgce_m2, energy_per_capita_kgce`` — the values
    :func:`.ranking.ranking` gives it (None when it did not report or lacks the denominator).
    """
    ctx = sel.context(conn, scope or Scope(ScopeKind.PUBLIC), region_code=region_code)
    fs = sel.factors(conn, ctx, default_factor_set)
    categories = [c for code in PUBLISHED_CATEGORIES for c in sel.category_codes(code)[1] or ()]
    rows = queries.institution_inputs(conn, ctx.filters, year=year, categories=categories)
    coefficients = Coefficients.of(fs, year, ctx)
    out: list[dict[str, Any]] = []
    for row in rows:
        reported = bool(row["reported"])
        region = row["region_code"]
        item: dict[str, Any] = {
            "credit_code": row["credit_code"], "name": row["name"], "region_code": region,
            "region_name": ctx.tree.name(region) if region in ctx.tree else region,
            "category": row["category"],
            "energy_tce": coefficients.energy_kgce(row) / 1000.0 if reported else None,
        }
        for indicator in ("energy_per_area_kgce_m2", "energy_per_capita_kgce"):
            item[indicator] = (coefficients.intensity(row, indicator)
                               if unrankable_reason(row, RANKABLE[indicator]) is None else None)
        out.append(item)
    return sorted(out, key=lambda r: (r["region_code"], r["category"], r["name"]))


def institution_intensities(
    db: Reader, scope: Scope, *, region_code: str, year: int,
    default_factor_set: str | None = None,
) -> list[dict[str, Any]]:
    """Every institution of the region (in the scope) that is active or reported in
    ``year``: ``institution_id, credit_code, name, region_code, category``,
    ``energy_tce`` (None when not reported) and the four :data:`RANKABLE`
    intensities (None without the denominator) — the values :func:`.ranking.ranking` gives.
    Cached like the overview."""
    key = ("intensities", scope, region_code, year, default_factor_set)

    def compute(conn: Connection) -> list[dict[str, Any]]:
        ctx = sel.context(conn, scope, region_code=region_code)
        fs = sel.factors(conn, ctx, default_factor_set)
        rows = queries.institution_inputs(conn, ctx.filters, year=year,
                                          categories=ctx.categories)
        coefficients = Coefficients.of(fs, year, ctx)
        out: list[dict[str, Any]] = []
        for row in rows:
            reported = bool(row["reported"])
            item: dict[str, Any] = {
                "institution_id": row["institution_id"], "credit_code": row["credit_code"],
                "name": row["name"], "region_code": row["region_code"],
                "category": row["category"],
                "energy_tce": coefficients.energy_kgce(row) / 1000.0 if reported else None,
            }
            for indicator, denominator in RANKABLE.items():
                item[indicator] = (coefficients.intensity(row, indicator)
                                   if unrankable_reason(row, denominator) is None else None)
            out.append(item)
        return out

    return sel.cached(db, key, compute)


def intensity_coefficients(
    db: Reader, scope: Scope, *, region_code: str, year: int,
    default_factor_set: str | None = None,
) -> dict[str, dict[str, float]]:
    """The per-carrier coefficients behind the rankable intensities for the region's
    factor set and year: ``energy`` (kgce per unit, every counted carrier) and
    ``energy_area`` (the same without the carriers per-area figures leave out) —
    those :func:`.ranking.ranking` applies, from ``compute_indicators`` itself."""
    with reading(db) as conn:
        ctx = sel.context(conn, scope, region_code=region_code)
        fs = sel.factors(conn, ctx, default_factor_set)
    c = Coefficients.of(fs, year, ctx)
    return {"energy": dict(c.energy), "energy_area": dict(c.energy_area)}
