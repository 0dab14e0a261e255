"""Coverage of a campaign per region (issue 14 §3): 达标率, 创建率, 自评率, 抽查率, 复检合格率.

:func:`region_coverage` answers, for a scheme and a year, one row for the region itself
(its whole subtree) and one per direct child region (its subtree): the counts of
:data:`jieneng.core.campaigns.coverage.COUNTS` and the rates of ``coverage.csv``
(numerator ÷ denominator as data, with source and status). Set-based: ONE statement for
every count, every region and every scheme asked at once — the institutions grouped by
region and category, each count a ``SUM(CASE WHEN id IN (…))`` over the set of
institutions it counts (round members, submissions, spot-check samples, titles,
concluded 回头看), which both databases evaluate once per statement; each scheme then sums
its population's categories, and the regions are folded into the children in memory (a
few hundred regions, never the institutions). A caller that shows only some figures (a
work plan's items) asks for those counts only (``counts=``). (The first version ran one
statement per count, ten in all: 0.38 s for a province of 50,000 institutions;
``tests/services/campaigns/test_campaign_coverage_fast.py`` keeps it to prove both
give the same counts.)

A reading may be narrowed (:class:`Slice`, a work plan's ``category=`` / ``level=``) to
an institution category — the statement is already grouped by category, so the groups of
other categories are left out of the sums (no other statement) — and to a title level:
the title counts of :data:`jieneng.core.campaigns.coverage.LEVELLED` get their own
columns in the same statement (titles of that level; the 回头看 of such titles), and the
rows of a levelled reading carry only ``eligible``, those counts and the rates made of
them (达标率, 复检合格率). Every slice of every scheme asked shares the one statement.

Other helpers call it (work-plan indicators, assessment sheets) with ``user=None``: no
scope check; with a user, the region must lie in the user's scope.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    Engine,
    func,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from jieneng.core.caller import User
from jieneng.core.campaigns.coverage import (
    COUNTS,
    LEVELLED,
    TITLE_LEVELS,
    population_of,
    rate_values,
    rates,
)
from jieneng.core.campaigns.shipped import SHIPPED, shipped
from jieneng.core.categories import categories_under
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters
from jieneng.services.scope import scoped_filters
from jieneng.storage import regions as region_store
from jieneng.storage.campaign_rounds import campaign_round
from jieneng.storage.campaigns import campaign_scheme
from jieneng.storage.coverage_sets import count_columns, schemes_with_round
from jieneng.storage.scoping import institution_conditions
from jieneng.storage.tables import institution

RATE_KEYS: tuple[str, ...] = ("compliance_rate", "creation_rate", "self_assessment_rate",
                              "spot_check_rate", "recheck_pass_rate")
COVERAGE_KEYS: tuple[str, ...] = ("region_code", "region_name", "level", *COUNTS,
                                  *RATE_KEYS, "target")


class Slice(NamedTuple):
    """One reading of a scheme's coverage: the scheme, optionally narrowed to an
    institution category (a group ``01``/``02``/``03`` or a leaf code) and to a title
    level (:data:`jieneng.core.campaigns.coverage.TITLE_LEVELS`)."""

    scheme: str
    category: str | None = None
    level: str | None = None


def _categories(scheme_code: str) -> list[str] | None:
    population = population_of(scheme_code)
    if population is None:
        return None
    return sorted({leaf for c in population.categories for leaf in categories_under(c)})


def _inside(part: Slice) -> list[str] | None:
    """The leaf categories a slice counts: its scheme's population (None: every
    category) narrowed to its ``category``. ValidationFailed for an unknown category
    code or one outside the scheme's population."""
    population = _categories(part.scheme)
    if part.category is None:
        return population
    chosen = set(categories_under(part.category))  # refuses an unknown code
    if population is not None:
        chosen &= set(population)
    if not chosen:
        raise ValidationFailed.of("coverage_category_outside", scheme=part.scheme,
                                  category=part.category, field="category")
    return sorted(chosen)


def _check_level(level: str | None) -> None:
    if level is not None and level not in TITLE_LEVELS:
        raise ValidationFailed.of("coverage_level_unknown", level=level,
                                  known=", ".join(TITLE_LEVELS), field="level")


