"""The overview (总览), the rankings within a category (同类可比) and the explanation
behind every figure — the data of the dashboard pages and of their JSON twins.

Every function takes the caller's :class:`~jieneng.core.scope.Scope` and goes
through :func:`jieneng.services.scope.scoped_filters`, the one place scope is
enforced. Figures are computed exactly as :func:`jieneng.services.indicators.compute`
computes them: the storage layer returns additive sums, which become
:class:`~jieneng.core.indicators.AggregateInputs` and go through
:func:`~jieneng.core.indicators.compute_indicators` — the arithmetic lives only
there. The monthly trend applies the same function to the sums of each month, so
the twelve months add up to the year.

Ranking and publication cover thousands of institutions: their per-institution
intensities are formed in one pass from the per-carrier coefficients that
``compute_indicators`` itself reports (:class:`_Coefficients`, same operations in
the same order, so the same floats), and ``compute_indicators`` runs only for the
institutions of the page shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from sqlalchemy import Connection, Engine

from jieneng.core import indicator_registry as registry
from jieneng.core.categories import CATEGORIES, categories_under, parse_category
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.factors import FactorSet
from jieneng.core.indicators import (
    HEADLINE_FIGURES,
    AggregateInputs,
    IndicatorResult,
    change,
    compute_indicators,
    yoy,
)
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Scope, ScopeKind
from jieneng.services import result_cache
from jieneng.services.factor_choice import resolve_factor_set
from jieneng.services.indicators import HEADLINE_KEYS, inputs_from_group, inputs_of_institution
from jieneng.services.scope import Filters, scoped_filters
from jieneng.storage import dashboard as dashboard_queries
from jieneng.storage import indicators as queries
from jieneng.storage import institutions, meta, regions

T = TypeVar("T")

Order = Literal["asc", "desc"]

#: Intensities an institution can be ranked by, with what its denominator needs
#: (:data:`jieneng.core.indicator_registry.RANKABLE`).
RANKABLE: dict[str, str] = registry.RANKABLE

#: Name, unit and rule of every headline figure, from the indicator registry
#: (the rules of :mod:`jieneng.core.indicators`).
FORMULAS: dict[str, dict[str, str]] = registry.formulas()

_TREND_FIGURES: tuple[str, ...] = registry.TOTALS


@dataclass(frozen=True)
class _Context:
    """A request resolved inside the caller's scope."""

    filters: Filters
    tree: RegionTree
    anchor: str | None  # region whose direct children form the by-region groups
    region_name: str
    province_code: str | None
    categories: list[str] | None
    category_code: str | None
    institution_code: str | None
    own_level: bool
    child_of: dict[str, str] | None  # region → direct child of the anchor holding it

    def kwargs(self) -> dict[str, Any]:
        return {**self.filters.as_kwargs(), "categories": self.categories}

    def group_of(self, region_code: str) -> str | None:
        """The by-region group of a region: the direct child of the anchor holding it
        (the anchor itself for 本级), or its root without an anchor."""
        tree = self.tree
        if self.anchor is None:
            code: str | None = region_code
            while code and tree.by_code[code].parent_code:
                code = tree.by_code[code].parent_code
            return code
        assert self.child_of is not None
        return self.child_of.get(region_code)

    def region_groups(self) -> dict[str, str]:
        """Every region of the filters mapped to its by-region group, so that the
        storage sums per group in SQL (a province: 14 cities, not 127 counties)."""
        codes = self.filters.region_codes
        if codes is None:
            codes = list(self.tree.by_code)
        out: dict[str, str] = {}
        for code in codes:
            group = self.group_of(code)
            if group is not None:
                out[code] = group
        return out


def _hidden(what: str) -> NotFound:
    return NotFound(
        f"{what} 不存在或不在您的权限范围内", f"{what} does not exist or is out of scope"
    )


def _categories(text: str | None) -> tuple[str | None, list[str] | None]:
    if not text:
        return None, None
    code = text.strip()
    if code != "02":
        code = parse_category(text).code
    return code, list(categories_under(code))


