"""Accounts and API tokens (tables ``app_user`` and ``api_token``).

Plain reads and writes; hashing, lockout rules and roles live in
:mod:`jieneng.services.accounts.auth` and :mod:`jieneng.services.accounts.users`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, literal, or_, select, update

from jieneng.core.scope import Filters

from . import tables as t
from .scoping import institution_conditions

__all__ = [
    "TokenRow",
    "UserRow",
    "as_utc",
    "count_users",
    "find_token",
    "first_institution",
    "get_token",
    "get_user",
    "get_user_by_username",
    "insert_token",
    "insert_user",
    "list_tokens",
    "list_users",
    "pin_names",
    "reserve_login_attempt",
    "revoke_token",
    "search_accounts",
    "subtree_accounts",
    "touch_token",
    "units_without_accounts",
    "update_user",
    "user_matches",
]


def as_utc(value: datetime | None) -> datetime | None:
    """A timestamp read back from the database as an aware UTC datetime (SQLite drops tz)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    username: str
    display_name: str
    password_hash: str
    role: str
    region_code: str | None
    institution_id: int | None
    is_locked: bool
    failed_logins: int
    is_demo: bool
    locked_until: datetime | None
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class TokenRow:
    id: int
    user_id: int
    name: str
    created_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


def _user(r: Any) -> UserRow:
    return UserRow(
        id=r.id, username=r.username, display_name=r.display_name,
        password_hash=r.password_hash, role=r.role, region_code=r.region_code,
        institution_id=r.institution_id, is_locked=bool(r.is_locked),
        failed_logins=int(r.failed_logins), is_demo=bool(r.is_demo),
        locked_until=as_utc(r.locked_until), created_at=as_utc(r.created_at),
    )


def _token(r: Any) -> TokenRow:
    return TokenRow(
        id=r.id, user_id=r.user_id, name=r.name, created_at=as_utc(r.created_at),
        last_used_at=as_utc(r.last_used_at), revoked_at=as_utc(r.revoked_at),
    )


def insert_user(conn: Connection, **values: Any) -> int:
    """Insert an account; returns its id."""
    result = conn.execute(t.app_user.insert().values(**values).returning(t.app_user.c.id))
    return int(result.scalar_one())


def get_user(conn: Connection, user_id: int) -> UserRow | None:
    r = conn.execute(select(t.app_user).where(t.app_user.c.id == user_id)).one_or_none()
    return None if r is None else _user(r)


def get_user_by_username(conn: Connection, username: str) -> UserRow | None:
    r = conn.execute(
        select(t.app_user).where(t.app_user.c.username == username)
    ).one_or_none()
    return None if r is None else _user(r)


def list_users(
    conn: Connection, *, offset: int = 0, limit: int | None = None,
    where: ColumnElement[bool] | None = None,
) -> list[UserRow]:
    query = select(t.app_user).order_by(t.app_user.c.id).offset(offset)
    if where is not None:
        query = query.where(where)
    if limit is not None:
        query = query.limit(limit)
    return [_user(r) for r in conn.execute(query)]


def count_users(conn: Connection, *, where: ColumnElement[bool] | None = None) -> int:
    query = select(func.count()).select_from(t.app_user)
    if where is not None:
        query = query.where(where)
    return int(conn.execute(query).scalar_one())


def user_matches(conn: Connection, user_id: int, where: ColumnElement[bool]) -> bool:
    """Whether the account ``user_id`` exists and satisfies ``where``."""
    query = select(t.app_user.c.id).where(t.app_user.c.id == user_id, where)
    return conn.execute(query).first() is not None


def subtree_accounts(area: Collection[str], own_region: str) -> ColumnElement[bool]:
    """The accounts a 管理机构管理员 pinned to ``own_region`` manages (``area``: the
    codes of its region subtree): ``region`` accounts of the regions *below* its
    own, ``viewer`` accounts in the area, ``institution`` accounts whose unit lies
    in the area, and ``department`` accounts whose department lies in the area
    with every one of its subordinate units. Never ``admin`` or ``region_admin``.
    """
    u, i = t.app_user, t.institution
    codes = sorted(area)
    units_in_area = select(i.c.id).where(i.c.region_code.in_(codes))
    unit_outside = select(i.c.id).where(
        i.c.department_id == u.c.institution_id, i.c.region_code.not_in(codes)
    ).exists()
    return or_(
        and_(u.c.role == "region", u.c.region_code.in_(codes), u.c.region_code != own_region),
        and_(u.c.role == "viewer", u.c.region_code.in_(codes)),
        and_(u.c.role == "institution", u.c.institution_id.in_(units_in_area)),
        and_(u.c.role == "department", u.c.institution_id.in_(units_in_area), ~unit_outside),
    )


def search_accounts(text: str) -> ColumnElement[bool]:
    """Accounts whose username or display name contains ``text`` (case-insensitive),
    pinned to a unit whose name or credit code contains it, or to a region whose code
    starts with it (a LIKE's wildcards in ``text`` are taken literally)."""
    u, i = t.app_user, t.institution
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped.lower()}%"
    units = select(i.c.id).where(or_(
        func.lower(i.c.name).like(pattern, escape="\\"),
        func.lower(i.c.credit_code).like(pattern, escape="\\"),
    ))
    return or_(
        func.lower(u.c.username).like(pattern, escape="\\"),
        func.lower(u.c.display_name).like(pattern, escape="\\"),
        u.c.region_code.like(f"{escaped}%", escape="\\"),
        u.c.institution_id.in_(units),
    )


