"""SQL of notifications: in-app rows, who files for a unit, region channels, the
outbox of channel messages, and the reminder log.

The reminder log is claimed **insert-first**: :func:`claim_reminders` inserts
every (task, day, channel) row it is given with ``ON CONFLICT DO NOTHING
RETURNING`` and answers only the rows it inserted, so two concurrent runs can
never both own (and send) the same reminder (the table's primary key decides).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    and_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from . import tables as t

#: task states that still owe a report (reminders go to these)
PENDING_STATES: tuple[str, ...] = ("not_started", "in_progress", "returned")


# ---------------------------------------------------------------- in-app


def insert_notifications(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert in-app notifications (``user_id``, ``kind``, ``title``, ``body``, ``link``,
    ``created_at``); returns how many."""
    if not rows:
        return 0
    conn.execute(insert(t.notification), list(rows))
    return len(rows)


def list_notifications(
    conn: Connection, user_id: int, *, offset: int = 0, limit: int = 50, unread_only: bool = False
) -> Sequence[Row[Any]]:
    """A user's notifications, newest first."""
    n = t.notification
    query = select(n).where(n.c.user_id == user_id)
    if unread_only:
        query = query.where(n.c.read_at.is_(None))
    query = query.order_by(n.c.created_at.desc(), n.c.id.desc()).offset(offset).limit(limit)
    return conn.execute(query).all()


def count_notifications(conn: Connection, user_id: int, *, unread_only: bool = False) -> int:
    n = t.notification
    query = select(func.count()).select_from(n).where(n.c.user_id == user_id)
    if unread_only:
        query = query.where(n.c.read_at.is_(None))
    return int(conn.execute(query).scalar_one())


def mark_read(conn: Connection, user_id: int, ids: Iterable[int] | None, at: datetime) -> int:
    """Mark the user's own notifications read (``ids`` None: all of them); returns how many.

    Ids of other users' notifications are ignored (the condition names the user).
    """
    n = t.notification
    cond = and_(n.c.user_id == user_id, n.c.read_at.is_(None))
    if ids is not None:
        id_list = list(ids)
        if not id_list:
            return 0
        cond = and_(cond, n.c.id.in_(id_list))
    return conn.execute(update(n).where(cond).values(read_at=at)).rowcount


# ---------------------------------------------------------------- channels


def list_channels(conn: Connection) -> Sequence[Row[Any]]:
    c = t.notify_channel
    return conn.execute(select(c).order_by(c.c.region_code, c.c.id)).all()


def channels_of_regions(conn: Connection, codes: Iterable[str]) -> Sequence[Row[Any]]:
    """Enabled channels attached to any of ``codes``."""
    c = t.notify_channel
    code_list = sorted(set(codes))
    if not code_list:
        return []
    return conn.execute(
        select(c).where(c.c.region_code.in_(code_list), c.c.enabled.is_(True))
        .order_by(c.c.id)
    ).all()


def get_channel(conn: Connection, channel_id: int) -> Row[Any] | None:
    c = t.notify_channel
    return conn.execute(select(c).where(c.c.id == channel_id)).one_or_none()


def insert_channel(conn: Connection, *, region_code: str, kind: str, target: str,
                   enabled: bool = True) -> int:
    c = t.notify_channel
    result = conn.execute(
        insert(c).values(region_code=region_code, kind=kind, target=target, enabled=enabled)
        .returning(c.c.id)
    )
    return int(result.scalar_one())


def set_channel_enabled(conn: Connection, channel_id: int, enabled: bool) -> int:
    c = t.notify_channel
    return conn.execute(update(c).where(c.c.id == channel_id).values(enabled=enabled)).rowcount


def delete_channel(conn: Connection, channel_id: int) -> int:
    c = t.notify_channel
    return conn.execute(delete(c).where(c.c.id == channel_id)).rowcount


# ---------------------------------------------------------------- the outbox


