"""Reporting reminders (催报): before the deadline, on it, and every day it is overdue.

``jieneng remind [--date D] [--dry-run]`` runs :func:`run_reminders` once a day
(cron). For the day ``D``, every task that still owes its report (state
未录入 ``not_started``, 录入中 ``in_progress`` or 已退回 ``returned``) of a period
whose deadline is

- exactly ``remind_days_before`` days after ``D`` (default 3) — 即将截止,
- ``D`` itself — 今日截止,
- 1 … ``remind_overdue_days`` days before ``D`` (default 14) — 已逾期, every day,

gets reminded:

- **in-app** (channel ``app``): every account that files for the unit
  (:func:`jieneng.storage.notify.task_filers`: the unit's own accounts; none — its
  主管部门's; none — the lowest region's that has accounts), one notification per
  account per day (a digest when it files for several units);
- **region channels** (channel ``ch:<id>``): every channel of the institution's
  region and of the regions above it gets **one digest message per day** listing
  the institutions of its subtree that have not reported, grouped by period; it is
  queued in the outbox (``reminder_log`` status ``queued``) and delivered after the
  commit, which then records ``sent`` / ``failed`` / ``skipped`` on those rows.

**Never twice** for the same (task, day, channel): before sending anything a run
inserts its (task, day, channel) rows into ``reminder_log`` in one set-based
``INSERT … ON CONFLICT DO NOTHING RETURNING`` and commits; it sends only what it
inserted. A second run the same day (or a concurrent one) inserts nothing and
sends nothing. The rows start ``pending``, channel rows are ``queued`` with their
digest, and end ``sent``, ``failed`` (after the retries, with every attempt's error)
or ``skipped`` (e-mail without an SMTP server). The claim is at-most-once: a run
killed between claim and queueing leaves ``pending`` rows, and that day's reminder is
not sent again.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from jieneng.core import chinatime
from jieneng.core.caller import User
from jieneng.core.exceptions import Conflict, NotFound, ValidationFailed
from jieneng.core.messages import text
from jieneng.core.permissions import Capability, require
from jieneng.services.accounts import audit
from jieneng.services.notifications import notify, outbox
from jieneng.services.notifications.channels import channels_for_region, load_tree
from jieneng.services.notifications.notify import Channel, Message, Sleep
from jieneng.services.scope import scoped_filters
from jieneng.services.workflow.access import visible_task
from jieneng.settings import Settings
from jieneng.storage import notify as store
from jieneng.storage import reporting as reporting_store
from jieneng.storage import task_notices as task_store
from jieneng.storage.notify import PendingTask

APP = "app"
#: institutions listed one by one in a digest; the rest are counted
DIGEST_LINES = 30
LINK = "/entry"
#: tasks one 催报 from the web may cover
MAX_REMIND = 2000


@dataclass(frozen=True, slots=True)
class Due:
    """A task to remind on a day, and why: ``days`` until the deadline (< 0: overdue)."""

    task: PendingTask
    days: int

    @property
    def stage(self) -> str:
        return "before" if self.days > 0 else "due" if self.days == 0 else "overdue"


@dataclass(slots=True)
class Sent:
    """One line of a run's report: a channel and what went through it."""

    channel: str
    kind: str
    target: str
    tasks: int
    status: str
    recipients: int = 0
    attempts: int = 0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "kind": self.kind, "target": self.target,
                "tasks": self.tasks, "recipients": self.recipients, "status": self.status,
                "attempts": self.attempts, "error": self.error}


@dataclass(slots=True)
class ReminderRun:
    day: date
    dry_run: bool
    due: int = 0
    lines: list[Sent] = field(default_factory=list)
    #: the tasks this run reminded on at least one channel
    claimed: set[int] = field(default_factory=set)
    #: the tasks nobody could be reminded of (no account, no channel)
    unreachable: set[int] = field(default_factory=set)
    #: the tasks only the actor of a web 催报 files for (and no channel serves)
    own: set[int] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "dry_run": self.dry_run, "due": self.due,
                "sent": [s.to_dict() for s in self.lines]}


def _both(key: str, **values: Any) -> tuple[str, str]:
    """The catalogue's ``key`` in Chinese and in English."""
    return text("zh-CN", key, **values), text("en", key, **values)


def period_label(task: PendingTask) -> tuple[str, str]:
    if task.period_kind == "annual":
        return _both("notify.reminder.annual", year=task.year)
    return _both("notify.reminder.monthly", year=task.year, month=task.month)


def when_label(days: int) -> tuple[str, str]:
    if days > 0:
        return _both("notify.reminder.due_in", days=days)
    if days == 0:
        return _both("notify.reminder.due_today")
    return _both("notify.reminder.overdue", days=-days)


def state_label(state: str) -> tuple[str, str]:
    """A task state as the reporting pages name it (``reporting.state.*``)."""
    return _both(f"reporting.state.{state}")


