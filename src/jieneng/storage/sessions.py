"""Login sessions (table ``user_session``): plain reads and writes.

The id is the SHA-256 of the token the cookie carries
(:func:`jieneng.services.accounts.sessions.token_digest`); lifetimes and the rules of
revocation live in :mod:`jieneng.services.accounts.auth` and
:mod:`jieneng.services.accounts.sessions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select, update

from . import tables as t
from .users import as_utc

__all__ = [
    "SessionRow",
    "count_live",
    "delete_expired",
    "get_session",
    "insert_session",
    "revoke_session",
    "revoke_user_sessions",
    "touch_session",
]


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: str
    user_id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


def _row(r: Any) -> SessionRow:
    created, seen, expires = as_utc(r.created_at), as_utc(r.last_seen_at), as_utc(r.expires_at)
    assert created is not None and seen is not None and expires is not None
    return SessionRow(id=r.id, user_id=r.user_id, created_at=created, last_seen_at=seen,
                      expires_at=expires, revoked_at=as_utc(r.revoked_at))


def insert_session(
    conn: Connection, *, session_id: str, user_id: int, now: datetime, expires_at: datetime,
    ip: str | None = None, user_agent: str | None = None,
) -> None:
    conn.execute(t.user_session.insert().values(
        id=session_id, user_id=user_id, created_at=now, last_seen_at=now,
        expires_at=expires_at, ip=(ip or None) and ip[:45],
        user_agent=(user_agent or None) and user_agent[:200],
    ))


def get_session(conn: Connection, session_id: str) -> SessionRow | None:
    r = conn.execute(
        select(t.user_session).where(t.user_session.c.id == session_id)
    ).one_or_none()
    return None if r is None else _row(r)


def touch_session(conn: Connection, session_id: str, now: datetime, stale: datetime) -> None:
    """Set ``last_seen_at`` to ``now`` unless it is already newer than ``stale``."""
    s = t.user_session
    conn.execute(update(s).where(s.c.id == session_id, s.c.last_seen_at < stale)
                 .values(last_seen_at=now))


def revoke_session(conn: Connection, session_id: str, at: datetime, reason: str) -> None:
    s = t.user_session
    conn.execute(update(s).where(s.c.id == session_id, s.c.revoked_at.is_(None))
                 .values(revoked_at=at, revoked_reason=reason))


def revoke_user_sessions(
    conn: Connection, user_id: int, at: datetime, reason: str, *, keep: str | None = None
) -> int:
    """Revoke every live session of ``user_id`` (but ``keep``); how many were revoked."""
    s = t.user_session
    query = update(s).where(s.c.user_id == user_id, s.c.revoked_at.is_(None),
                            s.c.expires_at > at)
    if keep is not None:
        query = query.where(s.c.id != keep)
    return int(conn.execute(query.values(revoked_at=at, revoked_reason=reason)).rowcount)


def count_live(conn: Connection, user_id: int, now: datetime) -> int:
    s = t.user_session
    query = select(func.count()).select_from(s).where(
        s.c.user_id == user_id, s.c.revoked_at.is_(None), s.c.expires_at > now)
    return int(conn.execute(query).scalar_one())


def delete_expired(conn: Connection, user_id: int, before: datetime) -> None:
    """Forget the sessions of ``user_id`` that expired before ``before``."""
    s = t.user_session
    conn.execute(s.delete().where(and_(s.c.user_id == user_id, s.c.expires_at < before)))
