"""Authentication: login lockout, server-side sessions, API tokens.

- Passwords are hashed with Argon2id by :mod:`jieneng.services.accounts.passwords`; a
  login re-hashes a stored hash when the parameters change.
- Every login attempt is counted *before* its password is checked, in one atomic
  statement (:func:`jieneng.storage.users.reserve_login_attempt`): the attempt that
  reaches ``max_failures`` locks the account for ``lockout`` (default 5 and 15
  minutes, see :class:`jieneng.settings.Settings`), however many arrive at once; a
  success resets the count. A wrong password, an unknown name and a locked account
  get the same message after the same work (one Argon2 verification).
- A login creates a row in ``user_session``; the cookie carries only a random token
  whose SHA-256 is the row's id. Every request checks the row: not revoked, not past
  its absolute lifetime, not idle for longer than the idle timeout, the account not
  locked. Logout, a password change or reset, a lock and an administrator's
  revocation end sessions on the server.
- API tokens are 32 random bytes (``jn_`` + URL-safe base64), shown once; only
  their SHA-256 is stored. They can be revoked; a revoked token is refused.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from jieneng.core.caller import Actor, User
from jieneng.core.exceptions import NotFound, NotPermitted, ValidationFailed
from jieneng.services.accounts import audit
from jieneng.services.accounts.passwords import (
    hash_password,
    needs_rehash,
    verify_nobody,
    verify_password,
)
from jieneng.services.accounts.sessions import token_digest as _digest
from jieneng.services.accounts.users import user_from_row
from jieneng.storage import sessions as session_store
from jieneng.storage import users as store
from jieneng.storage.engine import brief_write

log = logging.getLogger(__name__)
TOKEN_PREFIX = "jn_"
#: the password every demo account had before it was flagged (``<username>-demo-2025``)
LEGACY_DEMO_SUFFIX = "-demo-2025"


class AuthenticationFailed(NotPermitted):
    """Wrong username or password, or a locked account (one message for all)."""

    code = "authentication_failed"


def _failed() -> AuthenticationFailed:
    return AuthenticationFailed.of("authentication_failed")


def _is_demo(row: store.UserRow, password: str) -> bool:
    return row.is_demo or password == row.username + LEGACY_DEMO_SUFFIX


def authenticate(
    engine: Engine,
    username: str,
    password: str,
    *,
    max_failures: int = 5,
    lockout: timedelta = timedelta(minutes=15),
    session_lifetime: timedelta = timedelta(hours=8),
    refuse_demo: bool = False,
    ip: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> tuple[User, str]:
    """The account and the token of its new session; AuthenticationFailed otherwise.

    With ``refuse_demo`` (production) a demo account — flagged ``is_demo``, or using
    the published ``<username>-demo-2025`` — is refused like a wrong password.
    """
    now = now or datetime.now(UTC)
    with engine.begin() as conn:  # the attempt counts before the password is checked
        row = store.reserve_login_attempt(conn, username.strip(), now=now,
                                          max_failures=max_failures, lock_until=now + lockout)
    if row is None:  # unknown or locked: the same answer after the same work
        verify_nobody(password)
        raise _failed()
    actor = Actor(row.id, row.username)
    right = verify_password(row.password_hash, password)
    if not right or (refuse_demo and _is_demo(row, password)):
        if row.locked_until is not None:
            with engine.begin() as conn:
                audit.record(conn, actor, "login.lockout", "user", row.id,
                             after={"locked_until": row.locked_until.isoformat()})
        if right:
            with engine.begin() as conn:
                audit.record(conn, actor, "auth.demo_refused", "user", row.id)
        raise _failed()
    values: dict[str, Any] = {"failed_logins": 0, "locked_until": None}
    if needs_rehash(row.password_hash):
        values["password_hash"] = hash_password(password)
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        store.update_user(conn, row.id, **values)
        session_store.delete_expired(conn, row.id, now - timedelta(days=30))
        session_store.insert_session(conn, session_id=_digest(token), user_id=row.id, now=now,
                                     expires_at=now + session_lifetime, ip=ip,
                                     user_agent=user_agent)
        # the success is audited with the counter reset (no password, no hash, no token)
        audit.record(conn, actor, "auth.login", "user", row.id)
        fresh = store.get_user(conn, row.id)
        assert fresh is not None
    return user_from_row(fresh), token


# ---------------------------------------------------------------- sessions
#: How stale a session's ``last_seen_at`` may get before a request refreshes it.
SESSION_TOUCH_INTERVAL = timedelta(minutes=1)


def logout(engine: Engine, user: User, token: str | None) -> None:
    """End the session of ``token`` on the server and audit it (``auth.logout``)."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        if token:
            session_store.revoke_session(conn, _digest(token), now, "logout")
        audit.record(conn, user.actor, "auth.logout", "user", user.id)