def due_tasks(engine: Engine, day: date, settings: Settings) -> list[Due]:
    """The tasks to remind on ``day`` (see the module's rule)."""
    before, overdue = settings.remind_days_before, settings.remind_overdue_days
    with engine.connect() as conn:
        tasks = store.pending_tasks(conn, first_deadline=day - timedelta(days=overdue),
                                    last_deadline=day + timedelta(days=before))
    out: list[Due] = []
    for task in tasks:
        days = (task.deadline - day).days
        if days == before or days <= 0:
            out.append(Due(task, days))
    return out


def task_message(due: Due) -> Message:
    """The in-app reminder of one task."""
    task = due.task
    period, when, state = period_label(task), when_label(due.days), state_label(task.state)
    values = {"institution": task.institution_name, "deadline": task.deadline.isoformat()}
    title = text("zh-CN", "notify.reminder.title", period=period[0], when=when[0], **values)
    body = "\n".join(
        text(lang, "notify.reminder.body", period=period[i], when=when[i], state=state[i],
             **values)
        for i, lang in enumerate(("zh-CN", "en")))
    link = LINK if task.month == 0 else f"{LINK}/{task.credit_code}/{task.year}/{task.month}"
    return Message(title=title, body=body, link=link)


def digest_message(day: date, dues: list[Due]) -> Message:
    """One channel's digest of a day: the institutions not yet reported, by period."""
    by_period: dict[int, list[Due]] = defaultdict(list)
    for due in dues:
        by_period[due.task.period_id].append(due)
    lines: list[str] = []
    listed = 0
    for items in by_period.values():
        first = items[0]
        period, when = period_label(first.task), when_label(first.days)
        lines.append(text("zh-CN", "notify.reminder.digest_period", period_zh=period[0],
                          when_zh=when[0], period_en=period[1], when_en=when[1],
                          deadline=first.task.deadline.isoformat(), count=len(items)))
        for due in items:
            if listed >= DIGEST_LINES:
                break
            lines.append(text("zh-CN", "notify.reminder.digest_line",
                              institution=due.task.institution_name,
                              credit_code=due.task.credit_code,
                              state=state_label(due.task.state)[0]))
            listed += 1
    if len(dues) > listed:
        lines.append(text("zh-CN", "notify.reminder.digest_more", count=len(dues) - listed))
    title = text("zh-CN", "notify.reminder.digest_title", day=day.isoformat(), count=len(dues))
    return Message(title=title, body="\n".join(lines), link=LINK)


def run_reminders(
    engine: Engine, settings: Settings, *, day: date | None = None, dry_run: bool = False,
    sleep: Sleep = time.sleep,
) -> ReminderRun:
    """Send the reminders of ``day`` (default today, UTC) that were not sent yet."""
    day = day or chinatime.today()
    return send(engine, settings, day, due_tasks(engine, day, settings), dry_run=dry_run,
                sleep=sleep)


def send(
    engine: Engine, settings: Settings, day: date, dues: list[Due], *, dry_run: bool = False,
    sleep: Sleep = time.sleep, actor: int | None = None,
) -> ReminderRun:
    """Remind ``dues`` on ``day``: claim (task, day, channel) first, then — in one
    transaction — the in-app notifications and the channels' digests into the outbox
    (delivered after the commit: :mod:`jieneng.services.notifications.outbox`). The
    ``actor`` of a 催报 from the web is not reminded by it."""
    del settings, sleep  # delivery is the outbox's (its retries, its settings)
    run = ReminderRun(day=day, dry_run=dry_run)
    run.due = len(dues)
    if not dues:
        return run
    by_task = {d.task.task_id: d for d in dues}
    with engine.connect() as conn:
        filed = store.task_filers(conn, by_task)  # the actor is left out below, not here:
        users = {tid: [u for u in found if u != actor]  # what it files for is not unreachable
                 for tid, found in filed.items()}
        tree = load_tree(conn)
        region_channels: dict[str, list[Channel]] = {}
        for code in {d.task.region_code for d in dues}:
            region_channels[code] = channels_for_region(conn, code, tree=tree)
        done = store.logged_keys(conn, day, by_task)
    channels: dict[str, Channel] = {}
    wanted: set[tuple[int, str]] = set()
    for due in dues:
        if users.get(due.task.task_id):
            wanted.add((due.task.task_id, APP))
        for channel in region_channels[due.task.region_code]:
            channels[channel.key] = channel
            wanted.add((due.task.task_id, channel.key))
    now = datetime.now(UTC)
    if dry_run:
        mine = wanted - done
    else:
        with engine.begin() as conn:  # the claim: committed before anything is sent
            mine = store.claim_reminders(conn, day, wanted, now)
    run.claimed = {task_id for task_id, _ in mine}
    reached = {task_id for task_id, _ in wanted}
    run.unreachable = set(by_task) - reached - set(filed)
    run.own = set(filed) - reached
    per_channel: dict[str, list[int]] = defaultdict(list)
    for task_id, key in sorted(mine):
        per_channel[key].append(task_id)
    app_tasks = per_channel.pop(APP, [])
    rows: list[dict[str, Any]] = []
    if app_tasks:
        rows = _app_rows(day, [by_task[tid] for tid in app_tasks], users, now)
        run.lines.append(Sent(channel=APP, kind="app", target="", tasks=len(app_tasks),
                              recipients=len({r["user_id"] for r in rows}),
                              status="dry-run" if dry_run else "sent",
                              attempts=0 if dry_run else 1))
    keys = sorted(per_channel, key=lambda k: int(k.split(":")[1]))
    for key in keys:
        channel = channels[key]
        run.lines.append(Sent(channel=key, kind=channel.kind, target=channel.masked,
                              tasks=len(per_channel[key]), recipients=1,
                              status="dry-run" if dry_run else "queued"))
    if dry_run:
        return run
    with engine.begin() as conn:
        if app_tasks:
            store.insert_notifications(conn, rows)
            store.record_outcome(conn, day, APP, app_tasks, status="sent", attempts=1,
                                 error=None, at=now)
        for key in keys:
            task_ids = per_channel[key]
            outbox.enqueue(conn, [channels[key]],
                           digest_message(day, [by_task[tid] for tid in task_ids]),
                           ref={"reminder": {"day": day.isoformat(), "tasks": task_ids}},
                           at=now)
            store.record_outcome(conn, day, key, task_ids, status="queued", attempts=0,
                                 error=None, at=now)
    if keys:
        outbox.wake()
    return run


