"""The outbox: channel messages (e-mail, group robots) are recorded in the transaction
that decides to notify and delivered after its commit, never inside a web request.

- :func:`enqueue` — in the caller's transaction, one ``notify_outbox`` row per channel
  (``pending``, due at once); the in-app ``notification`` rows of the same decision
  are written in that transaction too, so they are visible the moment it commits;
- :func:`deliver_pending` — one pass over the due rows: each is claimed (``sending``
  with a lease of :data:`LEASE_SECONDS`, one conditional ``UPDATE``, so two workers
  never send the same row), sent **once**, then ``sent``, ``skipped`` (e-mail without
  an SMTP server, a channel disabled or deleted meanwhile) or back to ``pending`` with
  the next attempt :data:`RETRY_SECONDS` · 2^(n-1) later, until ``notify_attempts``
  attempts end it ``failed``; ``error`` keeps every failed attempt's error (never a
  URL). A worker that dies mid-send leaves ``sending``, due again when the lease ends
  (at-least-once). When a row ends, what it was sent for records the outcome (``ref``):
  the ``reminder_log`` rows of a 催报 digest, the events of the alerts it announced;
- who delivers: the web app's background worker (:func:`run_worker`, every
  ``notify_worker_seconds`` and at once when :func:`wake` is called after a commit)
  and ``jieneng notify deliver`` (cron, or an instance without the worker).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Connection, Engine

from jieneng.reports.senders import DeliveryError
from jieneng.services.notifications import notify
from jieneng.services.notifications.notify import Channel, Message
from jieneng.settings import Settings
from jieneng.storage import alerts as alert_store
from jieneng.storage import notify as store

log = logging.getLogger(__name__)

#: a claimed row is another worker's again after this long (the worker died)
LEASE_SECONDS = 300
#: seconds before the second attempt; doubled for each further one
RETRY_SECONDS = 60.0
#: rows one pass takes at most
BATCH = 100


@dataclass(frozen=True, slots=True)
class Queued:
    """A message recorded for one channel."""

    channel: str
    kind: str
    target: str


def enqueue(conn: Connection, channels: Iterable[Channel], message: Message, *,
            ref: dict[str, Any] | None = None, at: datetime | None = None) -> list[Queued]:
    """Record ``message`` for each channel (in the caller's transaction)."""
    when = at or datetime.now(UTC)
    chosen = list(channels)
    store.insert_outbox(conn, [
        {"channel_id": c.id, "kind": c.kind, "title": message.title[:200], "body": message.body,
         "link": message.link, "ref": json.dumps(ref) if ref else None, "created_at": when}
        for c in chosen])
    return [Queued(c.key, c.kind, c.masked) for c in chosen]


def _attempt(channel: Channel | None, row: Any, settings: Settings,
             client: httpx.Client | None) -> tuple[str, str | None]:
    """Send one row once: (``sent`` | ``skipped`` | ``error``, the reason or error)."""
    if channel is None:
        return "skipped", "channel deleted"
    if not channel.enabled:
        return "skipped", "channel disabled"
    if channel.kind == "email" and not notify.smtp_configured(settings):
        return "skipped", "SMTP not configured (JIENENG_SMTP_HOST unset)"
    message = Message(title=row.title, body=row.body, link=row.link)
    try:
        notify.send_once(channel, message, settings, client)
    except DeliveryError as err:
        return "error", str(err)
    except Exception as err:  # a bug in one channel must not stop the others
        log.exception("outbox %s: channel ch:%s (%s) failed", row.id, row.channel_id, row.kind)
        return "error", type(err).__name__
    return "sent", None


def deliver_pending(engine: Engine, settings: Settings, *, now: datetime | None = None,
                    limit: int = BATCH, client: httpx.Client | None = None
                    ) -> list[dict[str, Any]]:
    """Deliver the due rows once each (see the module); returns each row's outcome."""
    at = now or datetime.now(UTC)
    with engine.connect() as conn:
        rows = store.due_outbox(conn, at, limit)
    out: list[dict[str, Any]] = []
    for row in rows:
        with engine.begin() as conn:
            if not store.claim_outbox(conn, int(row.id), at,
                                      at + timedelta(seconds=LEASE_SECONDS)):
                continue
            found = store.get_channel(conn, int(row.channel_id))
        channel = None if found is None else Channel(
            id=found.id, region_code=found.region_code, kind=found.kind, target=found.target,
            enabled=bool(found.enabled))
        outcome, reason = _attempt(channel, row, settings, client)
        out.append(_finish(engine, settings, row, outcome, reason, at))
    return out


def _finish(engine: Engine, settings: Settings, row: Any, outcome: str, reason: str | None,
            at: datetime) -> dict[str, Any]:
    attempts = int(row.attempts) + (0 if outcome == "skipped" else 1)
    error = row.error
    if outcome == "error":
        error = "; ".join(p for p in (row.error, f"{attempts}: {reason}") if p)
    elif outcome == "skipped":
        error = reason
    status = outcome if outcome != "error" else (
        "failed" if attempts >= settings.notify_attempts else "pending")
    retry_at = at + timedelta(seconds=RETRY_SECONDS * 2 ** max(attempts - 1, 0))
    done = status != "pending"
    with engine.begin() as conn:
        store.finish_outbox(conn, int(row.id), status=status, attempts=attempts, error=error,
                            next_at=at if done else retry_at, done_at=at if done else None)
        if done and row.ref:
            _record(conn, json.loads(row.ref), f"ch:{row.channel_id}", status, attempts,
                    error, at)
    if status == "failed":
        log.warning("outbox %s: channel ch:%s (%s) failed after %d attempts: %s", row.id,
                    row.channel_id, row.kind, attempts, error)
    return {"id": int(row.id), "channel": f"ch:{row.channel_id}", "kind": row.kind,
            "title": row.title, "status": status, "attempts": attempts, "error": error}


def _record(conn: Connection, ref: dict[str, Any], channel: str, status: str, attempts: int,
            error: str | None, at: datetime) -> None:
    """The outcome of a finished row, on what it was sent for."""
    reminder = ref.get("reminder")
    if reminder:
        store.record_outcome(conn, date.fromisoformat(reminder["day"]), channel,
                             reminder["tasks"], status=status, attempts=attempts, error=error,
                             at=at)
    alerts = ref.get("alerts")
    if alerts:
        alert_store.add_events(conn, [{"alert_id": int(a), "at": at, "event": status,
                                       "channel": channel, "detail": error} for a in alerts])


def entries(engine: Engine, *, status: str | None = None, limit: int = 200
            ) -> list[dict[str, Any]]:
    """The newest outbox rows (administration, ``jieneng notify list``)."""
    with engine.connect() as conn:
        rows = store.outbox_entries(conn, status=status, limit=limit)
    return [{"id": int(r.id), "channel": f"ch:{r.channel_id}", "kind": r.kind, "title": r.title,
             "status": r.status, "attempts": int(r.attempts), "error": r.error,
             "created_at": r.created_at.isoformat(),
             "done_at": None if r.done_at is None else r.done_at.isoformat()} for r in rows]


# ---------------------------------------------------------------- the app's worker

_waker: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None
_waker_lock = threading.Lock()


def wake() -> None:
    """Ask the app's worker (when one runs in this process) to deliver now; call it after
    the commit that enqueued. Without a worker (the command line): nothing."""
    with _waker_lock:
        found = _waker
    if found is not None:
        loop, event = found
        with contextlib.suppress(RuntimeError):  # the loop closed
            loop.call_soon_threadsafe(event.set)


async def _one_pass(engine: Engine, settings: Settings) -> None:
    """One delivery pass in a thread. Cancelled (the app stopping), it still waits for
    the pass to end: the thread holds a connection of ``engine``, which the lifespan
    disposes next — left running, the connection would outlive its pool unclosed."""
    running = asyncio.ensure_future(asyncio.to_thread(deliver_pending, engine, settings))
    try:
        await asyncio.shield(running)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await running
        raise


async def run_worker(engine: Engine, settings: Settings, every: float) -> None:
    """Deliver due rows every ``every`` seconds and whenever :func:`wake` is called, until
    cancelled (the app's lifespan). A failing pass is logged, never stops the loop."""
    global _waker
    event = asyncio.Event()
    with _waker_lock:
        _waker = (asyncio.get_running_loop(), event)
    try:
        while True:
            event.clear()  # a wake during the pass below makes the next one start at once
            try:
                await _one_pass(engine, settings)
            except Exception:
                log.exception("outbox delivery pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=every)
    finally:
        with _waker_lock:
            _waker = None


__all__ = ["Queued", "deliver_pending", "enqueue", "entries", "run_worker", "wake"]
