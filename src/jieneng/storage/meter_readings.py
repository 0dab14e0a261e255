"""Meter readings and what is derived from them (issue 12 §4), kept apart:

- ``metering_reading`` — raw readings, one per (meter, ts) [epoch s, UTC; integer keys
  on every backend]. A resend of the same value changes nothing; a different value
  for a stored time replaces it (the last received wins, as
  :func:`jieneng.core.metering.deduplicate` rules). On PostgreSQL the table is
  partitioned by range of ``ts``, one partition per calendar month of China time
  (``metering_reading_p202601`` …), created by the writer for the months a batch
  touches and :data:`AHEAD_MONTHS` ahead of the current one
  (:func:`ensure_partitions`) — the partitions are not in the metadata (tables of
  their own to the database, one table to every query).
- ``metering_interval`` — derived interval consumption per (meter, start): energy
  [canonical unit; NULL = missing, never 0] and the interval flags of
  :class:`jieneng.core.metering.Flag`;
- ``metering_rollup`` — hour / day / month roll-ups per (meter, level, start) with the
  intervals present and expected.

Derived rows are rewritten under their key for the periods a computation covers
(upsert, idempotent), never incremented. Every write is set-based: the batch is
bulk-loaded (``COPY`` on PostgreSQL, ``executemany`` on SQLite) into a temporary
stage and merged by one ``INSERT … SELECT … ON CONFLICT``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    Float,
    Integer,
    String,
    Table,
    and_,
    func,
    select,
    text,
)

from .bulk import analyze, bulk_insert, ensure_temp, read_frame, temp_table
from .tables import Double, metadata

#: partitions made ahead of the current month (PostgreSQL)
AHEAD_MONTHS = 2
#: the name of a month's partition is this and ``YYYYMM``
PARTITION_PREFIX = "metering_reading_p"
_LOCAL = 8 * 3600  # Asia/Shanghai, no DST since 1991 (docs/metering.md, Time)

metering_reading = Table(
    "metering_reading",
    metadata,
    Column("meter_id", Integer, primary_key=True),
    Column("ts", BigInteger, primary_key=True),
    Column("value", Double, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    postgresql_partition_by="RANGE (ts)",
)

metering_interval = Table(
    "metering_interval",
    metadata,
    Column("meter_id", Integer, primary_key=True),
    Column("start", BigInteger, primary_key=True),
    Column("energy", Double, nullable=True),
    Column("flags", Integer, nullable=False, server_default=text("0")),
)

metering_rollup = Table(
    "metering_rollup",
    metadata,
    Column("meter_id", Integer, primary_key=True),
    Column("level", String(5), primary_key=True),
    Column("start", BigInteger, primary_key=True),
    Column("energy", Double, nullable=True),
    Column("present", Integer, nullable=False),
    Column("expected", Integer, nullable=False),
    Column("flags", Integer, nullable=False, server_default=text("0")),
    CheckConstraint("level IN ('hour', 'day', 'month')", name="level"),
)

_reading_stage = temp_table(
    "stage_metering_reading", Column("meter_id", Integer), Column("ts", BigInteger),
    Column("value", Float(53)), Column("received_at", BigInteger))
_interval_stage = temp_table(
    "stage_metering_interval", Column("meter_id", Integer), Column("start", BigInteger),
    Column("energy", Float(53)), Column("flags", Integer))
_rollup_stage = temp_table(
    "stage_metering_rollup", Column("meter_id", Integer), Column("level", String(5)),
    Column("start", BigInteger), Column("energy", Float(53)), Column("present", Integer),
    Column("expected", Integer), Column("flags", Integer))

READING_SCHEMA = {"meter_id": pl.Int64, "ts": pl.Int64, "value": pl.Float64}

#: PostgreSQL's stage of :func:`write_readings` (see there)
_PG_READING_STAGE = ("CREATE TEMPORARY TABLE IF NOT EXISTS stage_reading_in (meter_id integer, "
                     "ts bigint, value double precision, received_at bigint) "
                     "ON COMMIT DELETE ROWS")
_reading_in = temp_table(
    "stage_reading_in", Column("meter_id", Integer), Column("ts", BigInteger),
    Column("value", Float(53)), Column("received_at", BigInteger))


# ------------------------------------------------------------------ partitions

def month_start(ts: int) -> tuple[int, int, int]:
    """(year, month, epoch s of its first instant) of the China-time month holding ``ts``."""
    local = datetime.fromtimestamp(ts + _LOCAL, UTC)
    first = datetime(local.year, local.month, 1, tzinfo=UTC)
    return local.year, local.month, int(first.timestamp()) - _LOCAL


def _next(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def month_ranges(low: int, high: int) -> list[tuple[str, int, int]]:
    """(partition name, from, to) of every China-time month from ``low`` to ``high``."""
    year, month, start = month_start(low)
    out: list[tuple[str, int, int]] = []
    while start <= high:  # a loop over months
        ny, nm = _next(year, month)
        end = int(datetime(ny, nm, 1, tzinfo=UTC).timestamp()) - _LOCAL
        out.append((f"{PARTITION_PREFIX}{year:04d}{month:02d}", start, end))
        year, month, start = ny, nm, end
    return out


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's ``include_name`` hook: a reading partition is no table of the schema."""
    return not (type_ == "table" and name is not None and name.startswith(PARTITION_PREFIX))