def _app_rows(day: date, dues: list[Due], users: dict[int, list[int]], at: datetime
              ) -> list[dict[str, Any]]:
    """The in-app reminders: each filer one notification a day — the task's own, or a
    digest when the account files for several units (a county office for its units
    without accounts) — built from the recipients' one query, inserted at once."""
    per_user: dict[int, list[Due]] = defaultdict(list)
    for due in dues:
        for uid in users.get(due.task.task_id, []):
            per_user[uid].append(due)
    rows: list[dict[str, Any]] = []
    for uid, mine in per_user.items():
        message = task_message(mine[0]) if len(mine) == 1 else digest_message(day, mine)
        rows += notify.notification_rows([uid], kind="reminder", message=message, at=at)
    return rows


# ---------------------------------------------------------------- 催报 from the web


def remind(
    engine: Engine, settings: Settings, user: User, *, task_ids: Sequence[int] = (),
    period_id: int | None = None, day: date | None = None, sleep: Sleep = time.sleep,
) -> dict[str, Any]:
    """催报 from the web by a reviewer: the given tasks (each in the caller's scope and
    still owed), or — ``period_id`` without tasks — every task of the period in scope
    still owed after its deadline. Sent as the daily run sends (:func:`send`): in-app
    to the institutions' accounts and a digest to each region channel, never twice
    the same day on the same channel; recorded in ``reminder_log`` and the audit log."""
    require(user, Capability.REVIEW)
    day = day or chinatime.today()
    ids = sorted(set(task_ids))
    if len(ids) > MAX_REMIND:
        raise ValidationFailed.of("reminders.too_many", limit=MAX_REMIND)
    with engine.connect() as conn:
        if ids:
            for task_id in ids:
                task = visible_task(conn, user, task_id)
                if task["state"] not in task_store.OWED_STATES:
                    raise Conflict.of("reminders.task_not_owed", task_id=task_id)
        elif period_id is not None:
            if reporting_store.get_period(conn, period_id) is None:
                raise NotFound.of("reminders.period_not_found", period_id=period_id)
            ids = task_store.owed_tasks(conn, scoped_filters(conn, user.scope),
                                        period_id=period_id, before=day)[:MAX_REMIND]
        else:
            raise ValidationFailed.of("reminders.nothing_selected", field="task_ids")
        briefs = task_store.task_brief(conn, ids)
    dues = [Due(_pending(b), (b["deadline"] - day).days) for b in briefs]
    run = send(engine, settings, day, dues, sleep=sleep, actor=user.id)
    if dues:
        with engine.begin() as conn:
            audit.record(conn, user.actor, "reporting.remind", "reporting_task", None,
                         after={"day": day.isoformat(), "tasks": ids,
                                "reminded": sorted(run.claimed)})
    app = next((line for line in run.lines if line.channel == APP), None)
    return {"day": day.isoformat(), "tasks": len(dues), "reminded": len(run.claimed),
            "already": len(dues) - len(run.claimed) - len(run.unreachable) - len(run.own),
            "unreachable": len(run.unreachable), "own": len(run.own),
            "recipients": app.recipients if app else 0,
            "sent": [line.to_dict() for line in run.lines]}


def _pending(brief: dict[str, Any]) -> PendingTask:
    return PendingTask(task_id=int(brief["id"]), state=brief["state"],
                       period_id=int(brief["period_id"]), period_kind=brief["kind"],
                       year=int(brief["year"]), month=int(brief["month"]),
                       deadline=brief["deadline"], institution_id=int(brief["institution_id"]),
                       credit_code=brief["credit_code"], institution_name=brief["name"],
                       region_code=brief["region_code"])


__all__ = ["Due", "ReminderRun", "Sent", "digest_message", "due_tasks", "remind",
           "run_reminders", "send", "task_message"]
