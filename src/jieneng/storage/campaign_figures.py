"""Window sums for scoring a campaign round (issue 14 §2): every active institution of
a set of regions with its carrier quantities summed over a month window (from the
``consumption_month`` roll-up, set-based, one statement), the months it reported, its
region, type and profile (floor area, occupants) of one year.

Read as a polars frame (:func:`jieneng.storage.bulk.read_frame`: COPY on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from sqlalchemy import Connection, and_, func, literal, select

from jieneng.core.carriers import CARRIER_CODES

from . import tables as t
from .bulk import read_frame


def window_sums(conn: Connection, region_codes: Sequence[str], first: tuple[int, int],
                last: tuple[int, int], profile_year: int) -> pl.DataFrame:
    """One row per active institution of ``region_codes``: ``institution_id``,
    ``region_code``, ``category``, ``floor_area_m2``, ``occupants`` (profile of
    ``profile_year``), ``months`` reported in [``first``, ``last``] and ``q_<carrier>``
    summed over them (null when none)."""
    m, i, p = t.consumption_month, t.institution, t.institution_profile
    index = m.c.year * 12 + m.c.month
    lo, hi = first[0] * 12 + first[1], last[0] * 12 + last[1]
    sums = (select(m.c.institution_id.label("iid"), func.count().label("months"),
                   *[func.sum(m.c[f"q_{c}"]).label(f"q_{c}") for c in CARRIER_CODES])
            .where(index >= lo, index <= hi).group_by(m.c.institution_id).subquery())
    query = (
        select(i.c.id, i.c.region_code, i.c.category, p.c.floor_area_m2, p.c.occupants,
               func.coalesce(sums.c.months, literal(0)),
               *[sums.c[f"q_{c}"] for c in CARRIER_CODES])
        .select_from(i.outerjoin(sums, sums.c.iid == i.c.id)
                     .outerjoin(p, and_(p.c.institution_id == i.c.id,
                                        p.c.year == profile_year)))
        .where(i.c.status == "active", i.c.region_code.in_(sorted(set(region_codes))))
        .order_by(i.c.id))
    schema: dict[str, pl.DataType] = {
        "institution_id": pl.Int64(), "region_code": pl.String(), "category": pl.String(),
        "floor_area_m2": pl.Float64(), "occupants": pl.Float64(), "months": pl.Int64(),
        **{f"q_{c}": pl.Float64() for c in CARRIER_CODES}}
    return read_frame(conn, query, schema)
