"""MQTT, batched, QoS 1 → the database, end to end, against a raw ``COPY`` into the
same table in the same run (issue 12, speed: ≥ 100,000 readings/s over ≥ 60 s).

Not a test. It starts a private Mosquitto (configured by ``jieneng.ingest.mqtt.broker``,
persistence on, in a temporary directory), creates a database (PostgreSQL: a new
database on the server of ``--pg``, dropped afterwards; SQLite: a new file) with
``--gateways`` gateways of ``--meters`` meters each bound to them, and then:

1. starts ``jieneng gateway mqtt-subscribe --workers W --group K`` (the real command);
2. warms up: one batch per gateway, waited for until stored;
3. ``--publishers`` processes publish, for ``--seconds``, batches of one reading per
   meter of a gateway (``--meters`` readings a message, epoch-second times, QoS 1,
   each gateway its own client and account), as fast as the broker takes them — or, with
   ``--rate R``, paced to R readings/s in all (a sustained load: on a real deployment
   the gateways publish from elsewhere, here an unpaced publisher takes a core's worth
   of the workers' CPU making JSON 4–5× faster than anything can store it);
4. waits until every published reading is stored (count checked exactly);
5. ``COPY``s the same number of new readings straight into ``metering_reading`` on one
   connection (chunks of 100,000) — the raw ceiling of the same table on the same
   server at the same moment.

Reports: readings/s over the publishing window (rows inserted into the partitions,
from ``pg_stat_user_tables``, sampled at its start and end), end to end (all readings
÷ first publish → last stored), the raw COPY rate and the ratio; the load average
(the machine may be shared: the figures are then lower bounds); and the CPU time per
reading stored in the window of the command (its own process — the dispatcher with
``--workers`` > 1 — and its worker processes) and of the PostgreSQL backends of the
bench's database (the server must run on this machine): unlike the rates, these
barely move with the load of others, so they compare two versions of the code on a
shared machine.

Usage::

    .venv/bin/python bench/bench_mqtt_ingest.py [--pg URL] [--sqlite PATH]
        [--seconds 60] [--gateways 20] [--meters 1000] [--publishers 2]
        [--workers 2] [--group 20] [--rate 0]
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
import polars as pl
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, create_engine, insert, text

from jieneng.ingest.mqtt.broker import Account, Accounts, render, write_files
from jieneng.ingest.mqtt.payload import readings_topic
from jieneng.storage import gateways as g
from jieneng.storage import meter_readings as r
from jieneng.storage import metering as m
from jieneng.storage import tables as t
from jieneng.storage.engine import make_engine
from jieneng.storage.migrate import upgrade

START = 1767196800  # 2026-01-01 00:00 China time
SUBSCRIBER_PASSWORD = "bench-subscriber-secret"
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gateway_id(i: int) -> str:
    return f"bench-gw-{i:04d}"


def password(gw: str) -> str:
    return f"{gw}-password"


def payload(gw: str, meters: int, step: int) -> bytes:
    ts = START + 900 * step
    return json.dumps({"gateway": gw, "batch_id": f"{gw}#{step}", "readings": [
        {"meter": f"M{k}", "ts": ts, "value": step * 10.0 + k * 0.001, "kind": "cumulative"}
        for k in range(meters)]}).encode()


# ------------------------------------------------------------------ broker

def start_broker(root: Path, gateways: int) -> tuple[subprocess.Popen[bytes], int]:
    accounts = Accounts(
        gateways=tuple(Account(gateway_id(i), password(gateway_id(i)))
                       for i in range(gateways)),
        subscriber=Account("jieneng-ingest", SUBSCRIBER_PASSWORD))
    port = _free_port()
    (root / "data").mkdir()
    conf_dir = root / "mosquitto"
    write_files(render(accounts, config_dir=conf_dir, port=port, bind="127.0.0.1",
                       persistence_dir=root / "data"), conf_dir)
    conf = conf_dir / "mosquitto.conf"
    if os.geteuid() == 0:
        conf.write_text(conf.read_text() + "user root\n")
    log = (root / "mosquitto.log").open("ab")
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=log, stderr=log)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, port


# ------------------------------------------------------------------ database

def make_database(args: argparse.Namespace, root: Path) -> tuple[str, Any]:
    """The database URL and how to drop it afterwards."""
    if args.sqlite:
        path = Path(args.sqlite)
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    admin = create_engine(args.pg.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    name = args.database
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return args.pg.rsplit("/", 1)[0] + "/" + name, drop


def registry(engine: Engine, gateways: int, meters: int) -> None:
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(insert(t.region).values(code="450300", name="桂林市", level=2))
        inst = conn.execute(insert(t.institution).values(
            credit_code="12450300MB0000001X", name="基准单位", name_key="基准单位",
            region_code="450300", category="01").returning(t.institution.c.id)).scalar_one()
        for i in range(gateways):
            gw = gateway_id(i)
            ids = conn.execute(insert(m.metering_meter).returning(m.metering_meter.c.id), [
                {"institution_id": inst, "number": f"{gw}-M{k}", "carrier": "electricity",
                 "register": "cumulative", "unit": "kWh"} for k in range(meters)]).scalars().all()
            gid = conn.execute(insert(g.metering_gateway).values(
                code=gw, protocol="mqtt", region_code="450300", created_by="bench",
                created_at=START).returning(g.metering_gateway.c.id)).scalar_one()
            conn.execute(insert(g.metering_gateway_meter), [
                {"gateway_id": gid, "code": f"M{k}", "meter_id": mid}
                for k, mid in enumerate(ids)])
        r.ensure_partitions(conn, START, START + 86400 * 62)


def _cpu_s(pid: int) -> float:
    """utime + stime of a process of this machine [s] (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds so far of ``pid`` and of its children (the command's workers)."""
    out = {pid: _cpu_s(pid)}
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for child in children:
        out.update(tree_cpu(int(child)))
    return out


def backends_cpu(engine: Engine, name: str) -> float:
    """CPU seconds used so far by the server's backends of database ``name`` (the
    server runs on this machine), this connection's own left out."""
    with engine.connect() as conn:
        pids = conn.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = :name "
            "AND pid <> pg_backend_pid()"), {"name": name}).scalars().all()
    return sum(_cpu_s(int(pid)) for pid in pids)


def stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM metering_reading")).scalar_one())


def inserted_pg(engine: Engine) -> int:
    """Rows inserted into the reading partitions so far (statistics, about 1 s late)."""
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
        return int(conn.execute(text(
            "SELECT coalesce(sum(n_tup_ins), 0) FROM pg_stat_user_tables "
            f"WHERE relname LIKE '{r.PARTITION_PREFIX}%'")).scalar_one())


# ------------------------------------------------------------------ publishers

def publisher(port: int, gateways: list[str], meters: int, seconds: float, first_step: int,
              go: Any, out: Any, rate: float = 0.0) -> None:
    """Publish for ``seconds``; ``rate`` > 0: at most that many readings/s (paced)."""
    clients = []
    for gw in gateways:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{gw}",
                             protocol=mqtt.MQTTv5)
        client.username_pw_set(gw, password(gw))
        client.max_inflight_messages_set(50)
        client.max_queued_messages_set(0)
        client.connect("127.0.0.1", port)
        client.loop_start()
        clients.append((gw, client))
    go.wait()
    start = time.monotonic()
    deadline = start + seconds
    step, sent = first_step, 0
    pending: deque[mqtt.MQTTMessageInfo] = deque()
    while time.monotonic() < deadline:
        for gw, client in clients:
            pending.append(client.publish(readings_topic(gw), payload(gw, meters, step), qos=1))
            sent += 1
            while len(pending) > 40 * len(clients):
                pending.popleft().wait_for_publish(60)
            if rate > 0:
                ahead = start + sent * meters / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
        step += 1
    for info in pending:
        info.wait_for_publish(120)
    for _, client in clients:
        client.disconnect()
        client.loop_stop()
    out.put(sent)


# ------------------------------------------------------------------ raw COPY

