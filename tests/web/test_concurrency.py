"""Simultaneous users against a real ``jieneng serve`` (issue 9).

Each test starts the server as a subprocess on a free port, on a fresh SQLite
file and on a fresh PostgreSQL schema, and releases its requests at once from
threads (a :class:`threading.Barrier`): logins, saves of different months,
first uses of new API tokens, saves of the same month. No answer may be a 5xx;
saves of the same month are 200 or 409 (``conflict``: changed meanwhile).
``jieneng users create`` run 16 times at once on one SQLite file creates 16
accounts. A database that goes away makes the API answer 503
``database_unavailable`` with ``Retry-After``, and it recovers when it is back.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from jieneng.core.caller import Actor, User
from jieneng.services.accounts.accounts import create_user
from jieneng.services.accounts.auth import create_token
from tests.web.conftest import EDU, ORGAN, OTHER, PASSWORD, SCHOOL, SILENT, _load
from tests.web.live import free_port, serve_env, serving


def cli(db_url: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jieneng", "--db", db_url, *args],
                          capture_output=True, text=True, env=serve_env(), timeout=timeout,
                          check=False)


@contextmanager
def server(db_url: str, log: Path) -> Iterator[str]:
    """``jieneng serve`` on a free port; yields its base URL; stopped afterwards."""
    with serving(db_url, log, start_seconds=30) as live:
        yield live.base


def burst(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run every call at the same moment (one thread each); their responses in order."""
    barrier = threading.Barrier(len(calls))
    out: list[Any] = [None] * len(calls)

    def run(n: int) -> None:
        barrier.wait()
        try:
            out[n] = calls[n]()
        except Exception as err:  # reported by the assertion below
            out[n] = err

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    failed = [r for r in out if not isinstance(r, httpx.Response)]
    assert not failed, failed
    return out


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def no_5xx(responses: list[httpx.Response], log: Path | None = None) -> None:
    bad = [(r.status_code, r.text[:300]) for r in responses if r.status_code >= 500]
    errors = [line for line in log.read_text().splitlines() if "Error" in line] if log else []
    assert not bad, f"{len(bad)} × 5xx of {len(responses)}: {bad[:2]}; server: {errors[-5:]}"


# ---------------------------------------------------------------- the world
@pytest.fixture
def seeded(engine: Engine, db_url: str, tmp_path: Path) -> dict[str, User]:
    """The 桂林 world of the web tests, with eight administrators ``admin0`` … ``admin7``
    (hashed with the small Argon2 parameters of the web tests: the server verifies
    them and re-hashes with its own, a write in the login transaction)."""
    _load(engine, tmp_path)
    return {f"admin{n}": create_user(engine, Actor.cli(), username=f"admin{n}",
                                     password=PASSWORD, role="admin") for n in range(8)}


CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def _login_call(client: httpx.Client, username: str) -> Callable[[], httpx.Response]:
    token = CSRF.search(client.get("/login").text)
    assert token is not None
    data = {"username": username, "password": PASSWORD, "csrf_token": token.group(1),
            "next": "/"}
    return lambda: client.post("/login", data=data)


def _save_call(base: str, secret: str, code: str, year: int, month: int,
               value: float) -> Callable[[], httpx.Response]:
    body = {"values": [{"carrier": "electricity", "value": value},
                       {"carrier": "water", "value": value / 100}]}
    headers = {"Authorization": f"Bearer {secret}"}
    return lambda: httpx.post(f"{base}/api/v1/entry/{code}/{year}/{month}", json=body,
                              headers=headers, timeout=60)


def _me_call(base: str, secret: str) -> Callable[[], httpx.Response]:
    headers = {"Authorization": f"Bearer {secret}"}
    return lambda: httpx.get(f"{base}/api/v1/me", headers=headers, timeout=60)


def _tokens(engine: Engine, users: dict[str, User], n: int, name: str) -> list[str]:
    accounts = list(users.values())
    return [create_token(engine, accounts[i % len(accounts)], f"{name}{i}")[1] for i in range(n)]


# ---------------------------------------------------------------- bursts
def report(name: str, responses: list[httpx.Response]) -> Counter[int]:
    """The statuses of a burst, printed (``pytest -s`` shows the figures of the report)."""
    counts = statuses(responses)
    print(f"burst {name}: {dict(sorted(counts.items()))}")
    return counts


