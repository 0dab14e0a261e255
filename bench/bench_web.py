"""Benchmark the overview over the web stack on a generated province.

    .venv/bin/python bench/bench_web.py --db postgresql://postgres@127.0.0.1/jieneng_bench

(a) Server-side timings, in process, for the province (430000), one city and one
    institution, ``--requests`` each (default 200, after ``--warmup``; a
    measurement stops early after ``--budget`` seconds and reports its ``n``):
    the service :func:`jieneng.services.statistics.overview.overview`, its JSON twin
    ``GET /api/v1/overview`` (bearer token) and the HTML page ``GET /overview``
    (session login through the ``/login`` form with its CSRF token), both through
    Starlette's in-process ``TestClient`` (no network). p50 / p95 / max.
(b) Concurrent users: ``jieneng --db URL serve`` (the product's own command: one
    uvicorn process) in a subprocess on 127.0.0.1 and a free port; ``--clients``
    (default 50) asyncio clients with httpx, no think time, share ``--total``
    (default 2,000) ``GET /api/v1/overview`` requests over a mix of the province,
    its cities, its counties and institutions (institution accounts); bounded by
    ``--deadline`` seconds. Throughput and p50 / p95 / p99 / max latency. The
    server is stopped at the end whatever happens.

Accounts ``bench-region`` (region 430000) and ``bench-inst-N`` (institution) are
created on first use (password below) with one API token per run; nothing else
is written. Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, select
from starlette.testclient import TestClient

from jieneng.core.caller import Actor, User
from jieneng.core.exceptions import Conflict
from jieneng.services import result_cache
from jieneng.services.accounts import accounts, auth
from jieneng.services.database import open_database
from jieneng.services.statistics.overview import overview
from jieneng.settings import Settings
from jieneng.storage import tables as t
from jieneng.web.app import create_app

PASSWORD = "bench-password-2024"
PROVINCE = "430000"
YEAR = 2024
ROOT = Path(__file__).resolve().parent.parent


def _ms(values: list[float]) -> dict[str, float]:
    s = sorted(values)

    def q(p: float) -> float:
        return round(1000 * s[min(len(s) - 1, round(p * (len(s) - 1)))], 1)

    return {"n": len(s), "p50": q(0.50), "p95": q(0.95), "p99": q(0.99),
            "max": round(1000 * s[-1], 1), "mean": round(1000 * statistics.fmean(s), 1)}


def _account(engine: Engine, username: str, role: str, *, region: str | None = None,
             institution: str | None = None) -> User:
    try:
        return accounts.create_user(engine, Actor.cli(), username=username, password=PASSWORD,
                                    role=role, region_code=region, institution=institution)
    except Conflict:
        return accounts.get_user_by_username(engine, username)


def _pick(engine: Engine) -> dict[str, Any]:
    """A city, its counties and institutions with figures in ``YEAR`` (deterministic)."""
    r, i, cy = t.region, t.institution, t.consumption_year
    with engine.connect() as conn:
        cities = sorted(conn.execute(select(r.c.code).where(r.c.level == 2)).scalars())
        counties = sorted(conn.execute(select(r.c.code).where(r.c.level == 3)).scalars())
        inst = conn.execute(
            select(i.c.credit_code, i.c.region_code)
            .join(cy, (cy.c.institution_id == i.c.id) & (cy.c.year == YEAR))
            .where(i.c.status == "active", i.c.region_code.in_(counties))
            .order_by(i.c.id).limit(2000)
        ).all()
    rng = random.Random(20240601)
    return {"cities": cities, "counties": counties,
            "institutions": [tuple(x) for x in rng.sample(list(inst), 10)]}


def _timed(fn: Callable[[], Any], n: int, warmup: int, budget: float) -> dict[str, float]:
    """``n`` timed calls after ``warmup`` untimed ones; stops early (and says so in
    ``n``) once the timed calls have taken ``budget`` seconds."""
    for _ in range(warmup):
        fn()
    out: list[float] = []
    start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
        if time.perf_counter() - start > budget:
            break
    return _ms(out)


def _login(client: TestClient, username: str) -> None:
    page = client.get("/login")
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert m, "no CSRF token on /login"
    resp = client.post("/login", data={"username": username, "password": PASSWORD,
                                       "csrf_token": m.group(1), "next": "/"},
                       follow_redirects=False)
    assert resp.status_code == 303, (resp.status_code, resp.text[:300])


def in_process(url: str, picks: dict[str, Any], n: int, warmup: int, budget: float
               ) -> dict[str, Any]:
    engine = open_database(url)
    city = picks["cities"][0]
    code, inst_region = picks["institutions"][0]
    region_user = _account(engine, "bench-region", "region", region=PROVINCE)
    inst_user = _account(engine, "bench-inst-0", "institution", institution=code)
    cases = {
        "province": (region_user, PROVINCE),
        "city": (region_user, city),
        "institution": (inst_user, inst_region),
    }
    # (a) measures the computation: the result cache is off here (see (b) for it on)
    settings = Settings(database_url=url, result_cache_entries=0)
    result_cache.configure(engine, 0)
    app = create_app(settings)
    out: dict[str, Any] = {"city": city, "institution": code}
    with TestClient(app) as api, TestClient(app) as html_region, \
            TestClient(app) as html_inst:
        tokens = {u.username: auth.create_token(engine, u, "bench_web")[1]
                  for u in (region_user, inst_user)}
        _login(html_region, region_user.username)
        _login(html_inst, inst_user.username)
        html = {region_user.username: html_region, inst_user.username: html_inst}
        for name, (user, region) in cases.items():
            query = f"region={region}&year={YEAR}"
            headers = {"Authorization": f"Bearer {tokens[user.username]}"}

            def service(user: User = user, region: str = region) -> Any:
                return overview(engine, user.scope, region_code=region, year=YEAR,
                                default_factor_set=settings.factor_set)

            def api_get(query: str = query, headers: dict[str, str] = headers) -> None:
                resp = api.get(f"/api/v1/overview?{query}", headers=headers)
                assert resp.status_code == 200, (resp.status_code, resp.text[:300])

            def html_get(query: str = query, client: TestClient = html[user.username]) -> None:
                resp = client.get(f"/overview?{query}")
                assert resp.status_code == 200, (resp.status_code, resp.text[:300])

            head = service()
            out[name] = {
                "energy_tce": head["energy_tce"],
                "institutions_reported": head["institutions_reported"],
                "service": _timed(service, n, warmup, budget),
                "api": _timed(api_get, n, warmup, budget),
                "html": _timed(html_get, n, warmup, budget),
            }
            print(f"# {name}: {json.dumps(out[name], ensure_ascii=False)}", file=sys.stderr)
    engine.dispose()
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Connection:
    """One keep-alive HTTP/1.1 connection with a minimal GET: the load generator
    shares the 2 vCPUs with the server, and httpx costs about as much CPU per
    request as the server's cached answer (measured: the client process used ~1.2
    cores at 88 requests/s), so the clients speak plain HTTP over asyncio streams."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, token: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {token}\r\nAccept: application/json\r\n\r\n".encode())
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        chunked = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
            elif name.lower() == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        else:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _drive(base: str, requests: list[tuple[str, str]], clients: int, deadline: float,
                 think: float) -> dict[str, Any]:
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    stop_at = time.monotonic() + deadline
    pacing = random.Random(7)
    host, port = base.removeprefix("http://").split(":")

    async def client() -> None:
        conn = _Connection(host, int(port))
        try:
            while time.monotonic() < stop_at:
                try:
                    path, token = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t0 = time.perf_counter()
                try:
                    status = str(await asyncio.wait_for(conn.get(path, token), 60.0))
                except (OSError, asyncio.IncompleteReadError, TimeoutError) as err:
                    status = type(err).__name__
                    conn.close()
                    conn = _Connection(host, int(port))
                if status == "200":
                    latencies.append(time.perf_counter() - t0)
                else:
                    errors[status] = errors.get(status, 0) + 1
                if think > 0:  # a user reads the page before the next click
                    await asyncio.sleep(pacing.uniform(0, 2 * think))
        finally:
            conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - t0
    done = len(latencies)
    return {"clients": clients, "planned": len(requests), "ok": done, "errors": errors,
            "not_sent": queue.qsize(), "wall_s": round(wall, 2),
            "throughput_rps": round(done / wall, 1) if wall else None,
            "latency_ms": _ms(latencies) if latencies else None}


