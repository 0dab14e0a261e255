"""A real ``jieneng serve`` in a subprocess, for the tests that need one: bursts of
simultaneous requests, a memory cap on the server, raw sockets, a server's exit code."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

#: a production-grade secret for the servers the tests start (the settings refuse weak ones)
TEST_SECRET = "live-server-test-secret-9f3a1c7e5b2d4086aa"


@dataclass(frozen=True)
class Live:
    base: str
    port: int
    process: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_env(**extra: str) -> dict[str, str]:
    """The environment of a test server: none of the caller's ``JIENENG_*`` settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIENENG_")}
    env.update(JIENENG_ENVIRONMENT="test", JIENENG_SECRET_KEY=TEST_SECRET,
               JIENENG_RATE_LIMIT_ENABLED="false", PYTHONUNBUFFERED="1",
               # cheap Argon2id (settings.password_hash_profile; refused in production)
               JIENENG_PASSWORD_HASH_PROFILE="test")
    env.update(extra)
    return env


@contextmanager
def serving(db_url: str, log: Path, *, env: dict[str, str] | None = None,
            preexec_fn: Callable[[], None] | None = None,
            start_seconds: float = 60) -> Iterator[Live]:
    """``jieneng --db URL serve`` on a free port until ``/login`` answers; stopped afterwards."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jieneng", "--db", db_url, "serve", "--port", str(port)],
            env=env or serve_env(), stdout=out, stderr=subprocess.STDOUT, preexec_fn=preexec_fn,
        )
    live = Live(f"http://127.0.0.1:{port}", port, process)
    try:
        _wait_until_up(live, log, start_seconds)
        yield live
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(live: Live, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if live.process.poll() is not None:
            raise RuntimeError(f"jieneng serve stopped while starting:\n{log.read_text()}")
        try:
            if httpx.get(f"{live.base}/login", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"jieneng serve did not start in {seconds} s:\n{log.read_text()}")
        time.sleep(0.1)
