"""Notifications: in-app rows, e-mail and group-robot webhooks, with retries.

Built to be reused: reporting reminders (:mod:`jieneng.services.workflow.reminders`) use
it now, early-warning alerts (issue 5) will use the same channels.

Channels
--------
- **in-app** — a ``notification`` row per user (:func:`notify_users`), read at
  ``/notifications``; the bell in the top bar counts the unread ones.
- **e-mail** (``kind='email'``, ``target`` an address) — through the SMTP server of
  the settings (``smtp_host``, ``smtp_port``, ``smtp_user``, ``smtp_password``,
  ``smtp_from``, ``smtp_starttls``; stdlib :mod:`smtplib`). No ``smtp_host``: the
  delivery is ``skipped`` with that reason, never an error.
- **group robots** (``target`` the robot's webhook URL), one text message, POST JSON:

  ============ ================================================================
  ``wecom``    企业微信群机器人 ``{"msgtype": "text", "text": {"content": …}}``
  ``dingtalk`` 钉钉自定义机器人 ``{"msgtype": "text", "text": {"content": …}}``
  ``feishu``   飞书自定义机器人 ``{"msg_type": "text", "content": {"text": …}}``
  ``webhook``  any receiver: ``{"title", "body", "link", "text"}``
  ============ ================================================================

  A 2xx answer is success, except that WeCom/DingTalk answer ``errcode`` ≠ 0 and
  Feishu ``code`` ≠ 0 (or ``StatusCode`` ≠ 0) in a 200 body when they refuse a
  message: that is a failure too.

Every channel a region has (``notify_channel``) also serves its whole subtree: a
region inherits its ancestors' channels
(:func:`jieneng.services.notifications.channels.channels_for_region`, where channels are
administered too).

Delivery (:func:`deliver`) tries a channel up to ``notify_attempts`` times,
sleeping ``backoff · 2^(n-1)`` seconds between attempts (the ``sleep`` callable is
injectable, so tests do not wait), and returns every attempt's outcome.
:func:`deliver_all` delivers to each channel on its own: an exception or a dead
server on one channel never stops the others.

Secrets: a webhook URL carries its access token, so it is shown only masked
(:func:`mask_target`: scheme and host), in the pages, the API, the audit log and
error texts; errors are built from the exception type and HTTP status, never the
URL; httpx's own request log (INFO, with the URL) is raised to WARNING. The
transports themselves (one POST, one e-mail) are :mod:`jieneng.reports.senders`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Connection, Engine

from jieneng.core.exceptions import ValidationFailed
from jieneng.reports import senders
from jieneng.reports.senders import DeliveryError, SmtpServer
from jieneng.settings import Settings
from jieneng.storage import notify as store

log = logging.getLogger(__name__)

CHANNEL_KINDS: tuple[str, ...] = ("email", "wecom", "dingtalk", "feishu", "webhook")
WEBHOOK_KINDS: frozenset[str] = frozenset({"wecom", "dingtalk", "feishu", "webhook"})
#: seconds before the second attempt; doubled for each further one
BACKOFF_SECONDS = 1.0
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Sleep = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class Message:
    """What is sent: a title, a plain-text body, and an optional link into the app."""

    title: str
    body: str
    link: str | None = None

    @property
    def text(self) -> str:
        parts = [self.title, self.body]
        if self.link:
            parts.append(self.link)
        return "\n".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class Channel:
    id: int
    region_code: str
    kind: str
    target: str
    enabled: bool = True

    @property
    def key(self) -> str:
        """The channel's name in logs (``reminder_log.channel``): ``ch:<id>``."""
        return f"ch:{self.id}"

    @property
    def masked(self) -> str:
        return mask_target(self.kind, self.target)


@dataclass(frozen=True, slots=True)
class Attempt:
    number: int
    ok: bool
    error: str | None = None


