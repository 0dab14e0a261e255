"""Real receivers for the notification tests, and reporting rows inserted directly.

- :class:`SmtpSink` — a local SMTP server (aiosmtpd) that keeps every message;
- :class:`RobotServer` — a local HTTP server (``http.server`` in a thread) that
  answers like a WeCom/DingTalk/Feishu robot and keeps every JSON body;
- :func:`closed_port` — a port nobody listens on (a dead channel);
- :func:`add_period` — a reporting period and its tasks, inserted as rows (the
  reporting service is written elsewhere).
"""

from __future__ import annotations

import json
import socket
import threading
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import Engine, insert

from jieneng.settings import Settings
from jieneng.storage import tables as t


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def closed_port() -> int:
    """A local port with nothing listening (connections are refused)."""
    return free_port()


class _Handler:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


class SmtpSink:
    def __init__(self) -> None:
        self.handler = _Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages


class RobotServer:
    """Answers POST /wecom, /dingtalk → ``{"errcode": 0}``, /feishu → ``{"code": 0}``,
    /refuse → ``{"errcode": 93000}`` (a robot that refuses), /error → HTTP 500, else 200."""

    def __init__(self) -> None:
        received: list[tuple[str, Any]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length) or b"null")
                received.append((self.path, body))
                status, answer = 200, {"ok": True}
                if self.path.startswith(("/wecom", "/dingtalk")):
                    answer = {"errcode": 0, "errmsg": "ok"}
                elif self.path.startswith("/feishu"):
                    answer = {"code": 0, "msg": "success"}
                elif self.path.startswith("/refuse"):
                    answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
                elif self.path.startswith("/error"):
                    status = 500
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def bodies(self, prefix: str) -> list[Any]:
        return [body for path, body in self.received if path.startswith(prefix)]

    def __enter__(self) -> RobotServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def settings_for(db_url: str, smtp: SmtpSink | None = None, **extra: Any) -> Settings:
    values: dict[str, Any] = {"database_url": db_url, "environment": "development",
                              "notify_timeout_seconds": 2.0}
    if smtp is not None:
        values.update(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=False)
    values.update(extra)
    return Settings(**values)


def add_period(
    engine: Engine, *, region_code: str, deadline: date, tasks: dict[int, str],
    year: int = 2025, month: int = 3, kind: str = "monthly",
) -> dict[int, int]:
    """A period of ``region_code`` with one task per institution id (→ state); task ids."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        period_id = conn.execute(
            insert(t.reporting_period).values(
                region_code=region_code, kind=kind, year=year,
                month=0 if kind == "annual" else month, deadline=deadline, opened_at=now)
            .returning(t.reporting_period.c.id)).scalar_one()
        out: dict[int, int] = {}
        for iid, state in tasks.items():
            out[iid] = conn.execute(
                insert(t.reporting_task).values(period_id=period_id, institution_id=iid,
                                                state=state, updated_at=now)
                .returning(t.reporting_task.c.id)).scalar_one()
    return out
