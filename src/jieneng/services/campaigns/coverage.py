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

Other helpers call it (work-plan indicators, assessment sheets) with ``user=None``: no
scope check; with a user, the region must lie in the user's scope.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from jieneng.core.caller import User
from jieneng.core.campaigns.checks import CONCLUDED, PASSED
from jieneng.core.campaigns.coverage import COUNTS, population_of, rate_values, rates
from jieneng.core.campaigns.shipped import SHIPPED, shipped
from jieneng.core.categories import categories_under
from jieneng.core.exceptions import NotFound
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters
from jieneng.services.scope import scoped_filters
from jieneng.storage import regions as region_store
from jieneng.storage.campaign_rounds import campaign_round, campaign_round_member, campaign_title
from jieneng.storage.campaign_titles import (
    campaign_recheck,
    campaign_spot_check,
    campaign_spot_check_member,
)
from jieneng.storage.campaigns import campaign_scheme
from jieneng.storage.scoping import institution_conditions
from jieneng.storage.tables import institution

RATE_KEYS: tuple[str, ...] = ("compliance_rate", "creation_rate", "self_assessment_rate",
                              "spot_check_rate", "recheck_pass_rate")
COVERAGE_KEYS: tuple[str, ...] = ("region_code", "region_name", "level", *COUNTS,
                                  *RATE_KEYS, "target")
#: member states that mean a review recommended the member (or later)
RECOMMENDED_STATES: tuple[str, ...] = ("recommended", "publicised", "awarded", "rejected")


def _categories(scheme_code: str) -> list[str] | None:
    population = population_of(scheme_code)
    if population is None:
        return None
    return sorted({leaf for c in population.categories for leaf in categories_under(c)})


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


def _sets(scheme_code: str, year: int) -> dict[str, Select[Any]]:
    """count name → the institutions it counts (a SELECT of their ids), for every count
    of :data:`COUNTS` but ``eligible`` and ``taking_part`` (= members ∪ titles held)."""
    r, m, t, k = campaign_round, campaign_round_member, campaign_title, campaign_recheck
    c, cm = campaign_spot_check, campaign_spot_check_member
    first, last = date(year, 1, 1), date(year, 12, 31)
    in_round = (r.c.scheme_code == scheme_code, r.c.year == year)

    def members(*condition: ColumnElement[bool]) -> Select[Any]:
        return select(m.c.institution_id).join(r, r.c.id == m.c.round_id).where(
            *in_round, *condition)

    def rechecks(states: Collection[Any]) -> Select[Any]:
        return select(k.c.institution_id).where(
            k.c.scheme_code == scheme_code, k.c.concluded_on.between(first, last),
            k.c.state.in_(sorted(s.value for s in states)))

    return {
        "members": members(),
        "self_assessed": members(m.c.submitted_at.is_not(None)),
        "spot_checked": (select(cm.c.institution_id).join(c, c.c.id == cm.c.check_id)
                         .join(r, r.c.id == c.c.round_id).where(*in_round)),
        "recommended": members(m.c.state.in_(RECOMMENDED_STATES)),
        "awarded": select(t.c.institution_id).where(t.c.scheme_code == scheme_code,
                                                    t.c.awarded_on.between(first, last)),
        "titles_held": select(t.c.institution_id).where(
            t.c.scheme_code == scheme_code, t.c.awarded_on <= last,
            or_(t.c.state == "held", and_(t.c.state == "revoked", t.c.revoked_on > last)),
            or_(t.c.valid_until.is_(None), t.c.valid_until >= last)),
        "rechecked": rechecks(CONCLUDED),
        "recheck_passed": rechecks(PASSED),
    }


