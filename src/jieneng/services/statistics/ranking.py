"""The rankings within a category (同类可比).

A ranking covers thousands of institutions: their intensities are formed in one
pass from the per-carrier coefficients that ``compute_indicators`` itself reports
(:class:`Coefficients`, same operations in the same order, so the same floats),
and ``compute_indicators`` runs only for the institutions of the page shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection

from jieneng.core.categories import CATEGORIES
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.factors.sets import FactorSet
from jieneng.core.indicators import AggregateInputs, IndicatorResult, change
from jieneng.core.scope import Scope
from jieneng.services.database import Reader
from jieneng.services.statistics import selection as sel
from jieneng.services.statistics.indicators import inputs_of_institution
from jieneng.services.statistics.selection import FORMULAS, RANKABLE
from jieneng.storage import indicators as queries

Order = Literal["asc", "desc"]


def unrankable_reason(row: Mapping[str, Any], denominator: str) -> str | None:
    """Why an institution cannot be ranked, or None."""
    if not row["reported"]:
        return "not_reported"
    value = row[denominator]
    if value is None or value <= 0:
        return "no_occupants" if denominator == "occupants" else "no_floor_area"
    return None


_REASONS: dict[str, tuple[str, str]] = {
    "not_reported": ("本期无数据", "no figures in the period"),
    "no_occupants": ("缺少用能人数", "no occupants (用能人数) in the profile"),
    "no_floor_area": ("缺少建筑面积", "no floor area (建筑面积) in the profile"),
}


def _q(value: Any) -> float:
    """A stored quantity as :func:`~jieneng.services.statistics.indicators.inputs_of_institution`
    reads it."""
    return float(value or 0.0)


@dataclass(frozen=True)
class Coefficients:
    """The per-carrier coefficients of the rankable intensities for a factor set,
    year and province, as :func:`~jieneng.core.indicators.compute_indicators`
    applies them (taken from its own result, so the rules stay in ``core``).

    An institution's intensity is a linear combination of its own carrier sums;
    :meth:`intensity` forms it with the operations of ``compute_indicators`` in
    the same order (carriers in :data:`~jieneng.core.carriers.CARRIERS` order,
    then one division), so the value is the same float, bit for bit.
    """

    energy: tuple[tuple[str, float], ...]  # kgce per unit, every carrier counted in energy
    energy_area: tuple[tuple[str, float], ...]  # the same without the area exclusions
    co2_area: tuple[tuple[str, float], ...]  # kgCO₂ per unit, with a factor, no exclusions

    @classmethod
    def of(cls, fs: FactorSet, year: int, ctx: sel.Context) -> Coefficients:
        probe = sel.compute(AggregateInputs.empty(), fs, year, ctx)
        excluded = set(probe.basis["area_excluded_carriers"])
        energy: list[tuple[str, float]] = []
        energy_area: list[tuple[str, float]] = []
        co2_area: list[tuple[str, float]] = []
        for item in probe.by_carrier:
            code, k, f = item["carrier"], item["kgce_per_unit"], item["co2_kg_per_unit"]
            if k is not None:
                energy.append((code, float(k)))
                if code not in excluded:
                    energy_area.append((code, float(k)))
            if f is not None and code not in excluded:
                co2_area.append((code, float(f)))
        return cls(tuple(energy), tuple(energy_area), tuple(co2_area))

    @staticmethod
    def _sum(quantity: Mapping[str, Any], terms: tuple[tuple[str, float], ...]) -> float:
        total = 0.0
        for code, k in terms:
            total += _q(quantity.get(code)) * k
        return total

    def energy_kgce(self, row: Mapping[str, Any]) -> float:
        """Σ quantity × kgce of one institution's row [kgce]."""
        return self._sum(row["quantity"] or {}, self.energy)

    def intensity(self, row: Mapping[str, Any], indicator: str) -> float:
        """``indicator`` of one institution whose denominator is > 0 (see :data:`RANKABLE`)."""
        quantity = row["quantity"] or {}
        if indicator == "energy_per_capita_kgce":
            return self._sum(quantity, self.energy) / _q(row["occupants"])
        if indicator == "water_per_capita_m3":
            return _q(quantity.get("water")) / _q(row["occupants"])
        if indicator == "energy_per_area_kgce_m2":
            return self._sum(quantity, self.energy_area) / _q(row["floor_area_m2"])
        if indicator == "co2_per_area_kg_m2":
            return self._sum(quantity, self.co2_area) / _q(row["floor_area_m2"])
        raise ValueError(f"not a rankable indicator: {indicator!r}")