#: the advisory lock under which a transaction adds reading partitions
_PARTITION_LOCK = 7_312_001


def existing_partitions(conn: Connection) -> set[str]:
    rows = conn.execute(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent "
        "WHERE p.relname = 'metering_reading' AND p.relnamespace = c.relnamespace "
        "AND pg_table_is_visible(p.oid)"))
    return {str(r[0]) for r in rows}


def ensure_partitions(conn: Connection, low: int, high: int, *, now: int | None = None) -> list[
        str]:
    """PostgreSQL: create the monthly partitions covering [``low``, ``high``] and the
    current month with :data:`AHEAD_MONTHS` after it; the names created (none on SQLite)."""
    if conn.dialect.name != "postgresql":
        return []
    current = int(datetime.now(UTC).timestamp()) if now is None else now
    _, _, this_month = month_start(current)
    ahead = month_ranges(this_month, this_month + (AHEAD_MONTHS * 31 + 1) * 86_400)
    wanted = {name: (lo, hi) for name, lo, hi in [*month_ranges(low, high), *ahead]}
    made = sorted(wanted.keys() - existing_partitions(conn))
    if made:  # writers of a new month take turns: two CREATEs of one partition would clash
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PARTITION_LOCK})
        made = sorted(wanted.keys() - existing_partitions(conn))
    for name in made:  # a loop over months, a few per batch at most
        lo, hi = wanted[name]
        conn.exec_driver_sql(f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF '
                             f'metering_reading FOR VALUES FROM ({lo}) TO ({hi})')
    return made


# ------------------------------------------------------------------ writes

def write_readings(conn: Connection, frame: pl.DataFrame, *,
                   received_at: int | None = None) -> int:
    """Store a batch of readings (columns ``meter_id, ts, value``) in the caller's
    transaction; returns the rows inserted or changed (a resend of a stored value
    counts 0). Within the batch the last row of a (meter, ts) wins."""
    if frame.height == 0:
        return 0
    now = int(datetime.now(UTC).timestamp()) if received_at is None else received_at
    batch = (frame.select(list(READING_SCHEMA)).cast(READING_SCHEMA)  # type: ignore[arg-type]
             .unique(["meter_id", "ts"], keep="last", maintain_order=True)
             .with_columns(pl.lit(now, pl.Int64).alias("received_at")))
    ensure_partitions(conn, int(batch["ts"].min()), int(batch["ts"].max()))  # type: ignore[arg-type]
    if conn.dialect.name == "postgresql":
        # the hot path of every input: a stage emptied by each commit (ON COMMIT DELETE
        # ROWS truncates it — a DELETE would leave dead rows that a temporary table,
        # never vacuumed, keeps for the connection's life) and no ANALYZE (the merge
        # reads the stage once, in order, and joins nothing)
        conn.exec_driver_sql(_PG_READING_STAGE)
        conn.exec_driver_sql("DELETE FROM stage_reading_in")  # empty unless called twice
        bulk_insert(conn, _reading_in, batch)
        result = conn.exec_driver_sql(
            "INSERT INTO metering_reading (meter_id, ts, value, received_at) "
            "SELECT meter_id, ts, value, received_at FROM stage_reading_in "
            "ON CONFLICT (meter_id, ts) DO UPDATE SET value = excluded.value, "
            "received_at = excluded.received_at "
            "WHERE metering_reading.value IS DISTINCT FROM excluded.value")
        return int(result.rowcount)
    ensure_temp(conn, _reading_stage)
    bulk_insert(conn, _reading_stage, batch)
    analyze(conn, _reading_stage)
    result = conn.exec_driver_sql(
        "INSERT INTO metering_reading (meter_id, ts, value, received_at) "
        "SELECT meter_id, ts, value, received_at FROM stage_metering_reading WHERE true "
        "ON CONFLICT (meter_id, ts) DO UPDATE SET value = excluded.value, "
        "received_at = excluded.received_at "
        "WHERE metering_reading.value IS NOT excluded.value"
        if conn.dialect.name == "sqlite" else
        "INSERT INTO metering_reading (meter_id, ts, value, received_at) "
        "SELECT meter_id, ts, value, received_at FROM stage_metering_reading "
        "ON CONFLICT (meter_id, ts) DO UPDATE SET value = excluded.value, "
        "received_at = excluded.received_at "
        "WHERE metering_reading.value IS DISTINCT FROM excluded.value")
    return int(result.rowcount)