def concurrent(url: str, picks: dict[str, Any], clients: int, total: int, deadline: float,
               *, workers: int, think: float, cache: bool) -> dict[str, Any]:
    engine = open_database(url)
    region_user = _account(engine, "bench-region", "region", region=PROVINCE)
    region_token = auth.create_token(engine, region_user, "bench_web")[1]
    inst_tokens = []
    for n, (code, _) in enumerate(picks["institutions"]):
        user = _account(engine, f"bench-inst-{n}", "institution", institution=code)
        inst_tokens.append(auth.create_token(engine, user, "bench_web")[1])
    engine.dispose()
    # The mix: 10 % province, 30 % cities, 30 % counties, 30 % institutions.
    rng = random.Random(7)
    mix: list[tuple[str, str]] = []
    for n in range(total):
        kind = n % 10
        if kind == 0:
            region, token = PROVINCE, region_token
        elif kind <= 3:
            region, token = rng.choice(picks["cities"]), region_token
        elif kind <= 6:
            region, token = rng.choice(picks["counties"]), region_token
        else:
            token = rng.choice(inst_tokens)
            region = ""
        mix.append((f"/api/v1/overview?region={region}&year={YEAR}", token))
    rng.shuffle(mix)

    port = _free_port()
    env = {**os.environ, "JIENENG_ENVIRONMENT": "development",
           "JIENENG_RESULT_CACHE_ENTRIES": "256" if cache else "0"}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/jieneng"), "--db", url, "serve", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # up to 30 s to start
            try:
                if httpx.get(f"{base}/login", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                raise RuntimeError(f"server exited: {server.stderr.read().decode()[-2000:]}"
                                   if server.stderr else "server exited")
            time.sleep(0.1)
        else:
            raise RuntimeError("server did not start within 30 s")
        # Warm-up: each distinct URL once, sequentially (not timed).
        for path, token in dict(mix).items():
            httpx.get(base + path, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        result = asyncio.run(_drive(base, mix, clients, deadline, think))
        return {"workers": workers, "think_s": think, "result_cache": cache, **result}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--budget", type=float, default=120.0,
                    help="seconds per in-process measurement before it stops early")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--total", type=int, default=2000)
    ap.add_argument("--deadline", type=float, default=300.0)
    ap.add_argument("--skip", choices=["a", "b"], help="skip part a or b")
    ap.add_argument("--workers", type=int, default=1, help="(b) server processes")
    ap.add_argument("--think", type=float, default=0.0,
                    help="(b) mean think time per client between requests [s] (uniform 0–2×)")
    ap.add_argument("--no-cache", action="store_true",
                    help="(b) serve with the result cache off")
    args = ap.parse_args()
    engine = open_database(args.db)
    picks = _pick(engine)
    engine.dispose()
    result: dict[str, Any] = {"db": args.db.split("@")[-1], "year": YEAR}
    if args.skip != "a":
        result["in_process"] = in_process(args.db, picks, args.requests, args.warmup,
                                          args.budget)
    if args.skip != "b":
        result["concurrent"] = concurrent(args.db, picks, args.clients, args.total,
                                          args.deadline, workers=args.workers,
                                          think=args.think, cache=not args.no_cache)
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