def test_simultaneous_logins_saves_and_first_token_uses_get_no_5xx(
    engine: Engine, db_url: str, seeded: dict[str, User], tmp_path: Path,
) -> None:
    """8 logins, 8 saves of different months, 8 first uses of new tokens, then 12 saves
    of the same month (200, or 409 ``conflict``), each burst released at once."""
    log = tmp_path / "serve.log"
    codes = [ORGAN, OTHER, EDU, SCHOOL, SILENT]
    save_tokens = _tokens(engine, seeded, 8, "save")
    fresh = _tokens(engine, seeded, 8, "first")
    same_tokens = _tokens(engine, seeded, 12, "same")
    with server(db_url, log) as base:
        clients = [httpx.Client(base_url=base, timeout=60) for _ in seeded]
        try:
            logins = burst([_login_call(c, name) for c, name in zip(clients, seeded, strict=True)])
        finally:
            for client in clients:
                client.close()
        saves = burst([_save_call(base, save_tokens[n], codes[n % 5], 2025, 2 + n, 1000.0 + n)
                       for n in range(8)])
        firsts = burst([_me_call(base, secret) for secret in fresh])
        same = burst([_save_call(base, same_tokens[n], SCHOOL, 2025, 3, 2000.0 + n)
                      for n in range(12)])
        form = httpx.get(f"{base}/api/v1/entry/{SCHOOL}/2025/3", timeout=30,
                         headers={"Authorization": f"Bearer {same_tokens[0]}"})
    backend = engine.dialect.name
    counts = [report(f"8 logins [{backend}]", logins),
              report(f"8 saves of different months [{backend}]", saves),
              report(f"8 first token uses [{backend}]", firsts)]
    same_counts = report(f"12 saves of the same month [{backend}]", same)
    for responses in (logins, saves, firsts, same):
        no_5xx(responses, log)
    assert counts == [Counter({303: 8}), Counter({200: 8}), Counter({200: 8})], counts
    assert set(same_counts) <= {200, 409} and same_counts[200] >= 1, same_counts
    for response in same:
        if response.status_code == 409:
            assert response.json()["error"]["kind"] == "conflict"
    stored = {f["carrier"]: f["quantity"] for f in form.json()["fields"]}
    assert stored["electricity"] in {2000.0 + n for n in range(12)}


# ---------------------------------------------------------------- the command line
STRONG = "Tq7!concurrent-accounts"


def test_simultaneous_users_create_make_every_account(db_url: str) -> None:
    """On a new database (the first of them also creates the schema): 16 commands at
    once on SQLite, 8 on PostgreSQL, one name given twice — no traceback, every other
    account made, the taken name refused clearly."""
    count = 16 if db_url.startswith("sqlite") else 8
    db = db_url
    names = [f"user{n}" for n in range(count - 1)] + ["user0"]
    barrier = threading.Barrier(len(names))
    results: list[Any] = [None] * len(names)

    def create(n: int, name: str) -> None:
        barrier.wait()
        results[n] = cli(db, "users", "create", name, "--role", "admin", "--password", STRONG)

    threads = [threading.Thread(target=create, args=(n, name)) for n, name in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    outputs = [r.stdout + r.stderr for r in results]
    print(f"{count} × users create: exit codes {dict(Counter(r.returncode for r in results))}")
    assert not [o for o in outputs if "Traceback" in o or "sqlalchemy" in o], outputs
    refused_outputs = [o for r, o in zip(results, outputs, strict=True) if r.returncode]
    assert sorted(r.returncode for r in results) == [0] * (count - 1) + [1], refused_outputs
    refused = [o for r, o in zip(results, outputs, strict=True) if r.returncode]
    assert all("已存在" in o and "taken" in o for o in refused), refused
    listed = cli(db, "users", "list", "--format", "json")
    assert {u["username"] for u in json.loads(listed.stdout)} == set(names)


# ---------------------------------------------------------------- database outage
class Cuttable:
    """A TCP forwarder on 127.0.0.1 to PostgreSQL that can be cut — its listener and
    every connection closed, so the server sees its connections drop and new ones
    refused — and restored on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self.listener = self.listener, None
        assert listener is not None
        with suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        listener.close()
        with self.lock:
            for s in self.sockets:
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if listener is not self.listener:  # cut meanwhile
                client.close()
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def postgresql_only(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("the outage is made by cutting the connections to PostgreSQL")


def test_a_database_outage_answers_503_with_retry_after_and_recovers(
    postgresql_only: None, engine: Engine, db_url: str, seeded: dict[str, User], tmp_path: Path,
) -> None:
    url = engine.url
    proxy = Cuttable(url.host or "127.0.0.1", url.port or 5432)
    through = db_url.replace(f"{url.host}:{url.port}", f"127.0.0.1:{proxy.port}", 1)
    assert through != db_url
    secret = _tokens(engine, seeded, 1, "outage")[0]
    headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}
    log = tmp_path / "serve.log"
    with server(through, log) as base:
        def get(path: str) -> httpx.Response:
            return httpx.get(base + path, headers=headers, timeout=30)

        assert get("/api/v1/me").status_code == 200
        with httpx.Client(base_url=base, timeout=30) as browser:
            assert _login_call(browser, "admin0")().status_code == 303
            proxy.cut()
            during = [get("/api/v1/me"), get(f"/api/v1/entry/{SCHOOL}/2025/1"), get("/api/v1/me")]
            pages = [browser.get("/"), browser.get("/account"), browser.get("/login")]
            proxy.restore()
        after = [get("/api/v1/me") for _ in range(3)]
    print(f"outage: during {[r.status_code for r in during]}, "
          f"after {[r.status_code for r in after]}")
    for response in during:
        assert response.status_code == 503, (response.status_code, response.text)
        assert response.headers["Retry-After"].isdigit()
        error = response.json()["error"]
        assert error["code"] == "database_unavailable"
        assert error["details"]["retry_after"] == int(response.headers["Retry-After"])
        for leak in ("psycopg", "sqlalchemy", "127.0.0.1", "connection", "Traceback"):
            assert leak not in response.text
    assert after[-1].status_code == 200, [r.text for r in after]
    assert all(r.status_code in (200, 503) for r in after)
    for page in pages:  # a signed-in person's pages: the error page, not a bare 500
        assert page.status_code in (503, 200), (page.status_code, page.text[:300])
        if page.status_code == 503:
            assert page.headers["Retry-After"].isdigit()
            assert "数据库暂时不可用" in page.text and "psycopg" not in page.text
    assert pages[0].status_code == 503
