"""Tables and queries of forms NY202 (data-centre rooms) and NY203 (heating).

- ``datacentre_room`` — a unit's 机房 (code unique per institution, name, status
  new / existing: the platform's convention for the PUE target, the forms carry none);
- ``datacentre_room_meter`` — the room's bound sub-meters: role ``it`` (IT equipment)
  and ``total`` (the room), one meter each, for PUE from metering;
- ``datacentre_record`` — NY202 figures per institution × room × period;
- ``heating_record`` — NY203 figures per institution × period.

A period is (year, month): month 1–12 a monthly report, 0 the annual report.
Figures are kept as revisions like ``consumption_record``: a changed figure set
flags the current row ``is_current = false`` and adds revision ``n + 1``; an
unchanged one is left alone. One column per current field of
:mod:`jieneng.core.forms_ny.fields` (removed fields are not stored). Every write is
set-based (one read of the touched keys, one UPDATE, one bulk insert).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    and_,
    func,
    select,
    text,
    true,
    update,
)

from jieneng.core.forms_ny import current
from jieneng.core.scope import Filters

from . import tables as t
from .bulk import bulk_insert, in_values, read_frame, temp_table
from .meter_readings import metering_rollup
from .scoping import institution_conditions

_SOURCES = "source IN ('manual', 'file', 'meter', 'demo')"
ROOM_STATUSES = ("new", "existing")
METER_ROLES = ("it", "total")

datacentre_room = Table(
    "datacentre_room",
    t.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=False),
    Column("code", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("status", String(8), nullable=False, server_default=text("'existing'")),
    Column("created_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    CheckConstraint("status IN ('new', 'existing')", name="status"),
    UniqueConstraint("institution_id", "code"),
)

datacentre_room_meter = Table(
    "datacentre_room_meter",
    t.metadata,
    Column("room_id", Integer, ForeignKey("datacentre_room.id"), primary_key=True),
    Column("role", String(5), primary_key=True),
    Column("meter_id", Integer, ForeignKey("metering_meter.id"), nullable=False),
    CheckConstraint("role IN ('it', 'total')", name="role"),
)


def _value_columns(form: str) -> list[Column[Any]]:
    return [Column(f.key, Integer if f.kind == "count" else t.Double, nullable=True)
            for f in current(form)]


def _record_columns() -> list[Any]:
    return [
        Column("source", String(8), nullable=False),
        Column("import_id", Integer, nullable=True),
        Column("entered_by", String(64), nullable=True),
        Column("revision", Integer, nullable=False),
        Column("is_current", Boolean, nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False,
               server_default=func.current_timestamp()),
        CheckConstraint("month BETWEEN 0 AND 12", name="month"),
        CheckConstraint("revision >= 1", name="revision"),
        CheckConstraint(_SOURCES, name="source"),
    ]


datacentre_record = Table(
    "datacentre_record",
    t.metadata,
    Column("id", t.BigId, primary_key=True, autoincrement=True),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=False),
    Column("room_id", Integer, ForeignKey("datacentre_room.id"), nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("month", SmallInteger, nullable=False),
    *_value_columns("NY202"),
    *_record_columns(),
    Index("uq_datacentre_record_key_revision", "room_id", "year", "month", "revision",
          unique=True),
    Index("ix_datacentre_record_year_month", "year", "month"),
)
Index("uq_datacentre_record_current", datacentre_record.c.room_id,
      datacentre_record.c.year, datacentre_record.c.month, unique=True,
      sqlite_where=text("is_current = 1"), postgresql_where=text("is_current"))

heating_record = Table(
    "heating_record",
    t.metadata,
    Column("id", t.BigId, primary_key=True, autoincrement=True),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("month", SmallInteger, nullable=False),
    *_value_columns("NY203"),
    *_record_columns(),
    Index("uq_heating_record_key_revision", "institution_id", "year", "month", "revision",
          unique=True),
    Index("ix_heating_record_year_month", "year", "month"),
)
Index("uq_heating_record_current", heating_record.c.institution_id,
      heating_record.c.year, heating_record.c.month, unique=True,
      sqlite_where=text("is_current = 1"), postgresql_where=text("is_current"))

_id_filter = temp_table("_jn_forms_ny_ids", Column("id", Integer, primary_key=True))

#: form → (table, the key columns of a record)
_FORMS: dict[str, tuple[Table, tuple[str, ...]]] = {
    "NY202": (datacentre_record, ("room_id", "year", "month")),
    "NY203": (heating_record, ("institution_id", "year", "month")),
}


def record_table(form: str) -> Table:
    return _FORMS[form][0]


def value_keys(form: str) -> list[str]:
    return [f.key for f in current(form)]


def value_schema(form: str) -> dict[str, Any]:
    return {f.key: (pl.Int64 if f.kind == "count" else pl.Float64) for f in current(form)}


# ------------------------------------------------------------------ rooms

ROOM_SCHEMA: dict[str, Any] = {"room_id": pl.Int64, "institution_id": pl.Int64,
                               "room_code": pl.String, "room_name": pl.String,
                               "room_status": pl.String}


def _room_select() -> Any:
    r = datacentre_room
    return select(r.c.id.label("room_id"), r.c.institution_id, r.c.code.label("room_code"),
                  r.c.name.label("room_name"), r.c.status.label("room_status"))


def rooms_of(conn: Connection, institution_ids: Sequence[int]) -> pl.DataFrame:
    """The rooms of these institutions (``ROOM_SCHEMA``), by institution and code."""
    r = datacentre_room
    query = _room_select().where(in_values(conn, r.c.institution_id, list(institution_ids),
                                           _id_filter)).order_by(r.c.institution_id, r.c.code)
    return read_frame(conn, query, ROOM_SCHEMA)


def ensure_rooms(conn: Connection, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (``institution_id, room_code, room_name, room_status``) with ``room_id``:
    rooms not yet known are created (one bulk insert); a known room keeps its stored
    name and status (changed on the room's page, not by a file)."""
    wanted = frame.select("institution_id", "room_code", "room_name", "room_status").unique(
        subset=["institution_id", "room_code"], keep="first", maintain_order=True)
    ids = wanted["institution_id"].unique().to_list()
    known = rooms_of(conn, ids)
    missing = wanted.join(known.select("institution_id", "room_code"),
                          on=["institution_id", "room_code"], how="anti")
    if missing.height:
        bulk_insert(conn, datacentre_room, missing.select(
            "institution_id", pl.col("room_code").alias("code"),
            pl.coalesce("room_name", "room_code").alias("name"),
            pl.col("room_status").fill_null("existing").alias("status")))
        known = rooms_of(conn, ids)
    return frame.drop([c for c in ("room_id",) if c in frame.columns]).join(
        known.select("institution_id", "room_code", "room_id"),
        on=["institution_id", "room_code"], how="left")