def pin_names(conn: Connection, institution_ids: Collection[int]) -> dict[int, tuple[str, str]]:
    """``{id: (credit_code, name)}`` of the units accounts are pinned to (one query)."""
    if not institution_ids:
        return {}
    i = t.institution
    rows = conn.execute(select(i.c.id, i.c.credit_code, i.c.name)
                        .where(i.c.id.in_(sorted(set(institution_ids)))))
    return {int(r.id): (str(r.credit_code), str(r.name)) for r in rows}


Unit = tuple[int, str, str, bool]


def units_without_accounts(conn: Connection, filters: Filters, *,
                           limit: int | None = None) -> tuple[int, list[Unit]]:
    """Active units inside ``filters`` that no account is pinned to: their count and
    (up to ``limit``) ``(id, credit_code, name, is_department)`` in credit-code order;
    ``is_department``: some unit names it as its 主管部门."""
    i, u = t.institution, t.app_user
    sub = t.institution.alias("sub")
    pinned = select(u.c.id).where(u.c.institution_id == i.c.id).exists()
    where = and_(*institution_conditions(conn, filters), i.c.status == "active", ~pinned)
    total = int(conn.execute(select(func.count()).select_from(i).where(where)).scalar_one())
    heads = select(sub.c.id).where(sub.c.department_id == i.c.id).exists()
    query = select(i.c.id, i.c.credit_code, i.c.name, heads.label("head")).where(where) \
        .order_by(i.c.credit_code)
    if limit is not None:
        query = query.limit(limit)
    rows = [(int(r.id), str(r.credit_code), str(r.name), bool(r.head))
            for r in conn.execute(query)]
    return total, rows


def update_user(conn: Connection, user_id: int, **values: Any) -> None:
    conn.execute(update(t.app_user).where(t.app_user.c.id == user_id).values(**values))


def reserve_login_attempt(
    conn: Connection, username: str, *, now: datetime, max_failures: int, lock_until: datetime
) -> UserRow | None:
    """Count a login attempt *before* its password is checked, in one atomic statement.

    Only an account that is not locked (by an administrator, or until a time still
    to come) is counted; the attempt that reaches ``max_failures`` also sets
    ``locked_until`` to ``lock_until`` (cleared again if its password is right). An
    expired lockout starts the count afresh. Returns the account as counted, or
    ``None`` — unknown name and locked account alike. Concurrent attempts serialise
    on the row, so no more than ``max_failures`` of them are ever checked.
    """
    u = t.app_user
    expired = and_(u.c.locked_until.is_not(None), u.c.locked_until <= now)
    count = case((expired, 1), else_=u.c.failed_logins + 1)
    query = (
        update(u)
        .where(u.c.username == username, ~u.c.is_locked,
               or_(u.c.locked_until.is_(None), u.c.locked_until <= now))
        .values(failed_logins=count, locked_until=case(
            (count >= max_failures, literal(lock_until, u.c.locked_until.type)), else_=None))
        .returning(*u.c)
    )
    r = conn.execute(query).one_or_none()
    return None if r is None else _user(r)


def insert_token(conn: Connection, *, user_id: int, name: str, token_sha256: str) -> int:
    result = conn.execute(
        t.api_token.insert()
        .values(user_id=user_id, name=name, token_sha256=token_sha256)
        .returning(t.api_token.c.id)
    )
    return int(result.scalar_one())


def find_token(conn: Connection, token_sha256: str) -> TokenRow | None:
    """The token with this hash (revoked or not), or ``None``."""
    r = conn.execute(
        select(t.api_token).where(t.api_token.c.token_sha256 == token_sha256)
    ).one_or_none()
    return None if r is None else _token(r)


def list_tokens(conn: Connection, user_id: int) -> list[TokenRow]:
    query = select(t.api_token).where(t.api_token.c.user_id == user_id).order_by(t.api_token.c.id)
    return [_token(r) for r in conn.execute(query)]


def get_token(conn: Connection, token_id: int) -> TokenRow | None:
    r = conn.execute(select(t.api_token).where(t.api_token.c.id == token_id)).one_or_none()
    return None if r is None else _token(r)


def revoke_token(conn: Connection, token_id: int, at: datetime) -> None:
    conn.execute(update(t.api_token).where(t.api_token.c.id == token_id).values(revoked_at=at))


def touch_token(conn: Connection, token_id: int, at: datetime) -> None:
    conn.execute(update(t.api_token).where(t.api_token.c.id == token_id).values(last_used_at=at))


def first_institution(
    conn: Connection,
    *,
    region_code: str | None = None,
    name_like: str | None = None,
    department_id: int | None = None,
) -> tuple[int, str] | None:
    """(id, name) of the first institution (by id) matching every given condition."""
    i = t.institution
    query = select(i.c.id, i.c.name).order_by(i.c.id).limit(1)
    if region_code is not None:
        query = query.where(i.c.region_code == region_code)
    if name_like is not None:
        query = query.where(i.c.name.like(name_like))
    if department_id is not None:
        query = query.where(i.c.department_id == department_id)
    r = conn.execute(query).one_or_none()
    return None if r is None else (int(r.id), str(r.name))