def _group_inputs(rows: Sequence[Mapping[str, Any]], denominator: str) -> AggregateInputs:
    """The sums behind a ranking's ``group_value``: Σ quantity and Σ ``denominator``
    over the reported institutions whose ``denominator`` > 0 — the fields of
    ``AggregateInputs.total(inputs_of_institution(r) for r in rows)`` that the rankable
    intensities read, added in the same order (so the same floats), in one pass."""
    sums: dict[str, float] = {}
    total = 0.0
    for row in rows:
        value = _q(row[denominator])
        if not row["reported"] or value <= 0:
            continue
        for code, quantity in (row["quantity"] or {}).items():
            sums[code] = sums.get(code, 0.0) + _q(quantity)
        total += value
    if denominator == "occupants":
        return AggregateInputs(quantity_with_occupants=sums, occupants=total)
    return AggregateInputs(quantity_with_area=sums, floor_area_m2=total)


def ranking(
    db: Reader, scope: Scope, *, region_code: str | None, year: int, category: str,
    indicator: str, order: Order = "asc", page: int = 1, per_page: int = 50,
    months: tuple[int, int] | None = None, default_factor_set: str | None = None,
) -> dict[str, Any]:
    """The 同类可比 ranking of :func:`_ranking`, cached (:mod:`jieneng.services.result_cache`);
    ``db``: an engine, or the connection of a caller's snapshot (a multi-part output)."""
    key = ("ranking", scope, region_code, year, category, indicator, order, page, per_page,
           sel.month_range(months), default_factor_set)
    return sel.cached(db, key, lambda conn: _ranking(
        conn, scope, region_code=region_code, year=year, category=category,
        indicator=indicator, order=order, page=page, per_page=per_page, months=months,
        default_factor_set=default_factor_set))