def user_for_session(
    engine: Engine, token: str, *, idle: timedelta | None = None, now: datetime | None = None
) -> User | None:
    """The account of a session token, or None if the session is unknown, revoked,
    expired, idle for longer than ``idle``, or its account is gone or locked.

    ``last_seen_at`` is written at most once a :data:`SESSION_TOUCH_INTERVAL`, and
    a failure to write it (a busy database) never fails the request.
    """
    now = now or datetime.now(UTC)
    session_id = _digest(token)
    with engine.connect() as conn:
        row = session_store.get_session(conn, session_id)
        user = None if row is None else store.get_user(conn, row.user_id)
    if row is None or user is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if user.is_locked or (idle is not None and now - row.last_seen_at > idle):
        return None
    if now - row.last_seen_at >= SESSION_TOUCH_INTERVAL:
        try:  # waits briefly for the write lock, then gives up (a later request records it)
            with brief_write(engine) as conn:
                session_store.touch_session(conn, session_id, now,
                                            now - SESSION_TOUCH_INTERVAL)
        except SQLAlchemyError:  # "last seen" is a convenience: never fail a request on it
            log.warning("could not update the last use of a session", exc_info=True)
    return user_from_row(user)


# ---------------------------------------------------------------- API tokens
@dataclass(frozen=True, slots=True)
class Token:
    id: int
    name: str
    created_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        def iso(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {"id": self.id, "name": self.name, "created_at": iso(self.created_at),
                "last_used_at": iso(self.last_used_at), "revoked_at": iso(self.revoked_at)}


def _token(row: store.TokenRow) -> Token:
    return Token(row.id, row.name, row.created_at, row.last_used_at, row.revoked_at)


def create_token(engine: Engine, user: User, name: str) -> tuple[Token, str]:
    """A new token for ``user``: (its record, the secret — shown once, never stored)."""
    label = name.strip()[:100]
    if not label:
        raise ValidationFailed.of("accounts.token_needs_name", field="name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        token_id = store.insert_token(conn, user_id=user.id, name=label,
                                      token_sha256=_digest(secret))
        row = store.get_token(conn, token_id)
        assert row is not None
        audit.record(conn, user.actor, "token.create", "api_token", token_id,
                     after={"name": label, "user_id": user.id})
    return _token(row), secret


def list_tokens(engine: Engine, user: User) -> list[Token]:
    with engine.connect() as conn:
        return [_token(r) for r in store.list_tokens(conn, user.id)]


def revoke_token(engine: Engine, user: User, token_id: int) -> Token:
    """Revoke one of the user's own tokens (NotFound for anyone else's)."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        row = store.get_token(conn, token_id)
        if row is None or row.user_id != user.id:
            raise NotFound.of("accounts.token_not_found", token_id=token_id)
        if row.revoked_at is None:
            store.revoke_token(conn, token_id, now)
            audit.record(conn, user.actor, "token.revoke", "api_token", token_id,
                         before={"name": row.name, "revoked_at": None},
                         after={"name": row.name, "revoked_at": now.isoformat()})
        fresh = store.get_token(conn, token_id)
        assert fresh is not None
    return _token(fresh)


#: How stale a token's ``last_used_at`` may get before a request refreshes it.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


def user_for_token(engine: Engine, secret: str) -> User | None:
    """The account of a bearer token, or None if unknown, revoked or the account is locked."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    with engine.connect() as conn:  # a read: no write lock for every API request
        row = store.find_token(conn, _digest(secret))
        if row is None or row.revoked_at is not None:
            return None
        user = store.get_user(conn, row.user_id)
        if user is None or user.is_locked:
            return None
    now = datetime.now(UTC)
    # "Last used" to the minute: a write (and a WAL flush) per request would
    # serialise a script's parallel requests on the token's row.
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_TOUCH_INTERVAL:
        _touch_token(engine, row.id, now)
    return user_from_row(user)


def _touch_token(engine: Engine, token_id: int, now: datetime) -> None:
    """Best effort, in its own short write transaction: when the database is busy
    (another writer holds the lock for longer than ``brief_write`` waits) the
    touch is skipped — a later request records it — and the request goes on."""
    try:
        with brief_write(engine) as conn:
            store.touch_token(conn, token_id, now)
    except OperationalError:
        log.info("token %s: last_used_at not recorded (database busy)", token_id)