def raw_copy(engine: Engine, rows: int, meters_total: int, first_step: int) -> float:
    """Seconds to COPY ``rows`` new readings into metering_reading (chunks of 100,000)."""
    steps = -(-rows // meters_total)
    meter = np.tile(np.arange(1, meters_total + 1), steps)[:rows]
    ts = np.repeat(START + 900 * (first_step + np.arange(steps)), meters_total)[:rows]
    frame = pl.DataFrame({"meter_id": meter, "ts": ts, "value": ts * 0.001,
                          "received_at": np.zeros(rows, dtype=np.int64)})
    with engine.begin() as conn:
        r.ensure_partitions(conn, int(ts.min()), int(ts.max()))
    t0 = time.perf_counter()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            dbapi = conn.connection.driver_connection
            assert dbapi is not None
            with dbapi.cursor() as cur:
                for chunk in frame.iter_slices(100_000):
                    buffer = io.BytesIO()
                    chunk.write_csv(buffer, include_header=False)
                    with cur.copy("COPY metering_reading (meter_id, ts, value, received_at) "
                                  "FROM STDIN (FORMAT csv)") as copy:
                        copy.write(buffer.getvalue())
    else:
        from jieneng.storage.bulk import bulk_insert

        with engine.begin() as conn:
            bulk_insert(conn, r.metering_reading, frame)
    return time.perf_counter() - t0


# ------------------------------------------------------------------ main

def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="jn_bench_mqtt")
    parser.add_argument("--sqlite", default=None)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--gateways", type=int, default=20)
    parser.add_argument("--meters", type=int, default=1000)
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--group", type=int, default=20)
    parser.add_argument("--drain-timeout", type=float, default=120)
    parser.add_argument("--copy-rows", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=0.0,
                        help="readings/s published in all (0: as fast as the broker takes)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="jn-bench-mqtt-"))
    broker, port = start_broker(root, args.gateways)
    url, drop = make_database(args, root)
    engine = make_engine(url)
    sub: subprocess.Popen[bytes] | None = None
    try:
        registry(engine, args.gateways, args.meters)
        cred = root / "subscriber.toml"
        cred.write_text(f'username = "jieneng-ingest"\npassword = "{SUBSCRIBER_PASSWORD}"\n')
        with (root / "subscriber.log").open("ab") as log:
            sub = subprocess.Popen(
                [sys.executable, "-c", "from jieneng.cli.main import main; main()",
                 "--db", url, "gateway", "mqtt-subscribe", "--port", str(port),
                 "--credentials", str(cred), "--workers", str(args.workers),
                 "--group", str(args.group), "--receive-maximum", str(max(200, args.group)),
                 "--dead-letters", str(root / "dead.jsonl")], stdout=log, stderr=log)
        gws = [gateway_id(i) for i in range(args.gateways)]
        warm = args.gateways * args.meters
        warmer = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-warm",
                             protocol=mqtt.MQTTv5)
        deadline = time.monotonic() + 120
        while stored(engine) < warm:  # until the workers are subscribed and store
            if time.monotonic() > deadline:
                raise SystemExit(f"warm-up not stored; see {root}/subscriber.log")
            for gw in gws:
                warmer.username_pw_set(gw, password(gw))
                warmer.connect("127.0.0.1", port)
                warmer.loop_start()
                warmer.publish(readings_topic(gw), payload(gw, args.meters, 0),
                               qos=1).wait_for_publish(10)
                warmer.disconnect()
                warmer.loop_stop()
            time.sleep(1.0)
        ctx = multiprocessing.get_context("spawn")
        go, out = ctx.Event(), ctx.Queue()
        pubs = [ctx.Process(target=publisher, args=(port, gws[i::args.publishers], args.meters,
                                                    args.seconds, 1, go, out,
                                                    args.rate / args.publishers))
                for i in range(args.publishers)]
        for p in pubs:
            p.start()
        time.sleep(3)  # the publishers' connections
        pg = engine.dialect.name == "postgresql"
        before = inserted_pg(engine) if pg else stored(engine)
        server0 = backends_cpu(engine, args.database) if pg else 0.0
        command0 = tree_cpu(sub.pid)
        load0 = os.getloadavg()
        t0 = time.perf_counter()
        go.set()
        time.sleep(args.seconds)
        window = time.perf_counter() - t0
        during = (inserted_pg(engine) if pg else stored(engine)) - before
        server = backends_cpu(engine, args.database) - server0 if pg else 0.0
        command1 = tree_cpu(sub.pid)
        load1 = os.getloadavg()
        rate = during / window
        print(f"{engine.dialect.name}: {args.workers} worker(s), group {args.group}, "
              f"{args.publishers} publisher(s), {args.gateways} gateways × {args.meters} "
              f"readings a message", flush=True)
        print(f"  stored during the {window:.0f} s window: {during:,} readings = "
              f"{rate:,.0f} readings/s (load average {load0[0]:.2f} at start, "
              f"{load1[0]:.2f} at end; 2 cores shared with others' work)", flush=True)
        if during:
            own = command1[sub.pid] - command0.get(sub.pid, 0.0)
            every = sum(cpu - command0.get(pid, 0.0) for pid, cpu in command1.items())
            print("  CPU in the window, µs a reading stored: the command "
                  f"{1e6 * every / during:.2f}"
                  f" (its own process {1e6 * own / during:.2f}, the rest its workers)"
                  + (f", PostgreSQL's backends {1e6 * server / during:.2f}" if pg else ""),
                  flush=True)
        sent = sum(out.get() for _ in pubs)
        for p in pubs:
            p.join()
        published = sent * args.meters
        expected = warm + published
        drain_end = time.monotonic() + args.drain_timeout
        while stored(engine) < expected and time.monotonic() < drain_end:
            time.sleep(1.0)
        total = time.perf_counter() - t0
        final = stored(engine)
        if final == expected:
            print(f"  published {published:,} readings; all stored exactly once "
                  f"({final:,} rows with the warm-up); end to end {published / total:,.0f} "
                  f"readings/s ({total:.0f} s)", flush=True)
        else:
            print(f"  published {published:,} readings; {final - warm:,} stored when the "
                  f"drain was cut after {args.drain_timeout:.0f} s (the rest stays queued "
                  f"in the broker for the workers' sessions)", flush=True)
        if sub is not None:
            sub.send_signal(signal.SIGTERM)
            sub.wait(60)
        copy_rows = min(published, args.copy_rows)
        copy_s = raw_copy(engine, copy_rows, args.gateways * args.meters,
                          first_step=10_000)
        copy_rate = copy_rows / copy_s
        print(f"  raw COPY of {copy_rows:,} readings into the same table (workers stopped): "
              f"{copy_rate:,.0f} readings/s; ratio MQTT window / COPY {rate / copy_rate:.2f}; "
              f"load average {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        if sub is not None and sub.poll() is None:
            sub.send_signal(signal.SIGTERM)
            try:
                sub.wait(30)
            except subprocess.TimeoutExpired:
                sub.kill()
        engine.dispose()
        drop()
        broker.terminate()
        broker.wait(30)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
