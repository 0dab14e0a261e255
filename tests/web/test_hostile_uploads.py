"""Hostile uploads against a real ``jieneng serve`` under a memory cap.

The server runs in a subprocess whose address space is capped (RLIMIT_AS,
:data:`CAP`), on SQLite. An account that may import sends each hostile file to
``POST /api/v1/imports?dry_run=true`` (and one to the import page): each is
answered 422 with a plain message naming the file, and the server still answers
afterwards. Without the limits of :mod:`jieneng.ingest.limits` the first request
ends the process (the reader asks for 512 GB). The command line gets the same
files under the same cap and exits 1 with the message, not a crash.

The peak resident memory of the server while it refuses each file is read from
``/proc/<pid>/status`` (VmHWM, reset before each upload through
``/proc/<pid>/clear_refs``); with ``JIENENG_HOSTILE_REPORT=<file>`` the figures
are written there as JSON lines.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.ingest import hostile
from tests.web.live import serve_env, serving

#: the server's address-space cap: the normal server runs in well under this
#: (its virtual size after a normal import is about 1.2 GiB: thread stacks and
#: allocator arenas), a single hostile request without the limits asks for far more
CAP = 3 * 1024**3
PASSWORD = "Hostile-Files-Test-2026!"
JIENENG = Path(sys.executable).with_name("jieneng")
#: rows of the zip bomb (8,000,000 for the figures in the report: 5 MB sent)
BOMB_ROWS = int(os.environ.get("JIENENG_HOSTILE_BOMB_ROWS", "1200000"))

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux's"
)


def _cap() -> None:  # runs in the child, before exec
    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    token: str
    database_url: str
    env: dict[str, str]

    def status(self, key: str) -> int:
        """A ``/proc/<pid>/status`` figure in kB (VmHWM, VmPeak …)."""
        text = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in text.splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        raise KeyError(key)

    def reset_peak(self) -> None:
        """Start VmHWM afresh (kept as the peak since start where that is not allowed)."""
        with contextlib.suppress(OSError):
            Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def alive(self) -> bool:
        if self.process.poll() is not None:
            return False
        return httpx.get(f"{self.base}/login", timeout=10).status_code == 200


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from jieneng.core.caller import Actor
    from jieneng.services.accounts.accounts import create_user
    from jieneng.services.accounts.auth import create_token
    from jieneng.services.database import open_database

    folder = tmp_path_factory.mktemp("hostile-server")
    url = f"sqlite:///{folder / 'server.db'}"
    engine = open_database(url)  # migrated before the server opens it
    user = create_user(engine, Actor.cli(), username="importer", password=PASSWORD, role="admin")
    _record, secret = create_token(engine, user, "hostile uploads")
    engine.dispose()
    env = serve_env(JIENENG_ENVIRONMENT="development", JIENENG_DATABASE_URL=url,
                    XDG_DATA_HOME=str(folder / "data"),
                    NO_COLOR="1", COLUMNS="200")
    with serving(url, folder / "server.log", env=env, preexec_fn=_cap) as live:
        yield Server(live.base, live.process, secret, url, env)


def _many_rows(path: Path) -> Path:
    return hostile.many_rows(path, BOMB_ROWS)


def _wide_csv(path: Path) -> Path:
    return hostile.wide_csv(path, 300_000)


#: (file name, builder, the issue code of the refusal)
HOSTILE: list[tuple[str, Callable[[Path], Path], str]] = [
    ("xfd1048576.xlsx", hostile.far_cell, "import.too_many_rows"),
    ("xfd-implicit.xlsx", hostile.far_cell_implicit, "import.too_many_rows"),
    ("shared-strings.xlsx", hostile.shared_strings_bomb, "import.too_many_strings"),
    ("zip-bomb.xlsx", _many_rows, "import.too_many_rows"),
    ("300000-columns.csv", _wide_csv, "import.too_many_columns"),
    ("renamed-program.xlsx", hostile.renamed_exe, "import.unreadable"),
    ("corrupt.xlsx", hostile.corrupt_workbook, "import.unreadable"),
    ("random-20mb.xlsx", hostile.random_bytes, "import.unreadable"),
]
LEAKS = ("calamine", "Zip", "fastexcel", "polars", "/tmp", "Traceback")
CONTENT_TYPES = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 ".csv": "text/csv"}


def _report(record: dict[str, object]) -> None:
    target = os.environ.get("JIENENG_HOSTILE_REPORT")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


@pytest.mark.parametrize(("name", "build", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_the_api_refuses_the_file_and_the_server_lives(
    server: Server, tmp_path: Path, name: str, build: Callable[[Path], Path], code: str,
) -> None:
    path = build(tmp_path / name)
    server.reset_peak()
    started = time.monotonic()
    response = httpx.post(
        f"{server.base}/api/v1/imports", params={"kind": "consumption", "dry_run": "true"},
        files={"file": (name, path.read_bytes(), CONTENT_TYPES[path.suffix])},
        headers={"Authorization": f"Bearer {server.token}", "Accept-Language": "zh-CN"},
        timeout=120,
    )
    seconds = time.monotonic() - started
    peak_mib = server.status("VmHWM") / 1024
    _report({"file": name, "bytes": path.stat().st_size, "status": response.status_code,
             "peak_rss_mib": round(peak_mib, 1), "seconds": round(seconds, 2)})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["kind"] == "import_rejected"
    assert name in error["message"]
    assert [i["code"] for i in error["details"]["issues"]] == [code]
    assert not any(leak in response.text for leak in LEAKS), response.text
    assert server.alive(), "the server died"
    assert peak_mib < 1024, f"{name}: the server's resident memory reached {peak_mib:.0f} MiB"


def test_the_import_page_shows_the_plain_message(server: Server, tmp_path: Path) -> None:
    path = hostile.far_cell(tmp_path / "远处.xlsx")
    with httpx.Client(base_url=server.base, timeout=30, follow_redirects=False) as client:
        login = client.get("/login").text
        client.post("/login", data={"username": "importer", "password": PASSWORD,
                                    "csrf_token": _csrf(login), "next": "/"})
        form = client.get("/import")
        assert form.status_code == 200
        response = client.post(
            "/import", data={"kind": "consumption", "dry_run": "1", "csrf_token": _csrf(form.text)},
            files={"file": (path.name, path.read_bytes(), CONTENT_TYPES[".xlsx"])},
        )
    assert response.status_code == 422
    assert "远处.xlsx" in response.text and "1,000,000" in response.text
    assert not any(leak in response.text for leak in LEAKS)
    assert server.alive()


def _csrf(page: str) -> str:
    start = page.index('name="csrf-token" content="') + len('name="csrf-token" content="')
    return page[start:page.index('"', start)]


@pytest.mark.parametrize(("name", "build", "code"), HOSTILE[:1] + HOSTILE[4:5],
                         ids=[h[0] for h in HOSTILE[:1] + HOSTILE[4:5]])
def test_the_command_line_refuses_the_file_under_the_same_cap(
    server: Server, tmp_path: Path, name: str, build: Callable[[Path], Path], code: str,
) -> None:
    path = build(tmp_path / name)
    result = subprocess.run(
        [str(JIENENG), "import", "consumption", str(path), "--dry-run"],
        env=server.env, capture_output=True, timeout=120, preexec_fn=_cap,
    )
    output = (result.stdout + result.stderr).decode()
    assert result.returncode == 1, output  # a message, not a signal (-6) or a traceback
    assert name in output
    assert "Traceback" not in output and "calamine" not in output
