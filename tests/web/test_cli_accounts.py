"""``jieneng users …`` and ``jieneng serve`` / ``jieneng demo`` options."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from jieneng.cli.main import app
from tests.sample import Files

runner = CliRunner()


def run(db_url: str, *args: str) -> object:
    return runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)


@pytest.fixture
def loaded(db_url: str, files: Files) -> str:
    result = run(db_url, "import", "regions", str(files.regions))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return db_url


def test_users_create_list_lock_unlock_token(loaded: str) -> None:
    created = run(loaded, "users", "create", "guilin", "--role", "region", "--region", "450300",
                  "--password", "A-long-password-1")
    assert created.exit_code == 0, created.output  # type: ignore[attr-defined]
    listed = json.loads(run(loaded, "users", "list", "--format", "json").output)  # type: ignore[attr-defined]
    assert [(u["username"], u["role"], u["region_code"]) for u in listed] == [
        ("guilin", "region", "450300")]
    assert run(loaded, "users", "lock", "guilin").exit_code == 0  # type: ignore[attr-defined]
    listed = json.loads(run(loaded, "users", "list", "--format", "json").output)  # type: ignore[attr-defined]
    assert listed[0]["is_locked"] is True
    assert run(loaded, "users", "unlock", "guilin").exit_code == 0  # type: ignore[attr-defined]
    token = run(loaded, "users", "token", "guilin", "--name", "etl")
    assert token.exit_code == 0 and "jn_" in token.output  # type: ignore[attr-defined]


def test_users_create_accepts_the_account_manager_role(loaded: str) -> None:
    created = run(loaded, "users", "create", "guilin_admin", "--role", "region_admin",
                  "--region", "450300", "--password", "A-long-password-1")
    assert created.exit_code == 0, created.output  # type: ignore[attr-defined]
    assert "region_admin" in created.output  # type: ignore[attr-defined]
    listed = json.loads(run(loaded, "users", "list", "--format", "json").output)  # type: ignore[attr-defined]
    assert [(u["username"], u["role"], u["region_code"]) for u in listed] == [
        ("guilin_admin", "region_admin", "450300")]
    pinless = run(loaded, "users", "create", "xy", "--role", "region_admin",
                  "--password", "Long-enough-1")
    assert pinless.exit_code == 1


def test_users_create_refuses_a_bad_scope_with_a_clear_error(loaded: str) -> None:
    result = run(loaded, "users", "create", "xy", "--role", "region", "--password", "Long-enough-1")
    assert result.exit_code == 1
    assert "行政区划" in result.output and "region" in result.output  # type: ignore[attr-defined]
    unknown = run(loaded, "users", "lock", "nobody")
    assert unknown.exit_code == 1


def test_serve_and_demo_options_documented() -> None:
    serve = runner.invoke(app, ["serve", "--help"])
    assert serve.exit_code == 0 and "--host" in serve.output and "--port" in serve.output
    demo = runner.invoke(app, ["demo", "--help"])
    assert demo.exit_code == 0 and "--no-serve" in demo.output
    users = runner.invoke(app, ["users", "--help"])
    for command in ("create", "list", "lock", "unlock", "token"):
        assert command in users.output