def _factors(conn: Connection, ctx: _Context, default: str | None) -> FactorSet:
    """The factor set in effect for the context's region (a region's choice, else default)."""
    return resolve_factor_set(conn, ctx.anchor or ctx.province_code, default=default)


def _context(
    conn: Connection,
    scope: Scope,
    *,
    region_code: str | None,
    category: str | None = None,
    institution_code: str | None = None,
    own_level: bool = False,
) -> _Context:
    institution_id = None
    if institution_code:
        row = institutions.get_institution(conn, institution_code)
        if row is None:
            raise _hidden(f"单位 {institution_code}")
        institution_id = row.id
    filters = scoped_filters(conn, scope, region_code=region_code, institution_id=institution_id)
    tree = RegionTree(regions.load_regions(conn))
    if own_level:
        if region_code is None:
            raise ValidationFailed("“本级”须指定行政区划", "own_level needs a region_code")
        filters = Filters([region_code], filters.department_id, filters.institution_ids)
    anchor = region_code or scope.region_code
    if anchor is None:
        roots = [r.code for r in tree.by_code.values() if not r.parent_code]
        anchor = roots[0] if len(roots) == 1 else None
    category_code, categories = _categories(category)
    return _Context(
        filters=filters,
        tree=tree,
        anchor=anchor,
        region_name=tree.name(anchor) if anchor else "全部 / all",
        province_code=anchor[:2] + "0000" if anchor else None,
        categories=categories,
        category_code=category_code,
        institution_code=institution_code,
        own_level=own_level,
        child_of=tree.child_under(anchor) if anchor else None,
    )


def _grouped(
    conn: Connection, ctx: _Context, year: int, months: tuple[int, int] | None
) -> dict[tuple[str, str], AggregateInputs]:
    """AggregateInputs per (region_code, category), expected counts included
    (as :func:`jieneng.services.indicators.compute` builds them)."""
    parts: dict[tuple[str, str], list[AggregateInputs]] = {}
    by_group = {**ctx.kwargs(), "region_groups": ctx.region_groups()}
    for row in queries.group_sums(conn, year=year, months=months, **by_group):
        parts.setdefault((row["region_code"], row["category"]), []).append(
            inputs_from_group(row))
    for row in queries.expected_counts(conn, year=year, months=months, **by_group):
        parts.setdefault((row["region_code"], row["category"]), []).append(
            AggregateInputs.empty(institutions_expected=int(row["institutions_expected"])))
    return {key: AggregateInputs.total(p) for key, p in parts.items()}


def _compute(inputs: AggregateInputs, fs: FactorSet, year: int, ctx: _Context
             ) -> IndicatorResult:
    return compute_indicators(inputs, fs, year=year, province_code=ctx.province_code)


def _figures(
    current: AggregateInputs, previous: AggregateInputs, fs: FactorSet, year: int,
    ctx: _Context, *, full: bool,
) -> dict[str, Any]:
    """The figures of a group with previous year and year-on-year change, in the
    shape of :func:`jieneng.services.indicators.compute` (``full``) or only the
    headline keys (groups)."""
    now = _compute(current, fs, year, ctx)
    before = _compute(previous, fs, year - 1, ctx)
    data = now.to_dict()
    if not full:
        data = {k: v for k, v in data.items() if k in HEADLINE_KEYS}
    data["previous_year"] = {k: v for k, v in before.to_dict().items() if k in HEADLINE_KEYS}
    data["yoy"] = yoy(now, before)
    return data


def _explain_key(
    ctx: _Context, year: int, months: tuple[int, int] | None, **override: Any
) -> dict[str, Any]:
    """The arguments of :func:`explain` for a figure (the page's link parameters)."""
    key: dict[str, Any] = {
        "region_code": ctx.anchor, "year": year,
        "months": list(months) if months else None, "category": ctx.category_code,
        "institution_code": ctx.institution_code, "own_level": ctx.own_level,
    }
    key.update(override)
    return key