def _ranking(
    conn: Connection,
    scope: Scope,
    *,
    region_code: str | None,
    year: int,
    category: str,
    indicator: str,
    order: Order = "asc",
    page: int = 1,
    per_page: int = 50,
    months: tuple[int, int] | None = None,
    default_factor_set: str | None = None,
) -> dict[str, Any]:
    """Institutions of one category ranked by an intensity (同类可比).

    ``indicator`` is one of :data:`RANKABLE`; ``order="asc"`` ranks the lowest
    intensity first. Equal values share a rank (1, 2, 2, 4); the tie order is
    the credit code. Institutions without the denominator (or without figures)
    follow, with ``rank`` None, ``rankable`` False and a ``reason``.

    Returns ``indicator, name_zh, name_en, unit, order, category, region, year,
    months, group_value`` (the category's ratio of sums), ``rankable_count``,
    ``items, page, per_page, total``. Items: ``rank, rankable, reason,
    reason_zh, reason_en, credit_code, name, region_code, region_name, category,
    value, energy_tce, water_m3, co2_t, occupants, floor_area_m2, previous_value,
    yoy, explain``.
    """
    if indicator not in RANKABLE:
        known = ", ".join(RANKABLE)
        raise ValidationFailed.of("statistics.unknown_rank_indicator", indicator=indicator,
                                  known=known)
    if order not in ("asc", "desc"):
        raise ValidationFailed.of("statistics.invalid_order", order=order)
    page, per_page = sel.paging(page, per_page)
    months = sel.month_range(months)
    denominator = RANKABLE[indicator]
    ctx = sel.context(conn, scope, region_code=region_code, category=category)
    months = sel.year_to_date(conn, ctx, year, months)  # 1–N月累计同比
    fs = sel.factors(conn, ctx, default_factor_set)
    rows = queries.institution_inputs(conn, ctx.filters, year=year, months=months,
                                      categories=ctx.categories)
    coefficients = Coefficients.of(fs, year, ctx)
    ranked: list[tuple[float, str, Mapping[str, Any]]] = []
    unranked: list[tuple[str, Mapping[str, Any], str]] = []
    for row in rows:  # one pass over the category; compute_indicators only for the page
        reason = unrankable_reason(row, denominator)
        if reason is not None:
            unranked.append((row["credit_code"], row, reason))
            continue
        ranked.append((coefficients.intensity(row, indicator), row["credit_code"], row))
    ranked.sort(key=lambda x: (x[0] if order == "asc" else -x[0], x[1]))
    unranked.sort(key=lambda x: (list(_REASONS).index(x[2]), x[0]))
    ranks: list[int] = []
    for n, entry in enumerate(ranked):
        ranks.append(ranks[-1] if n and entry[0] == ranked[n - 1][0] else n + 1)
    total = len(ranked) + len(unranked)
    start = (page - 1) * per_page
    window = range(start, min(start + per_page, total))
    # The previous year only for the institutions shown (a page, not the category).
    shown = [int((ranked[n][2] if n < len(ranked) else unranked[n - len(ranked)][1])
                 ["institution_id"]) for n in window]
    prev_rows = []
    if shown:
        prev_rows = queries.institution_inputs(
            conn, ctx.filters.narrowed(shown), year=year - 1, months=months,
            categories=ctx.categories)
    previous = {int(r["institution_id"]): r for r in prev_rows}
    items: list[dict[str, Any]] = []
    for n in window:
        if n < len(ranked):
            value, _, source = ranked[n]
            result = sel.compute(inputs_of_institution(source), fs, year, ctx)
            item = _rank_item(source, result, ctx, year, months)
            item.update(rank=ranks[n], rankable=True, reason=None, reason_zh=None,
                        reason_en=None, value=value)
        else:
            _, source, reason = unranked[n - len(ranked)]
            result = sel.compute(inputs_of_institution(source), fs, year, ctx)
            item = _rank_item(source, result, ctx, year, months)
            zh, en = _REASONS[reason]
            item.update(rank=None, rankable=False, reason=reason, reason_zh=zh,
                        reason_en=en, value=getattr(result, indicator))
        old = previous.get(int(source["institution_id"]))
        old_value = None
        if old is not None and unrankable_reason(old, denominator) is None:
            before = sel.compute(inputs_of_institution(old), fs, year - 1, ctx)
            old_value = getattr(before, indicator)
        item.update(previous_value=old_value, yoy=change(item["value"], old_value))
        items.append(item)
    group = sel.compute(_group_inputs(rows, denominator), fs, year, ctx)
    formula = FORMULAS[indicator]
    cat = ctx.category_code or ""
    names = {c.code: (c.name_zh, c.name_en) for c in CATEGORIES}
    return {
        "indicator": indicator,
        "name_zh": formula["name_zh"],
        "name_en": formula["name_en"],
        "unit": formula["unit"],
        "order": order,
        "category": {"code": cat, "name_zh": names.get(cat, ("事业单位", ""))[0],
                     "name_en": names.get(cat, ("", "public service units"))[1]},
        "region": {"code": ctx.anchor, "name": ctx.region_name},
        "year": year,
        "months": list(months or (1, 12)),
        "factor_set": fs.name,
        "group_value": getattr(group, indicator),
        "rankable_count": len(ranked),
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": total,
        "explain": sel.explain_key(ctx, year, months),
    }



def _rank_item(row: Mapping[str, Any], result: IndicatorResult, ctx: sel.Context, year: int,
               months: tuple[int, int] | None) -> dict[str, Any]:
    region = row["region_code"]
    return {
        "credit_code": row["credit_code"],
        "name": row["name"],
        "region_code": region,
        "region_name": ctx.tree.name(region) if region in ctx.tree else region,
        "category": row["category"],
        "energy_tce": result.energy_tce,
        "water_m3": result.water_m3,
        "co2_t": result.co2_t,
        "occupants": row["occupants"],
        "floor_area_m2": row["floor_area_m2"],
        "explain": sel.explain_key(ctx, year, months, region_code=region, category=None,
                                   institution_code=row["credit_code"], own_level=False),
    }