def _target(conn: Connection, scheme_code: str) -> float | None:
    """The scheme's ``coverage_target`` parameter (the shipped scheme's)."""
    if scheme_code not in SHIPPED:
        return None
    value = shipped(scheme_code).param("coverage_target")
    return float(value) if value else None


def _check_scheme(conn: Connection, scheme_code: str) -> None:
    known = conn.execute(select(campaign_scheme.c.id)
                         .where(campaign_scheme.c.code == scheme_code)).first()
    if known is None and scheme_code not in SHIPPED:
        raise NotFound.of("coverage_scheme_not_found", scheme=scheme_code)


def _slice_counts(part: Slice, wanted: Collection[str]) -> list[str]:
    """The counts (but ``eligible``) a slice reads: ``wanted``; a levelled slice only
    those a level narrows (:data:`LEVELLED`)."""
    return [n for n in COUNTS if n != "eligible" and n in wanted
            and (part.level is None or n in LEVELLED)]


def _counts_by_slice(conn: Connection, where: Sequence[ColumnElement[bool]],
                     slices: Iterable[Slice], year: int,
                     counts: Collection[str] | None = None
                     ) -> dict[Slice, dict[str, dict[str, int]]]:
    """slice → count name → region code → count (zeros left out) of ``counts`` (every
    count of :data:`COUNTS` when None; ``eligible`` always; a levelled slice only the
    title counts), for every slice in ONE statement over the institutions of ``where``
    (the caller's regions, any category): grouped by region and category, each
    (scheme, level, count) once as a column (``coverage_sets.count_columns``) — a category
    narrows nothing in SQL, its slice sums only the groups of its categories."""
    i = institution
    wanted = set(COUNTS if counts is None else counts)
    parts = list(dict.fromkeys(slices))
    inside = {p: _inside(p) for p in parts}
    names = {p: _slice_counts(p, wanted) for p in parts}
    # (scheme, level or None, count) → the column's place in the row
    keys: dict[tuple[str, str | None, str], int] = {}
    columns: list[ColumnElement[Any]] = []
    with_round = schemes_with_round(conn, {p.scheme for p in parts}, year) if parts else set()
    for p in parts:
        todo = [n for n in names[p]
                if (p.scheme, p.level if n in LEVELLED else None, n) not in keys]
        for level in dict.fromkeys(p.level if n in LEVELLED else None for n in todo):
            chosen = [n for n in todo if (p.level if n in LEVELLED else None) == level]
            for name, column in count_columns(p.scheme, year, chosen, level,
                                               p.scheme in with_round).items():
                keys[(p.scheme, level, name)] = 3 + len(columns)
                columns.append(column)
    query = (select(i.c.region_code, i.c.category, func.count(i.c.id), *columns)
             .where(*where, *_union_categories(inside.values()))
             .group_by(i.c.region_code, i.c.category))
    out: dict[Slice, dict[str, dict[str, int]]] = {
        p: {"eligible": {}, **{n: {} for n in names[p]}} for p in parts}
    def column_of(p: Slice, n: str) -> int | None:  # None: no column (no round: 0)
        return keys.get((p.scheme, p.level if n in LEVELLED else None, n))

    places = {p: [("eligible", 2), *((n, c) for n in names[p]
                                     if (c := column_of(p, n)) is not None)] for p in parts}
    allowed = {p: None if c is None else frozenset(c) for p, c in inside.items()}
    for row in conn.execute(query):
        code, category = str(row[0]).strip(), str(row[1]).strip()
        for p in parts:
            within = allowed[p]
            if within is not None and category not in within:
                continue
            for name, place in places[p]:
                n = row[place]
                if n:
                    per_region = out[p][name]
                    per_region[code] = per_region.get(code, 0) + int(n)
    return out


def _counts_by_scheme(conn: Connection, where: Sequence[ColumnElement[bool]],
                      schemes: Sequence[str], year: int,
                      counts: Collection[str] | None = None
                      ) -> dict[str, dict[str, dict[str, int]]]:
    """:func:`_counts_by_slice` of whole schemes (no category, no level): scheme →
    count name → region code → count."""
    found = _counts_by_slice(conn, where, [Slice(s) for s in schemes], year, counts)
    return {p.scheme: v for p, v in found.items()}


