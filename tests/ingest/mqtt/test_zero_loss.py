"""Zero loss, counted (issue 12, Reliability): a gateway publishes numbered readings
(QoS 1) through a private Mosquitto to ``jieneng gateway mqtt-subscribe`` (the real
command, a process) into a private PostgreSQL, while

(a) the subscriber is killed (SIGKILL) mid-stream and started again,
(b) Mosquitto is restarted mid-stream (persistence on) — also with the subscriber
    down until the gateway has published to the restarted broker,
(c) PostgreSQL is stopped hard (``immediate``) and started again mid-stream;

afterwards every published reading is stored exactly once: the count, the sum of the
values and the set of (meter, ts, value) equal what was sent. The publisher behaves
like a gateway: it resends a batch until the broker's PUBACK comes (so the broker may
hold a batch twice — storage is idempotent by (meter, ts)). One worker, and two
worker processes behind the command's one persistent session (the plain
subscription, which Mosquitto 2.0.11 restores after its restart — a shared one it does
not; docs/mqtt.md): the three disruptions are run with both. About 40 s for the six
on an idle machine (each starts the command, a broker and streams 2,400 readings)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, insert, text

from jieneng.ingest.mqtt import readings_topic
from jieneng.services.database import open_database
from jieneng.storage import gateways as g
from jieneng.storage import metering as m
from jieneng.storage import tables as t

from .conftest import PASSWORDS, Broker, wait_for
from .pg import PrivatePostgres

T0 = 1_764_518_400  # 2025-12-01 00:00 China time
GATEWAY = "gw-a"
METERS = 10
BATCHES = 240  # × METERS readings
SUB_ID = "zl-sub"


@pytest.fixture(scope="module")
def pg() -> Iterator[PrivatePostgres]:
    try:
        server = PrivatePostgres()
    except (FileNotFoundError, subprocess.CalledProcessError) as err:
        pytest.skip(f"no private PostgreSQL: {err}")
    server.start()
    yield server
    server.destroy()


@pytest.fixture(scope="module")
def db(pg: PrivatePostgres) -> Iterator[Engine]:
    engine = open_database(pg.url)
    with engine.begin() as conn:
        conn.execute(insert(t.region).values(code="450300", name="桂林市", level=2))
        inst = conn.execute(insert(t.institution).values(
            credit_code="12450300MB0000001X", name="测试单位", name_key="测试单位",
            region_code="450300", category="01").returning(t.institution.c.id)).scalar_one()
        meter_ids = conn.execute(insert(m.metering_meter).returning(m.metering_meter.c.id),
                                 [{"institution_id": inst, "number": f"M{k}",
                                   "carrier": "electricity", "register": "cumulative",
                                   "unit": "kWh"}
                                  for k in range(METERS)]).scalars().all()
        gw = conn.execute(insert(g.metering_gateway).values(
            code=GATEWAY, protocol="mqtt", region_code="450300", created_by="test",
            created_at=T0).returning(g.metering_gateway.c.id)).scalar_one()
        conn.execute(insert(g.metering_gateway_meter),
                     [{"gateway_id": gw, "code": f"{GATEWAY}-M{k}", "meter_id": mid}
                      for k, mid in enumerate(meter_ids)])
    yield engine
    engine.dispose()


def _payload(n: int) -> bytes:
    readings = [{"meter": f"{GATEWAY}-M{k}", "ts": T0 + 900 * n, "value": n * 100.0 + k,
                 "kind": "cumulative"} for k in range(METERS)]
    return json.dumps({"gateway": GATEWAY, "batch_id": f"{GATEWAY}#{n}",
                       "readings": readings}).encode()


EXPECTED_COUNT = BATCHES * METERS
EXPECTED_SUM = sum(n * 100.0 + k for n in range(BATCHES) for k in range(METERS))


class Gateway(threading.Thread):
    """Publishes batch 0 … BATCHES-1, each resent until its PUBACK, ``pause_s`` apart."""

    def __init__(self, port: int, pause_s: float = 0.006) -> None:
        super().__init__(daemon=True)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="zl-gateway",
                                  protocol=mqtt.MQTTv5)
        self.client.username_pw_set(GATEWAY, PASSWORDS[GATEWAY])
        self.client.reconnect_delay_set(0.05, 0.3)  # type: ignore[arg-type]  # paho takes floats
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.pause_s = pause_s
        self.sent = 0
        self.resends = 0

    def run(self) -> None:
        topic = readings_topic(GATEWAY)
        for n in range(BATCHES):
            while True:
                try:
                    info = self.client.publish(topic, _payload(n), qos=1)
                    info.wait_for_publish(2.0)
                    if info.is_published():
                        break
                except (RuntimeError, ValueError):
                    pass
                self.resends += 1
                time.sleep(0.05)
            self.sent = n + 1
            time.sleep(self.pause_s)
        self.client.disconnect()
        self.client.loop_stop()


def _subscriber(broker: Broker, pg: PrivatePostgres, tmp: Path, workers: int = 1
                ) -> subprocess.Popen[bytes]:
    cred = tmp / "subscriber.toml"
    cred.write_text(f'username = "jieneng-ingest"\npassword = "{PASSWORDS["jieneng-ingest"]}"\n')
    with (tmp / "subscriber.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-c", "from jieneng.cli.main import main; main()",
             "--db", pg.url, "gateway", "mqtt-subscribe",
             "--port", str(broker.port), "--credentials", str(cred), "--client-id", SUB_ID,
             "--group", "20", "--group-wait-ms", "20", "--max-backoff", "0.3",
             "--workers", str(workers),
             "--dead-letters", str(tmp / "dead.jsonl")],
            stdout=log, stderr=log, cwd=Path(__file__).parents[3],
            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _stored(engine: Engine) -> tuple[int, float]:
    try:
        with engine.connect() as conn:
            count, total = conn.execute(text(
                "SELECT count(*), coalesce(sum(value), 0) FROM metering_reading")).one()
    except Exception:  # the server may be down right now
        return -1, 0.0
    return int(count), float(total)


def _reset(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE metering_reading, metering_dirty"))


def _run(broker: Broker, pg: PrivatePostgres, db: Engine, tmp: Path, disrupt: str,
         workers: int = 1) -> None:
    _reset(db)
    sub = _subscriber(broker, pg, tmp, workers)
    gateway = Gateway(broker.port)
    try:
        _prime(broker, db)
        gateway.start()
        wait_for(lambda: gateway.sent >= BATCHES // 3, what="a third published")
        if disrupt == "subscriber":
            sub.send_signal(signal.SIGKILL)
            sub.wait(10)
            assert _stored(db)[0] < EXPECTED_COUNT  # killed mid-stream
            time.sleep(0.3)  # the stream goes on, queued for the session
            sub = _subscriber(broker, pg, tmp, workers)
        elif disrupt == "broker":
            broker.stop()
            time.sleep(0.3)
            broker.start()
        elif disrupt == "broker-late":  # the subscriber back only after the gateway
            broker.stop()
            sub.send_signal(signal.SIGKILL)
            sub.wait(10)
            broker.start()
            sent = gateway.sent
            wait_for(lambda: gateway.sent >= sent + 20, what="publishing after the restart")
            sub = _subscriber(broker, pg, tmp, workers)
        else:
            pg.restart_hard(0.5)
        gateway.join(30)
        assert gateway.sent == BATCHES
        wait_for(lambda: _stored(db)[0] >= EXPECTED_COUNT, timeout=30, what="every reading")
        time.sleep(0.3)  # a late duplicate would show now
        assert _stored(db) == (EXPECTED_COUNT, EXPECTED_SUM)
        with db.connect() as conn:
            rows = {tuple(row) for row in conn.execute(text(
                "SELECT gm.code, r.ts, r.value FROM metering_reading r "
                "JOIN metering_gateway_meter gm ON gm.meter_id = r.meter_id"))}
        assert rows == {(f"{GATEWAY}-M{k}", T0 + 900 * n, n * 100.0 + k)
                        for n in range(BATCHES) for k in range(METERS)}
        assert not (tmp / "dead.jsonl").exists()  # nothing refused
    finally:
        if sub.poll() is None:
            sub.send_signal(signal.SIGTERM)
            try:
                sub.wait(15)
            except subprocess.TimeoutExpired:
                sub.kill()


@pytest.mark.parametrize("disrupt", ["subscriber", "broker", "postgres"])
def test_every_published_reading_is_stored_exactly_once(
        disrupt: str, broker: Broker, pg: PrivatePostgres, db: Engine, tmp_path: Path) -> None:
    _run(broker, pg, db, tmp_path, disrupt)


@pytest.mark.parametrize("disrupt", ["broker-late", "subscriber", "postgres"])
def test_two_workers_store_every_reading_exactly_once(
        disrupt: str, broker: Broker, pg: PrivatePostgres, db: Engine, tmp_path: Path) -> None:
    """``--workers 2``: Mosquitto restarted with the command down until the gateway
    has published 20 batches to the restarted broker (the shared subscription of
    ``--shared`` loses them: not restored), the command killed (its workers see their
    pipe closed and exit), or PostgreSQL stopped hard (the workers answer "not
    stored", the dispatcher reconnects) — every reading stored once, and both worker
    processes stored groups."""
    _run(broker, pg, db, tmp_path, disrupt, workers=2)
    log = (tmp_path / "subscriber.log").read_text()
    stored = {int(i): int(n) for i, n in re.findall(
        r"mqtt worker (\d+) stopped: Counters\(received=\d+, stored=(\d+)", log)}
    assert set(stored) == {1, 2} and all(stored.values()), log[-2000:]


def _prime(broker: Broker, db: Engine) -> None:
    """Batch 0, published every 0.2 s until it is stored: the subscriber is up and
    subscribed (a message published before its first subscription reaches nobody)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="zl-primer",
                         protocol=mqtt.MQTTv5)
    client.username_pw_set(GATEWAY, PASSWORDS[GATEWAY])
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        deadline = time.monotonic() + 30
        while _stored(db)[0] <= 0:
            assert time.monotonic() < deadline, "the subscriber stored nothing"
            client.publish(readings_topic(GATEWAY), _payload(0), qos=1).wait_for_publish(5)
            time.sleep(0.2)
    finally:
        client.disconnect()
        client.loop_stop()
