"""A :class:`jieneng.core.scope.Filters` as SQL conditions: the one translation of a
caller's scope for the storage reads that take it.

A scoped read takes the whole ``filters`` (never its parts), and builds its
conditions here, so no read can apply the region part and drop the department or
institution part.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select

from jieneng.core.scope import Filters
from jieneng.storage import tables as t


def institution_conditions(filters: Filters) -> list[ColumnElement[bool]]:
    """Conditions on :data:`tables.institution` for ``filters``."""
    i = t.institution
    out: list[ColumnElement[bool]] = []
    if filters.region_codes is not None:
        out.append(i.c.region_code.in_(sorted(set(filters.region_codes))))
    if filters.department_id is not None:
        out.append(or_(i.c.department_id == filters.department_id,
                       i.c.id == filters.department_id))
    if filters.institution_ids is not None:
        out.append(i.c.id.in_(sorted(set(filters.institution_ids))))
    return out


def owned_conditions(region_code: ColumnElement[str], institution_id: ColumnElement[int],
                     filters: Filters) -> list[ColumnElement[bool]]:
    """Conditions on a row that belongs to a region and, maybe, to one institution
    (an alert, a target): inside the regions, and — when the scope is narrower than
    regions — the institution of the scope (a row of no institution is then outside)."""
    out: list[ColumnElement[bool]] = []
    if filters.region_codes is not None:
        out.append(region_code.in_(sorted(set(filters.region_codes))))
    if filters.below_region:
        i = t.institution
        inside = select(i.c.id).where(*institution_conditions(
            Filters(None, filters.department_id, filters.institution_ids)))
        out.append(institution_id.in_(inside))
    return out
