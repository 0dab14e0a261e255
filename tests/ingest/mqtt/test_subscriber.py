"""The subscriber against a real Mosquitto: at least once (count in, count out),
a killed worker, a failing store, two workers on the shared subscription, a broker
restart with persistence, refused batches dead-lettered whole."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from jieneng.ingest.mqtt import Batch, BatchRefused, DeadLetter, foreign_meters, readings_topic
from jieneng.ingest.mqtt.subscriber import Connection, Store, Subscriber

from .conftest import PASSWORDS, WAIT_S, Broker, Publisher, wait_for
from .worker import sqlite_store

T0 = 1_764_720_000  # 2025-12-03T00:00:00Z


def batch_payload(gateway: str, n: int, per_batch: int = 5) -> bytes:
    readings = [{"meter": f"{gateway}-M{k}", "ts": T0 + 900 * n, "value": n * 10.0 + k,
                 "kind": "cumulative", "unit": "kWh"} for k in range(per_batch)]
    return json.dumps({"gateway": gateway, "batch_id": f"{gateway}#{n}",
                       "readings": readings}).encode()


def sent_set(gateway: str, count: int, per_batch: int = 5) -> set[tuple[str, int, float]]:
    return {(f"{gateway}-M{k}", T0 + 900 * n, n * 10.0 + k)
            for n in range(count) for k in range(per_batch)}


class MemoryStore:
    """Idempotent by (meter, ts); fails on the deliveries listed in ``fail_on``."""

    def __init__(self, fail_on: frozenset[int] = frozenset()) -> None:
        self.rows: dict[tuple[str, int], float] = {}
        self.deliveries: list[str] = []
        self.calls = 0
        self.fail_on = fail_on
        self.lock = threading.Lock()

    def __call__(self, batch: Batch) -> None:
        with self.lock:
            self.calls += 1
            if self.calls in self.fail_on:
                raise RuntimeError("database unavailable")
            for r in batch.readings:
                self.rows[(r.meter, r.ts)] = r.value
            self.deliveries.append(batch.batch_id)

    def stored(self) -> set[tuple[str, int, float]]:
        with self.lock:
            return {(m, ts, v) for (m, ts), v in self.rows.items()}


class Worker:
    def __init__(self, port: int, client_id: str, store: Store,
                 dead: list[DeadLetter] | None = None) -> None:
        conn = Connection("127.0.0.1", port, "jieneng-ingest", PASSWORDS["jieneng-ingest"],
                          client_id)
        self.dead: list[DeadLetter] = [] if dead is None else dead
        self.sub = Subscriber(conn, store, self.dead.append, max_backoff_s=0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sub.run, args=(self.stop,), daemon=True)
        self.thread.start()
        wait_for(self.sub.subscribed.is_set, what="subscription")

    def close(self) -> None:
        self.stop.set()
        self.thread.join(WAIT_S)


@pytest.fixture
def gw_a(broker: Broker) -> Iterator[Publisher]:
    pub = Publisher(broker.port, "gw-a")
    pub.connected.wait(WAIT_S)
    yield pub
    pub.close()


def publish_all(pub: Publisher, gateway: str, count: int) -> None:
    infos = [pub.publish(readings_topic(gateway), batch_payload(gateway, n))
             for n in range(count)]
    for info in infos:
        info.wait_for_publish(WAIT_S)  # PUBACK from the broker: it has the message


def test_store_failure_is_not_acknowledged_and_comes_again(broker: Broker,
                                                           gw_a: Publisher) -> None:
    store = MemoryStore(fail_on=frozenset({3, 7, 8}))
    worker = Worker(broker.port, "worker-1", store)
    publish_all(gw_a, "gw-a", 30)
    wait_for(lambda: store.stored() == sent_set("gw-a", 30), what="all readings stored")
    worker.close()
    assert set(store.deliveries) == {f"gw-a#{n}" for n in range(30)}
    assert worker.sub.counters.store_failures == 3
    assert worker.sub.counters.connects >= 2  # reconnected after each failure


def _db_count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as con:
        try:
            return int(con.execute(sql).fetchone()[0])
        except sqlite3.OperationalError:  # the worker has not created its tables yet
            return 0


def _spawn(port: int, db: Path, delay: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "tests.ingest.mqtt.worker", str(port),
                             str(db), "worker-kill", str(delay)],
                            cwd=Path(__file__).parents[3])


def test_worker_killed_mid_stream_loses_nothing(broker: Broker, gw_a: Publisher,
                                                tmp_path: Path) -> None:
    """Count in, count out: 60 batches of 5 readings; the worker is killed (SIGKILL)
    after about a third, restarted with the same client id; the stored set equals the
    sent set (a batch stored but not yet acknowledged when killed comes twice). The
    first run is a process (killed), the restart a thread of the test."""
    count, db = 60, tmp_path / "readings.db"
    deliveries = "SELECT count(*) FROM delivery"
    Worker(broker.port, "worker-kill", MemoryStore()).close()  # its session, subscribed
    publish_all(gw_a, "gw-a", count)  # queued for it
    proc = _spawn(broker.port, db, 0.02)
    try:
        wait_for(lambda: _db_count(db, deliveries) >= count // 3, what="a third stored")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(WAIT_S)
    assert _db_count(db, deliveries) < count  # killed mid-stream
    con, store = sqlite_store(db)  # the same worker again (same client id), in a thread
    worker = Worker(broker.port, "worker-kill", store)
    wait_for(lambda: _db_count(db, "SELECT count(*) FROM reading") == count * 5,
             what="every reading stored")
    worker.close()
    con.close()
    with sqlite3.connect(db) as con:
        stored = set(con.execute("SELECT meter, ts, value FROM reading"))
        batches = {b for (b,) in con.execute("SELECT DISTINCT batch_id FROM delivery")}
    assert stored == sent_set("gw-a", count)
    assert batches == {f"gw-a#{n}" for n in range(count)}


def test_two_workers_share_the_load(broker: Broker, gw_a: Publisher) -> None:
    one, two = MemoryStore(), MemoryStore()
    w1, w2 = Worker(broker.port, "worker-1", one), Worker(broker.port, "worker-2", two)
    publish_all(gw_a, "gw-a", 40)
    wait_for(lambda: one.stored() | two.stored() == sent_set("gw-a", 40), what="all stored")
    w1.close()
    w2.close()
    assert one.deliveries and two.deliveries  # both took a share
    assert len(one.deliveries) + len(two.deliveries) == 40  # each batch went to one


def test_broker_restart_keeps_queued_messages(broker: Broker, gw_a: Publisher) -> None:
    """The worker's persistent session is offline; 20 batches are queued for it; the
    broker restarts (persistence); the worker reconnects and gets all of them."""
    store = MemoryStore()
    Worker(broker.port, "worker-1", store).close()  # the session and its subscription
    publish_all(gw_a, "gw-a", 20)
    gw_a.close()
    broker.stop()
    broker.start()
    worker = Worker(broker.port, "worker-1", store)
    wait_for(lambda: store.stored() == sent_set("gw-a", 20), what="queued readings")
    worker.close()


def test_refused_batch_is_dead_lettered_whole_and_acknowledged(broker: Broker,
                                                               gw_a: Publisher) -> None:
    store = MemoryStore()
    worker = Worker(broker.port, "worker-1", store)
    good = batch_payload("gw-a", 1)
    doc = json.loads(batch_payload("gw-a", 2))
    doc["readings"][3]["value"] = "12"  # one bad reading refuses the batch
    for payload in (good, json.dumps(doc).encode(), b"{not json", batch_payload("gw-b", 3)):
        gw_a.publish(readings_topic("gw-a"), payload).wait_for_publish(WAIT_S)
    wait_for(lambda: len(worker.dead) == 3, what="three dead letters")
    worker.close()
    assert store.stored() == {r for r in sent_set("gw-a", 2) if r[1] == T0 + 900}
    assert [d.code for d in worker.dead] == ["mqtt.field_invalid", "mqtt.payload_not_json",
                                             "mqtt.gateway_mismatch"]
    assert worker.dead[0].details == {"field": "value", "index": 3}
    assert worker.dead[0].gateway == "gw-a"
    assert worker.sub.counters.dead_lettered == 3


def test_a_batch_the_store_refuses_is_dead_lettered_not_retried(broker: Broker,
                                                                gw_a: Publisher) -> None:
    """``store`` raises BatchRefused (a meter of another gateway): recorded and
    acknowledged; the next batch is stored by the same connection."""
    inner = MemoryStore()

    def store(batch: Batch) -> None:
        if batch.batch_id == "gw-a#1":
            raise foreign_meters("gw-a", ["gw-b-M1"])
        inner(batch)

    conn = Connection("127.0.0.1", broker.port, "jieneng-ingest",
                      PASSWORDS["jieneng-ingest"], "worker-1")
    dead: list[DeadLetter] = []
    sub = Subscriber(conn, store, dead.append, max_backoff_s=0.2)
    stop = threading.Event()
    thread = threading.Thread(target=sub.run, args=(stop,), daemon=True)
    thread.start()
    wait_for(sub.subscribed.is_set, what="subscription")
    publish_all(gw_a, "gw-a", 3)
    wait_for(lambda: len(inner.deliveries) == 2, what="the other two batches")
    stop.set()
    thread.join(WAIT_S)
    assert [(d.code, d.details["meters"]) for d in dead] == [("mqtt.meter_not_gateways",
                                                              "gw-b-M1")]
    assert inner.deliveries == ["gw-a#0", "gw-a#2"]
    assert sub.counters.connects == 1  # no reconnection: nothing to send again


class GroupStore(MemoryStore):
    """``store_many``: the whole group at once; counts the calls."""

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[int] = []

    def many(self, batches: Sequence[Batch]) -> list[BatchRefused | None]:
        self.groups.append(len(batches))
        for batch in batches:
            self(batch)
        return [None] * len(batches)


def _group_worker(port: int, store: GroupStore, wait_s: float) -> tuple[Subscriber,
                                                                         threading.Event,
                                                                         threading.Thread]:
    conn = Connection("127.0.0.1", port, "jieneng-ingest", PASSWORDS["jieneng-ingest"],
                      "worker-g")
    sub = Subscriber(conn, store, lambda _d: None, max_backoff_s=0.2, store_many=store.many,
                     group_max=100, group_wait_s=wait_s)
    stop = threading.Event()
    thread = threading.Thread(target=sub.run, args=(stop,), daemon=True)
    thread.start()
    wait_for(sub.subscribed.is_set, what="subscription")
    return sub, stop, thread


def test_stopping_finishes_the_group_in_hand_and_acknowledges_it(broker: Broker,
                                                                 gw_a: Publisher) -> None:
    """Three messages held (the group waits 30 s); ``stop`` stores them as one group
    and acknowledges them: the same session gets nothing again."""
    store = GroupStore()
    sub, stop, thread = _group_worker(broker.port, store, 30.0)
    publish_all(gw_a, "gw-a", 3)
    wait_for(lambda: sub.counters.received == 3, what="three held")
    assert store.groups == []
    stop.set()
    thread.join(WAIT_S)
    assert store.groups == [3] and store.stored() == sent_set("gw-a", 3)
    again = GroupStore()
    sub2, stop2, thread2 = _group_worker(broker.port, again, 0.01)
    threading.Event().wait(0.5)
    stop2.set()
    thread2.join(WAIT_S)
    assert sub2.counters.received == 0  # all three were acknowledged


def test_a_failed_group_is_not_acknowledged_and_comes_again(broker: Broker,
                                                            gw_a: Publisher) -> None:
    class FailingOnce(GroupStore):
        def many(self, batches: Sequence[Batch]) -> list[BatchRefused | None]:
            if not self.groups:
                self.groups.append(-len(batches))
                raise RuntimeError("database unavailable")
            return super().many(batches)

    store = FailingOnce()
    sub, stop, thread = _group_worker(broker.port, store, 0.3)
    publish_all(gw_a, "gw-a", 5)
    wait_for(lambda: store.stored() == sent_set("gw-a", 5), what="every batch after the retry")
    stop.set()
    thread.join(WAIT_S)
    assert store.groups[0] < 0 and sub.counters.store_failures == 1
    assert sub.counters.connects >= 2
