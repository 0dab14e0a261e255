"""One group of MQTT batches → the database in one transaction (the subscriber's
``store_many``; docs/mqtt.md, "Groups").

Each batch is resolved as :func:`.ingest.store_in` resolves it (gateway known and
active, every meter the gateway's own); a refused batch is left out whole, the
readings of all the others are written and their dirty ranges marked together.

Set-based and column-wise throughout — the parser hands its columns over
(:class:`jieneng.ingest.mqtt.payload.Readings`), no object per reading is made here:

- the gateways of the group: one query;
- **PostgreSQL**: the readings of the group (batch, gateway id, code as sent, ts,
  value) are ``COPY``'d into a stage, and **one statement** resolves every code
  through ``metering_gateway_meter`` (the group's gateways' own meters only, by its
  primary key — never a scan of every binding or meter of the country),
  leaves out whole every batch with a code that did not resolve, upserts the rest
  into ``metering_reading`` (idempotent on (meter, ts); a changed value replaces the
  stored one) and marks the dirty range of each meter whose rows were inserted or
  changed (``RETURNING`` of the upsert: a resend marks nothing). The registry is read
  in the transaction itself, so a re-binding is seen by the next group — no cache to
  invalidate. A batch left out is named (foreign or unknown meters) by
  :func:`.ingest.resolve_meters`;
- **SQLite**: the gateways' meters are read and joined in a polars frame, then
  :func:`jieneng.storage.meter_readings.write_readings` and :func:`.ingest.mark_dirty`.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np
import polars as pl
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    String,
    select,
    update,
)

from jieneng.ingest.mqtt import Batch, BatchRefused
from jieneng.ingest.mqtt.payload import Readings
from jieneng.storage import meter_readings as readings_store
from jieneng.storage.bulk import bulk_insert, read_frame, temp_table
from jieneng.storage.gateways import metering_gateway, metering_gateway_meter

from .ingest import ReadingsRefused, _now, _tagged, mark_dirty, resolve_meters

Outcomes = tuple[list[BatchRefused | None], list[tuple[Batch, ReadingsRefused]]]

_STAGE = "stage_mqtt_group"
_PG_STAGE = (f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} (batch integer, "
             "gateway_id integer, code text, ts bigint, value double precision) "
             "ON COMMIT DELETE ROWS")
#: the stage as :func:`bulk_insert` names it (made by ``_PG_STAGE``: emptied by each commit)
_stage = temp_table(_STAGE, Column("batch", Integer), Column("gateway_id", Integer),
                    Column("code", String(64)), Column("ts", BigInteger),
                    Column("value", Float(53)))

#: one statement: resolve, leave out the batches with a code that did not resolve,
#: upsert the rest, mark the changed meters dirty; returns the batches left out. The
#: rows go in in key order (the indexes' pages visited in turn: ≈ 1 µs a reading less
#: of the server's ≈ 8)
_PG_MERGE = f"""
WITH own AS MATERIALIZED (
    SELECT gm.gateway_id, gm.code, gm.meter_id, coalesce(m.interval_s, 900) AS step
    FROM metering_gateway_meter gm JOIN metering_meter m ON m.id = gm.meter_id
    WHERE gm.gateway_id = ANY(%(gateways)s)),
src AS MATERIALIZED (
    SELECT s.batch, s.ts, s.value, o.meter_id FROM {_STAGE} s
    LEFT JOIN own o ON o.gateway_id = s.gateway_id AND o.code = s.code),
bad AS MATERIALIZED (SELECT DISTINCT batch FROM src WHERE meter_id IS NULL),
ins AS (
    INSERT INTO metering_reading (meter_id, ts, value, received_at)
    SELECT meter_id, ts, value, %(now)s FROM src WHERE batch NOT IN (SELECT batch FROM bad)
    ORDER BY meter_id, ts
    ON CONFLICT (meter_id, ts) DO UPDATE SET value = excluded.value,
        received_at = excluded.received_at
    WHERE metering_reading.value IS DISTINCT FROM excluded.value
    RETURNING meter_id, ts),
dirty AS (
    INSERT INTO metering_dirty (meter_id, low, high)
    SELECT i.meter_id, min(i.ts) - o.step, max(i.ts) + o.step + 1
    FROM ins i JOIN own o ON o.meter_id = i.meter_id
    GROUP BY i.meter_id, o.step ORDER BY i.meter_id)
SELECT batch FROM bad ORDER BY batch
"""


def as_batch_refused(err: ReadingsRefused) -> BatchRefused:
    """The ingest refusal as the MQTT layer's, code and texts kept."""
    refused = BatchRefused(err.message_zh, err.message_en, **err.details)
    refused.code = err.code
    return refused


