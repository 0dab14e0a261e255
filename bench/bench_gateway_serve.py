"""``jieneng gateway serve`` end to end: N simulated MOHURD gateways over TCP → stored
readings per second (issue 12 §2, the MOHURD receiver).

Not a test. In a fresh PostgreSQL schema (dropped afterwards) or a new SQLite file:
``--gateways`` gateways are registered with ``--meters`` meters each (codes ``m/1``);
the receiver runs as its own process (``jieneng gateway serve``, default profile:
AES-128-CBC, CRC-16 framing); this process connects every gateway, logs each in, and
sends ``--batches`` ``continuous`` batches per gateway (one value per meter, 15 minutes
apart), each waiting for its acknowledgement — which the receiver sends only after the
commit — as a gateway does. All frames are built before the clock starts. Prints
readings stored per second (wall, first batch to last acknowledgement), checks the
count in the table, and the load average before and after (the machine is shared).

Usage::

    .venv/bin/python bench/bench_gateway_serve.py [--pg URL | --sqlite PATH]
        [--gateways 20] [--meters 100] [--batches 50] [--workers 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, insert, select, text

from jieneng.ingest.mohurd import load_profile, pack
from jieneng.ingest.mohurd.client import GatewayClient
from jieneng.storage import gateways as g
from jieneng.storage import meter_readings as r
from jieneng.storage import metering as m
from jieneng.storage import tables as t
from jieneng.storage.engine import make_engine
from jieneng.storage.migrate import upgrade

AES = bytes(range(1, 17))
START = 1767196800  # 2026-01-01 00:00 China time
BUILDING = "450300B"


def setup(engine: Engine, gateways: int, meters: int, batches: int) -> None:
    with engine.begin() as conn:
        # the month partitions made beforehand: concurrent first writers of a month
        # race in CREATE TABLE … PARTITION OF (docs/benchmarks.md, the MOHURD receiver)
        r.ensure_partitions(conn, START, START + 900 * batches)
        conn.execute(insert(t.region).values(code="450300", name="桂林市", level=2))
        inst = conn.execute(insert(t.institution).values(
            credit_code="12450300MB0000000X", name="bench", name_key="bench",
            region_code="450300", category="01").returning(t.institution.c.id)).scalar_one()
        conn.execute(insert(m.metering_meter), [
            {"institution_id": inst, "number": f"G{gw}-M{k}", "carrier": "electricity",
             "register": "cumulative"} for gw in range(gateways) for k in range(meters)])
        ids: dict[str, int] = dict(conn.execute(
            select(m.metering_meter.c.number, m.metering_meter.c.id)).all())
        conn.execute(insert(g.metering_gateway), [
            {"code": f"{BUILDING}/{gw:02d}", "protocol": "mohurd", "region_code": "450300",
             "secret": f"key-{gw:02d}", "created_by": "bench", "created_at": START}
            for gw in range(gateways)])
        gws: dict[str, int] = dict(conn.execute(
            select(g.metering_gateway.c.code, g.metering_gateway.c.id)).all())
        conn.execute(insert(g.metering_gateway_meter), [
            {"gateway_id": gws[f"{BUILDING}/{gw:02d}"], "code": f"{k}/1",
             "meter_id": ids[f"G{gw}-M{k}"]} for gw in range(gateways) for k in range(meters)])


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _wait_listening(port: int) -> None:
    for _ in range(600):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    raise SystemExit("the receiver did not start")


async def gateways_run(port: int, gateways: int, meters: int, batches: int) -> float:
    profile = load_profile("default")
    clients = [GatewayClient(profile, BUILDING, f"{gw:02d}", f"key-{gw:02d}", aes_key=AES)
               for gw in range(gateways)]
    for client in clients:
        await client.connect("127.0.0.1", port)
        assert await client.login()
    frames = [[pack(c.batch(str(b), START + 900 * b,
                            [(str(k), "1", f"{b * 1.5 + k:.1f}") for k in range(meters)],
                            "continuous"), profile, AES) for b in range(batches)]
              for c in clients]

    async def one(client: GatewayClient, mine: list[bytes]) -> None:
        for data in mine:
            await client.send_bytes(data)
            ack = await client.receive(timeout=120)
            assert ack is not None and ack.operation == "continuous_ack", ack

    t0 = time.perf_counter()
    await asyncio.gather(*(one(c, f) for c, f in zip(clients, frames, strict=True)))
    wall = time.perf_counter() - t0
    for client in clients:
        await client.close()
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sqlite", default=None)
    parser.add_argument("--gateways", type=int, default=20)
    parser.add_argument("--meters", type=int, default=100)
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--log", default=None, help="the receiver's log file")
    args = parser.parse_args()
    schema = f"bench_gw_{uuid.uuid4().hex[:8]}"
    admin = None
    if args.sqlite:
        Path(args.sqlite).unlink(missing_ok=True)
        url = f"sqlite:///{args.sqlite}"
    else:
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{args.pg}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    server = None
    try:
        upgrade(engine)
        setup(engine, args.gateways, args.meters, args.batches)
        port = _port()
        jieneng = str(Path(sys.executable).with_name("jieneng"))
        log = (Path(args.log).open("w") if args.log  # noqa: SIM115 (the server's lifetime)
               else subprocess.DEVNULL)
        server = subprocess.Popen(
            [jieneng, "--db", url, "gateway", "serve", "--host", "127.0.0.1", "--port",
             str(port), "--workers", str(args.workers), "--max-connections",
             str(args.gateways + 10)],
            env=os.environ | {"JIENENG_GATEWAY_AES_KEY": AES.hex()},
            stdout=subprocess.DEVNULL, stderr=log)
        asyncio.run(_wait_listening(port))
        load = os.getloadavg()
        wall = asyncio.run(gateways_run(port, args.gateways, args.meters, args.batches))
        after = os.getloadavg()
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(r.metering_reading)
                                  ).scalar_one()
        expected = args.gateways * args.meters * args.batches
        print(f"{engine.dialect.name}: {args.gateways} gateways × {args.batches} batches × "
              f"{args.meters} readings = {expected:,} in {wall:.2f} s: "
              f"{expected / wall:,.0f} readings/s stored, "
              f"{args.gateways * args.batches / wall:,.0f} batches/s; "
              f"stored {stored:,} ({'ok' if stored == expected else 'MISMATCH'}); "
              f"load {load[0]:.1f} → {after[0]:.1f}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
