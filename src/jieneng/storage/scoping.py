"""A :class:`jieneng.core.scope.Filters` as SQL conditions: the one translation of a
caller's scope for the storage reads that take it.

A scoped read takes the whole ``filters`` (never its parts: regions, department,
institutions), and builds its conditions here, so no read can apply the region part
and drop the department or institution part. ``tests/services/test_scope_filters.py``
checks statically that no storage function takes a part as a parameter of its own.

- :func:`institution_conditions` — on ``institution`` (what every read joins to);
- :func:`owned_conditions` — on a row that belongs to a region and maybe to one
  institution (an alert, a target);
- :func:`region_conditions` — the region part alone, for a row that belongs to a
  region only (a reporting period), where the caller decides what a narrower scope sees;
- :func:`group_conditions` — on a roll-up keyed by (region, category): region-level
  filters only, since a department or an institution is not a group.

``categories`` is a filter of the request, not of the scope; it is applied here too so
that the institution and the roll-up paths filter alike. Long lists go through
temporary tables (:func:`jieneng.storage.bulk.in_values`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import CHAR, Column, ColumnElement, Connection, Integer, or_, select

from jieneng.core.scope import Filters
from jieneng.storage import tables as t
from jieneng.storage.bulk import in_values, temp_table

_region_filter = temp_table("_jn_region_filter", Column("code", CHAR(6), primary_key=True))
_id_filter = temp_table("_jn_id_filter", Column("id", Integer, primary_key=True))


def institution_conditions(
    conn: Connection, filters: Filters, *, categories: Sequence[str] | None = None,
) -> list[ColumnElement[bool]]:
    """Conditions on :data:`tables.institution` for ``filters`` (and ``categories``)."""
    i = t.institution
    out = _region_category(conn, i, filters.region_codes, categories)
    if filters.department_id is not None:
        # 部门汇总: the department's subordinate units and the department itself.
        out.append(or_(i.c.department_id == filters.department_id,
                       i.c.id == filters.department_id))
    if filters.institution_ids is not None:
        out.append(in_values(conn, i.c.id, filters.institution_ids, _id_filter))
    return out


def owned_conditions(conn: Connection, region_code: ColumnElement[str],
                     institution_id: ColumnElement[int], filters: Filters,
                     ) -> list[ColumnElement[bool]]:
    """Conditions on a row that belongs to a region and, maybe, to one institution
    (an alert, a target): inside the regions, and — when the scope is narrower than
    regions — the institution of the scope (a row of no institution is then outside)."""
    out = region_conditions(conn, region_code, filters)
    if filters.below_region:
        i = t.institution
        inside = select(i.c.id).where(*institution_conditions(
            conn, Filters(None, filters.department_id, filters.institution_ids)))
        out.append(institution_id.in_(inside))
    return out


def region_conditions(conn: Connection, region_code: ColumnElement[str], filters: Filters
                      ) -> list[ColumnElement[bool]]:
    """``region_code`` inside the regions of ``filters`` (nothing when it has none). Only
    the region part: a row of a region alone is inside a department or institution scope
    by what the caller joins to it, never by this."""
    if filters.region_codes is None:
        return []
    return [in_values(conn, region_code, filters.region_codes, _region_filter)]


def group_conditions(
    conn: Connection, table: Any, filters: Filters, *,
    categories: Sequence[str] | None = None,
) -> list[ColumnElement[bool]]:
    """Conditions on ``region_code`` and ``category`` of a group roll-up ``table``
    (``consumption_group_*``, ``institution_group``). Refuses filters narrower than
    regions: a roll-up row sums institutions of every department."""
    if filters.below_region:
        raise ValueError("a department or institution scope cannot read the group roll-ups")
    return _region_category(conn, table, filters.region_codes, categories)


def _region_category(
    conn: Connection, table: Any, region_codes: Sequence[str] | None,
    categories: Sequence[str] | None,
) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if region_codes is not None:
        out.append(in_values(conn, table.c.region_code, region_codes, _region_filter))
    if categories is not None:
        out.append(table.c.category.in_(sorted(set(categories))))
    return out
