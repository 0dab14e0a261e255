"""Writes only the demo makes (:mod:`jieneng.services.demo`), kept out of the
production storage modules.

:func:`demo_states` puts a demo reporting period's tasks in every state at once —
something no user can do — bypassing the state machine of
:mod:`jieneng.core.reporting` (one ``UPDATE`` and one history ``INSERT … SELECT``);
:func:`demo_move` puts one task in a state the same way, so the demo can then remind,
ask and return through the ordinary services (and their notifications).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Integer,
    and_,
    case,
    func,
    literal,
    null,
    select,
    update,
)

from . import tables as t
from .gateways import metering_gateway as _gw
from .gateways import metering_gateway_meter as _gwm
from .meter_readings import metering_reading as _reading


def demo_states(conn: Connection, period_id: int, shares: Sequence[tuple[str, int]], *,
                at: datetime, reason: str) -> int:
    """Demo only: move the ``not_started`` and ``in_progress`` tasks of a period (opening
    a period starts the tasks whose figures were imported before it) to states by
    institution id (``shares``: (state, how many of every 100), in order), set-based:
    first one history row per task that changes (actor ``demo``; ``reason`` for
    returned ones), then one ``UPDATE``. Returns how many moved."""
    task = t.reporting_task
    bucket = task.c.institution_id % 100
    whens, low = [], 0
    for state, share in shares:
        whens.append((bucket < low + share, state))
        low += share
    target = case(*whens, else_=task.c.state)
    open_states = ("not_started", "in_progress")
    moving = and_(task.c.period_id == period_id, task.c.state.in_(open_states),
                  target != task.c.state)
    moved = select(task.c.id, task.c.state, target,
                   case((target == "returned", literal("return")),
                        (target == "approved", literal("approve")),
                        (target == "submitted", literal("submit")),
                        else_=literal("save")),
                   literal(None, Integer), literal("admin"), literal(at, DateTime(timezone=True)),
                   case((target == "returned", literal(reason)), else_=null())).where(moving)
    result = conn.execute(t.task_transition.insert().from_select(
        ["task_id", "from_state", "to_state", "action", "actor_user_id", "actor_role", "at",
         "reason"], moved))
    conn.execute(update(task).where(moving)
                 .values(state=target, version=task.c.version + 1, updated_at=at,
                         submitted_at=case((target.in_(["submitted", "approved"]), at),
                                           else_=null()),
                         approved_at=case((target == "approved", at), else_=null())))
    return int(result.rowcount or 0)


def demo_task(conn: Connection, institution_id: int, year: int, month: int
              ) -> dict[str, Any] | None:
    """The institution's task of a monthly period (``id, period_id, state``), or None."""
    task, period = t.reporting_task, t.reporting_period
    row = conn.execute(
        select(task.c.id, task.c.period_id, task.c.state)
        .select_from(task.join(period, period.c.id == task.c.period_id))
        .where(task.c.institution_id == institution_id, period.c.year == year,
               period.c.month == month)).first()
    return None if row is None else dict(row._mapping)


def demo_move(conn: Connection, task_id: int, state: str, *, at: datetime) -> None:
    """Demo only: put one task in ``state`` (录入中 or 已上报) with its history row
    (actor ``demo``), bypassing the state machine as :func:`demo_states` does."""
    task = t.reporting_task
    before = conn.execute(select(task.c.state).where(task.c.id == task_id)).scalar_one()
    if before == state:
        return
    conn.execute(t.task_transition.insert().values(
        task_id=task_id, from_state=before, to_state=state,
        action="submit" if state == "submitted" else "save", actor_user_id=None,
        actor_role="filer", at=at, reason=None))
    conn.execute(update(task).where(task.c.id == task_id).values(
        state=state, version=task.c.version + 1, updated_at=at,
        submitted_at=at if state == "submitted" else None, approved_at=None))


# ---------------------------------------------------------------- metering

def credit_code_of(conn: Connection, institution_id: int) -> str:
    i = t.institution
    return str(conn.execute(select(i.c.credit_code).where(i.c.id == institution_id))
               .scalar_one())


def gateway_last_reading(conn: Connection, code: str) -> int | None:
    """The newest reading's time among the gateway's meters."""
    value = conn.execute(select(func.max(_reading.c.ts)).select_from(_reading)
                         .join(_gwm, _gwm.c.meter_id == _reading.c.meter_id)
                         .join(_gw, _gw.c.id == _gwm.c.gateway_id).where(_gw.c.code == code)
                         ).scalar_one_or_none()
    return None if value is None else int(value)


def month_quantities(conn: Connection, institution_ids: Sequence[int], year: int,
                     month: int) -> dict[tuple[int, str], float]:
    """(institution id, carrier) → the current reported quantity of the month."""
    c = t.consumption_record
    rows = conn.execute(select(c.c.institution_id, c.c.carrier, c.c.quantity).where(
        c.c.institution_id.in_(list(institution_ids)), c.c.year == year, c.c.month == month,
        c.c.is_current.is_(True)))
    return {(int(r.institution_id), str(r.carrier)): float(r.quantity) for r in rows}
