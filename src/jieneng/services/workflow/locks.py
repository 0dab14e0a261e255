"""The figure lock: figure-writing transactions (entry, imports) call
:func:`check_unlocked` before writing and :func:`note_saved` after.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import Connection, select

from jieneng.core.caller import Actor
from jieneng.core.exceptions import Conflict
from jieneng.core.reporting.periods import Period
from jieneng.core.reporting.tasks import Action, ActorRole, TaskState
from jieneng.services.accounts import audit
from jieneng.services.workflow.access import (
    LOCKED_STATES,
    SAVE_FROM,
    now,
)
from jieneng.storage import reporting as store
from jieneng.storage import tables


def check_unlocked(conn: Connection, keys: pl.DataFrame) -> None:
    """In a figure-writing transaction: :class:`Conflict` when any ``(institution_id,
    year, month)`` of ``keys`` belongs to a submitted or approved task (one query).

    Only the keys of years that have a reporting period are staged (no task covers
    the others): a first import of a year stages nothing, where 100,000 keys took a
    third of a second on SQLite."""
    p = tables.reporting_period
    years = [int(y) for y in conn.execute(select(p.c.year).distinct()).scalars()]
    store.stage_keys(conn, keys.filter(pl.col("year").is_in(years)))
    locked = store.locked_keys(conn, LOCKED_STATES)
    if not locked:
        return
    names_zh = "；".join(
        f"{r['name']}（{r['credit_code']}）{_key_label(r, 'zh')}：{TaskState(r['state']).label()}"
        for r in locked[:10])
    names_en = "; ".join(
        f"{r['name']} ({r['credit_code']}) {_key_label(r, 'en')}: "
        f"{TaskState(r['state']).label('en')}" for r in locked[:10])
    details = [{"credit_code": r["credit_code"], "year": r["year"], "month": r["month"],
                "task_id": r["task_id"], "state": r["state"]} for r in locked]
    names = {"names_zh": names_zh, "names_en": names_en}
    if len(locked) > 10:
        raise Conflict.of("workflow.figures_locked_more", locked=details, count=len(locked),
                          more=len(locked) - 10, values=names)
    raise Conflict.of("workflow.figures_locked", locked=details, values=names)


def _key_label(row: dict[str, Any], lang: str) -> str:
    period = Period(int(row["year"]), int(row["period_month"]) or None)
    kind = period.kind.label(lang)
    return f"{period.label(lang)}{kind}" if lang == "zh" else f"{kind} {period.label(lang)}"


def note_saved(conn: Connection, actor: Actor | None) -> int:
    """After figures of the staged keys (:func:`check_unlocked`) were written: their
    ``not_started`` / ``returned`` tasks move to ``in_progress`` (the ``save`` action,
    set-based), with history rows and one audit entry."""
    moved = store.start_tasks(
        conn, SAVE_FROM, TaskState.IN_PROGRESS.value, action=Action.SAVE.value,
        actor_user_id=actor.user_id if actor else None, actor_role=ActorRole.FILER.value,
        at=now())
    if moved:
        audit.record(conn, actor or Actor.cli(), "reporting.save", "reporting_task", None,
                     after={"tasks": moved, "state": TaskState.IN_PROGRESS.value})
    return moved