@dataclass(slots=True)
class Delivery:
    """The outcome of one message on one channel: ``sent``, ``failed`` or ``skipped``."""

    channel: str
    kind: str
    status: str
    attempts: list[Attempt] = field(default_factory=list)
    reason: str | None = None

    @property
    def error(self) -> str | None:
        """Every failed attempt's error, ``1: …; 2: …`` (or the skip reason)."""
        if self.status == "skipped":
            return self.reason
        failed = [f"{a.number}: {a.error}" for a in self.attempts if not a.ok]
        return "; ".join(failed) or None

    def to_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "kind": self.kind, "status": self.status,
                "attempts": len(self.attempts), "error": self.error}


# ---------------------------------------------------------------- formats


def mask_target(kind: str, target: str) -> str:
    """A target as it may be shown: e-mail addresses as ``a***@host``, URLs as scheme://host/…."""
    if kind == "email":
        local, _, host = target.partition("@")
        return f"{local[:1]}***@{host}" if host else "***"
    parts = urlsplit(target)
    if not parts.scheme or not parts.hostname:
        return "***"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}/…"


def _clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes (whole characters, with "…")."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[:limit - 3].decode(errors="ignore") + "…"


def payload(kind: str, message: Message) -> dict[str, Any]:
    """The JSON body a group robot of ``kind`` expects for a text message."""
    if kind == "wecom":  # WeCom refuses text content over 2048 bytes
        return {"msgtype": "text", "text": {"content": _clip(message.text, 2048)}}
    if kind == "dingtalk":
        return {"msgtype": "text", "text": {"content": message.text}}
    if kind == "feishu":
        return {"msg_type": "text", "content": {"text": message.text}}
    if kind == "webhook":
        return {"title": message.title, "body": message.body, "link": message.link,
                "text": message.text}
    raise ValueError(f"not a webhook kind: {kind}")


def validate_target(kind: str, target: str) -> str:
    """The cleaned target of a new channel, or :class:`ValidationFailed`."""
    target = target.strip()
    if kind not in CHANNEL_KINDS:
        raise ValidationFailed.of("notifications.invalid_channel_kind", kind=kind, field="kind")
    if kind == "email":
        if not _EMAIL.match(target) or len(target) > 254:
            raise ValidationFailed.of("notifications.invalid_email", field="target")
        return target
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(target) > 500:
        raise ValidationFailed.of("notifications.invalid_webhook_url", field="target")
    return target


# ---------------------------------------------------------------- senders


def smtp_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def smtp_server(settings: Settings) -> SmtpServer:
    """The settings' SMTP server (``smtp_host`` set: see :func:`smtp_configured`)."""
    if not settings.smtp_host:
        raise DeliveryError("SMTP not configured")
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
    return SmtpServer(host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_from,
                      starttls=settings.smtp_starttls, timeout=settings.notify_timeout_seconds,
                      user=settings.smtp_user, password=password)


def send_once(channel: Channel, message: Message, settings: Settings,
              client: httpx.Client | None = None) -> None:
    """One attempt on one channel; :class:`DeliveryError` when it fails."""
    if channel.kind == "email":
        senders.send_email(smtp_server(settings), channel.target, message.title, message.text)
    else:
        senders.post_webhook(channel.kind, channel.target, payload(channel.kind, message),
                             timeout=settings.notify_timeout_seconds, client=client)


