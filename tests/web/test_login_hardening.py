"""Login hardening (issue 9, items 3–5), through HTTP and the command line.

- the lockout holds against parallel guessing: 40 simultaneous wrong passwords
  against a real ``jieneng serve`` (SQLite and PostgreSQL), then the right one is
  refused; a locked account and an unknown name answer alike, after the same work;
- sessions live on the server: logout, a password change, a lock and an
  administrator's revocation end them, and a copied cookie no longer works;
- the password policy (等保 2.0) on every way a password is set;
- production: no demo accounts, no weak ``JIENENG_SECRET_KEY``.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from jieneng.cli.main import app as cli_app
from jieneng.core.caller import Actor
from jieneng.services.accounts.accounts import create_user
from jieneng.storage import tables as t
from tests.web.conftest import PASSWORD, World, csrf
from tests.web.live import free_port, serve_env, serving

STRONG_SECRET = "kX3v-9QpL_2wRt7Zm4Nb8Yc1Hd6Jf0Gs5Ae"
TARGET, TARGET_PASSWORD = "target", "Right-Horse-Battery-7"
META_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
ERROR = re.compile(r'<p class="error" role="alert">([^<]*)</p>')
runner = CliRunner()
JIENENG = str(Path(sys.executable).with_name("jieneng"))


def _cli(db_url: str, *args: str, env: dict[str, str] | None = None) -> object:
    return runner.invoke(cli_app, ["--db", db_url, *args], env=env, catch_exceptions=False)


# ---------------------------------------------------------------- a real server
@dataclass
class Server:
    base: str
    engine: Engine

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, follow_redirects=False, timeout=120)


@pytest.fixture
def server(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[Server]:
    """``jieneng serve`` in a subprocess on the test database, with an account ``target``
    (the test Argon2 profile of :func:`tests.web.live.serve_env`)."""
    create_user(engine, Actor.cli(), username=TARGET, password=TARGET_PASSWORD, role="admin")
    with serving(db_url, tmp_path / "serve.log") as live:
        yield Server(live.base, engine)


@pytest.fixture
def server_real_argon2(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[Server]:
    """The same with the default Argon2 parameters: a verification costs what it costs
    in production, so that the timing comparison measures the hashing."""
    create_user(engine, Actor.cli(), username=TARGET, password=TARGET_PASSWORD, role="admin")
    env = serve_env(JIENENG_PASSWORD_HASH_PROFILE="default")
    with serving(db_url, tmp_path / "serve.log", env=env) as live:
        yield Server(live.base, engine)


def _form_client(server: Server) -> tuple[httpx.Client, str]:
    client = server.client()
    page = client.get("/login")
    match = META_CSRF.search(page.text)
    assert match is not None
    return client, match.group(1)


def _post_login(client: httpx.Client, token: str, username: str, password: str) -> httpx.Response:
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token, "next": "/"})


def _parallel_wrong_guesses(server: Server, count: int) -> list[int]:
    """``count`` wrong passwords for ``target``, sent at the same instant; their statuses."""
    clients = [_form_client(server) for _ in range(count)]
    start = threading.Barrier(len(clients))

    def guess(i: int) -> int:
        client, token = clients[i]
        start.wait()
        return _post_login(client, token, TARGET, f"Wrong-Guess-{i:03d}").status_code

    try:
        with ThreadPoolExecutor(len(clients)) as pool:
            return list(pool.map(guess, range(len(clients))))
    finally:
        for client, _ in clients:
            client.close()


def _right_password_status(server: Server) -> int:
    client, token = _form_client(server)
    try:
        return _post_login(client, token, TARGET, TARGET_PASSWORD).status_code
    finally:
        client.close()


def test_as_many_parallel_failures_as_allowed_lock_the_account(server: Server) -> None:
    """5 (the limit) simultaneous wrong passwords each count: none is lost."""
    assert _parallel_wrong_guesses(server, 5) == [401] * 5
    assert _right_password_status(server) == 401
    with server.engine.connect() as conn:
        row = conn.execute(select(t.app_user).where(t.app_user.c.username == TARGET)).one()
    assert row.locked_until is not None and row.failed_logins == 5


def test_forty_parallel_wrong_passwords_lock_the_account(server: Server) -> None:
    assert _parallel_wrong_guesses(server, 40) == [401] * 40
    # the right password is refused while the account is locked
    client, token = _form_client(server)
    try:
        right = _post_login(client, token, TARGET, TARGET_PASSWORD)
        assert right.status_code == 401
        assert client.get("/api/v1/me").status_code == 401
    finally:
        client.close()
    with server.engine.connect() as conn:
        row = conn.execute(select(t.app_user).where(t.app_user.c.username == TARGET)).one()
    # counted up to the limit, which locked the account; the other 35 were refused uncounted
    assert row.locked_until is not None and row.failed_logins == 5
    with server.engine.connect() as conn:
        lockouts = conn.execute(select(t.audit_log).where(
            t.audit_log.c.action == "login.lockout")).all()
    assert len(lockouts) == 1


def _timed_login(server: Server, username: str) -> tuple[str, float]:
    client, token = _form_client(server)
    try:
        began = time.perf_counter()
        response = _post_login(client, token, username, "Some-Wrong-Password-1")
        took = time.perf_counter() - began
    finally:
        client.close()
    assert response.status_code == 401
    match = ERROR.search(response.text)
    assert match is not None
    return html.unescape(match.group(1)), took


def test_locked_account_and_unknown_name_answer_alike(server_real_argon2: Server) -> None:
    server = server_real_argon2
    for i in range(5):  # lock the account (5 failures)
        client, token = _form_client(server)
        try:
            assert _post_login(client, token, TARGET, f"Wrong-Guess-{i}").status_code == 401
        finally:
            client.close()
    locked = [_timed_login(server, TARGET) for _ in range(3)]
    unknown = [_timed_login(server, "no-such-user") for _ in range(3)]
    assert {m for m, _ in locked} == {m for m, _ in unknown}
    assert len({m for m, _ in locked}) == 1
    # both cost one Argon2 verification: the fastest of each within a factor of 3
    # (before, a locked account answered about 30 times faster than an unknown name)
    locked_time = min(s for _, s in locked)
    unknown_time = min(s for _, s in unknown)
    assert unknown_time / 3 < locked_time < unknown_time * 3, (locked_time, unknown_time)


# ---------------------------------------------------------------- sessions
def _copy(world: World, client: TestClient) -> TestClient:
    """Another client holding a copy of ``client``'s session cookie (a stolen cookie)."""
    thief = world.client()
    thief.cookies.set("jieneng_session", client.cookies["jieneng_session"])
    return thief