def _merge(conn: Connection, stage: Table, target: Table, frame: pl.DataFrame,
           keys: tuple[str, ...]) -> int:
    if frame.height == 0:
        return 0
    cols = [c.name for c in stage.columns]
    ensure_temp(conn, stage)
    bulk_insert(conn, stage, frame.select(cols))
    analyze(conn, stage)
    values = ", ".join(f'"{c}"' for c in cols)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in cols if c not in keys)
    where = " WHERE true" if conn.dialect.name == "sqlite" else ""
    result = conn.exec_driver_sql(
        f'INSERT INTO {target.name} ({values}) SELECT {values} FROM {stage.name}{where} '
        f'ON CONFLICT ({", ".join(keys)}) DO UPDATE SET {updates}')
    return int(result.rowcount)


def write_intervals(conn: Connection, frame: pl.DataFrame) -> int:
    """Upsert derived intervals (``meter_id, start, energy, flags``; energy null =
    missing)."""
    return _merge(conn, _interval_stage, metering_interval, frame, ("meter_id", "start"))


def write_rollups(conn: Connection, frame: pl.DataFrame) -> int:
    """Upsert roll-ups (``meter_id, level, start, energy, present, expected, flags``)."""
    return _merge(conn, _rollup_stage, metering_rollup, frame, ("meter_id", "level", "start"))


# ------------------------------------------------------------------ reads

def read_readings(conn: Connection, meter_id: int, low: int, high: int) -> pl.DataFrame:
    """The meter's readings with ``low <= ts < high``, by time (``ts, value``)."""
    r = metering_reading
    query = (select(r.c.ts, r.c.value)
             .where(and_(r.c.meter_id == meter_id, r.c.ts >= low, r.c.ts < high))
             .order_by(r.c.ts))
    return read_frame(conn, query, {"ts": pl.Int64, "value": pl.Float64})


def read_rollups(conn: Connection, meter_id: int, level: str, low: int,
                 high: int) -> pl.DataFrame:
    u = metering_rollup
    query = (select(u.c.start, u.c.energy, u.c.present, u.c.expected, u.c.flags)
             .where(u.c.meter_id == meter_id, u.c.level == level, u.c.start >= low,
                    u.c.start < high).order_by(u.c.start))
    schema: dict[str, Any] = {"start": pl.Int64, "energy": pl.Float64, "present": pl.Int64,
                              "expected": pl.Int64, "flags": pl.Int64}
    return read_frame(conn, query, schema)


def last_readings(conn: Connection, meter_ids: list[int]) -> dict[int, tuple[int, float]]:
    """Meter id → (ts, value) of its last reading, for the meters that have one (one
    query; the (meter, ts) key finds each maximum)."""
    if not meter_ids:
        return {}
    r = metering_reading
    latest = (select(r.c.meter_id, func.max(r.c.ts).label("ts"))
              .where(r.c.meter_id.in_(meter_ids)).group_by(r.c.meter_id).subquery())
    query = select(r.c.meter_id, r.c.ts, r.c.value).join(
        latest, and_(r.c.meter_id == latest.c.meter_id, r.c.ts == latest.c.ts))
    return {int(m): (int(t), float(v)) for m, t, v in conn.execute(query)}
