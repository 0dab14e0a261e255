"""Which project a caller may see, for the M&V, statements and settlement services:
the registry's one rule (:func:`jieneng.services.projects.registry.find_project` — an
owner inside the caller's scope, or the project's region for a region scope);
anything else reads as not found, the same as a project that does not exist."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from jieneng.core.caller import User
from jieneng.storage.projects import project_contract

from .registry import find_project


def visible_project(conn: Connection, user: User, code: str) -> dict[str, Any]:
    """The project ``code`` (a dict of its row) when the caller may see it."""
    return dict(find_project(conn, user.scope, code)._mapping)


def contract_of(conn: Connection, project_id: int) -> dict[str, Any] | None:
    c = project_contract
    found = conn.execute(select(c).where(c.c.project_id == project_id)).first()
    return None if found is None else dict(found._mapping)
