"""Scope enforcement, in one place: a caller's :class:`Scope` intersected with the
filters a request asks for, as the filter arguments every storage query takes
(``region_codes``, ``department_id``, ``institution_ids``).

A request for something outside the scope is answered as if it did not exist
(:class:`NotFound`), so a 公共机构 user who edits a URL learns nothing: that
includes a region holding none of a department's or an institution's units.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, or_, select

from jieneng.core.exceptions import NotFound
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters, Scope, ScopeKind
from jieneng.storage import institutions, regions, tables
from jieneng.storage.institutions import InstitutionRow
from jieneng.storage.scoping import institution_conditions

__all__ = ["Filters", "covered_institutions", "covered_regions", "held_regions",
           "reaching_regions", "scoped_filters", "visible_institution", "visible_institutions"]


def scoped_filters(
    conn: Connection,
    scope: Scope,
    *,
    region_code: str | None = None,
    department_id: int | None = None,
    institution_id: int | None = None,
) -> Filters:
    """The filters for a request inside ``scope``; NotFound when it asks outside it."""
    tree = RegionTree(regions.load_regions(conn))
    if region_code is not None and region_code not in tree:
        raise NotFound.of("scope.region_not_found", region_code=region_code)
    region_codes = tree.subtree(region_code) if region_code else None
    if scope.kind is ScopeKind.REGION and scope.region_code is not None:
        allowed = set(tree.subtree(scope.region_code))
        if region_codes is not None and not set(region_codes) <= allowed:
            raise NotFound.of("scope.region_not_found", region_code=region_code)
        region_codes = region_codes or sorted(allowed)
        # a department is visible when it or one of its units lies in the region
        if department_id is not None and not _department_regions(conn, department_id) & allowed:
            raise NotFound.of("scope.department_not_found")
    if scope.kind is ScopeKind.DEPARTMENT:
        if department_id is not None and department_id != scope.department_id:
            raise NotFound.of("scope.department_not_found")
        department_id = scope.department_id
        if region_codes is not None and not _department_regions(conn, department_id) & set(
            region_codes
        ):
            raise NotFound.of("scope.region_not_found", region_code=region_code)
    if scope.kind is ScopeKind.INSTITUTION:
        if institution_id is not None and institution_id != scope.institution_id:
            raise NotFound.of("scope.institution_not_found")
        institution_id = scope.institution_id
        own = (
            None if institution_id is None
            else institutions.get_institution_by_id(conn, institution_id)
        )
        if region_codes is not None and (own is None or own.region_code not in region_codes):
            raise NotFound.of("scope.region_not_found", region_code=region_code)
        if department_id is not None and (
            own is None or department_id not in (own.id, own.department_id)
        ):
            raise NotFound.of("scope.department_not_found")
    ids = None if institution_id is None else [institution_id]
    if ids and scope.kind is not ScopeKind.INSTITUTION:
        _check_institution_visible(conn, scope, tree, ids[0])
    return Filters(region_codes, department_id, ids)


def held_regions(conn: Connection, scope: Scope, tree: RegionTree) -> set[str] | None:
    """The regions where ``scope`` holds something: a region's subtree, the regions of
    a department's units or an institution's region; None for everything (a list of
    things opened per region — reporting periods — is cut to those covering one)."""
    if scope.kind is ScopeKind.REGION and scope.region_code is not None:
        return set(tree.subtree(scope.region_code))
    if scope.kind is ScopeKind.DEPARTMENT:
        return _department_regions(conn, scope.department_id)
    if scope.kind is ScopeKind.INSTITUTION:
        own = (None if scope.institution_id is None
               else institutions.get_institution_by_id(conn, scope.institution_id))
        return set() if own is None else {own.region_code}
    if scope.kind is ScopeKind.ALL:
        return None
    return set()


def _department_regions(conn: Connection, department_id: int | None) -> set[str]:
    """Regions holding a competent department or one of its subordinate units."""
    if department_id is None:
        return set()
    i = tables.institution
    query = select(i.c.region_code).distinct().where(
        or_(i.c.id == department_id, i.c.department_id == department_id)
    )
    return {str(code) for code in conn.execute(query).scalars()}


def _check_institution_visible(
    conn: Connection, scope: Scope, tree: RegionTree, institution_id: int
) -> None:
    row = institutions.get_institution_by_id(conn, institution_id)
    if row is None:
        raise NotFound.of("scope.institution_not_found")
    if (
        scope.kind is ScopeKind.REGION
        and scope.region_code is not None
        and row.region_code not in set(tree.subtree(scope.region_code))
    ):
        raise NotFound.of("scope.institution_not_found")
    if scope.kind is ScopeKind.DEPARTMENT and scope.department_id not in (
        row.id, row.department_id
    ):
        raise NotFound.of("scope.institution_not_found")


def visible_institution(conn: Connection, scope: Scope, credit_code: str) -> InstitutionRow:
    """The institution with this credit code when ``scope`` shows it; else NotFound
    (the same answer whether it does not exist or is out of scope)."""
    row = institutions.get_institution(conn, credit_code.strip().upper())
    if row is None:
        raise NotFound.of("scope.institution_code_not_found", credit_code=credit_code)
    try:
        scoped_filters(conn, scope, institution_id=row.id)
    except NotFound:
        raise NotFound.of("scope.institution_code_not_found", credit_code=credit_code) from None
    return row


def visible_institutions(conn: Connection, scope: Scope,
                         credit_codes: Iterable[str]) -> dict[str, InstitutionRow]:
    """Credit code (upper case) → institution for the codes ``scope`` shows, in one
    query per few thousand codes (a file's units); a code missing from the answer
    does not exist or is out of scope — the same to the caller."""
    wanted = {c.strip().upper() for c in credit_codes}
    filters = scoped_filters(conn, scope)
    return institutions.institutions_by_codes(conn, sorted(wanted),
                                              institution_conditions(conn, filters))


def covered_regions(conn: Connection, scope: Scope, region_codes: Iterable[str]) -> set[str]:
    """Of ``region_codes``, those lying inside ``scope``: its region's subtree (all of
    them for the whole platform; none for a department or a unit — they hold no whole
    region). What a report on regions shows the assessed of their own rows."""
    wanted = set(region_codes)
    if scope.kind is ScopeKind.ALL:
        return wanted
    if scope.kind is ScopeKind.REGION and scope.region_code is not None:
        return wanted & set(RegionTree(regions.load_regions(conn)).subtree(scope.region_code))
    return set()


def covered_institutions(conn: Connection, scope: Scope,
                         institution_ids: Iterable[int]) -> set[int]:
    """Of ``institution_ids``, the units ``scope`` shows (a region's subtree, a
    department's units and itself, the own unit), in one query."""
    wanted = set(institution_ids)
    if scope.kind is ScopeKind.ALL or not wanted:
        return wanted
    if scope.kind is ScopeKind.PUBLIC:
        return set()
    i = tables.institution
    shown = conn.execute(select(i.c.id).where(
        *institution_conditions(conn, scoped_filters(conn, scope)))).scalars()
    return wanted & {int(v) for v in shown}


def reaching_regions(conn: Connection, scope: Scope) -> set[str] | None:
    """The regions above or at those where ``scope`` holds something (None: all) — the
    regions whose reports may hold a row of the caller's (a city's ranking of its
    counties holds the county's row)."""
    tree = RegionTree(regions.load_regions(conn))
    held = held_regions(conn, scope, tree)
    if held is None:
        return None
    return {code for region in held for code in tree.lineage(region)}
