"""The demo's data-centre room: the demo unit whose meters include the data-centre
room-total (``JF-01``) and IT (``JF-IT``) sub-meters (:mod:`jieneng.demo.metering`) gets
a NY202 room bound to them — so its monthly PUE comes from the metered roll-ups — and
an annual NY202 record of 2025. Idempotent (a room, binding or record already there is
left as it is). The figures are the demo's own, not measured values."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, select

from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters
from jieneng.storage import forms_ny as store
from jieneng.storage import tables as t
from jieneng.storage.metering import metering_meter
from jieneng.storage.regions import load_regions
from jieneng.storage.scoping import institution_conditions

ROOM = ("JF-01", "数据中心机房")
TOTAL, IT = "JF-01", "JF-IT"
#: the annual 2025 record (a PUE of 1.55, an existing room: below its 1.6 target)
ANNUAL_2025 = {"area": 80.0, "cabinets": 12, "cabinets_reserved": 2, "power_total": 95.0,
               "power_it": 60.0, "power_cooling": 28.0, "power_distribution": 7.0,
               "elec_total": 620_000.0, "elec_it": 400_000.0, "elec_cooling": 190_000.0,
               "elec_distribution": 30_000.0}


def seed_rooms(engine: Engine, region_code: str) -> int:
    """Create and bind the demo's rooms in ``region_code``; the number of rooms."""
    m, i = metering_meter, t.institution
    with engine.begin() as conn:
        regions = list(RegionTree(load_regions(conn)).subtree(region_code))
        query = (select(m.c.institution_id, m.c.number, m.c.id)
                 .select_from(m.join(i, i.c.id == m.c.institution_id))
                 .where(m.c.number.in_([TOTAL, IT]), m.c.carrier == "electricity",
                        *institution_conditions(conn, Filters(regions, None, None))))
        found = pl.DataFrame([tuple(r) for r in conn.execute(query)],
                             schema={"institution_id": pl.Int64, "number": pl.String,
                                     "meter_id": pl.Int64}, orient="row")
        units = found.group_by("institution_id").agg(pl.len().alias("n")).filter(
            pl.col("n") == 2)
        if units.is_empty():
            return 0
        rooms = store.ensure_rooms(conn, units.select(
            "institution_id", pl.lit(ROOM[0]).alias("room_code"),
            pl.lit(ROOM[1]).alias("room_name"), pl.lit("existing").alias("room_status")))
        links = rooms.join(found, on="institution_id")
        for room_id, number, meter_id in links.select(  # two rows per demo unit
                "room_id", "number", "meter_id").iter_rows():
            store.bind_room_meter(conn, room_id, "total" if number == TOTAL else "it",
                                  meter_id)
        records = rooms.select("institution_id", "room_id").with_columns(
            pl.lit(2025).alias("year"), pl.lit(0).alias("month"),
            *(pl.lit(v).alias(k) for k, v in ANNUAL_2025.items()))
        store.write_records(conn, "NY202", records, source="demo")
    return rooms.height

