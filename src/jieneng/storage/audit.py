"""The audit log (table ``audit_log``): append and page through, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, select

from . import tables as t
from .users import as_utc

__all__ = ["AuditRow", "count_entries", "entry_filter", "insert_entry", "list_entries"]


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: datetime
    user_id: int | None
    username: str
    action: str
    object_type: str
    object_id: str | None
    before: str | None
    after: str | None


def insert_entry(conn: Connection, **values: Any) -> None:
    conn.execute(t.audit_log.insert().values(**values))


def entry_filter(
    *, username: str | None = None, action_prefix: str | None = None,
    since: datetime | None = None, until: datetime | None = None,
) -> ColumnElement[bool] | None:
    """Entries by one account name, whose action starts with ``action_prefix``
    (``user`` → ``user.create``, ``user.lock`` …) and made in [since, until)."""
    a = t.audit_log
    terms: list[ColumnElement[bool]] = []
    if username:
        terms.append(a.c.username == username)
    if action_prefix:
        escaped = action_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        terms.append(a.c.action.like(f"{escaped}.%", escape="\\"))
    if since is not None:
        terms.append(a.c.at >= since)
    if until is not None:
        terms.append(a.c.at < until)
    return and_(*terms) if terms else None


def list_entries(conn: Connection, *, offset: int, limit: int,
                 where: ColumnElement[bool] | None = None) -> list[AuditRow]:
    a = t.audit_log
    query = select(a) if where is None else select(a).where(where)
    rows = conn.execute(query.order_by(a.c.id.desc()).offset(offset).limit(limit))
    return [
        AuditRow(
            id=r.id, at=as_utc(r.at) or r.at, user_id=r.user_id, username=r.username,
            action=r.action, object_type=r.object_type, object_id=r.object_id,
            before=r.before, after=r.after,
        )
        for r in rows
    ]


def count_entries(conn: Connection, where: ColumnElement[bool] | None = None) -> int:
    query = select(func.count()).select_from(t.audit_log)
    return int(conn.execute(query if where is None else query.where(where)).scalar_one())
