"""Database errors in the one error shape (issue 9): a database that is unavailable
is 503 ``database_unavailable`` with ``Retry-After``; a change that collided with a
simultaneous one is 409 ``conflict``; anything else stays a 500. Never driver text.
The same cases on the command line: exit 1 with a bilingual message, no traceback."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from jieneng.settings import Settings
from jieneng.web.app import create_app
from tests.web.live import free_port
from tests.web.test_concurrency import cli

CASES: dict[str, tuple[Callable[[], Exception], int, str]] = {
    "sqlite_locked": (lambda: OperationalError(
        "UPDATE t SET x=?", (1,), sqlite3.OperationalError("database is locked")),
        503, "database_unavailable"),
    "pg_refused": (lambda: OperationalError(
        "SELECT 1", {}, psycopg.OperationalError("connection failed: Connection refused")),
        503, "database_unavailable"),
    "pg_closed": (lambda: OperationalError(
        "SELECT 1", {}, psycopg.OperationalError("server closed the connection"),
        connection_invalidated=True), 503, "database_unavailable"),
    "pool_timeout": (lambda: PoolTimeoutError("QueuePool limit of size 5 overflow 10 reached"),
                     503, "database_unavailable"),
    "pg_unique": (lambda: IntegrityError(
        "INSERT", {}, psycopg.errors.UniqueViolation("duplicate key value violates ...")),
        409, "conflict"),
    "sqlite_unique": (lambda: IntegrityError(
        "INSERT", (), sqlite3.IntegrityError("UNIQUE constraint failed: t.x")),
        409, "conflict"),
    "pg_serialization": (lambda: OperationalError(
        "UPDATE", {}, psycopg.errors.SerializationFailure("could not serialize access")),
        409, "conflict"),
    "pg_deadlock": (lambda: OperationalError(
        "UPDATE", {}, psycopg.errors.DeadlockDetected("deadlock detected")), 409, "conflict"),
    "sqlite_no_table": (lambda: OperationalError(
        "SELECT", (), sqlite3.OperationalError("no such table: nothing")),
        500, "internal_error"),
}
LEAKS = ("sqlite", "psycopg", "SELECT", "INSERT", "UPDATE", "QueuePool", "constraint",
         "Traceback", "deadlock")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db = tmp_path_factory.mktemp("dberr") / "app.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}", environment="test",
                              secret_key=SecretStr("test-secret-key-not-default-0123456789")))

    def boom(kind: str) -> None:
        raise CASES[kind][0]()

    app.add_api_route("/api/v1/_boom/{kind}", boom)
    app.add_api_route("/_boom/{kind}", boom)
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_database_errors_in_the_api(client: TestClient, kind: str) -> None:
    _, status, code = CASES[kind]
    response = client.get(f"/api/v1/_boom/{kind}", headers={"Accept-Language": "en"})
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    for leak in LEAKS:
        assert leak not in response.text
    if status == 503:
        assert response.headers["Retry-After"] == "5"
        assert error["details"] == {"retry_after": 5}
        assert "try again in 5 s" in error["message"]
    else:
        assert "Retry-After" not in response.headers
    if status == 409:
        assert "changed meanwhile" in error["message"]


def test_a_page_gets_the_error_page_with_retry_after(client: TestClient) -> None:
    response = client.get("/_boom/sqlite_locked")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "text/html" in response.headers["content-type"]
    assert "数据库暂时不可用" in response.text and "sqlite" not in response.text
    conflict = client.get("/_boom/pg_unique")
    assert conflict.status_code == 409 and "数据已被他人修改" in conflict.text


def test_the_command_line_says_the_database_is_unavailable(tmp_path: Path) -> None:
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"
    result = cli(closed, "users", "list")
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "数据库暂时不可用" in out and "unavailable" in out
    assert "Traceback" not in out and "psycopg" not in out
