"""Readings pushed by gateways → raw storage (issue 12 §2–3): the one entry of every
machine input — MQTT (:mod:`jieneng.ingest.mqtt`), HTTP push (``POST
/api/v1/readings``), the MOHURD TCP receiver and manual reading.

:func:`store_batch` takes a gateway's batch ``(meter code as sent, ts epoch s UTC,
value)`` and, in **one transaction**:

1. finds the gateway by its code (unknown or disabled → refused);
2. resolves every sent meter code through ``metering_gateway_meter`` — the gateway's
   own meters only. A code another gateway owns is *foreign*, one nobody owns is
   *unknown*; either refuses the **whole batch** (nothing half-applied) with the
   codes listed;
3. writes the readings, idempotent on (meter, ts): a resend changes nothing, a
   corrected value replaces the stored one (:func:`jieneng.storage.meter_readings.
   write_readings`);
4. marks per meter the range [min ts, max ts] + one interval as *dirty*
   (``metering_dirty``) for the derivation of intervals and roll-ups, which runs
   apart (:mod:`.derive`) so the input path stays fast;
5. sets the gateway's ``last_seen``.

The caller acknowledges the batch to the gateway only after this returns (at least
once + idempotent storage = exactly once stored). A refusal is a
:class:`ReadingsRefused`; the caller records it with :func:`log_refusal` (kept per
gateway, shown on its page) and acknowledges — a refused batch will never be
accepted, resending it changes nothing. Any other exception means "not stored, try
again".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import polars as pl
from sqlalchemy import BigInteger, Column, Connection, Engine, Integer, insert, select, update

from jieneng.core.exceptions import ValidationFailed
from jieneng.storage import meter_readings as readings_store
from jieneng.storage.bulk import bulk_insert, ensure_temp, temp_table
from jieneng.storage.gateways import (
    metering_dirty,
    metering_gateway,
    metering_gateway_log,
    metering_gateway_meter,
)
from jieneng.storage.metering import metering_meter

_LISTED = 10
#: refusal kinds kept in ``metering_gateway_log.kind``
REFUSAL_KINDS: tuple[str, ...] = (
    "gateway_unknown", "gateway_disabled", "meter_unknown", "meter_not_gateways",
    "malformed", "oversized", "truncated", "md5", "auth", "token")


class ReadingsRefused(ValidationFailed):
    """A batch that will never be accepted as sent (unknown or disabled gateway,
    unknown or foreign meters). ``refusal`` is its kind for the gateway's log."""

    refusal: str = "malformed"


class SentReading(NamedTuple):
    """One reading as a gateway sent it: the meter under the gateway's own code,
    ``ts`` epoch seconds UTC, the register's value (or the interval's energy)."""

    meter: str
    ts: int
    value: float


@dataclass(frozen=True, slots=True)
class Stored:
    """What a committed batch did: readings received, rows inserted or changed (a
    resend counts 0), meters touched."""

    gateway: str
    batch_id: str | None
    received: int
    written: int
    meters: int


SENT_SCHEMA: dict[str, Any] = {"meter": pl.String, "ts": pl.Int64, "value": pl.Float64}


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


def _listed(codes: Iterable[str]) -> str:
    names = sorted(codes)
    return ", ".join(names[:_LISTED]) + (" …" if len(names) > _LISTED else "")


def _tagged(err: ReadingsRefused) -> ReadingsRefused:
    """The refusal with its log kind: its code's last part."""
    err.refusal = err.code.rsplit(".", 1)[-1]
    return err


def as_frame(readings: Sequence[SentReading] | pl.DataFrame) -> pl.DataFrame:
    """The batch as a frame ``meter, ts, value``."""
    if isinstance(readings, pl.DataFrame):
        return readings.select(list(SENT_SCHEMA)).cast(SENT_SCHEMA)  # type: ignore[arg-type]
    return pl.DataFrame(list(readings), schema=SENT_SCHEMA, orient="row")


def gateway_row(conn: Connection, code: str) -> Any:
    """The gateway ``code`` (None when there is none)."""
    g = metering_gateway
    return conn.execute(select(g).where(g.c.code == code)).one_or_none()