def _count_columns(scheme_code: str, year: int, wanted: Collection[str]
                   ) -> dict[str, ColumnElement[Any]]:
    """count name → its column for one scheme: every ``wanted`` count of :data:`COUNTS`
    but ``eligible``, each a SUM of ``CASE WHEN id IN (its set)`` — a semi-join each
    database evaluates once per statement (PostgreSQL: a hashed subplan; SQLite: an
    ephemeral index)."""
    i, sets = institution, _sets(scheme_code, year)

    def share(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.sum(case((condition, 1), else_=0))

    columns: dict[str, ColumnElement[Any]] = {}
    for name in COUNTS:
        if name in sets and name in wanted:
            columns[name] = share(i.c.id.in_(sets[name]))
        elif name == "taking_part" and name in wanted:
            columns[name] = share(or_(i.c.id.in_(sets["members"]),
                                      i.c.id.in_(sets["titles_held"])))
    return columns


def _counts_by_scheme(conn: Connection, where: Sequence[ColumnElement[bool]],
                      schemes: Sequence[str], year: int,
                      counts: Collection[str] | None = None
                      ) -> dict[str, dict[str, dict[str, int]]]:
    """scheme → count name → region code → count (zeros left out) of ``counts`` (every
    count of :data:`COUNTS` when None; ``eligible`` always), for every scheme in ONE
    statement over the institutions of ``where`` (the caller's regions, any category):
    grouped by region and category, each scheme's counts as columns
    (:func:`_count_columns`); each scheme then sums its population's categories."""
    i = institution
    wanted = set(COUNTS if counts is None else counts)
    columns: list[tuple[str, str, ColumnElement[Any]]] = []
    for scheme in dict.fromkeys(schemes):
        columns += [(scheme, name, column) for name, column
                    in _count_columns(scheme, year, wanted).items()]
    query = (select(i.c.region_code, i.c.category, func.count(i.c.id),
                    *(column for _, _, column in columns))
             .where(*where, *_union_categories(schemes))
             .group_by(i.c.region_code, i.c.category))
    out: dict[str, dict[str, dict[str, int]]] = {
        s: {"eligible": {}, **{n: {} for x, n, _ in columns if x == s}} for s in schemes}
    chosen = {s: _categories(s) for s in schemes}
    for row in conn.execute(query):
        code, category = str(row[0]).strip(), str(row[1]).strip()
        cells = [(s, "eligible", row[2]) for s in chosen]
        cells += [(s, n, row[3 + k]) for k, (s, n, _) in enumerate(columns)]
        for scheme, name, n in cells:
            inside = chosen[scheme]
            if n and (inside is None or category in inside):
                per_region = out[scheme][name]
                per_region[code] = per_region.get(code, 0) + int(n)
    return out


def _union_categories(schemes: Sequence[str]) -> list[ColumnElement[bool]]:
    """The categories of any of ``schemes`` (nothing when one takes every category)."""
    found: set[str] = set()
    for scheme in schemes:
        wanted = _categories(scheme)
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
                  filters: Filters | None = None, by_child: bool = True
                  ) -> list[dict[str, Any]]:
    """The coverage rows inside an open connection (``filters``: the caller's scope)."""
    return coverage_by_scheme(conn, region_code, year, [scheme_code], filters=filters,
                              by_child=by_child)[scheme_code]


def coverage_by_scheme(conn: Connection, region_code: str, year: int,
                       schemes: Sequence[str], *, filters: Filters | None = None,
                       by_child: bool = True, counts: Collection[str] | None = None
                       ) -> dict[str, list[dict[str, Any]]]:
    """:func:`coverage_rows` of several schemes in one pass (one region tree, one
    statement for all): scheme → rows. ``counts``: only these counts (and ``eligible``) and the
    rates made of them — every one when None. NotFound for an unknown scheme or
    region."""
    for scheme in schemes:
        _check_scheme(conn, scheme)
    tree = RegionTree(region_store.load_regions(conn))
    if region_code not in tree:
        raise NotFound.of("scope.region_not_found", region_code=region_code)
    chosen = filters or Filters(tree.subtree(region_code), None, None)
    where = [institution.c.status == "active", *institution_conditions(conn, chosen)]
    out: dict[str, list[dict[str, Any]]] = {}
    for scheme, found in _counts_by_scheme(conn, where, schemes, year, counts).items():
        target = _target(conn, scheme)
        out[scheme] = [{**row, "target": target}
                       for row in _fold(tree, region_code, found, by_child)]
    return out


def region_coverage(engine: Engine, region_code: str, year: int, scheme_code: str, *,
                    user: User | None = None, by_child: bool = True
                    ) -> list[dict[str, Any]]:
    """One row for ``region_code`` (its subtree) then one per direct child region, with
    :data:`COVERAGE_KEYS` (module docstring). ``user``: checked against its scope."""
    with engine.connect() as conn:
        filters = None
        if user is not None:
            filters = scoped_filters(conn, user.scope, region_code=region_code)
        return coverage_rows(conn, region_code, year, scheme_code, filters=filters,
                             by_child=by_child)


def schemes_coverage(engine: Engine, region_code: str, year: int, schemes: Sequence[str],
                     *, by_child: bool = True, counts: Collection[str] | None = None
                     ) -> dict[str, list[dict[str, Any]]]:
    """:func:`region_coverage` of several schemes at once, no scope check (a service's
    own reading, e.g. a work plan's indicators): scheme → rows; ``counts`` as in
    :func:`coverage_by_scheme` (only the figures the caller shows)."""
    with engine.connect() as conn:
        return coverage_by_scheme(conn, region_code, year, schemes, by_child=by_child,
                                  counts=counts)


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


__all__ = ["COVERAGE_KEYS", "RATE_KEYS", "coverage_by_scheme", "coverage_rows", "definitions",
           "latest_year", "rate", "region_coverage", "schemes_coverage"]