def _still_works(client: TestClient, token: str) -> dict[str, int]:
    return {
        "me": client.get("/api/v1/me").status_code,
        "page": client.get("/account").status_code,
        "write": client.post("/account/tokens", data={"csrf_token": token,
                                                      "name": "stolen"}).status_code,
    }


SIGNED_OUT = {"me": 401, "page": 303, "write": 303}


def test_logout_ends_the_session_on_the_server(world: World) -> None:
    client = world.login("institution")
    token = csrf(client)
    thief = _copy(world, client)
    assert thief.get("/api/v1/me").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert _still_works(thief, token) == SIGNED_OUT
    with world.engine.connect() as conn:
        tokens = conn.execute(select(t.api_token)).all()
    assert tokens == []  # the copied cookie could not write


def test_password_change_ends_every_other_session(world: World) -> None:
    other = world.login("institution")
    other_token = csrf(other)
    thief = _copy(world, other)
    client = world.login("institution")
    response = client.post("/account/password", data={
        "csrf_token": csrf(client), "current_password": PASSWORD,
        "password": "Brand-New-Secret-42", "password_confirm": "Brand-New-Secret-42"})
    assert response.status_code == 200
    assert client.get("/api/v1/me").status_code == 200  # this session goes on
    assert _still_works(thief, other_token) == SIGNED_OUT
    assert _still_works(other, other_token) == SIGNED_OUT