def overview(
    engine: Engine,
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

    Top level: the keys of :func:`jieneng.services.indicators.compute` (headline
    figures, ``previous_year``, ``yoy``, ``factor_set``, ``by_carrier``, ``basis``,
    ``notes``, ``region``, ``year``, ``months``, ``dataset_label``), with
    ``by_carrier`` items extended by ``previous_quantity``, ``previous_energy_tce``,
    ``previous_co2_t`` and ``yoy_quantity``; plus ``monthly_trend``,
    ``by_child_region`` and ``by_category`` (groups: ``code, name``, the headline
    figures, ``previous_year``, ``yoy``, ``explain``) and ``explain`` (the
    arguments of :func:`explain` for the headline figures).

    Raises :class:`NotFound` for a region or institution outside the scope.
    """
    months = _months(months)
    key = ("overview", scope, region_code, year, months, default_factor_set, category,
           institution_code)
    with engine.connect() as conn:
        return result_cache.cached(engine, conn, key, lambda: _overview(
            conn, scope, region_code=region_code, year=year, months=months,
            default_factor_set=default_factor_set, category=category,
            institution_code=institution_code))


def _overview(
    conn: Connection, scope: Scope, *, region_code: str | None, year: int,
    months: tuple[int, int] | None, default_factor_set: str | None, category: str | None,
    institution_code: str | None,
) -> dict[str, Any]:
    ctx = _context(conn, scope, region_code=region_code, category=category,
                   institution_code=institution_code)
    fs = _factors(conn, ctx, default_factor_set)
    current = _grouped(conn, ctx, year, months)
    previous = _grouped(conn, ctx, year - 1, months)
    trend_rows = dashboard_queries.monthly_sums(conn, years=(year - 1, year), **ctx.kwargs())
    label = meta.get_meta(conn, "dataset_label")
    result = _figures(AggregateInputs.total(current.values()),
                      AggregateInputs.total(previous.values()), fs, year, ctx, full=True)
    before = {c["carrier"]: c for c in _compute(
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
        dataset_label=label,
        scope=scope.kind.value,
        explain=_explain_key(ctx, year, months),
        monthly_trend=_trend(trend_rows, fs, year, ctx),
        by_child_region=_region_groups(current, previous, fs, year, months, ctx),
        by_category=_category_groups(current, previous, fs, year, months, ctx),
    )
    return result


def child_category_figures(
    engine: Engine, scope: Scope, *, region_code: str, year: int,
    default_factor_set: str | None = None,
) -> dict[tuple[str, str], dict[str, Any]]:
    """The headline figures of every (by-region group, category) of a region for a
    year — the cells behind the overview's by-region and by-category breakdowns
    (e.g. the bases of a target decomposition). Keys: (child region code — the
    region itself for 本级 —, category code). Raises NotFound outside the scope."""
    with engine.connect() as conn:
        ctx = _context(conn, scope, region_code=region_code)
        fs = _factors(conn, ctx, default_factor_set)
        groups = _grouped(conn, ctx, year, None)
    return {key: _compute(inputs, fs, year, ctx).to_dict() for key, inputs in groups.items()}


def latest_year(
    engine: Engine,
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
    months = _months(months)
    key = ("latest_year", scope, region_code, before, months)

    def compute() -> int | None:
        ctx = _context(conn, scope, region_code=region_code)
        return dashboard_queries.latest_year(conn, before=before, months=months,
                                             **ctx.kwargs())

    with engine.connect() as conn:
        return result_cache.cached(engine, conn, key, compute)


def _months(months: Sequence[int] | None) -> tuple[int, int] | None:
    if months is None:
        return None
    first, last = int(months[0]), int(months[-1])
    if not 1 <= first <= last <= 12:
        raise ValidationFailed(
            f"月份范围 {first}-{last} 无效，应为 1-12 之间", f"invalid month range {first}-{last}"
        )
    return None if (first, last) == (1, 12) else (first, last)


def _trend(rows: Sequence[Mapping[str, Any]], fs: FactorSet, year: int, ctx: _Context
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
            ctx: _Context) -> dict[str, list[Any]]:
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
        figures = _compute(inputs, fs, year, ctx)
        for key in _TREND_FIGURES:
            out[key].append(getattr(figures, key))
        out["cost_yuan"].append(sum(row["cost_yuan"].values()))
        out["institutions_reported"].append(row["institutions_reported"])
    return out


def monthly_figures(
    engine: Engine, scope: Scope, *, region_code: str, years: Sequence[int],
    default_factor_set: str | None = None,
) -> dict[int, dict[str, list[Any]]]:
    """The overview's monthly trend of a region for any years, in one query: year →
    ``energy_tce``, ``water_m3``, ``co2_t``, ``cost_yuan``, ``institutions_reported``
    (twelve values, None for a month without figures) — the same numbers as
    ``overview(...)["monthly_trend"]``. Cached."""
    wanted = tuple(sorted(set(years)))
    key = ("monthly", scope, region_code, wanted, default_factor_set)

    def compute() -> dict[int, dict[str, list[Any]]]:
        with engine.connect() as conn:
            ctx = _context(conn, scope, region_code=region_code)
            fs = _factors(conn, ctx, default_factor_set)
            rows = dashboard_queries.monthly_sums(conn, years=wanted, **ctx.kwargs())
        by_key = {(r["year"], r["month"]): r for r in rows}
        return {y: _series(by_key, fs, y, ctx) for y in wanted}

    return _cached(engine, key, compute)


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
    fs: FactorSet, year: int, months: tuple[int, int] | None, ctx: _Context,
) -> list[dict[str, Any]]:
    tree = ctx.tree
    if ctx.anchor is None:
        def name(code: str) -> str:
            return tree.name(code)
    else:
        anchor = ctx.anchor
        def name(code: str) -> str:
            return tree.group_name(anchor, code)
    # The keys are by-region groups already (see _grouped); mapping again is the identity.
    now = _merge(current, lambda key: ctx.group_of(key[0]))
    before = _merge(previous, lambda key: ctx.group_of(key[0]))
    out = []
    for code in sorted(now):
        item = _figures(now[code], before.get(code, AggregateInputs.empty()), fs, year, ctx,
                        full=False)
        own = code == ctx.anchor
        item.update(code=code, name=name(code), own_level=own,
                    explain=_explain_key(ctx, year, months, region_code=code, own_level=own))
        out.append(item)
    return out


def _category_groups(
    current: Mapping[tuple[str, str], AggregateInputs],
    previous: Mapping[tuple[str, str], AggregateInputs],
    fs: FactorSet, year: int, months: tuple[int, int] | None, ctx: _Context,
) -> list[dict[str, Any]]:
    names = {c.code: (c.name_zh, c.name_en) for c in CATEGORIES}
    now = _merge(current, lambda key: key[1])
    before = _merge(previous, lambda key: key[1])
    out = []
    for code in sorted(now):
        item = _figures(now[code], before.get(code, AggregateInputs.empty()), fs, year, ctx,
                        full=False)
        zh, en = names.get(code, (code, code))
        item.update(code=code, name=zh, name_en=en,
                    explain=_explain_key(ctx, year, months, category=code))
        out.append(item)
    return out


# ---------------------------------------------------------------- ranking (同类可比)


def _reason(row: Mapping[str, Any], denominator: str) -> str | None:
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
    """A stored quantity as :func:`~jieneng.services.indicators.inputs_of_institution`
    reads it."""
    return float(value or 0.0)


@dataclass(frozen=True)
class _Coefficients:
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
    def of(cls, fs: FactorSet, year: int, ctx: _Context) -> _Coefficients:
        probe = _compute(AggregateInputs.empty(), fs, year, ctx)
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
    engine: Engine, scope: Scope, *, region_code: str | None, year: int, category: str,
    indicator: str, order: Order = "asc", page: int = 1, per_page: int = 50,
    months: tuple[int, int] | None = None, default_factor_set: str | None = None,
) -> dict[str, Any]:
    """The 同类可比 ranking of :func:`_ranking`, cached (:mod:`result_cache`)."""
    key = ("ranking", scope, region_code, year, category, indicator, order, page, per_page,
           _months(months), default_factor_set)
    return _cached(engine, key, lambda: _ranking(
        engine, scope, region_code=region_code, year=year, category=category,
        indicator=indicator, order=order, page=page, per_page=per_page, months=months,
        default_factor_set=default_factor_set))


def _cached(engine: Engine, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """``compute()`` through the result cache; the data version is read first."""
    with engine.connect() as conn:
        return result_cache.cached(engine, conn, key, compute)


def _ranking(
    engine: Engine,
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
        raise ValidationFailed(f"不能按“{indicator}”排名，可用：{known}",
                               f"cannot rank by {indicator!r}; known: {known}")
    if order not in ("asc", "desc"):
        raise ValidationFailed(f"排序方向“{order}”无效，应为 asc 或 desc",
                               f"invalid order {order!r}; use asc or desc")
    page, per_page = _paging(page, per_page)
    months = _months(months)
    denominator = RANKABLE[indicator]
    with engine.connect() as conn:
        ctx = _context(conn, scope, region_code=region_code, category=category)
        fs = _factors(conn, ctx, default_factor_set)
        rows = queries.institution_inputs(conn, year=year, months=months, **ctx.kwargs())
    coefficients = _Coefficients.of(fs, year, ctx)
    ranked: list[tuple[float, str, Mapping[str, Any]]] = []
    unranked: list[tuple[str, Mapping[str, Any], str]] = []
    for row in rows:  # one pass over the category; compute_indicators only for the page
        reason = _reason(row, denominator)
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
        with engine.connect() as conn:
            prev_rows = queries.institution_inputs(
                conn, year=year - 1, months=months,
                **{**ctx.kwargs(), "institution_ids": shown})
    previous = {int(r["institution_id"]): r for r in prev_rows}
    items: list[dict[str, Any]] = []
    for n in window:
        if n < len(ranked):
            value, _, source = ranked[n]
            result = _compute(inputs_of_institution(source), fs, year, ctx)
            item = _rank_item(source, result, ctx, year, months)
            item.update(rank=ranks[n], rankable=True, reason=None, reason_zh=None,
                        reason_en=None, value=value)
        else:
            _, source, reason = unranked[n - len(ranked)]
            result = _compute(inputs_of_institution(source), fs, year, ctx)
            item = _rank_item(source, result, ctx, year, months)
            zh, en = _REASONS[reason]
            item.update(rank=None, rankable=False, reason=reason, reason_zh=zh,
                        reason_en=en, value=getattr(result, indicator))
        old = previous.get(int(source["institution_id"]))
        old_value = None
        if old is not None and _reason(old, denominator) is None:
            old_value = getattr(_compute(inputs_of_institution(old), fs, year - 1, ctx), indicator)
        item.update(previous_value=old_value, yoy=change(item["value"], old_value))
        items.append(item)
    group = _compute(_group_inputs(rows, denominator), fs, year, ctx)
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
        "explain": _explain_key(ctx, year, months),
    }


#: Category groups whose institutions together make a region's publication.
PUBLISHED_CATEGORIES: tuple[str, ...] = ("01", "02", "03")


def publication(
    engine: Engine, region_code: str, year: int, *, scope: Scope | None = None,
    default_factor_set: str | None = None,
) -> list[dict[str, Any]]:
    """Each institution's annual energy use (:func:`_publication`), cached."""
    key = ("publication", region_code, year, scope, default_factor_set)
    return _cached(engine, key, lambda: _publication(
        engine, region_code, year, scope=scope, default_factor_set=default_factor_set))


def _publication(
    engine: Engine,
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
    :func:`ranking` gives it (None when it did not report or lacks the denominator).
    """
    with engine.connect() as conn:
        ctx = _context(conn, scope or Scope(ScopeKind.PUBLIC), region_code=region_code)
        fs = _factors(conn, ctx, default_factor_set)
        categories = [c for code in PUBLISHED_CATEGORIES for c in _categories(code)[1] or ()]
        rows = queries.institution_inputs(conn, year=year,
                                          **{**ctx.kwargs(), "categories": categories})
    coefficients = _Coefficients.of(fs, year, ctx)
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
                               if _reason(row, RANKABLE[indicator]) is None else None)
        out.append(item)
    return sorted(out, key=lambda r: (r["region_code"], r["category"], r["name"]))


def institution_intensities(
    engine: Engine, scope: Scope, *, region_code: str, year: int,
    default_factor_set: str | None = None,
) -> list[dict[str, Any]]:
    """Every institution of the region (in the scope) that is active or reported in
    ``year``: ``institution_id, credit_code, name, region_code, category``,
    ``energy_tce`` (None when not reported) and the four :data:`RANKABLE`
    intensities (None without the denominator) — the values :func:`ranking` gives.
    Cached like the overview."""
    key = ("intensities", scope, region_code, year, default_factor_set)

    def compute() -> list[dict[str, Any]]:
        with engine.connect() as conn:
            ctx = _context(conn, scope, region_code=region_code)
            fs = _factors(conn, ctx, default_factor_set)
            rows = queries.institution_inputs(conn, year=year, **ctx.kwargs())
        coefficients = _Coefficients.of(fs, year, ctx)
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
                                   if _reason(row, denominator) is None else None)
            out.append(item)
        return out

    return _cached(engine, key, compute)


def intensity_coefficients(
    engine: Engine, scope: Scope, *, region_code: str, year: int,
    default_factor_set: str | None = None,
) -> dict[str, dict[str, float]]:
    """The per-carrier coefficients behind the rankable intensities for the region's
    factor set and year: ``energy`` (kgce per unit, every counted carrier) and
    ``energy_area`` (the same without the carriers per-area figures leave out) —
    those :func:`ranking` applies, from ``compute_indicators`` itself."""
    with engine.connect() as conn:
        ctx = _context(conn, scope, region_code=region_code)
        fs = _factors(conn, ctx, default_factor_set)
    c = _Coefficients.of(fs, year, ctx)
    return {"energy": dict(c.energy), "energy_area": dict(c.energy_area)}


def _rank_item(row: Mapping[str, Any], result: IndicatorResult, ctx: _Context, year: int,
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
        "explain": _explain_key(ctx, year, months, region_code=region, category=None,
                                institution_code=row["credit_code"], own_level=False),
    }


def _paging(page: int, per_page: int) -> tuple[int, int]:
    if page < 1 or not 1 <= per_page <= 1000:
        raise ValidationFailed(
            "分页参数无效：page ≥ 1，1 ≤ per_page ≤ 1000",
            "invalid paging: page ≥ 1 and 1 ≤ per_page ≤ 1000",
        )
    return page, per_page


# ---------------------------------------------------------------- explanation


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
    page, per_page = _paging(page, per_page)
    months = _months(months)
    with engine.connect() as conn:
        ctx = _context(conn, scope, region_code=region_code, category=category,
                       institution_code=institution_code, own_level=own_level)
        fs = _factors(conn, ctx, default_factor_set)
        current = _grouped(conn, ctx, year, months)
        previous = _grouped(conn, ctx, year - 1, months)
        rows = queries.institution_inputs(conn, year=year, months=months, **ctx.kwargs())
    figures = _figures(AggregateInputs.total(current.values()),
                       AggregateInputs.total(previous.values()), fs, year, ctx, full=True)
    start = (page - 1) * per_page
    items = []
    for row in rows[start:start + per_page]:
        result = _compute(inputs_of_institution(row), fs, year, ctx)
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
