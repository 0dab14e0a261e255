"""Coverage of a campaign per region (issue 14 §3): 达标率, 创建率, 自评率, 抽查率, 复检合格率.

:func:`region_coverage` answers, for a scheme and a year, one row for the region itself
(its whole subtree) and one per direct child region (its subtree): the counts of
:data:`jieneng.core.campaigns.coverage.COUNTS` and the rates of ``coverage.csv``
(numerator ÷ denominator as data, with source and status). Set-based: one statement per
count for every region at once, grouped by the institution's region; the regions are
then folded into the children in memory (a few hundred regions, never the institutions).

Other helpers call it (work-plan indicators, assessment sheets) with ``user=None``: no
scope check; with a user, the region must lie in the user's scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, or_, select
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


def _grouped(conn: Connection, query: Select[Any]) -> dict[str, int]:
    return {str(code).strip(): int(n) for code, n in conn.execute(query)}


def _counts(conn: Connection, where: Sequence[ColumnElement[bool]], scheme_code: str,
            year: int) -> dict[str, dict[str, int]]:
    """count name → region code → count (one statement each)."""
    i, r, m = institution, campaign_round, campaign_round_member
    t, k = campaign_title, campaign_recheck
    c, cm = campaign_spot_check, campaign_spot_check_member
    first, last = date(year, 1, 1), date(year, 12, 31)
    by_region = i.c.region_code

    def count(*joins_where: Any, frm: Any = None) -> Select[Any]:
        query = select(by_region, func.count(func.distinct(i.c.id)))
        if frm is not None:
            query = query.select_from(frm)
        return query.where(*where, *joins_where).group_by(by_region)

    member_of = (select(m.c.institution_id).join(r, r.c.id == m.c.round_id)
                 .where(r.c.scheme_code == scheme_code, r.c.year == year))
    held = (select(t.c.institution_id).where(
        t.c.scheme_code == scheme_code, t.c.awarded_on <= last,
        or_(t.c.state == "held", and_(t.c.state == "revoked", t.c.revoked_on > last)),
        or_(t.c.valid_until.is_(None), t.c.valid_until >= last)))
    members_join = i.join(m, m.c.institution_id == i.c.id).join(r, r.c.id == m.c.round_id)
    in_round = (r.c.scheme_code == scheme_code, r.c.year == year)
    checked = (select(cm.c.institution_id).join(c, c.c.id == cm.c.check_id)
               .join(r, r.c.id == c.c.round_id)
               .where(r.c.scheme_code == scheme_code, r.c.year == year))
    rechecks = i.join(k, k.c.institution_id == i.c.id)
    concluded = (k.c.scheme_code == scheme_code, k.c.concluded_on.between(first, last))
    queries: dict[str, Select[Any]] = {
        "eligible": count(),
        "members": count(i.c.id.in_(member_of)),
        "self_assessed": count(*in_round, m.c.submitted_at.is_not(None), frm=members_join),
        "spot_checked": count(i.c.id.in_(checked)),
        "recommended": count(*in_round, m.c.state.in_(RECOMMENDED_STATES), frm=members_join),
        "awarded": count(i.c.id.in_(select(t.c.institution_id).where(
            t.c.scheme_code == scheme_code, t.c.awarded_on.between(first, last)))),
        "titles_held": count(i.c.id.in_(held)),
        "taking_part": count(or_(i.c.id.in_(member_of), i.c.id.in_(held))),
        "rechecked": count(*concluded, k.c.state.in_([s.value for s in CONCLUDED]),
                           frm=rechecks),
        "recheck_passed": count(*concluded, k.c.state.in_([s.value for s in PASSED]),
                                frm=rechecks),
    }
    return {name: _grouped(conn, query) for name, query in queries.items()}


def _fold(tree: RegionTree, region_code: str, counts: dict[str, dict[str, int]],
          by_child: bool) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, int]] = {region_code: dict.fromkeys(COUNTS, 0)}
    under: dict[str, str] = tree.child_under(region_code) if by_child else {}
    if by_child:
        for child in tree.children.get(region_code, ()):
            groups[child] = dict.fromkeys(COUNTS, 0)
    for name, per_region in counts.items():
        for code, n in per_region.items():
            groups[region_code][name] += n
            child = under.get(code, region_code)
            if child != region_code:
                groups[child][name] += n
    rows = []
    for code in [region_code, *sorted(c for c in groups if c != region_code)]:
        rows.append({"region_code": code, "region_name": tree.name(code),
                     "level": "self" if code == region_code else "child",
                     **groups[code], **rate_values(groups[code])})
    return rows


def coverage_rows(conn: Connection, region_code: str, year: int, scheme_code: str, *,
                  filters: Filters | None = None, by_child: bool = True
                  ) -> list[dict[str, Any]]:
    """The coverage rows inside an open connection (``filters``: the caller's scope)."""
    _check_scheme(conn, scheme_code)
    tree = RegionTree(region_store.load_regions(conn))
    if region_code not in tree:
        raise NotFound.of("scope.region_not_found", region_code=region_code)
    chosen = filters or Filters(tree.subtree(region_code), None, None)
    where = [institution.c.status == "active",
             *institution_conditions(conn, chosen, categories=_categories(scheme_code))]
    rows = _fold(tree, region_code, _counts(conn, where, scheme_code, year), by_child)
    target = _target(conn, scheme_code)
    for row in rows:
        row["target"] = target
    return rows


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


__all__ = ["COVERAGE_KEYS", "RATE_KEYS", "coverage_rows", "definitions", "latest_year",
           "rate", "region_coverage"]
