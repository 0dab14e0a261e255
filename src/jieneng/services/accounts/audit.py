"""The audit log: every write says who, when, what, and before → after.

:func:`record` is called inside the writing transaction, so a write and its
audit entry are committed together or not at all.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.caller import Actor
from jieneng.storage import audit as store


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(
    conn: Connection,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object | None = None,
    *,
    before: Any = None,
    after: Any = None,
) -> None:
    """Append one entry (in the caller's transaction)."""
    store.insert_entry(
        conn, at=datetime.now(UTC), user_id=actor.user_id, username=actor.username,
        action=action, object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=_json(before), after=_json(after),
    )


def list_entries(
    engine: Engine, *, page: int = 1, per_page: int = 50, username: str | None = None,
    action: str | None = None, since: datetime | None = None, until: datetime | None = None,
) -> dict[str, Any]:
    """One page of entries, newest first: ``{"items", "page", "per_page", "total"}``;
    filtered by the account name, the action's group (``user``, ``reporting`` …: the
    part before the dot) and the time [since, until) (UTC)."""
    where = store.entry_filter(username=username, action_prefix=action, since=since,
                               until=until)
    with engine.connect() as conn:
        rows = store.list_entries(conn, offset=(page - 1) * per_page, limit=per_page,
                                  where=where)
        total = store.count_entries(conn, where)
    items = [
        {
            "id": r.id, "at": r.at.isoformat(), "user_id": r.user_id, "username": r.username,
            "action": r.action, "object_type": r.object_type, "object_id": r.object_id,
            "before": None if r.before is None else json.loads(r.before),
            "after": None if r.after is None else json.loads(r.after),
        }
        for r in rows
    ]
    return {"items": items, "page": page, "per_page": per_page, "total": total}