@pytest.mark.parametrize("action", ["lock", "sessions/revoke", "password"])
def test_administrator_ends_the_sessions_of_an_account(world: World, action: str) -> None:
    victim = world.login("region")
    victim_token = csrf(victim)
    thief = _copy(world, victim)
    admin = world.login("admin")
    uid = world.users["region"].id
    data = {"csrf_token": csrf(admin)}
    if action == "password":
        data["password"] = "Reset-By-Admin-2025"
    assert admin.post(f"/admin/users/{uid}/{action}", data=data).status_code == 303
    assert _still_works(thief, victim_token) == SIGNED_OUT
    if action == "sessions/revoke":  # not locked: a new login works again
        assert world.login("region").get("/api/v1/me").status_code == 200
        with world.engine.connect() as conn:
            entry = conn.execute(select(t.audit_log).where(
                t.audit_log.c.action == "user.sessions_revoke")).one()
        assert entry.object_id == str(uid) and entry.username == "admin"


def test_edit_page_shows_the_live_sessions(world: World) -> None:
    world.login("region")
    world.login("region")
    admin = world.login("admin")
    page = admin.get(f"/admin/users/{world.users['region'].id}")
    assert "当前登录会话：2 个" in page.text
    assert "/sessions/revoke" in page.text


def test_cookie_of_an_expired_or_idle_session_is_refused(world: World) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    client = world.login("viewer")
    assert client.get("/api/v1/me").status_code == 200
    with world.engine.begin() as conn:  # 31 minutes without a request
        conn.execute(update(t.user_session).values(
            last_seen_at=datetime.now(UTC) - timedelta(minutes=31)))
    assert client.get("/api/v1/me").status_code == 401
    client = world.login("viewer")
    with world.engine.begin() as conn:  # past the absolute lifetime
        conn.execute(update(t.user_session).values(
            expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert client.get("/api/v1/me").status_code == 401


def test_only_a_hash_of_the_session_token_is_stored(world: World) -> None:
    client = world.login("viewer")
    cookie = client.cookies["jieneng_session"]
    with world.engine.connect() as conn:
        ids = list(conn.execute(select(t.user_session.c.id)).scalars())
    assert len(ids) == 1 and re.fullmatch(r"[0-9a-f]{64}", ids[0])
    assert ids[0] not in cookie


# ---------------------------------------------------------------- password policy
WEAK = [
    ("12345678", "三类"),
    ("password", "三类"),
    (" " * 8, "空白"),
    ("Aa1!", "至少 8 个字符"),
    ("Password1!", "常见密码"),
]


def _weak_cases(username: str) -> list[tuple[str, str]]:
    return [*WEAK, (username, "用户名"), (f"My-{username.capitalize()}-2025", "用户名")]


def test_weak_passwords_refused_on_create_by_the_administrator(world: World) -> None:
    admin = world.login("admin")
    for password, rule in _weak_cases("newbie"):
        response = admin.post("/admin/users", data={
            "csrf_token": csrf(admin), "username": "newbie", "password": password,
            "role": "admin"})
        assert response.status_code == 422, password
        assert rule in html.unescape(response.text), password
    api = admin.post("/api/v1/users", json={"username": "newbie", "password": "12345678",
                                            "role": "admin"},
                     headers={"X-CSRF-Token": csrf(admin)})
    assert api.status_code == 422 and api.json()["error"]["code"] == "passwords.too_few_classes"
    with world.engine.connect() as conn:
        assert conn.execute(select(t.app_user).where(
            t.app_user.c.username == "newbie")).first() is None


def test_weak_passwords_refused_on_own_change_and_reset(world: World) -> None:
    client = world.login("institution")
    username = world.users["institution"].username
    for password, rule in _weak_cases(username):
        response = client.post("/account/password", data={
            "csrf_token": csrf(client), "current_password": PASSWORD, "password": password,
            "password_confirm": password})
        assert response.status_code == 422, password
        assert rule in html.unescape(response.text), password
    admin = world.login("admin")
    uid = world.users["institution"].id
    for password, rule in _weak_cases(username):
        response = admin.post(f"/admin/users/{uid}/password",
                              data={"csrf_token": csrf(admin), "password": password})
        assert response.status_code == 422, password
        assert rule in html.unescape(response.text), password
    assert world.login("institution").get("/api/v1/me").status_code == 200  # unchanged


def test_weak_passwords_refused_on_the_command_line(db_url: str, engine: Engine) -> None:
    for password, rule in _weak_cases("operator"):
        result = _cli(db_url, "users", "create", "operator", "--role", "admin",
                      "--password", password)
        assert result.exit_code == 1, password  # type: ignore[attr-defined]
        assert rule in result.output, password  # type: ignore[attr-defined]
    ok = _cli(db_url, "users", "create", "operator", "--role", "admin",
              "--password", "Quiet-River-Stone-8")
    assert ok.exit_code == 0, ok.output  # type: ignore[attr-defined]


# ---------------------------------------------------------------- production
def _production_app(db_url: str) -> TestClient:
    from jieneng.settings import Settings
    from jieneng.web.app import create_app

    app = create_app(Settings(database_url=db_url, environment="production",
                              secret_key=STRONG_SECRET))  # type: ignore[arg-type]
    return TestClient(app, base_url="https://testserver", follow_redirects=False)


def _login_status(client: TestClient, username: str, password: str) -> int:
    client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf(client)}).status_code