def add_room(conn: Connection, institution_id: int, code: str, name: str,
             status: str) -> int:
    """Create one room; its id."""
    result = conn.execute(datacentre_room.insert().values(
        institution_id=institution_id, code=code, name=name, status=status))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def room_by_code(conn: Connection, institution_id: int, code: str) -> Any:
    r = datacentre_room
    return conn.execute(_room_select().where(r.c.institution_id == institution_id,
                                             r.c.code == code)).first()


def set_room_status(conn: Connection, room_id: int, status: str) -> None:
    conn.execute(update(datacentre_room).where(datacentre_room.c.id == room_id)
                 .values(status=status))


# ------------------------------------------------------------------ room meters

def bind_room_meter(conn: Connection, room_id: int, role: str, meter_id: int) -> None:
    """The room's ``role`` meter (replacing the one bound before)."""
    m = datacentre_room_meter
    conn.execute(m.delete().where(m.c.room_id == room_id, m.c.role == role))
    conn.execute(m.insert().values(room_id=room_id, role=role, meter_id=meter_id))


def room_meters(conn: Connection, room_ids: Sequence[int]) -> pl.DataFrame:
    """``room_id, role, meter_id`` of these rooms."""
    m = datacentre_room_meter
    query = select(m.c.room_id, m.c.role, m.c.meter_id).where(
        in_values(conn, m.c.room_id, list(room_ids), _id_filter))
    return read_frame(conn, query, {"room_id": pl.Int64, "role": pl.String,
                                    "meter_id": pl.Int64})


def month_energy(conn: Connection, meter_ids: Sequence[int],
                 starts: Sequence[int]) -> pl.DataFrame:
    """``meter_id, start, energy, present, expected`` of the meters' month roll-ups
    (``metering_rollup``, level 'month') starting at ``starts``."""
    u = metering_rollup
    if not meter_ids or not starts:
        return pl.DataFrame(schema={"meter_id": pl.Int64, "start": pl.Int64,
                                    "energy": pl.Float64, "present": pl.Int64,
                                    "expected": pl.Int64})
    query = select(u.c.meter_id, u.c.start, u.c.energy, u.c.present, u.c.expected).where(
        u.c.meter_id.in_(sorted(set(meter_ids))), u.c.level == "month",
        u.c.start.in_(sorted(set(starts))))
    return read_frame(conn, query, {"meter_id": pl.Int64, "start": pl.Int64,
                                    "energy": pl.Float64, "present": pl.Int64,
                                    "expected": pl.Int64})


# ------------------------------------------------------------------ records

