"""The running platform for tests that need a real HTTP server.

:func:`live_app` copies the 桂林市 demo city (演示数据) into a fresh SQLite file,
serves ``jieneng.web.app.create_app`` with uvicorn on a free 127.0.0.1 port in a
background thread and yields the base URL; the server stops on exit.
:func:`demo_database` alone copies the database (for in-process ASGI tests).

While the web app is not there yet, the tests that need it are marked
:data:`needs_web_app` (a non-strict xfail), so the suite stays green.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.templates import DemoCity

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[3]
#: docs/screenshots when JIENENG_SCREENSHOTS=1 (refreshing the README's images);
#: otherwise a temporary folder, so a test run never dirties the work tree.
SCREENSHOTS = (
    REPO / "docs" / "screenshots" if os.environ.get("JIENENG_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "jieneng-screenshots"
)
VENDOR = REPO / "src" / "jieneng" / "web" / "static" / "vendor"


def _web_app_built() -> bool:
    try:
        return importlib.util.find_spec("jieneng.web.app") is not None
    except ImportError:
        return False


WEB_APP_BUILT = _web_app_built()
needs_web_app = pytest.mark.xfail(
    not WEB_APP_BUILT, reason="web app not built yet", strict=False
)


@contextmanager
def demo_database(directory: Path, city: DemoCity) -> Iterator[str]:
    """A copy of the demo city (built once per run: :class:`tests.templates.DemoCity`)
    in ``directory/demo.db``; yield its URL."""
    yield city.copy(directory)


def create_app(url: str) -> Any:
    """The platform's ASGI app on ``url``, in development mode."""
    if not WEB_APP_BUILT:
        pytest.xfail("web app not built yet")
    from jieneng.settings import Settings
    from jieneng.web.app import create_app as factory

    return factory(Settings(database_url=url, environment="development"))


@dataclass(frozen=True)
class Live:
    base: str  # http://127.0.0.1:PORT
    database_url: str


@contextmanager
def live_app(directory: Path, city: DemoCity, *, timeout: float = 30.0) -> Iterator[Live]:
    """Serve the demo city on a free 127.0.0.1 port (base URL ``http://127.0.0.1:PORT``)."""
    import uvicorn

    if not WEB_APP_BUILT:
        pytest.xfail("web app not built yet")
    with demo_database(directory, city) as url:
        app = create_app(url)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            app, log_level="warning", ws="none", lifespan="auto", access_log=False
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True
        )
        thread.start()
        try:
            _wait_until_up(base, thread, timeout)
            yield Live(base, url)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()


def _wait_until_up(base: str, thread: threading.Thread, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError(f"the server stopped while starting ({base})")
        try:
            # any HTTP answer (even 4xx) means the server is serving
            with urllib.request.urlopen(f"{base}/login", timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError as exc:
            last = exc
        time.sleep(0.05)
    raise RuntimeError(f"the server at {base} did not answer within {timeout} s: {last}")


def chromium_args() -> list[str]:
    return [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]


def is_local(url: str, base: str) -> bool:
    """A request that stays on the test server (or never leaves the browser)."""
    return url == base or url.startswith(base + "/") or url.startswith(("data:", "about:"))


def screenshot_path(name: str) -> Path:
    if not name or "/" in name or os.sep in name or name.startswith("."):
        raise ValueError(f"bad screenshot name {name!r}")
    return SCREENSHOTS / f"{name}.png"
