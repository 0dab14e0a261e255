"""Authentication: Argon2 passwords, login lockout, session fingerprints, API tokens.

- Passwords are hashed with Argon2id (argon2-cffi defaults, RFC 9106 low-memory
  profile); only the hash is stored and it is re-hashed when the parameters change.
- After ``max_failures`` consecutive failed logins an account is locked for
  ``lockout`` (default 5 and 15 minutes, see :class:`jieneng.settings.Settings`);
  a success resets the count. Failure messages never say whether the username exists.
- A session stores the account id and a fingerprint of the password hash, so a
  password reset ends every other session.
- API tokens are 32 random bytes (``jn_`` + URL-safe base64), shown once; only
  their SHA-256 is stored. They can be revoked; a revoked token is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine

from jieneng.core.exceptions import NotFound, NotPermitted, ValidationFailed
from jieneng.services import audit
from jieneng.storage import users as store

if TYPE_CHECKING:
    from jieneng.services.users import User

_hasher = PasswordHasher()
#: verified when the username does not exist, so both paths take the same time
_DUMMY_HASH = _hasher.hash("jieneng-no-such-user")
MIN_PASSWORD_LENGTH = 8
TOKEN_PREFIX = "jn_"


class AuthenticationFailed(NotPermitted):
    """Wrong username or password, or a locked account."""

    code = "authentication_failed"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"密码至少 {MIN_PASSWORD_LENGTH} 个字符",
            f"a password has at least {MIN_PASSWORD_LENGTH} characters", field="password",
        )


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches the stored Argon2 hash."""
    return _verify(password_hash, password)


def session_fingerprint(password_hash: str) -> str:
    """Short digest of the password hash kept in the session (a reset ends sessions)."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _failed() -> AuthenticationFailed:
    return AuthenticationFailed("用户名或密码错误", "wrong username or password")


def authenticate(
    engine: Engine,
    username: str,
    password: str,
    *,
    max_failures: int = 5,
    lockout: timedelta = timedelta(minutes=15),
    now: datetime | None = None,
) -> tuple[User, str]:
    """The account and its session fingerprint; AuthenticationFailed otherwise."""
    from jieneng.services.users import User

    now = now or datetime.now(UTC)
    with engine.begin() as conn:
        row = store.get_user_by_username(conn, username.strip())
        if row is None:
            _verify(_DUMMY_HASH, password)
            raise _failed()
        actor = audit.Actor(row.id, row.username)
        if row.is_locked:
            raise AuthenticationFailed(
                "账户已被管理员锁定", "the account is locked by an administrator"
            )
        if row.locked_until is not None and row.locked_until > now:
            minutes = max(1, int((row.locked_until - now).total_seconds() // 60) + 1)
            raise AuthenticationFailed(
                f"连续登录失败次数过多，账户已锁定，请 {minutes} 分钟后再试",
                f"too many failed logins: the account is locked, try again in {minutes} min",
            )
        if not _verify(row.password_hash, password):
            failures = row.failed_logins + 1
            values: dict[str, Any] = {"failed_logins": failures}
            if failures >= max_failures:
                values.update(failed_logins=0, locked_until=now + lockout)
                audit.record(conn, actor, "login.lockout", "user", row.id,
                             after={"locked_until": (now + lockout).isoformat()})
            store.update_user(conn, row.id, **values)
            # committed on purpose: the failure must count even though we raise
            conn.commit()
            raise _failed()
        values = {"failed_logins": 0, "locked_until": None}
        password_hash = row.password_hash
        if _hasher.check_needs_rehash(password_hash):
            password_hash = values["password_hash"] = _hasher.hash(password)
        store.update_user(conn, row.id, **values)
        # the success is audited with the counter reset (no password, no hash, no fingerprint)
        audit.record(conn, actor, "auth.login", "user", row.id)
        fresh = store.get_user(conn, row.id)
        assert fresh is not None
    return User.from_row(fresh), session_fingerprint(password_hash)


def logout(engine: Engine, user: User) -> None:
    """Audit the end of a session (``auth.logout``); the caller clears the cookie."""
    with engine.begin() as conn:
        audit.record(conn, user.actor, "auth.logout", "user", user.id)


def user_for_session(engine: Engine, user_id: int, fingerprint: str) -> User | None:
    """The account of a session, or None if it is gone, locked or its password changed."""
    from jieneng.services.users import User

    with engine.connect() as conn:
        row = store.get_user(conn, user_id)
    if row is None or row.is_locked or session_fingerprint(row.password_hash) != fingerprint:
        return None
    return User.from_row(row)


# ---------------------------------------------------------------- API tokens
def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
        raise ValidationFailed("请填写令牌名称", "a token needs a name", field="name")
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
            raise NotFound(f"令牌 {token_id} 不存在", f"token {token_id} does not exist")
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
    from jieneng.services.users import User

    if not secret.startswith(TOKEN_PREFIX):
        return None
    with engine.begin() as conn:
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
            store.touch_token(conn, row.id, now)
    return User.from_row(user)
