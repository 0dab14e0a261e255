"""Lifecycle moves of a project (issue 13 §1): checked by the pure state machine
(:mod:`jieneng.core.projects.lifecycle`), allowed by the permission table, audited.

- the move must be open from the project's state (else refused naming the open ones);
- the caller's role holds the capability the move needs (``manage_projects`` or
  ``approve_projects``) and the project lies in its scope (else NotFound);
- a termination and a send-back need a reason;
- an EPC or contract water-saving project enters 合同签订 only with its contract on
  file (:func:`jieneng.services.projects.contracts.set_contract`, whose local rules
  are checked on entry).

Each move: one transaction holding the project's row lock (two moves take turns), a
``project_event`` row (from, to, who, when, why) and an audit entry.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.projects.lifecycle import NEEDS_CONTRACT, State, check_move, parse_state
from jieneng.core.projects.types import CONTRACT_TYPES, ProjectType
from jieneng.services.accounts import audit
from jieneng.storage import projects as store

from .registry import find_project, now


def move_project(engine: Engine, user: User, code: str, target: str | State, *,
                 reason: str | None = None) -> dict[str, Any]:
    """Move the project ``code`` to ``target`` (a state code or label)."""
    wanted = target if isinstance(target, State) else parse_state(target)
    with engine.begin() as conn:
        row = find_project(conn, user.scope, code, lock=True)
        source = State(row.state)
        move = check_move(source, wanted, reason=reason)
        require(user, Capability(move.capability))
        if wanted in NEEDS_CONTRACT and ProjectType(row.type) in CONTRACT_TYPES and (
                store.contract_of(conn, int(row.id)) is None):
            raise ValidationFailed.of("project_contract_required", code=row.code)
        at = now()
        store.set_state(conn, int(row.id), wanted.value, at)
        text = (reason or "").strip() or None
        store.insert_rows(conn, store.project_event, [{
            "project_id": int(row.id), "from_state": source.value, "to_state": wanted.value,
            "actor": user.actor.username, "at": at, "reason": text}])
        audit.record(conn, user.actor, "projects.move", "project", int(row.id),
                     before={"state": source.value},
                     after={"state": wanted.value, "reason": text})
    return {"code": row.code, "from": source.value, "to": wanted.value,
            "from_zh": source.label_zh, "to_zh": wanted.label_zh,
            "from_en": source.label_en, "to_en": wanted.label_en,
            "actor": user.actor.username, "at": at.isoformat(), "reason": text}