def deliver(
    channel: Channel, message: Message, settings: Settings, *, sleep: Sleep = time.sleep,
    client: httpx.Client | None = None,
) -> Delivery:
    """Send ``message`` on ``channel`` with retries; every attempt's outcome is returned."""
    result = Delivery(channel=channel.key, kind=channel.kind, status="failed")
    if channel.kind == "email" and not smtp_configured(settings):
        result.status = "skipped"
        result.reason = "SMTP not configured (JIENENG_SMTP_HOST unset)"
        return result
    attempts = settings.notify_attempts
    for number in range(1, attempts + 1):
        try:
            send_once(channel, message, settings, client)
        except DeliveryError as err:
            result.attempts.append(Attempt(number, False, str(err)))
        except Exception as err:  # a bug in one channel must not stop the others
            log.exception("channel %s (%s) failed", channel.key, channel.kind)
            result.attempts.append(Attempt(number, False, type(err).__name__))
        else:
            result.attempts.append(Attempt(number, True))
            result.status = "sent"
            return result
        if number < attempts:
            sleep(BACKOFF_SECONDS * 2 ** (number - 1))
    log.warning("channel %s (%s, %s) failed after %d attempts: %s", channel.key, channel.kind,
                channel.masked, attempts, result.error)
    return result


def deliver_all(
    channels: Iterable[Channel], message: Message, settings: Settings, *,
    sleep: Sleep = time.sleep,
) -> list[Delivery]:
    """Deliver to every channel, each on its own; a failing channel never blocks the others."""
    out: list[Delivery] = []
    for channel in channels:
        try:
            out.append(deliver(channel, message, settings, sleep=sleep))
        except Exception:  # pragma: no cover - deliver() already catches
            log.exception("channel %s failed", channel.key)
            out.append(Delivery(channel=channel.key, kind=channel.kind, status="failed",
                                reason="internal error"))
    return out


# ---------------------------------------------------------------- in-app


def notification_rows(user_ids: Iterable[int], *, kind: str, message: Message,
                      at: datetime | None = None) -> list[dict[str, Any]]:
    """The ``notification`` rows of one message to users (for one bulk insert)."""
    when = at or datetime.now(UTC)
    return [{"user_id": uid, "kind": kind, "title": message.title[:200], "body": message.body,
             "link": message.link, "created_at": when} for uid in user_ids]


def notify_users(
    conn: Connection, user_ids: Iterable[int], *, kind: str, message: Message,
    at: datetime | None = None,
) -> int:
    """One in-app notification per user (in the caller's transaction); returns how many."""
    return store.insert_notifications(conn, notification_rows(user_ids, kind=kind,
                                                              message=message, at=at))


def _notification(row: Any) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "title": row.title, "body": row.body,
            "link": row.link, "created_at": row.created_at.isoformat(),
            "read_at": None if row.read_at is None else row.read_at.isoformat(),
            "read": row.read_at is not None}


def user_notifications(
    engine: Engine, user_id: int, *, page: int = 1, per_page: int = 50,
    unread_only: bool = False,
) -> dict[str, Any]:
    """One page of the user's own notifications, newest first, and the unread count."""
    with engine.connect() as conn:
        rows = store.list_notifications(conn, user_id, offset=(page - 1) * per_page,
                                        limit=per_page, unread_only=unread_only)
        total = store.count_notifications(conn, user_id, unread_only=unread_only)
        unread = store.count_notifications(conn, user_id, unread_only=True)
    return {"items": [_notification(r) for r in rows], "page": page, "per_page": per_page,
            "total": total, "unread": unread}


def unread_count(engine: Engine, user_id: int) -> int:
    with engine.connect() as conn:
        return store.count_notifications(conn, user_id, unread_only=True)


def mark_read(engine: Engine, user_id: int, ids: Sequence[int] | None = None) -> int:
    """Mark the user's own notifications read (``ids`` None: all); others' ids are ignored."""
    with engine.begin() as conn:
        return store.mark_read(conn, user_id, ids, datetime.now(UTC))


def now() -> datetime:
    return datetime.now(UTC)


__all__ = [
    "CHANNEL_KINDS",
    "Attempt",
    "Channel",
    "Delivery",
    "Message",
    "deliver",
    "deliver_all",
    "mark_read",
    "mask_target",
    "notification_rows",
    "notify_users",
    "payload",
    "send_once",
    "unread_count",
    "user_notifications",
    "validate_target",
]