def _union_categories(chosen: Iterable[list[str] | None]) -> list[ColumnElement[bool]]:
    """The categories of any of the slices (nothing when one takes every category)."""
    found: set[str] = set()
    for wanted in chosen:
        if wanted is None:
            return []
        found.update(wanted)
    return [institution.c.category.in_(sorted(found))]


def _fold(tree: RegionTree, region_code: str, counts: dict[str, dict[str, int]],
          by_child: bool) -> list[dict[str, Any]]:
    """The region's row then its children's: the counts computed (``counts``' names)
    and every rate whose numerator and denominator are among them."""
    names = [n for n in COUNTS if n in counts]
    groups: dict[str, dict[str, int]] = {region_code: dict.fromkeys(names, 0)}
    under: dict[str, str] = tree.child_under(region_code) if by_child else {}
    if by_child:
        for child in tree.children.get(region_code, ()):
            groups[child] = dict.fromkeys(names, 0)
    for name, per_region in counts.items():
        for code, n in per_region.items():
            groups[region_code][name] += n
            child = under.get(code, region_code)
            if child != region_code:
                groups[child][name] += n
    known = {r.code for r in rates() if r.numerator in counts and r.denominator in counts}
    rows = []
    for code in [region_code, *sorted(c for c in groups if c != region_code)]:
        values = {k: v for k, v in rate_values(groups[code]).items() if k in known}
        rows.append({"region_code": code, "region_name": tree.name(code),
                     "level": "self" if code == region_code else "child",
                     **groups[code], **values})
    return rows


def coverage_rows(conn: Connection, region_code: str, year: int, scheme_code: str, *,
                  filters: Filters | None = None, by_child: bool = True,
                  category: str | None = None, level: str | None = None
                  ) -> list[dict[str, Any]]:
    """The coverage rows inside an open connection (``filters``: the caller's scope;
    ``category``, ``level``: a :class:`Slice`'s narrowing)."""
    part = Slice(scheme_code, category, level)
    return coverage_slices(conn, region_code, year, [part], filters=filters,
                           by_child=by_child)[part]


def _check_slice(conn: Connection, part: Slice) -> None:
    """NotFound for an unknown scheme; ValidationFailed for an unknown category or
    level, or a category outside the scheme's population."""
    _check_scheme(conn, part.scheme)
    _check_level(part.level)
    _inside(part)


def coverage_slices(conn: Connection, region_code: str, year: int, slices: Sequence[Slice],
                    *, filters: Filters | None = None, by_child: bool = True,
                    counts: Collection[str] | None = None, leave_out_refused: bool = False
                    ) -> dict[Slice, list[dict[str, Any]]]:
    """:func:`coverage_rows` of several slices (schemes, each whole or narrowed to a
    category and / or a title level) in one pass — one region tree, one statement for
    all: slice → rows. ``counts``: only these counts (and ``eligible``) and the rates
    made of them — every one when None (a levelled slice: only the title counts).
    NotFound for an unknown scheme or region; ValidationFailed for an unknown category
    or level, or a category outside the scheme's population — with
    ``leave_out_refused`` such a slice is left out of the answer instead (the others
    still in one statement); an unknown region is always refused."""
    kept: list[Slice] = []
    for part in slices:
        try:
            _check_slice(conn, part)
        except (NotFound, ValidationFailed):
            if not leave_out_refused:
                raise
            continue
        kept.append(part)
    slices = kept
    tree = RegionTree(region_store.load_regions(conn))
    if region_code not in tree:
        raise NotFound.of("scope.region_not_found", region_code=region_code)
    chosen = filters or Filters(tree.subtree(region_code), None, None)
    where = [institution.c.status == "active", *institution_conditions(conn, chosen)]
    out: dict[Slice, list[dict[str, Any]]] = {}
    for part, found in _counts_by_slice(conn, where, slices, year, counts).items():
        target = _target(conn, part.scheme)
        out[part] = [{**row, "target": target}
                     for row in _fold(tree, region_code, found, by_child)]
    return out