def store_group(engine: Engine, batches: Sequence[Batch], *, now: int | None = None
                ) -> Outcomes:
    """Store ``batches`` in one transaction (see the module); per batch None (stored)
    or its :class:`BatchRefused`, and the refusals as the ingest service raised them."""
    at = _now() if now is None else now
    outcomes: list[BatchRefused | None] = [None] * len(batches)
    refusals: dict[int, tuple[Batch, ReadingsRefused]] = {}
    if not batches:
        return outcomes, []
    with engine.begin() as conn:
        gateways = _gateways(conn, sorted({b.gateway for b in batches}))
        for i, batch in enumerate(batches):  # a loop over batches, not over readings
            found = gateways[batch.gateway]
            if isinstance(found, ReadingsRefused):
                _refuse(i, batch, found, outcomes, refusals)
        kept = [i for i, o in enumerate(outcomes) if o is None]
        if not kept:
            return outcomes, [refusals[i] for i in sorted(refusals)]
        ids = {code: found for code, found in gateways.items() if isinstance(found, int)}
        frame = _frame([batches[i] for i in kept], kept, ids)
        if conn.dialect.name == "postgresql":
            unresolved = _merge_pg(conn, frame, at)
        else:
            unresolved = _merge_sqlite(conn, frame, at)
        for i in unresolved:  # rare: name the foreign or unknown meters
            batch = batches[i]
            try:
                resolve_meters(conn, ids[batch.gateway], batch.gateway,
                               sorted({r.meter for r in batch.readings}))
            except ReadingsRefused as err:
                _refuse(i, batch, err, outcomes, refusals)
            else:
                raise RuntimeError("the gateway's meters changed meanwhile")  # retried
        stored = sorted({ids[batches[i].gateway] for i, o in enumerate(outcomes) if o is None})
        if stored:
            conn.execute(update(metering_gateway).where(metering_gateway.c.id.in_(stored))
                         .values(last_seen=at))
    return outcomes, [refusals[i] for i in sorted(refusals)]


def _refuse(i: int, batch: Batch, err: ReadingsRefused, outcomes: list[BatchRefused | None],
            refusals: dict[int, tuple[Batch, ReadingsRefused]]) -> None:
    outcomes[i] = as_batch_refused(err)
    refusals[i] = (batch, err)


def _gateways(conn: Connection, codes: Sequence[str]) -> dict[str, int | ReadingsRefused]:
    """Each gateway code → its id, or the refusal (unknown, disabled): one query."""
    g = metering_gateway
    rows = {str(code): (int(gid), str(status)) for code, gid, status in conn.execute(
        select(g.c.code, g.c.id, g.c.status).where(g.c.code.in_(list(codes))))}
    out: dict[str, int | ReadingsRefused] = {}
    for code in codes:  # a loop over the group's gateways
        if code not in rows:
            out[code] = _tagged(ReadingsRefused.of("readings.gateway_unknown", gateway=code))
        elif rows[code][1] != "active":
            out[code] = _tagged(ReadingsRefused.of("readings.gateway_disabled", gateway=code))
        else:
            out[code] = rows[code][0]
    return out


def batch_columns(batch: Batch) -> tuple[list[str], list[int], list[float]]:
    readings = batch.readings
    if isinstance(readings, Readings):
        return readings.meters, readings.ts, readings.values
    return ([r.meter for r in readings], [r.ts for r in readings],
            [r.value for r in readings])


def _frame(batches: Sequence[Batch], index: Sequence[int], ids: dict[str, int]
           ) -> pl.DataFrame:
    """``batch, gateway_id, code, ts, value`` of every reading of ``batches`` (their
    indexes in the group: ``index``), built from the parser's columns; within the
    group the last reading of a (gateway, code, ts) wins — a code is one meter."""
    cols = [batch_columns(b) for b in batches]
    sizes = np.fromiter((len(c[0]) for c in cols), dtype=np.int64, count=len(cols))
    frame = pl.DataFrame({
        "batch": np.repeat(np.asarray(index, dtype=np.int32), sizes),
        "gateway_id": np.repeat(np.fromiter((ids[b.gateway] for b in batches),
                                            dtype=np.int32, count=len(batches)), sizes),
        "code": pl.Series(list(chain.from_iterable(c[0] for c in cols)), dtype=pl.String),
        "ts": pl.Series(list(chain.from_iterable(c[1] for c in cols)), dtype=pl.Int64),
        "value": pl.Series(list(chain.from_iterable(c[2] for c in cols)), dtype=pl.Float64),
    })
    if frame.select(pl.struct("gateway_id", "code", "ts").is_duplicated().any()).item():
        frame = frame.unique(["gateway_id", "code", "ts"], keep="last", maintain_order=True)
    return frame


def _merge_pg(conn: Connection, frame: pl.DataFrame, at: int) -> list[int]:
    """The PostgreSQL path: stage, one statement (see the module); the batches with a
    code that did not resolve (nothing of them written)."""
    readings_store.ensure_partitions(conn, int(frame["ts"].min()),  # type: ignore[arg-type]
                                     int(frame["ts"].max()))  # type: ignore[arg-type]
    conn.exec_driver_sql(_PG_STAGE)
    bulk_insert(conn, _stage, frame)
    gateways = frame["gateway_id"].unique().to_list()
    return [int(b) for (b,) in conn.exec_driver_sql(_PG_MERGE, {"now": at,
                                                                "gateways": gateways})]


def _merge_sqlite(conn: Connection, frame: pl.DataFrame, at: int) -> list[int]:
    """The SQLite path: the gateways' meters read and joined here."""
    gm = metering_gateway_meter
    ids = frame["gateway_id"].unique().to_list()
    meters = read_frame(conn, select(gm.c.gateway_id, gm.c.code, gm.c.meter_id)
                        .where(gm.c.gateway_id.in_(ids)),
                        {"gateway_id": pl.Int32, "code": pl.String, "meter_id": pl.Int64})
    joined = frame.join(meters, on=["gateway_id", "code"], how="left")
    bad = sorted(set(joined.filter(pl.col("meter_id").is_null())["batch"].to_list()))
    good = joined.filter(~pl.col("batch").is_in(bad)).select("meter_id", "ts", "value")
    if good.height and readings_store.write_readings(conn, good, received_at=at):
        mark_dirty(conn, good)
    return bad
