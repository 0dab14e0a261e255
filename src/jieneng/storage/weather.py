"""Weather (issue 13 §3): stations, the regions each serves, and daily mean temperatures.

- ``weather_station`` — a station by its ``code`` (any text the operator chooses, e.g.
  a CMA station number ``57957``), its name and optional latitude/longitude;
- ``weather_station_region`` — the regions a station serves, one station per region
  (the key is the region): a region without its own station takes its nearest
  ancestor's (:func:`station_for_region`);
- ``weather_day`` — the daily mean temperature of a station [°C], keyed (station, day),
  with where it came from (``source``: ``daily`` — a daily-mean file, ``hourly`` —
  averaged from an hourly file, ``demo`` — the demo's synthetic year) and the share of
  the day's 24 hours observed (``coverage``: 1 for a daily mean). A later import
  replaces a day's value (:func:`write_days`, idempotent: an identical day is left
  alone); the earlier value stays in the import batch's stored file.

Writes are set-based through a temporary stage table; the only writer is
:mod:`jieneng.services.weather`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    CHAR,
    CheckConstraint,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Row,
    SmallInteger,
    String,
    Table,
    and_,
    case,
    func,
    literal,
    null,
    or_,
    select,
)

from .bulk import analyze, bulk_insert, ensure_temp, read_frame, temp_table
from .tables import Double, metadata

SOURCES: tuple[str, ...] = ("daily", "hourly", "demo")

weather_station = Table(
    "weather_station",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("latitude", Double, nullable=True),
    Column("longitude", Double, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)",
                    name="latitude"),
    CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)",
                    name="longitude"),
)

weather_station_region = Table(
    "weather_station_region",
    metadata,
    Column("region_code", CHAR(6), ForeignKey("region.code"), primary_key=True),
    Column("station_id", Integer, ForeignKey("weather_station.id"), nullable=False),
)

weather_day = Table(
    "weather_day",
    metadata,
    Column("station_id", Integer, ForeignKey("weather_station.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("temperature_c", Double, nullable=False),
    Column("source", String(8), nullable=False),
    Column("coverage", Double, nullable=False),
    Column("hours", SmallInteger, nullable=True),
    Column("import_id", Integer, nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("coverage > 0 AND coverage <= 1", name="coverage"),
    CheckConstraint("source IN ('daily', 'hourly', 'demo')", name="source"),
)

_s, _r, _d = weather_station, weather_station_region, weather_day
_stage = temp_table(
    "stage_weather_day", Column("day", Date), Column("temperature_c", Double),
    Column("source", String(8)), Column("coverage", Double), Column("hours", SmallInteger))
DAY_VALUES: tuple[str, ...] = ("temperature_c", "source", "coverage", "hours")


# ------------------------------------------------------------------ stations

def station_by_code(conn: Connection, code: str) -> Row[Any] | None:
    return conn.execute(select(_s).where(_s.c.code == code)).first()


def stations(conn: Connection) -> list[dict[str, Any]]:
    """Every station with its regions, its days and first/last day, by code."""
    regions: dict[int, list[str]] = {}
    for sid, region in conn.execute(select(_r.c.station_id, _r.c.region_code)
                                    .order_by(_r.c.region_code)):
        regions.setdefault(int(sid), []).append(str(region).strip())
    spans = {int(r[0]): (int(r[1]), r[2], r[3]) for r in conn.execute(
        select(_d.c.station_id, func.count(), func.min(_d.c.day), func.max(_d.c.day))
        .group_by(_d.c.station_id))}
    out = []
    for row in conn.execute(select(_s).order_by(_s.c.code)):
        days, first, last = spans.get(int(row.id), (0, None, None))
        out.append({"id": int(row.id), "code": row.code, "name": row.name,
                    "latitude": row.latitude, "longitude": row.longitude,
                    "regions": regions.get(int(row.id), []), "days": days,
                    "first_day": first.isoformat() if first else None,
                    "last_day": last.isoformat() if last else None})
    return out


def upsert_station(conn: Connection, code: str, name: str, latitude: float | None,
                   longitude: float | None) -> tuple[int, bool]:
    """The station's id and whether it was created (an existing one takes the new name
    and coordinates)."""
    found = station_by_code(conn, code)
    if found is None:
        new_id = conn.execute(_s.insert().values(
            code=code, name=name, latitude=latitude, longitude=longitude,
            created_at=datetime.now(UTC)).returning(_s.c.id)).scalar_one()
        return int(new_id), True
    conn.execute(_s.update().where(_s.c.id == found.id).values(
        name=name, latitude=latitude, longitude=longitude))
    return int(found.id), False


def serve_regions(conn: Connection, station_id: int, region_codes: Sequence[str]) -> None:
    """Make the station serve ``region_codes`` (a region served by another station
    moves to this one)."""
    if not region_codes:
        return
    codes = sorted(set(region_codes))
    conn.execute(_r.delete().where(_r.c.region_code.in_(codes)))
    conn.execute(_r.insert(), [{"region_code": c, "station_id": station_id} for c in codes])


def region_stations(conn: Connection) -> dict[str, tuple[int, str]]:
    """region code → (station id, station code) of every region with its own station."""
    return {str(r[0]).strip(): (int(r[1]), str(r[2])) for r in conn.execute(
        select(_r.c.region_code, _s.c.id, _s.c.code).join(_s, _s.c.id == _r.c.station_id))}


# ------------------------------------------------------------------ days

def write_days(conn: Connection, station_id: int, frame: pl.DataFrame,
               import_id: int | None) -> dict[str, int]:
    """Store a station's days (``day``, ``temperature_c``, ``source``, ``coverage``,
    ``hours``): new days inserted, a day whose values differ replaced, an identical day
    left alone. Returns ``new``, ``replaced``, ``unchanged``."""
    ensure_temp(conn, _stage)
    bulk_insert(conn, _stage, frame.select("day", *DAY_VALUES))
    analyze(conn, _stage)
    s = _stage
    match = and_(_d.c.station_id == station_id, _d.c.day == s.c.day)
    differs = or_(*[_d.c[v].is_distinct_from(s.c[v]) for v in DAY_VALUES])
    replaced = _count(conn, select(func.count()).select_from(s.join(_d, match)).where(differs))
    if replaced:
        conn.execute(_d.delete().where(_d.c.station_id == station_id, _d.c.day.in_(
            select(s.c.day).select_from(s.join(_d, match)).where(differs))))
    fresh = ~select(1).select_from(_d).where(match).exists()
    new = _count(conn, select(func.count()).select_from(s).where(fresh)) - replaced
    conn.execute(_d.insert().from_select(
        ["station_id", "day", *DAY_VALUES, "import_id", "recorded_at"],
        select(literal(station_id, Integer), s.c.day, *[s.c[v] for v in DAY_VALUES],
               null() if import_id is None else literal(import_id, Integer),
               literal(datetime.now(UTC), DateTime(timezone=True))).where(fresh)))
    return {"new": new, "replaced": replaced, "unchanged": frame.height - new - replaced}


def _count(conn: Connection, query: Any) -> int:
    return int(conn.execute(query).scalar_one())


def days_of(conn: Connection, station_id: int, first: date, last: date) -> pl.DataFrame:
    """The station's stored days in [first, last] (day, temperature_c, coverage,
    source), by day."""
    query = (select(_d.c.day, _d.c.temperature_c, _d.c.coverage, _d.c.source)
             .where(_d.c.station_id == station_id, _d.c.day >= first, _d.c.day <= last)
             .order_by(_d.c.day))
    return read_frame(conn, query, {"day": pl.Date, "temperature_c": pl.Float64,
                                    "coverage": pl.Float64, "source": pl.String})


#: the base temperatures of the degree days the weather page shows [°C]: heating 18 °C
#: and cooling 26 °C — HDD18 / CDD26 as GB 50176-2016《民用建筑热工设计规范》 names them
HDD_BASE_C = 18.0
CDD_BASE_C = 26.0


def month_summary(conn: Connection, station_id: int | None = None) -> pl.DataFrame:
    """Per (station, year, month) with any stored day: ``days`` stored, ``mean_c`` (the
    mean of the daily means), ``hdd18`` and ``cdd26`` (Σ of max(0, 18 − T) and
    max(0, T − 26) over the stored days [°C·d]), ``coverage`` (the mean of the days'
    hour coverage), and how many days came from each source (``daily``, ``hourly``,
    ``demo``) — one grouped query; of one station when ``station_id`` is given."""
    year = func.extract("year", _d.c.day)
    month = func.extract("month", _d.c.day)
    t = _d.c.temperature_c
    zero = literal(0.0, Double)
    hdd = case((t < HDD_BASE_C, HDD_BASE_C - t), else_=zero)
    cdd = case((t > CDD_BASE_C, t - CDD_BASE_C), else_=zero)
    query = (select(_d.c.station_id, year.label("year"), month.label("month"),
                    func.count().label("days"), func.avg(t), func.sum(hdd), func.sum(cdd),
                    func.avg(_d.c.coverage),
                    *[func.sum(case((_d.c.source == s, 1), else_=0)) for s in SOURCES])
             .group_by(_d.c.station_id, year, month)
             .order_by(_d.c.station_id, year, month))
    if station_id is not None:
        query = query.where(_d.c.station_id == station_id)
    return read_frame(conn, query, {
        "station_id": pl.Int64, "year": pl.Int64, "month": pl.Int64, "days": pl.Int64,
        "mean_c": pl.Float64, "hdd18": pl.Float64, "cdd26": pl.Float64,
        "coverage": pl.Float64, **{f"days_{s}": pl.Int64 for s in SOURCES}})
