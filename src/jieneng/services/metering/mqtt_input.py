"""The MQTT input wired to the database: the subscriber's ``store`` and ``store_many``
(docs/mqtt.md, "The subscribe command").

- :meth:`MqttStore.store` — one batch through :func:`.ingest.store_batch` (one
  transaction);
- :meth:`MqttStore.store_many` — several batches (one group of held MQTT messages) in
  **one** transaction (:func:`.mqtt_group.store_group`): a batch that is refused is
  left out whole, the others are stored. The subscriber acknowledges every message of
  the group after this returns.

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
from functools import partial
from multiprocessing.connection import Connection as Pipe
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from jieneng.ingest.mqtt import (
    SHARED_FILTER,
    TOPIC_PREFIX,
    Batch,
    BatchRefused,
    DeadLetter,
    JsonlDeadLetters,
)
from jieneng.ingest.mqtt.dispatch import Dispatcher, serve_groups
from jieneng.ingest.mqtt.subscriber import Connection as MqttConnection
from jieneng.ingest.mqtt.subscriber import Counters, Held, Subscriber
from jieneng.storage.engine import make_engine

from .ingest import ReadingsRefused, log_refusal, store_batch
from .mqtt_group import as_batch_refused, batch_columns, store_group


def _frame(batch: Batch) -> pl.DataFrame:
    meters, ts, values = batch_columns(batch)
    return pl.DataFrame({"meter": meters, "ts": ts, "value": values},
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


def subscription_for(workers: int, *, shared: bool = False) -> str:
    """The plain filter ``jieneng/v1/+/readings`` — one worker, or the dispatcher of
    several (:func:`run_dispatcher`) — or, with ``shared``, the shared filter every
    worker process subscribes to on its own. Mosquitto 2.0.11 does not restore a
    persistent session's *shared* subscription from its persistence file: after a
    broker restart, batches published before the workers are back and subscribed again
    reach nobody (PUBACKed to the gateway all the same). A plain subscription is
    restored (docs/mqtt.md)."""
    return SHARED_FILTER if shared and workers > 1 else f"{TOPIC_PREFIX}/+/readings"


def worker_connection(config: WorkerConfig, index: int | None) -> MqttConnection:
    """Worker ``index``'s connection: its own client id, so its own persistent session
    (None: the id as given, a single worker)."""
    if index is None:
        return config.mqtt
    return replace(config.mqtt, client_id=f"{config.mqtt.client_id}-{index}")


def _subscriber(config: WorkerConfig, index: int | None, engine: Engine) -> Subscriber:
    target = MqttStore(engine)
    return Subscriber(worker_connection(config, index), target.store,
                      DeadLetterLog(engine, JsonlDeadLetters(config.dead_letters)),
                      subscription=config.subscription,
                      max_backoff_s=config.max_backoff_s,
                      store_many=target.store_many if config.group_max > 1 else None,
                      group_max=config.group_max, group_wait_s=config.group_wait_s)


def run_worker(config: WorkerConfig, index: int | None, stop: threading.Event) -> Counters:
    """Run one subscriber until ``stop`` is set; its counters."""
    engine = make_engine(config.database_url)
    sub = _subscriber(config, index, engine)
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


def run_dispatcher(config: WorkerConfig, workers: int, stop: threading.Event) -> Counters:
    """One MQTT session (``config.mqtt.client_id``, the plain filter) feeding
    ``workers`` processes that store the groups (:mod:`jieneng.ingest.mqtt.dispatch`)
    until ``stop`` is set; the dispatcher's counters."""
    dispatcher = Dispatcher(config.mqtt, partial(group_worker, config), workers,
                            subscription=subscription_for(workers),
                            group_max=config.group_max, group_wait_s=config.group_wait_s,
                            max_backoff_s=config.max_backoff_s)
    try:
        dispatcher.run(stop)
    finally:
        log.info("mqtt dispatcher stopped: %s", dispatcher.counters)
    return dispatcher.counters


def group_worker(config: WorkerConfig, pipe: Pipe, index: int) -> None:
    """A dispatcher's worker process: stores the groups it is handed (parse, one
    transaction, dead letters) and answers; exits when the dispatcher says so or is
    gone. SIGINT / SIGTERM are the dispatcher's to act on (it finishes the groups out)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    engine = make_engine(config.database_url)
    sub = _subscriber(config, index, engine)
    if sub.store_many is None:  # --group 1: a group of one message is stored alike
        sub.store_many = MqttStore(engine).store_many
    try:
        serve_groups(pipe, lambda messages: sub.store_held(
            [Held(0, 1, topic, payload) for topic, payload in messages]))
    finally:
        engine.dispose()
        log.info("mqtt worker %s stopped: %s", index, sub.counters)
