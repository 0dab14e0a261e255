"""Simultaneous users against a real ``jieneng serve``: 5xx counts and latencies.

Not part of the test suite (the pass/fail version is ``tests/web/test_concurrency.py``,
whose helpers this script uses: run it with ``PYTHONPATH=.``; put an older checkout's
``src`` first on the path to measure older code).

For each database (``--db sqlite``, ``postgresql`` or ``both``): a fresh SQLite file or
PostgreSQL schema with the 桂林 world of the web tests and eight administrators, one
``jieneng serve``, then ``--rounds`` rounds of four bursts released at once (a
barrier): ``--clients`` logins, saves of different months, first uses of new API
tokens, and 12 saves of the same month; then ``--seconds`` of mixed load —
``--clients`` clients each looping over 80 % reads (the entry form, ``/api/v1/me``)
and 20 % saves of its own month. Prints one JSON line per burst kind and one for the
mixed load: statuses (0: the connection dropped), 5xx count, wall time / p50 / p95 /
max [ms].

    PYTHONPATH=. .venv/bin/python bench/concurrency.py --db both
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from tests.web.conftest import EDU, ORGAN, OTHER, PASSWORD, SCHOOL, SILENT, _load
from tests.web.test_concurrency import (
    _login_call,
    _me_call,
    _save_call,
    _tokens,
    burst,
    server,
)

from jieneng.core.caller import Actor, User
from jieneng.services.accounts import auth
from jieneng.services.accounts.accounts import create_user
from jieneng.services.database import open_database

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CODES = [ORGAN, OTHER, EDU, SCHOOL, SILENT]


@contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def ms(seconds: list[float]) -> dict[str, float]:
    if not seconds:
        return {}
    ordered = sorted(seconds)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1)}


def timed_burst(calls: list[Any]) -> tuple[list[httpx.Response], float]:
    started = time.monotonic()
    responses = burst(calls)
    return responses, time.monotonic() - started


def run_bursts(base: str, engine: Any, users: dict[str, User], rounds: int,
               clients: int, backend: str) -> None:
    totals: dict[str, Counter[int]] = {}
    walls: dict[str, list[float]] = {}
    for r in range(rounds):
        sessions = [httpx.Client(base_url=base, timeout=120) for _ in range(clients)]
        names = [list(users)[n % len(users)] for n in range(clients)]
        try:
            logins, wall = timed_burst([_login_call(c, name) for c, name in
                                        zip(sessions, names, strict=True)])
        finally:
            for client in sessions:
                client.close()
        kinds = {"logins": (logins, wall)}
        save_tokens = _tokens(engine, users, clients, f"save{r}-")
        kinds["saves of different months"] = timed_burst([
            _save_call(base, save_tokens[n], CODES[n % 5], 2024 - r, 1 + n % 12, 100.0 + n)
            for n in range(clients)])
        fresh = _tokens(engine, users, clients, f"first{r}-")
        kinds["first token uses"] = timed_burst([_me_call(base, s) for s in fresh])
        same_tokens = _tokens(engine, users, 12, f"same{r}-")
        kinds["saves of the same month"] = timed_burst([
            _save_call(base, same_tokens[n], SCHOOL, 2023 - r, 6, 500.0 + n + r)
            for n in range(12)])
        for name, (responses, seconds) in kinds.items():
            totals.setdefault(name, Counter()).update(x.status_code for x in responses)
            walls.setdefault(name, []).append(seconds)
    for name, counts in totals.items():
        print(json.dumps({"db": backend, "burst": name, "rounds": rounds,
                          "statuses": dict(sorted(counts.items())),
                          "5xx": sum(v for k, v in counts.items() if k >= 500),
                          "wall_ms_per_burst": ms(walls[name])}, ensure_ascii=False),
              flush=True)


def run_mixed(base: str, engine: Any, users: dict[str, User], seconds: float,
              clients: int, backend: str) -> None:
    tokens = _tokens(engine, users, clients, "mixed")
    stop = time.monotonic() + seconds
    results: dict[str, list[tuple[int, float]]] = {"read": [], "save": []}
    lock = threading.Lock()

    def client(n: int) -> None:
        headers = {"Authorization": f"Bearer {tokens[n]}"}
        code, month = CODES[n % 5], 1 + n % 12
        with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
            i = 0
            while time.monotonic() < stop:
                i += 1
                started = time.monotonic()
                kind = "save" if i % 5 == 0 else "read"
                try:
                    if kind == "save":
                        status = http.post(f"/api/v1/entry/{code}/2022/{month}", json={
                            "values": [{"carrier": "electricity", "value": 1000 + i}]},
                        ).status_code
                    elif i % 2:
                        status = http.get(f"/api/v1/entry/{code}/2022/{month}").status_code
                    else:
                        status = http.get("/api/v1/me").status_code
                except httpx.TransportError:
                    status = 0  # the server dropped the connection
                with lock:
                    results[kind].append((status, time.monotonic() - started))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    for kind, rows in results.items():
        counts = Counter(status for status, _ in rows)
        print(json.dumps({"db": backend, "mixed": kind, "clients": clients, "seconds": seconds,
                          "requests": len(rows), "per_s": round(len(rows) / seconds, 1),
                          "statuses": dict(sorted(counts.items())),
                          "5xx": sum(v for k, v in counts.items() if k >= 500),
                          **ms([s for _, s in rows])}), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # seeding only
    for backend in (("sqlite", "postgresql") if args.db == "both" else (args.db,)):
        with tempfile.TemporaryDirectory() as tmp, database(backend, Path(tmp)) as url:
            engine = open_database(url)
            try:
                _load(engine, Path(tmp))
                users = {f"admin{n}": create_user(engine, Actor.cli(), username=f"admin{n}",
                                                  password=PASSWORD, role="admin")
                         for n in range(8)}
                with server(url, Path(tmp) / "serve.log") as base:
                    run_bursts(base, engine, users, args.rounds, args.clients, backend)
                    if args.seconds > 0:
                        run_mixed(base, engine, users, args.seconds, args.clients, backend)
            finally:
                engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
