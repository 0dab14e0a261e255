"""Server-side session records: the digest a secret token is stored under, and ending
an account's sessions.

A session or API token is stored only as its SHA-256 (:func:`token_digest`).
Logging in and checking a session (they return a :class:`jieneng.core.caller.User`)
live in :mod:`jieneng.services.accounts.auth`; this module imports neither it nor
:mod:`jieneng.services.accounts.users`, which both use it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine

from jieneng.storage import sessions as session_store


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def revoke_sessions(conn: Connection, user_id: int, reason: str, *,
                    keep_token: str | None = None) -> int:
    """End every session of ``user_id`` (but ``keep_token``'s) in the caller's transaction."""
    keep = None if keep_token is None else token_digest(keep_token)
    return session_store.revoke_user_sessions(conn, user_id, datetime.now(UTC), reason,
                                              keep=keep)


def live_sessions(engine: Engine, user_id: int) -> int:
    with engine.connect() as conn:
        return session_store.count_live(conn, user_id, datetime.now(UTC))