def resolve_meters(conn: Connection, gateway_id: int, gateway: str,
                   codes: Sequence[str]) -> dict[str, int]:
    """Sent code → meter id for the gateway's own meters; refuses the batch when a
    code is another gateway's (foreign) or nobody's (unknown)."""
    gm = metering_gateway_meter
    rows = conn.execute(select(gm.c.code, gm.c.meter_id).where(gm.c.gateway_id == gateway_id))
    own = {str(code): int(meter_id) for code, meter_id in rows}
    missing = sorted(set(codes) - set(own))
    if not missing:
        return own
    foreign = set(conn.execute(select(gm.c.code).where(
        gm.c.code.in_(missing), gm.c.gateway_id != gateway_id)).scalars())
    if foreign:
        raise _tagged(ReadingsRefused.of("readings.meter_not_gateways", gateway=gateway,
                                          count=len(foreign), meters=_listed(foreign)))
    raise _tagged(ReadingsRefused.of("readings.meter_unknown", gateway=gateway,
                                      count=len(missing), meters=_listed(missing)))


_dirty_stage = temp_table("stage_metering_dirty", Column("meter_id", Integer),
                          Column("low", BigInteger), Column("high", BigInteger),
                          postgresql_on_commit="DELETE ROWS")


def mark_dirty(conn: Connection, frame: pl.DataFrame) -> int:
    """Record per meter the range its new readings (``meter_id, ts``) touch, widened
    by one interval on each side (the step into the first and out of the last
    reading changes too); returns the ranges written. Set-based: the spans are
    bulk-loaded and widened by each meter's interval in one ``INSERT … SELECT``
    (a batch of a thousand meters is a thousand ranges)."""
    if frame.height == 0:
        return 0
    spans = frame.group_by("meter_id").agg(pl.col("ts").min().alias("low"),
                                           pl.col("ts").max().alias("high"))
    ensure_temp(conn, _dirty_stage)
    bulk_insert(conn, _dirty_stage, spans)
    conn.exec_driver_sql(
        f"INSERT INTO {metering_dirty.name} (meter_id, low, high) "
        "SELECT s.meter_id, s.low - coalesce(m.interval_s, 900), "
        "s.high + coalesce(m.interval_s, 900) + 1 "
        f"FROM {_dirty_stage.name} s LEFT JOIN {metering_meter.name} m ON m.id = s.meter_id")
    return spans.height


def store_in(conn: Connection, gateway: str, readings: Sequence[SentReading] | pl.DataFrame,
             *, batch_id: str | None = None, now: int | None = None) -> Stored:
    """:func:`store_batch` inside the caller's transaction."""
    row = gateway_row(conn, gateway)
    if row is None:
        raise _tagged(ReadingsRefused.of("readings.gateway_unknown", gateway=gateway))
    if row.status != "active":
        raise _tagged(ReadingsRefused.of("readings.gateway_disabled", gateway=gateway))
    sent = as_frame(readings)
    at = _now() if now is None else now
    if sent.height == 0:
        conn.execute(update(metering_gateway).where(metering_gateway.c.id == row.id)
                     .values(last_seen=at))
        return Stored(gateway, batch_id, 0, 0, 0)
    codes = sent["meter"].unique().to_list()
    ids = resolve_meters(conn, row.id, gateway, codes)
    frame = (sent.with_columns(pl.col("meter").replace_strict(ids, return_dtype=pl.Int64)
                               .alias("meter_id"))
             .select("meter_id", "ts", "value"))
    written = readings_store.write_readings(conn, frame, received_at=at)
    if written:
        mark_dirty(conn, frame)
    conn.execute(update(metering_gateway).where(metering_gateway.c.id == row.id)
                 .values(last_seen=at))
    return Stored(gateway, batch_id, sent.height, written, len(codes))


def store_batch(engine: Engine, gateway: str,
                readings: Sequence[SentReading] | pl.DataFrame, *,
                batch_id: str | None = None, now: int | None = None) -> Stored:
    """Store a gateway's batch in one transaction (see the module's docstring);
    raises :class:`ReadingsRefused` for a batch that will never be accepted."""
    with engine.begin() as conn:
        return store_in(conn, gateway, readings, batch_id=batch_id, now=now)


def log_refusal(engine: Engine, gateway: str, kind: str, reason: str, *,
                batch_id: str | None = None, readings: int = 0,
                at: int | None = None) -> None:
    """Record a refused batch or frame in the gateway's log (its own transaction; a
    gateway code nobody registered is logged under that code)."""
    with engine.begin() as conn:
        row = gateway_row(conn, gateway[:64])
        conn.execute(insert(metering_gateway_log).values(
            gateway_id=None if row is None else row.id, gateway_code=gateway[:64],
            at=_now() if at is None else at, kind=kind[:32], reason=reason,
            batch_id=None if batch_id is None else batch_id[:128], readings=readings))
