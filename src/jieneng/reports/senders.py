"""The transports of the notifications: one JSON POST to a group robot, one e-mail.

No retries, no channels, no settings here (:mod:`jieneng.services.notifications.notify` decides
what is sent, where, and how often): each function sends once and raises
:class:`DeliveryError` on failure.

A 2xx answer is success, except that WeCom/DingTalk answer ``errcode`` ≠ 0 and
Feishu ``code`` ≠ 0 (or ``StatusCode`` ≠ 0) in a 200 body when they refuse a
message: that is a failure too.

Secrets: a webhook URL carries its access token, so an error is built from the
exception type and HTTP status, never the URL; httpx's own request log (INFO,
with the URL) is raised to WARNING.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx


class DeliveryError(Exception):
    """One attempt failed; the message names no secret."""


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how an e-mail is handed over (taken from the settings by the caller)."""

    host: str
    port: int
    sender: str
    starttls: bool
    timeout: float
    user: str | None = None
    password: str = ""


def _quiet_httpx() -> None:
    """httpx logs every request with its URL at INFO; webhook URLs are secrets."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


def _check_robot_answer(kind: str, response: httpx.Response) -> None:
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"HTTP {response.status_code}")
    if kind == "webhook":
        return
    try:
        data = response.json()
    except ValueError:
        return  # a 2xx without JSON: accepted
    if not isinstance(data, dict):
        return
    code = data.get("errcode") if kind in ("wecom", "dingtalk") else data.get(
        "code", data.get("StatusCode"))
    if code not in (None, 0):
        detail = str(data.get("errmsg") or data.get("msg") or data.get("StatusMessage") or "")
        raise DeliveryError(f"robot refused: {code} {detail[:200]}".strip())


def post_webhook(kind: str, url: str, body: dict[str, Any], *, timeout: float,
                 client: httpx.Client | None = None) -> None:
    """POST ``body`` as JSON to a robot of ``kind``; :class:`DeliveryError` (without the
    URL) on failure."""
    _quiet_httpx()
    try:
        if client is not None:
            response = client.post(url, json=body, timeout=timeout)
        else:
            with httpx.Client(timeout=timeout, follow_redirects=False) as own:
                response = own.post(url, json=body)
    except httpx.HTTPError as err:
        raise DeliveryError(type(err).__name__) from None
    _check_robot_answer(kind, response)


def send_email(server: SmtpServer, to: str, subject: str, text: str) -> None:
    """Send one plain-text e-mail through ``server`` (:class:`DeliveryError` on failure)."""
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = server.sender
    mail["To"] = to
    mail.set_content(text)
    try:
        with smtplib.SMTP(server.host, server.port, timeout=server.timeout) as smtp:
            if server.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if server.user:
                smtp.login(server.user, server.password)
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException) as err:
        code = getattr(err, "smtp_code", None)
        raise DeliveryError(type(err).__name__ + (f" {code}" if code else "")) from None