def insert_outbox(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Record channel messages to deliver after the commit (``channel_id``, ``kind``,
    ``title``, ``body``, ``link``, ``ref``, ``created_at``): ``pending``, due at once."""
    if rows:
        conn.execute(insert(t.notify_outbox), [
            {"status": "pending", "attempts": 0, "next_at": r["created_at"], "error": None,
             "link": None, "ref": None, **r} for r in rows])


def due_outbox(conn: Connection, now: datetime, limit: int) -> Sequence[Row[Any]]:
    """Deliveries due at ``now``: pending ones whose time has come and ``sending`` ones
    whose lease ran out (a worker died), oldest first."""
    o = t.notify_outbox
    return conn.execute(
        select(o).where(o.c.status.in_(("pending", "sending")), o.c.next_at <= now)
        .order_by(o.c.next_at, o.c.id).limit(limit)).all()


def claim_outbox(conn: Connection, outbox_id: int, now: datetime, lease_until: datetime
                 ) -> bool:
    """Take one due delivery for this worker (``sending`` until ``lease_until``): True
    when this call changed it — a concurrent worker that read the same row finds it no
    longer due and loses."""
    o = t.notify_outbox
    return conn.execute(
        update(o).where(o.c.id == outbox_id, o.c.status.in_(("pending", "sending")),
                        o.c.next_at <= now)
        .values(status="sending", next_at=lease_until)).rowcount == 1


def finish_outbox(conn: Connection, outbox_id: int, **values: Any) -> None:
    """Store a delivery attempt's outcome (``status``, ``attempts``, ``error``, ``next_at``,
    ``done_at``)."""
    o = t.notify_outbox
    conn.execute(update(o).where(o.c.id == outbox_id).values(**values))


def outbox_entries(conn: Connection, *, status: str | None = None, limit: int = 200
                   ) -> Sequence[Row[Any]]:
    """The newest deliveries (of one ``status`` when given)."""
    o = t.notify_outbox
    query = select(o).order_by(o.c.id.desc()).limit(limit)
    if status is not None:
        query = query.where(o.c.status == status)
    return conn.execute(query).all()


# ---------------------------------------------------------------- reminders


@dataclass(frozen=True, slots=True)
class PendingTask:
    """A task that still owes its report, with what a reminder needs to say."""

    task_id: int
    state: str
    period_id: int
    period_kind: str
    year: int
    month: int
    deadline: date
    institution_id: int
    credit_code: str
    institution_name: str
    region_code: str


def pending_tasks(conn: Connection, *, first_deadline: date, last_deadline: date
                  ) -> list[PendingTask]:
    """Tasks not yet submitted whose period's deadline lies in [first, last]."""
    task, period, inst = t.reporting_task, t.reporting_period, t.institution
    query = (
        select(task.c.id, task.c.state, period.c.id.label("period_id"), period.c.kind,
               period.c.year, period.c.month, period.c.deadline, inst.c.id.label("iid"),
               inst.c.credit_code, inst.c.name, inst.c.region_code)
        .select_from(task.join(period, period.c.id == task.c.period_id)
                     .join(inst, inst.c.id == task.c.institution_id))
        .where(task.c.state.in_(PENDING_STATES),
               period.c.deadline >= first_deadline, period.c.deadline <= last_deadline)
        .order_by(period.c.deadline, period.c.id, inst.c.region_code, inst.c.credit_code)
    )
    return [
        PendingTask(task_id=r.id, state=r.state, period_id=r.period_id, period_kind=r.kind,
                    year=r.year, month=r.month, deadline=r.deadline, institution_id=r.iid,
                    credit_code=r.credit_code, institution_name=r.name,
                    region_code=r.region_code)
        for r in conn.execute(query)
    ]


def institution_users(conn: Connection, institution_ids: Iterable[int]) -> dict[int, list[int]]:
    """institution id → ids of its unlocked 公共机构 (institution-role) accounts."""
    u = t.app_user
    ids = sorted(set(institution_ids))
    out: dict[int, list[int]] = {}
    if not ids:
        return out
    rows = conn.execute(
        select(u.c.institution_id, u.c.id)
        .where(u.c.role == "institution", u.c.institution_id.in_(ids), u.c.is_locked.is_(False))
        .order_by(u.c.id)
    )
    for iid, uid in rows:
        out.setdefault(int(iid), []).append(int(uid))
    return out


#: accounts that file for their own unit (a department account is pinned to the
#: department, which is a unit too)
OWN_ROLES: tuple[str, ...] = ("institution", "department")
#: region accounts that may enter figures for the units of their subtree
REGION_FILER_ROLES: tuple[str, ...] = ("region", "region_admin")


def task_filers(conn: Connection, task_ids: Iterable[int], *, exclude_user: int | None = None
                ) -> dict[int, list[int]]:
    """task id → the accounts that file for the task's unit ("who files for a unit"):

    1. the unit's own unlocked accounts (``institution``, or ``department`` pinned to it);
    2. none: the unlocked ``department`` accounts of its 主管部门 (``department_id``);
    3. none: the unlocked ``region`` / ``region_admin`` accounts of the **lowest** region
       above or at the unit's region that has any (county before city before province).

    One statement per 1000 tasks (the tiers are a ``UNION ALL`` ranked by a window
    function), never a query per unit. ``exclude_user`` (the actor of a return, say) is
    left out of the answer, not of the ranking: an office that files for a unit and
    returns its report tells nobody else (it knows).
    """
    ids = sorted(set(task_ids))
    out: dict[int, list[int]] = {}
    for start in range(0, len(ids), 1000):
        for tid, uid in conn.execute(_filers_query(ids[start:start + 1000], exclude_user)):
            out.setdefault(int(tid), []).append(int(uid))
    return out


