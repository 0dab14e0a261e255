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

Dated history (bulk import of existing projects, the demo): a move may carry a stated
past date ``at`` — not in the future, not before the project's previous event. The event
keeps the stated date in ``at`` and the moment it was entered in ``recorded_at``; the
audit entry (stamped with the entry time and the person) records both.
:func:`date_registration` states the date of a fresh project's 征集/申报;
:func:`enter_history` replays a project's known moves in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.caller import User
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.projects.lifecycle import NEEDS_CONTRACT, State, check_move, parse_state
from jieneng.core.projects.types import CONTRACT_TYPES, ProjectType
from jieneng.services.accounts import audit
from jieneng.storage import projects as store

from .registry import find_project, now

#: China time: a stated date without a time is the start of that day there
CHINA = timezone(timedelta(hours=8))


def stated_time(at: date | datetime) -> datetime:
    """``at`` as an aware instant in UTC (as stored): a date is 00:00 China time; a
    naive datetime is China time."""
    if not isinstance(at, datetime):
        return datetime.combine(at, time(0), CHINA).astimezone(UTC)
    return (at if at.tzinfo is not None else at.replace(tzinfo=CHINA)).astimezone(UTC)


def _aware(value: datetime) -> datetime:
    """A stored instant (SQLite returns them naive, in UTC) as an aware one."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _check_date(conn: Connection, project_id: int, at: datetime, entered: datetime) -> None:
    """A stated date is not in the future and not before the project's previous event."""
    if at > entered:
        raise ValidationFailed.of("project_move_date_future", at=at.isoformat())
    events = store.events_of(conn, project_id)
    if events:
        previous = max(_aware(e.at) for e in events)
        if at < previous:
            raise ValidationFailed.of("project_move_date_before", at=at.isoformat(),
                                      previous=previous.isoformat())


def move_project(engine: Engine, user: User, code: str, target: str | State, *,
                 reason: str | None = None, at: date | datetime | None = None
                 ) -> dict[str, Any]:
    """Move the project ``code`` to ``target`` (a state code or label); ``at``: the
    move's stated past date (module docstring), else now."""
    wanted = target if isinstance(target, State) else parse_state(target)
    with engine.begin() as conn:
        row = find_project(conn, user.scope, code, lock=True)
        source = State(row.state)
        move = check_move(source, wanted, reason=reason)
        require(user, Capability(move.capability))
        if wanted in NEEDS_CONTRACT and ProjectType(row.type) in CONTRACT_TYPES and (
                store.contract_of(conn, int(row.id)) is None):
            raise ValidationFailed.of("project_contract_required", code=row.code)
        entered = now()
        stated = None if at is None else stated_time(at)
        if stated is not None:
            _check_date(conn, int(row.id), stated, entered)
        when = stated or entered
        store.set_state(conn, int(row.id), wanted.value, entered)
        text = (reason or "").strip() or None
        store.insert_rows(conn, store.project_event, [{
            "project_id": int(row.id), "from_state": source.value, "to_state": wanted.value,
            "actor": user.actor.username, "at": when, "reason": text,
            "recorded_at": None if stated is None else entered}])
        dated = {} if stated is None else {"stated_at": stated.isoformat()}
        audit.record(conn, user.actor, "projects.move", "project", int(row.id),
                     before={"state": source.value},
                     after={"state": wanted.value, "reason": text, **dated})
    return {"code": row.code, "from": source.value, "to": wanted.value,
            "from_zh": source.label_zh, "to_zh": wanted.label_zh,
            "from_en": source.label_en, "to_en": wanted.label_en,
            "actor": user.actor.username, "at": when.isoformat(), "reason": text,
            "recorded_at": None if stated is None else entered.isoformat()}


def date_registration(engine: Engine, user: User, code: str, at: date | datetime
                      ) -> dict[str, Any]:
    """State the date a project was declared (征集/申报), for a project that has not
    moved since it was registered; audited with the entry time and the person."""
    require(user, Capability.MANAGE_PROJECTS)
    with engine.begin() as conn:
        row = find_project(conn, user.scope, code, lock=True)
        events = store.events_of(conn, int(row.id))
        if len(events) != 1 or events[0].to_state != State.DECLARED.value:
            raise ValidationFailed.of("project_history_not_new", code=row.code)
        entered = now()
        stated = stated_time(at)
        if stated > entered:
            raise ValidationFailed.of("project_move_date_future", at=stated.isoformat())
        store.restate_event(conn, int(events[0].id), stated, entered)
        audit.record(conn, user.actor, "projects.date_registration", "project",
                     int(row.id), before={"at": _aware(events[0].at).isoformat()},
                     after={"stated_at": stated.isoformat()})
    return {"code": row.code, "at": stated.isoformat(), "recorded_at": entered.isoformat()}


def enter_history(engine: Engine, user: User, code: str, declared: date | datetime,
                  moves: Sequence[tuple[str | State, date | datetime, str | None]]
                  ) -> list[dict[str, Any]]:
    """Enter the known history of an existing project: its declaration date, then each
    ``(state, date, reason)`` move in order (each checked and audited as a dated move)."""
    out = [date_registration(engine, user, code, declared)]
    out += [move_project(engine, user, code, state, reason=reason, at=when)
            for state, when, reason in moves]
    return out
