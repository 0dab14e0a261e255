"""Which project a caller may see, for the M&V, statements and settlement services.

A project is visible when the caller's scope (:func:`jieneng.services.scope.scoped_filters`)
holds its region or one of its owner institutions: a 管理机构 sees the projects of its
subtree, a unit (or its 主管部门) the projects it owns. Anything else reads as not
found, the same as a project that does not exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from jieneng.core.caller import User
from jieneng.core.exceptions import NotFound
from jieneng.services.scope import scoped_filters
from jieneng.storage import tables as t
from jieneng.storage.projects import project, project_contract, project_owner


def visible_project(conn: Connection, user: User, code: str) -> dict[str, Any]:
    """The project ``code`` (a dict of its row) when the caller may see it."""
    found = conn.execute(select(project).where(project.c.code == code.strip())).first()
    if found is None:
        raise NotFound.of("project_mv.project_not_found", project=code)
    row = dict(found._mapping)
    filters = scoped_filters(conn, user.scope)
    if not filters.below_region and (filters.region_codes is None
                                     or row["region_code"] in filters.region_codes):
        return row
    i, o = t.institution, project_owner
    owned = select(i.c.id, i.c.region_code, i.c.department_id).join(
        o, o.c.institution_id == i.c.id).where(o.c.project_id == row["id"])
    for iid, region, department in conn.execute(owned):
        if filters.institution_ids is not None and iid not in filters.institution_ids:
            continue
        if filters.department_id is not None and filters.department_id not in (iid, department):
            continue
        if filters.region_codes is not None and region not in filters.region_codes:
            continue
        return row
    raise NotFound.of("project_mv.project_not_found", project=code)


def contract_of(conn: Connection, project_id: int) -> dict[str, Any] | None:
    c = project_contract
    found = conn.execute(select(c).where(c.c.project_id == project_id)).first()
    return None if found is None else dict(found._mapping)