def _filers_query(task_ids: list[int], exclude_user: int | None) -> Any:
    task, inst, u, region = t.reporting_task, t.institution, t.app_user, t.region
    units = (select(task.c.id.label("tid"), inst.c.id.label("iid"),
                    inst.c.region_code, inst.c.department_id)
             .select_from(task.join(inst, inst.c.id == task.c.institution_id))
             .where(task.c.id.in_(task_ids)).cte("units"))
    usable = u.c.is_locked.is_(False)
    own = (select(units.c.tid, u.c.id.label("uid"), literal(1).label("tier"),
                  literal(0).label("lvl"))
           .select_from(units.join(u, and_(u.c.institution_id == units.c.iid,
                                           u.c.role.in_(OWN_ROLES), usable))))
    dept = (select(units.c.tid, u.c.id, literal(2), literal(0))
            .select_from(units.join(u, and_(u.c.institution_id == units.c.department_id,
                                            u.c.role == "department", usable))))
    own_r, parent, at = region.alias("own_r"), region.alias("parent_r"), region.alias("at_r")
    lineage = or_(u.c.region_code == own_r.c.code, u.c.region_code == own_r.c.parent_code,
                  and_(parent.c.parent_code.is_not(None),
                       u.c.region_code == parent.c.parent_code))
    regional = (select(units.c.tid, u.c.id, literal(3), at.c.level)
                .select_from(units.join(own_r, own_r.c.code == units.c.region_code)
                             .outerjoin(parent, parent.c.code == own_r.c.parent_code)
                             .join(u, and_(lineage, u.c.role.in_(REGION_FILER_ROLES), usable))
                             .join(at, at.c.code == u.c.region_code)))
    cand = union_all(own, dept, regional).subquery("cand")
    ranked = select(cand.c.tid, cand.c.uid, func.rank().over(
        partition_by=cand.c.tid, order_by=(cand.c.tier, cand.c.lvl.desc())).label("rk")
    ).subquery("ranked")
    query = select(ranked.c.tid, ranked.c.uid).where(ranked.c.rk == 1)
    if exclude_user is not None:
        query = query.where(ranked.c.uid != exclude_user)
    return query.order_by(ranked.c.tid, ranked.c.uid)


def logged_keys(conn: Connection, day: date, task_ids: Iterable[int]) -> set[tuple[int, str]]:
    """(task id, channel) already in the log for ``day``."""
    log = t.reminder_log
    ids = sorted(set(task_ids))
    if not ids:
        return set()
    rows = conn.execute(select(log.c.task_id, log.c.channel)
                        .where(log.c.day == day, log.c.task_id.in_(ids)))
    return {(int(a), str(b)) for a, b in rows}


def claim_reminders(
    conn: Connection, day: date, keys: Iterable[tuple[int, str]], at: datetime
) -> set[tuple[int, str]]:
    """Insert (task, ``day``, channel) rows as ``pending``; return the keys this call inserted.

    A key already present (sent earlier, or claimed by a concurrent run) is left
    alone and not returned: one statement, ``ON CONFLICT DO NOTHING RETURNING``.
    """
    rows = [{"task_id": task_id, "day": day, "channel": channel, "status": "pending",
             "attempts": 0, "at": at} for task_id, channel in sorted(set(keys))]
    if not rows:
        return set()
    log = t.reminder_log
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    claimed: set[tuple[int, str]] = set()
    for start in range(0, len(rows), 1000):
        stmt = (dialect_insert(log).values(rows[start:start + 1000])
                .on_conflict_do_nothing(index_elements=["task_id", "day", "channel"])
                .returning(log.c.task_id, log.c.channel))
        claimed.update((int(a), str(b)) for a, b in conn.execute(stmt))
    return claimed


def record_outcome(
    conn: Connection, day: date, channel: str, task_ids: Iterable[int], *, status: str,
    attempts: int, error: str | None, at: datetime,
) -> None:
    """Store the outcome of one delivery for the claimed rows it covered."""
    log = t.reminder_log
    ids = sorted(set(task_ids))
    for start in range(0, len(ids), 1000):
        conn.execute(
            update(log)
            .where(log.c.day == day, log.c.channel == channel,
                   log.c.task_id.in_(ids[start:start + 1000]))
            .values(status=status, attempts=attempts, error=error, at=at)
        )


def log_entries(conn: Connection, day: date | None = None) -> Sequence[Row[Any]]:
    log = t.reminder_log
    query = select(log).order_by(log.c.day, log.c.task_id, log.c.channel)
    if day is not None:
        query = query.where(log.c.day == day)
    return conn.execute(query).all()


__all__ = [
    "PENDING_STATES",
    "PendingTask",
    "channels_of_regions",
    "claim_outbox",
    "claim_reminders",
    "count_notifications",
    "delete_channel",
    "due_outbox",
    "finish_outbox",
    "get_channel",
    "insert_channel",
    "insert_notifications",
    "insert_outbox",
    "institution_users",
    "list_channels",
    "list_notifications",
    "log_entries",
    "logged_keys",
    "mark_read",
    "outbox_entries",
    "pending_tasks",
    "record_outcome",
    "set_channel_enabled",
    "task_filers",
]
