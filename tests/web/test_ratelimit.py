"""Per-client rate limits: the limiter itself, POST /login per IP, bearer API per token."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from jieneng.services.accounts.auth import create_token
from jieneng.settings import Settings
from jieneng.storage import tables as t
from jieneng.web.ratelimit import RateLimiter
from tests.web.conftest import PASSWORD, World, csrf


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ---------------------------------------------------------------- the limiter
def test_bucket_allows_the_limit_then_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(3, 60, clock=clock)
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    assert limiter.hit("a") == 20  # one token every 60/3 s
    assert limiter.hit("b") is None  # keys are independent
    clock.now += 19.5
    assert limiter.hit("a") == 1
    clock.now += 1
    assert limiter.hit("a") is None
    assert limiter.hit("a") is not None


def test_a_refused_request_does_not_take_a_token() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 10, clock=clock)
    assert limiter.hit("k") is None
    for _ in range(100):
        assert limiter.hit("k") == 10
    clock.now += 10
    assert limiter.hit("k") is None


def test_idle_keys_are_evicted_and_memory_is_bounded() -> None:
    clock = Clock()
    limiter = RateLimiter(5, 60, max_keys=100, clock=clock)
    for i in range(1000):
        limiter.hit(f"ip{i}")
    assert len(limiter) == 100  # least recently used dropped first
    clock.now += 60  # a bucket idle for a whole window is full: dropping it changes nothing
    limiter.hit("fresh")
    assert len(limiter) == 1


def test_the_limiter_is_thread_safe() -> None:
    limiter = RateLimiter(500, 3600)
    allowed: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        mine = sum(1 for _ in range(200) if limiter.hit("shared") is None)
        with lock:
            allowed.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sum(allowed) == 500  # 1600 tries, exactly the limit allowed (refill is negligible)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0, 60)


# ---------------------------------------------------------------- settings
def test_limits_default_on_in_production_only() -> None:
    secret = "kX3v-9QpL_2wRt7Zm4Nb8Yc1Hd6Jf0Gs5Ae"
    assert Settings(environment="production", secret_key=secret).rate_limits_on  # type: ignore[arg-type]
    assert not Settings(environment="test", secret_key=secret).rate_limits_on  # type: ignore[arg-type]
    assert not Settings(environment="development").rate_limits_on
    assert Settings(environment="development", rate_limit_enabled=True).rate_limits_on
    assert not Settings(environment="production", secret_key=secret,  # type: ignore[arg-type]
                        rate_limit_enabled=False).rate_limits_on


def test_the_test_suite_app_has_no_limits(world: World) -> None:
    assert world.app.state.limiters.login is None
    assert world.app.state.limiters.api is None


# ---------------------------------------------------------------- the web app
@pytest.fixture
def limited(world: World, db_url: str) -> Iterator[TestClient]:
    """An app on the world's database with small limits: 3 logins / 5 min, 4 API calls / min."""
    from jieneng.web.app import create_app

    app = create_app(Settings(
        database_url=db_url, environment="test",
        secret_key="test-secret-key-not-default",  # type: ignore[arg-type]
        rate_limit_enabled=True, login_rate_limit=3, login_rate_window=300,
        api_rate_limit=4, api_rate_window=60,
    ))
    try:
        yield TestClient(app, follow_redirects=False)
    finally:
        app.state.engine.dispose()


def _post_login(client: TestClient, username: str, password: str, **headers: str) -> object:
    return client.post("/login", headers=headers, data={
        "username": username, "password": password, "csrf_token": csrf(client), "next": "/",
    })


def test_login_is_limited_per_client_ip(world: World, limited: TestClient) -> None:
    limited.get("/login")
    for _ in range(3):
        response = _post_login(limited, "viewer", "wrong-password")
        assert response.status_code == 401  # type: ignore[attr-defined]
    refused = _post_login(limited, "viewer", PASSWORD)
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert refused.headers["retry-after"] == "100"  # type: ignore[attr-defined]
    assert refused.headers["content-type"].startswith("text/html")  # type: ignore[attr-defined]
    assert "登录尝试过于频繁" in refused.text and "100 秒" in refused.text  # type: ignore[attr-defined]
    assert 'name="username"' in refused.text  # the form is shown again  # type: ignore[attr-defined]
    english = _post_login(limited, "viewer", PASSWORD, **{"Accept-Language": "en"})
    assert english.status_code == 429  # type: ignore[attr-defined]
    assert "Too many sign-in attempts" in english.text  # type: ignore[attr-defined]
    # the refused attempts never reached the password check: no failure counted
    with world.engine.connect() as conn:
        failures = conn.execute(select(t.app_user.c.failed_logins).where(
            t.app_user.c.username == "viewer")).scalar_one()
    assert failures == 3
    # another client address has its own budget
    other = TestClient(limited.app, follow_redirects=False, client=("10.0.0.2", 50000))
    other.get("/login")
    assert _post_login(other, "viewer", PASSWORD).status_code == 303  # type: ignore[attr-defined]


def test_bearer_api_is_limited_per_token_with_the_error_shape(
    world: World, limited: TestClient
) -> None:
    _, first = create_token(world.engine, world.users["region"], "a")
    _, second = create_token(world.engine, world.users["viewer"], "b")
    auth = {"Authorization": f"Bearer {first}"}
    started = time.monotonic()
    for _ in range(4):
        assert limited.get("/api/v1/me", headers=auth).status_code == 200
    refused = limited.get("/api/v1/me", headers=auth)
    elapsed = time.monotonic() - started
    assert refused.status_code == 429
    # 15 s until the next token, less the whole seconds the calls took (a busy machine)
    retry = int(refused.headers["retry-after"])
    assert 14 - int(elapsed) <= retry <= 15, (retry, elapsed)
    assert refused.headers["x-content-type-options"] == "nosniff"
    body = refused.json()
    message = f"请求过于频繁，请 {retry} 秒后再试"
    # issue 10: every error also names its class ("kind") beside the specific code
    assert body == {"error": {"code": "rate_limited", "kind": "rate_limited", "message": message,
                              "details": {"retry_after": retry}}}
    english = limited.get("/api/v1/me?lang=en", headers=auth).json()
    assert english["error"]["message"] in {f"Too many requests; try again in {n} s"
                                           for n in (retry - 1, retry)}
    # another token is counted on its own
    assert limited.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"}
                       ).status_code == 200


def test_session_requests_are_not_counted_as_api_calls(
    world: World, limited: TestClient
) -> None:
    limited.get("/login")
    assert _post_login(limited, "admin", PASSWORD).status_code == 303  # type: ignore[attr-defined]
    for _ in range(10):
        assert limited.get("/api/v1/me").status_code == 200
