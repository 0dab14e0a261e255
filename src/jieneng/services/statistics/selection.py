"""The selection step of the statistics pages: a request's scope, region tree,
categories and period resolved once (:func:`context`), the additive sums of the
selection per (by-region group, category) (:func:`grouped`), and the figures made
from them by :func:`~jieneng.core.indicators.compute_indicators` — the one place
the arithmetic lives.

Every reader of :mod:`jieneng.services.statistics` starts here: the scope goes
through :func:`jieneng.services.scope.scoped_filters`, the one place scope is
enforced.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection

from jieneng.core import indicator_registry as registry
from jieneng.core.categories import categories_under, parse_category
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.factors.sets import FactorSet
from jieneng.core.indicators import AggregateInputs, IndicatorResult, compute_indicators, yoy
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Scope
from jieneng.services import result_cache
from jieneng.services.database import Reader, reading
from jieneng.services.scope import Filters, scoped_filters
from jieneng.services.statistics import indicators
from jieneng.services.statistics.factor_choice import resolve_factor_set
from jieneng.services.statistics.indicators import HEADLINE_KEYS, inputs_from_group
from jieneng.storage import indicators as queries
from jieneng.storage import institutions, regions

T = TypeVar("T")


#: Intensities an institution can be ranked by, with what its denominator needs
#: (:data:`jieneng.core.indicator_registry.RANKABLE`).
RANKABLE: dict[str, str] = registry.RANKABLE

#: Name, unit and rule of every headline figure, from the indicator registry
#: (the rules of :mod:`jieneng.core.indicators`).
FORMULAS: dict[str, dict[str, str]] = registry.formulas()


@dataclass(frozen=True)
class Context:
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


def category_codes(text: str | None) -> tuple[str | None, list[str] | None]:
    if not text:
        return None, None
    code = text.strip()
    if code != "02":
        code = parse_category(text).code
    return code, list(categories_under(code))


def factors(conn: Connection, ctx: Context, default: str | None) -> FactorSet:
    """The factor set in effect for the context's region (a region's choice, else default)."""
    return resolve_factor_set(conn, ctx.anchor or ctx.province_code, default=default)


def context(
    conn: Connection,
    scope: Scope,
    *,
    region_code: str | None,
    category: str | None = None,
    institution_code: str | None = None,
    own_level: bool = False,
) -> Context:
    institution_id = None
    if institution_code:
        row = institutions.get_institution(conn, institution_code)
        if row is None:
            raise NotFound.of("scope.institution_code_not_found", credit_code=institution_code)
        institution_id = row.id
    filters = scoped_filters(conn, scope, region_code=region_code, institution_id=institution_id)
    tree = RegionTree(regions.load_regions(conn))
    if own_level:
        if region_code is None:
            raise ValidationFailed.of("statistics.own_level_needs_region")
        filters = Filters([region_code], filters.department_id, filters.institution_ids)
    anchor = region_code or scope.region_code
    if anchor is None:
        roots = [r.code for r in tree.by_code.values() if not r.parent_code]
        anchor = roots[0] if len(roots) == 1 else None
    category_code, categories = category_codes(category)
    return Context(
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


def grouped(
    conn: Connection, ctx: Context, year: int, months: tuple[int, int] | None
) -> dict[tuple[str, str], AggregateInputs]:
    """AggregateInputs per (region_code, category), expected counts included
    (as :func:`jieneng.services.statistics.indicators.compute` builds them)."""
    parts: dict[tuple[str, str], list[AggregateInputs]] = {}
    groups = ctx.region_groups()
    for row in queries.group_sums(conn, ctx.filters, year=year, months=months,
                                  categories=ctx.categories, region_groups=groups):
        parts.setdefault((row["region_code"], row["category"]), []).append(
            inputs_from_group(row))
    for row in queries.expected_counts(conn, ctx.filters, year=year, months=months,
                                       categories=ctx.categories, region_groups=groups):
        parts.setdefault((row["region_code"], row["category"]), []).append(
            AggregateInputs.empty(institutions_expected=int(row["institutions_expected"])))
    return {key: AggregateInputs.total(p) for key, p in parts.items()}


def compute(inputs: AggregateInputs, fs: FactorSet, year: int, ctx: Context
             ) -> IndicatorResult:
    return compute_indicators(inputs, fs, year=year, province_code=ctx.province_code)


def figures(
    current: AggregateInputs, previous: AggregateInputs, fs: FactorSet, year: int,
    ctx: Context, *, full: bool,
) -> dict[str, Any]:
    """The figures of a group with previous year and year-on-year change, in the
    shape of :func:`jieneng.services.statistics.indicators.compute` (``full``) or only the
    headline keys (groups)."""
    now = compute(current, fs, year, ctx)
    before = compute(previous, fs, year - 1, ctx)
    data = now.to_dict()
    if not full:
        data = {k: v for k, v in data.items() if k in HEADLINE_KEYS}
    data["previous_year"] = {k: v for k, v in before.to_dict().items() if k in HEADLINE_KEYS}
    data["yoy"] = yoy(now, before)
    return data


def explain_key(
    ctx: Context, year: int, months: tuple[int, int] | None, **override: Any
) -> dict[str, Any]:
    """The arguments of :func:`.explain.explain` for a figure (the page's link parameters)."""
    key: dict[str, Any] = {
        "region_code": ctx.anchor, "year": year,
        "months": list(months) if months else None, "category": ctx.category_code,
        "institution_code": ctx.institution_code, "own_level": ctx.own_level,
    }
    key.update(override)
    return key


def month_range(months: Sequence[int] | None) -> tuple[int, int] | None:
    if months is None:
        return None
    first, last = int(months[0]), int(months[-1])
    if not 1 <= first <= last <= 12:
        raise ValidationFailed.of("statistics.invalid_month_range", first=first, last=last)
    return None if (first, last) == (1, 12) else (first, last)


def year_to_date(
    conn: Connection, ctx: Context, year: int, months: tuple[int, int] | None,
    rows: Sequence[dict[str, Any]] | None = None,
) -> tuple[int, int] | None:
    """The months the selection's ``year`` is compared over (1–N月累计同比):
    :func:`jieneng.services.statistics.indicators.year_to_date` for the context."""
    return indicators.year_to_date(conn, ctx.filters, ctx.categories, year, months, rows)


def paging(page: int, per_page: int) -> tuple[int, int]:
    if page < 1 or not 1 <= per_page <= 1000:
        raise ValidationFailed.of("statistics.invalid_paging")
    return page, per_page



def cached(db: Reader, key: tuple[Any, ...], compute: Callable[[Connection], T]) -> T:
    """``compute(conn)`` through the result cache, on one connection (the caller's
    snapshot, or a new one from the engine); the data version is read first on it."""
    with reading(db) as conn:
        return result_cache.cached(conn.engine, conn, key, lambda: compute(conn))
