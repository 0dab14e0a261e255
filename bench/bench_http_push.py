"""HTTP push ``POST /api/v1/readings`` throughput through the whole app (FastAPI test
client in process: token lookup, JSON parse and check, ``store_batch`` in one
transaction per batch): readings/s for batches of ``--batch`` readings.

    .venv/bin/python bench/bench_http_push.py --sqlite /tmp/push.db
    .venv/bin/python bench/bench_http_push.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/x

docs/gateways.md quotes the figures.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, text

from jieneng.core.caller import command_line_user
from jieneng.services.metering import gateways as gw
from jieneng.settings import Settings
from jieneng.storage import metering as m
from jieneng.storage import tables as t
from jieneng.storage.migrate import upgrade
from jieneng.web.app import create_app

START = 1_764_518_400  # 2025-12-01 00:00 China time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sqlite")
    parser.add_argument("--pg")
    parser.add_argument("--meters", type=int, default=100)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--batches", type=int, default=40)
    args = parser.parse_args()
    if args.sqlite:
        Path(args.sqlite).unlink(missing_ok=True)
        url = f"sqlite:///{args.sqlite}"
    else:
        admin = create_engine(args.pg.rsplit("/", 1)[0] + "/postgres",
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "bench_push" WITH (FORCE)'))
            conn.execute(text('CREATE DATABASE "bench_push"'))
        url = args.pg.rsplit("/", 1)[0] + "/bench_push"
    app = create_app(Settings(database_url=url, environment="test",
                              secret_key="bench-secret-key-not-default",
                              metering_derive_seconds=0))
    engine = app.state.engine
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(insert(t.region).values(code="450300", name="桂林市", level=2))
        inst = conn.execute(insert(t.institution).values(
            credit_code="12450300MB0000001X", name="基准单位", name_key="基准单位",
            region_code="450300", category="01").returning(t.institution.c.id)).scalar_one()
        conn.execute(insert(m.metering_meter), [
            {"institution_id": inst, "number": f"M{k}", "carrier": "electricity",
             "register": "cumulative", "unit": "kWh"} for k in range(args.meters)])
        from jieneng.storage import meter_readings as r

        r.ensure_partitions(conn, START, START + 86400 * 400)
    user = command_line_user()
    made = gw.register_gateway(engine, user, gw.GatewaySpec("bench-http", "http", "450300"))
    gw.assign_meters(engine, user, made["gateway_id"], [
        gw.Assignment(f"M{k}", "12450300MB0000001X", f"M{k}") for k in range(args.meters)])
    per_meter = args.batch // args.meters
    bodies = []
    for b in range(args.batches):
        base = START + b * per_meter * 900
        bodies.append(json.dumps({"gateway": "bench-http", "batch_id": f"b{b}", "readings": [
            {"meter": f"M{k}", "ts": base + i * 900, "value": float(b * per_meter + i),
             "kind": "cumulative"} for k in range(args.meters) for i in range(per_meter)]}
        ).encode())
    headers = {"Authorization": f"Bearer {made['secret']}", "Content-Type": "application/json"}
    with TestClient(app) as client:
        started = time.perf_counter()
        for body in bodies:
            answer = client.post("/api/v1/readings", content=body, headers=headers)
            assert answer.status_code == 200, answer.text
        elapsed = time.perf_counter() - started
        again = time.perf_counter()
        answer = client.post("/api/v1/readings", content=bodies[0], headers=headers)
        resend = time.perf_counter() - again
        assert answer.json()["written"] == 0
    total = args.batches * args.meters * per_meter
    print(f"{url.split(':')[0]}: {total} readings in {args.batches} batches of "
          f"{args.meters * per_meter}: {elapsed:.2f} s, {total / elapsed:,.0f} readings/s "
          f"(a resend of one batch: {resend * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
