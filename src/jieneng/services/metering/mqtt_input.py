"""The MQTT input wired to the database: the subscriber's ``store`` and ``store_many``
(docs/mqtt.md, "The subscribe command").

- :func:`store_one` — one batch through :func:`.ingest.store_batch` (one transaction);
- :func:`store_group` — several batches (one group of held MQTT messages) in **one**
  transaction: each batch is resolved as :func:`.ingest.store_in` resolves it
  (gateway known and active, every meter the gateway's own); a batch that is refused
  is left out whole, the readings of all the others are written by one
  :func:`jieneng.storage.meter_readings.write_readings` and their dirty ranges marked
  together. The subscriber acknowledges every message of the group after this returns.

A refusal becomes the MQTT layer's :class:`~jieneng.ingest.mqtt.BatchRefused` (same
code and texts: dead-lettered, acknowledged, never retried) and is written to the
gateway's log by :func:`.ingest.log_refusal` (the gateway's page). Any other exception
(the database down …) propagates: nothing is acknowledged, the batches come again.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, Engine, select, update

from jieneng.ingest.mqtt import (
    SHARED_FILTER,
    TOPIC_PREFIX,
    Batch,
    BatchRefused,
    DeadLetter,
    JsonlDeadLetters,
)
from jieneng.ingest.mqtt.subscriber import Connection as MqttConnection
from jieneng.ingest.mqtt.subscriber import Counters, Subscriber
from jieneng.storage import meter_readings as readings_store
from jieneng.storage.bulk import read_frame
from jieneng.storage.engine import make_engine
from jieneng.storage.gateways import metering_gateway, metering_gateway_meter

from .ingest import (
    ReadingsRefused,
    _now,
    _tagged,
    gateway_row,
    log_refusal,
    mark_dirty,
    resolve_meters,
    store_batch,
)


def as_batch_refused(err: ReadingsRefused) -> BatchRefused:
    """The ingest refusal as the MQTT layer's, code and texts kept."""
    refused = BatchRefused(err.message_zh, err.message_en, **err.details)
    refused.code = err.code
    return refused


def _frame(batch: Batch) -> pl.DataFrame:
    return pl.DataFrame({"meter": [r.meter for r in batch.readings],
                         "ts": [r.ts for r in batch.readings],
                         "value": [r.value for r in batch.readings]},
                        schema={"meter": pl.String, "ts": pl.Int64, "value": pl.Float64})


@dataclass
class MqttStore:
    """The subscriber's callbacks on ``engine`` (``store`` and ``store_many``)."""

    engine: Engine

    def store(self, batch: Batch) -> None:
        try:
            store_batch(self.engine, batch.gateway, _frame(batch), batch_id=batch.batch_id)
        except ReadingsRefused as err:
            self._log(batch, err)
            raise as_batch_refused(err) from None

    def store_many(self, batches: Sequence[Batch]) -> list[BatchRefused | None]:
        outcomes, refusals = store_group(self.engine, batches)
        for batch, err in refusals:
            self._log(batch, err)
        return outcomes

    def _log(self, batch: Batch, err: ReadingsRefused) -> None:
        log_refusal(self.engine, batch.gateway, err.refusal, err.message_zh,
                    batch_id=batch.batch_id, readings=len(batch.readings))


def store_group(engine: Engine, batches: Sequence[Batch], *, now: int | None = None
                ) -> tuple[list[BatchRefused | None], list[tuple[Batch, ReadingsRefused]]]:
    """Store ``batches`` in one transaction (see the module); per batch None (stored)
    or its :class:`BatchRefused`, and the refusals as the ingest service raised them.

    Set-based: the gateways are read once, the sent meter codes of every batch are
    resolved by one join with the gateways' meters (read in bulk); only a batch with a
    code that did not resolve goes through :func:`.ingest.resolve_meters`, which names
    the foreign or unknown meters."""
    at = _now() if now is None else now
    outcomes: list[BatchRefused | None] = [None] * len(batches)
    refusals: list[tuple[Batch, ReadingsRefused]] = []
    if not batches:
        return outcomes, refusals
    with engine.begin() as conn:
        gateways = {code: _gateway_or_refusal(conn, code)
                    for code in sorted({b.gateway for b in batches})}
        active = {code: found for code, found in gateways.items() if isinstance(found, int)}
        frame = _sent(batches).join(_meter_map(conn, sorted(active)), on=["gateway", "meter"],
                                    how="left")
        unresolved = set(frame.filter(pl.col("meter_id").is_null())["batch"].to_list())
        refused: list[int] = []
        for i, batch in enumerate(batches):  # a loop over batches, not over readings
            found = gateways[batch.gateway]
            try:
                if isinstance(found, ReadingsRefused):
                    raise found
                if i in unresolved:
                    resolve_meters(conn, found, batch.gateway,
                                   sorted({r.meter for r in batch.readings}))
                    raise RuntimeError("the gateway's meters changed meanwhile")  # retried
            except ReadingsRefused as err:
                outcomes[i] = as_batch_refused(err)
                refusals.append((batch, err))
                refused.append(i)
        good = frame.filter(~pl.col("batch").is_in(refused))
        if good.height:
            readings = good.select("meter_id", "ts", "value")
            if readings_store.write_readings(conn, readings, received_at=at):
                mark_dirty(conn, readings)
            ids = sorted({active[code] for code in good["gateway"].unique().to_list()})
            conn.execute(update(metering_gateway).where(metering_gateway.c.id.in_(ids))
                         .values(last_seen=at))
    return outcomes, refusals