def write_records(conn: Connection, form: str, frame: pl.DataFrame, *, source: str,
                  import_id: int | None = None, entered_by: str | None = None,
                  ) -> dict[str, int]:
    """Store the figures of ``frame`` (the key columns of ``form`` and its value
    columns; a missing value column is null) as revisions; returns the counts
    ``inserted`` / ``revised`` / ``unchanged``."""
    table, keys = _FORMS[form]
    values = value_keys(form)
    schema = value_schema(form)
    staged = frame.with_columns(
        *(pl.lit(None, schema[v]).alias(v) for v in values if v not in frame.columns))
    staged = staged.select(*keys, *([] if "institution_id" in keys else
                                     ["institution_id"]),
                           *(pl.col(v).cast(schema[v]) for v in values))
    c = table.c
    institution_ids = staged["institution_id"].unique().to_list()
    years = staged["year"].unique().to_list()
    query = select(c.id.label("prev_id"), c.revision.label("prev_revision"),
                   *(c[k] for k in keys if k != "institution_id"), c.institution_id,
                   *(c[v] for v in values)).where(
        c.is_current == true(), in_values(conn, c.institution_id, institution_ids, _id_filter),
        c.year.in_(years))
    prev_schema = {"prev_id": pl.Int64, "prev_revision": pl.Int64,
                   **{k: pl.Int64 for k in keys if k != "institution_id"},
                   "institution_id": pl.Int64, **schema}
    before = read_frame(conn, query, prev_schema).rename({v: f"{v}__prev" for v in values})
    joined = staged.with_columns(pl.col(k).cast(pl.Int64) for k in keys).join(
        before.drop("institution_id") if "institution_id" not in keys else before,
        on=list(keys), how="left")
    same = pl.all_horizontal(
        pl.col(v).eq_missing(pl.col(f"{v}__prev")) for v in values) if values else pl.lit(True)
    classified = joined.with_columns(
        pl.when(pl.col("prev_id").is_null()).then(pl.lit("inserted"))
        .when(same).then(pl.lit("unchanged")).otherwise(pl.lit("revised")).alias("status"))
    counts = {k: int((classified["status"] == k).sum())
              for k in ("inserted", "revised", "unchanged")}
    revised = classified.filter(pl.col("status") == "revised")["prev_id"].to_list()
    if revised:
        conn.execute(update(table).where(in_values(conn, c.id, revised, _id_filter))
                     .values(is_current=False))
    out = classified.filter(pl.col("status") != "unchanged").select(
        *keys, *([] if "institution_id" in keys else ["institution_id"]), *values,
        (pl.col("prev_revision").fill_null(0) + 1).cast(pl.Int32).alias("revision"),
        pl.lit(True).alias("is_current"), pl.lit(source).alias("source"),
        pl.lit(import_id, pl.Int64).alias("import_id"),
        pl.lit(entered_by, pl.String).alias("entered_by"))
    if out.height:
        bulk_insert(conn, table, out)
    return counts


def _institution_columns() -> list[Any]:
    i = t.institution
    return [i.c.credit_code, i.c.name.label("institution_name"), i.c.region_code]


INSTITUTION_SCHEMA: dict[str, Any] = {"credit_code": pl.String, "institution_name": pl.String,
                                      "region_code": pl.String}


def current_records(conn: Connection, form: str, filters: Filters, *, year: int,
                    month: int | None = None) -> pl.DataFrame:
    """The current figures of ``form`` inside ``filters`` for ``year`` (and ``month``;
    None: every period of the year), with the institution (and the room for NY202)."""
    table, keys = _FORMS[form]
    c, i = table.c, t.institution
    values = value_keys(form)
    cols: list[Any] = [c.institution_id, *_institution_columns(), c.year, c.month]
    schema: dict[str, Any] = {"institution_id": pl.Int64, **INSTITUTION_SCHEMA,
                              "year": pl.Int64, "month": pl.Int64}
    joined = table.join(i, i.c.id == c.institution_id)
    if form == "NY202":
        r = datacentre_room
        joined = joined.join(r, r.c.id == c.room_id)
        cols += [c.room_id, r.c.code.label("room_code"), r.c.name.label("room_name"),
                 r.c.status.label("room_status")]
        schema |= {"room_id": pl.Int64, "room_code": pl.String, "room_name": pl.String,
                   "room_status": pl.String}
    cols += [*(c[v] for v in values), c.source, c.revision]
    schema |= {**value_schema(form), "source": pl.String, "revision": pl.Int64}
    conditions = [c.is_current == true(), c.year == year,
                  *institution_conditions(conn, filters)]
    if month is not None:
        conditions.append(c.month == month)
    order = [i.c.region_code, i.c.credit_code, *(c[k] for k in keys if k != "institution_id")]
    query = select(*cols).select_from(joined).where(and_(*conditions)).order_by(*order)
    return read_frame(conn, query, schema)


def room_ids_in_scope(conn: Connection, filters: Filters) -> pl.DataFrame:
    """Every room inside ``filters`` with its institution (``ROOM_SCHEMA`` + institution)."""
    r, i = datacentre_room, t.institution
    query = (_room_select().add_columns(*_institution_columns())
             .select_from(r.join(i, i.c.id == r.c.institution_id))
             .where(*institution_conditions(conn, filters)).order_by(i.c.credit_code, r.c.code))
    return read_frame(conn, query, {**ROOM_SCHEMA, **INSTITUTION_SCHEMA})