def coverage_by_scheme(conn: Connection, region_code: str, year: int,
                       schemes: Sequence[str], *, filters: Filters | None = None,
                       by_child: bool = True, counts: Collection[str] | None = None,
                       category: str | None = None, level: str | None = None
                       ) -> dict[str, list[dict[str, Any]]]:
    """:func:`coverage_slices` of whole schemes (or each narrowed alike to ``category``
    / ``level``): scheme → rows."""
    parts = [Slice(s, category, level) for s in dict.fromkeys(schemes)]
    found = coverage_slices(conn, region_code, year, parts, filters=filters,
                            by_child=by_child, counts=counts)
    return {p.scheme: rows for p, rows in found.items()}


def region_coverage(engine: Engine, region_code: str, year: int, scheme_code: str, *,
                    user: User | None = None, by_child: bool = True,
                    category: str | None = None, level: str | None = None
                    ) -> list[dict[str, Any]]:
    """One row for ``region_code`` (its subtree) then one per direct child region, with
    :data:`COVERAGE_KEYS` (module docstring). ``user``: checked against its scope;
    ``category`` / ``level``: the institutions of a category, the titles of a level
    (:class:`Slice`)."""
    with engine.connect() as conn:
        filters = None
        if user is not None:
            filters = scoped_filters(conn, user.scope, region_code=region_code)
        return coverage_rows(conn, region_code, year, scheme_code, filters=filters,
                             by_child=by_child, category=category, level=level)


def schemes_coverage(engine: Engine, region_code: str, year: int, schemes: Sequence[str],
                     *, by_child: bool = True, counts: Collection[str] | None = None
                     ) -> dict[str, list[dict[str, Any]]]:
    """:func:`region_coverage` of several schemes at once, no scope check (a service's
    own reading, e.g. a work plan's indicators): scheme → rows; ``counts`` as in
    :func:`coverage_by_scheme` (only the figures the caller shows)."""
    with engine.connect() as conn:
        return coverage_by_scheme(conn, region_code, year, schemes, by_child=by_child,
                                  counts=counts)


def slices_coverage(engine: Engine, region_code: str, year: int,
                    slices: Iterable[tuple[str, str | None, str | None]], *,
                    by_child: bool = True, counts: Collection[str] | None = None,
                    leave_out_refused: bool = False
                    ) -> dict[tuple[str, str | None, str | None], list[dict[str, Any]]]:
    """:func:`coverage_slices` of ``(scheme, category, level)`` triples, no scope check
    (a work plan's indicators: every scheme and narrowing its items name, one
    statement; ``leave_out_refused``: a refused triple is missing from the answer):
    triple → rows."""
    parts = [Slice(*s) for s in dict.fromkeys(slices)]
    with engine.connect() as conn:
        found = coverage_slices(conn, region_code, year, parts, by_child=by_child,
                                counts=counts, leave_out_refused=leave_out_refused)
    return {(p.scheme, p.category, p.level): rows for p, rows in found.items()}


def rate(engine: Engine, region_code: str, year: int, scheme_code: str, key: str
         ) -> float | None:
    """One rate (or count) of the region itself: row 0 of :func:`region_coverage`."""
    value = region_coverage(engine, region_code, year, scheme_code, by_child=False)[0][key]
    return None if value is None else float(value)


def latest_year(engine: Engine, scheme_code: str) -> int | None:
    """The latest year of a round of the scheme (a page's default year), or None."""
    r = campaign_round
    with engine.connect() as conn:
        found = conn.execute(select(func.max(r.c.year))
                             .where(r.c.scheme_code == scheme_code)).scalar()
    return None if found is None else int(found)


def definitions() -> list[dict[str, str]]:
    """The rates as data (coverage.csv): code, numerator, denominator, names, source,
    status, note."""
    return [{"code": r.code, "numerator": r.numerator, "denominator": r.denominator,
             "name_zh": r.name_zh, "name_en": r.name_en, "source": r.source,
             "status": r.status, "note": r.note} for r in rates()]


__all__ = ["COVERAGE_KEYS", "RATE_KEYS", "Slice", "coverage_by_scheme", "coverage_rows",
           "coverage_slices", "definitions", "latest_year", "rate", "region_coverage",
           "schemes_coverage", "slices_coverage"]
