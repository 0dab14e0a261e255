"""The audit log (table ``audit_log``): append and page through, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from . import tables as t
from .users import as_utc

__all__ = ["AuditRow", "count_entries", "insert_entry", "list_entries"]


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


def list_entries(conn: Connection, *, offset: int, limit: int) -> list[AuditRow]:
    a = t.audit_log
    rows = conn.execute(select(a).order_by(a.c.id.desc()).offset(offset).limit(limit))
    return [
        AuditRow(
            id=r.id, at=as_utc(r.at) or r.at, user_id=r.user_id, username=r.username,
            action=r.action, object_type=r.object_type, object_id=r.object_id,
            before=r.before, after=r.after,
        )
        for r in rows
    ]


def count_entries(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(t.audit_log)).scalar_one())