def test_production_refuses_demo_accounts(world: World, db_url: str) -> None:
    from jieneng.services.accounts.passwords import hash_password
    from jieneng.services.demo import DemoRefused, ensure_demo_accounts
    from jieneng.storage.users import update_user

    demo = {a.username: a for a in ensure_demo_accounts(world.engine, "450300")}
    assert _login_status(world.client(), "guilin", demo["guilin"].password) == 303  # development
    # an account left from before the flag, with the published <name>-demo-2025
    with world.engine.begin() as conn:
        update_user(conn, world.users["admin"].id, password_hash=hash_password("admin-demo-2025"))
    production = _production_app(db_url)
    try:
        assert _login_status(production, "guilin", demo["guilin"].password) == 401
        assert _login_status(production, "admin", "admin-demo-2025") == 401
        assert _login_status(production, "yangshuo", PASSWORD) == 303  # a real account works
    finally:
        production.app.state.engine.dispose()  # type: ignore[attr-defined]
    with pytest.raises(DemoRefused):
        ensure_demo_accounts(world.engine, "450300", environment="production")


def test_jieneng_demo_is_refused_in_production(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = _cli(url, "demo", "--no-serve", env={"JIENENG_ENVIRONMENT": "production",
                                                  "JIENENG_SECRET_KEY": STRONG_SECRET})
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "演示" in result.output and "production" in result.output  # type: ignore[attr-defined]
    assert not (tmp_path / "demo.db").exists()


@pytest.mark.parametrize("secret", ["", "x", "changeme", "a" * 40,
                                    "changeme-changeme-changeme-changeme"])
def test_production_serve_refuses_a_weak_secret(secret: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    env = serve_env(JIENENG_ENVIRONMENT="production", JIENENG_SECRET_KEY=secret)
    result = subprocess.run(
        [JIENENG, "--db", url, "serve", "--port",
         str(free_port())], env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "JIENENG_SECRET_KEY" in output and "32" in output
    assert "Traceback" not in output