def _sent(batches: Sequence[Batch]) -> pl.DataFrame:
    """Every reading of ``batches`` with its batch's index and gateway."""
    return pl.DataFrame(
        {"batch": [i for i, b in enumerate(batches) for _ in b.readings],
         "gateway": [b.gateway for b in batches for _ in b.readings],
         "meter": [r.meter for b in batches for r in b.readings],
         "ts": [r.ts for b in batches for r in b.readings],
         "value": [r.value for b in batches for r in b.readings]},
        schema={"batch": pl.Int64, "gateway": pl.String, "meter": pl.String,
                "ts": pl.Int64, "value": pl.Float64})


def _meter_map(conn: Connection, gateways: Sequence[str]) -> pl.DataFrame:
    """``gateway, meter, meter_id``: the sent codes of the gateways' own meters."""
    g, gm = metering_gateway, metering_gateway_meter
    query = (select(g.c.code.label("gateway"), gm.c.code.label("meter"), gm.c.meter_id)
             .select_from(gm.join(g, g.c.id == gm.c.gateway_id))
             .where(g.c.code.in_(list(gateways) or [""])))
    return read_frame(conn, query, {"gateway": pl.String, "meter": pl.String,
                                    "meter_id": pl.Int64})


def _gateway_or_refusal(conn: Connection, code: str) -> int | ReadingsRefused:
    try:
        return _active_gateway(conn, code)
    except ReadingsRefused as err:
        return err


def _active_gateway(conn: Connection, code: str) -> int:
    row = gateway_row(conn, code)
    if row is None:
        raise _tagged(ReadingsRefused.of("readings.gateway_unknown", gateway=code))
    if row.status != "active":
        raise _tagged(ReadingsRefused.of("readings.gateway_disabled", gateway=code))
    return int(row.id)


@dataclass
class DeadLetterLog:
    """The subscriber's ``dead_letter``: every refusal to the JSONL file, and a
    malformed payload (the parser's ``mqtt.*`` refusals) to its gateway's log too — the
    store's refusals (``readings.*``) were logged there when they were raised."""

    engine: Engine
    jsonl: JsonlDeadLetters

    def __call__(self, letter: DeadLetter) -> None:
        self.jsonl(letter)
        if letter.gateway is not None and not letter.code.startswith("readings."):
            kind = "oversized" if letter.code == "mqtt.payload_too_large" else "malformed"
            log_refusal(self.engine, letter.gateway, kind, letter.message_zh,
                        at=int(letter.received_at))


# ------------------------------------------------------------------ workers

log = logging.getLogger("jieneng.mqtt")


@dataclass(frozen=True)
class WorkerConfig:
    """What each worker process needs (picklable: it crosses to spawned processes)."""

    database_url: str
    mqtt: MqttConnection  # client_id is the base: worker i uses ``{client_id}-{i}``
    dead_letters: Path
    group_max: int = 50
    group_wait_s: float = 0.05
    max_backoff_s: float = 30.0
    #: the shared filter for several workers; one worker alone subscribes to the plain
    #: filter (see :func:`subscription_for`)
    subscription: str = SHARED_FILTER


def subscription_for(workers: int) -> str:
    """The plain filter ``jieneng/v1/+/readings`` for one worker, the shared one for
    several. Mosquitto 2.0.11 does not restore a persistent session's *shared*
    subscription from its persistence file: after a broker restart, batches published
    before the workers are back and subscribed again reach nobody (PUBACKed to the
    gateway all the same). A plain subscription is restored (docs/mqtt.md)."""
    return SHARED_FILTER if workers > 1 else f"{TOPIC_PREFIX}/+/readings"


def worker_connection(config: WorkerConfig, index: int | None) -> MqttConnection:
    """Worker ``index``'s connection: its own client id, so its own persistent session
    (None: the id as given, a single worker)."""
    if index is None:
        return config.mqtt
    return replace(config.mqtt, client_id=f"{config.mqtt.client_id}-{index}")


def run_worker(config: WorkerConfig, index: int | None, stop: threading.Event) -> Counters:
    """Run one subscriber until ``stop`` is set; its counters."""
    engine = make_engine(config.database_url)
    target = MqttStore(engine)
    sub = Subscriber(worker_connection(config, index), target.store,
                     DeadLetterLog(engine, JsonlDeadLetters(config.dead_letters)),
                     subscription=config.subscription,
                     max_backoff_s=config.max_backoff_s,
                     store_many=target.store_many if config.group_max > 1 else None,
                     group_max=config.group_max, group_wait_s=config.group_wait_s)
    try:
        sub.run(stop)
    finally:
        engine.dispose()
        log.info("mqtt worker %s stopped: %s", index, sub.counters)
    return sub.counters


def worker_process(config: WorkerConfig, index: int) -> None:
    """The target of a worker process: SIGTERM / SIGINT finish the group in hand and stop."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    run_worker(config, index, stop)
