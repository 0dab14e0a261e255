"""Reporting reminders (催报): before the deadline, on it, and every day it is overdue.

``jieneng remind [--date D] [--dry-run]`` runs :func:`run_reminders` once a day
(cron). For the day ``D``, every task that still owes its report (state
未录入 ``not_started``, 录入中 ``in_progress`` or 已退回 ``returned``) of a period
whose deadline is

- exactly ``remind_days_before`` days after ``D`` (default 3) — 即将截止,
- ``D`` itself — 今日截止,
- 1 … ``remind_overdue_days`` days before ``D`` (default 14) — 已逾期, every day,

gets reminded:

- **in-app** (channel ``app``): one notification per 公共机构 account of the
  institution (unlocked ``institution`` role accounts) per task per day;
- **region channels** (channel ``ch:<id>``): every channel of the institution's
  region and of the regions above it gets **one digest message per day** listing
  the institutions of its subtree that have not reported, grouped by period.

**Never twice** for the same (task, day, channel): before sending anything a run
inserts its (task, day, channel) rows into ``reminder_log`` in one set-based
``INSERT … ON CONFLICT DO NOTHING RETURNING`` and commits; it sends only what it
inserted. A second run the same day (or a concurrent one) inserts nothing and
sends nothing. The rows start ``pending`` and end ``sent``, ``failed`` (after
the retries, with every attempt's error) or ``skipped`` (e-mail without an SMTP
server). The claim is at-most-once: a run killed between claim and send leaves
``pending`` rows, and that day's reminder is not sent again.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from jieneng.core.messages import text
from jieneng.services.notifications import notify
from jieneng.services.notifications.channels import channels_for_region, load_tree
from jieneng.services.notifications.notify import Channel, Message, Sleep
from jieneng.settings import Settings
from jieneng.storage import notify as store
from jieneng.storage.notify import PendingTask

APP = "app"
#: institutions listed one by one in a digest; the rest are counted
DIGEST_LINES = 30
LINK = "/entry"


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
    return Message(title=title, body=body, link=LINK)


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
    day = day or datetime.now(UTC).date()
    run = ReminderRun(day=day, dry_run=dry_run)
    dues = due_tasks(engine, day, settings)
    run.due = len(dues)
    if not dues:
        return run
    by_task = {d.task.task_id: d for d in dues}
    with engine.connect() as conn:
        users = store.institution_users(conn, {d.task.institution_id for d in dues})
        tree = load_tree(conn)
        region_channels: dict[str, list[Channel]] = {}
        for code in {d.task.region_code for d in dues}:
            region_channels[code] = channels_for_region(conn, code, tree=tree)
        done = store.logged_keys(conn, day, by_task)
    channels: dict[str, Channel] = {}
    wanted: set[tuple[int, str]] = set()
    for due in dues:
        if users.get(due.task.institution_id):
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
    per_channel: dict[str, list[int]] = defaultdict(list)
    for task_id, key in sorted(mine):
        per_channel[key].append(task_id)

    app_tasks = per_channel.pop(APP, [])
    if app_tasks:
        recipients = sum(len(users[by_task[tid].task.institution_id]) for tid in app_tasks)
        line = Sent(channel=APP, kind="app", target="", tasks=len(app_tasks),
                    recipients=recipients, status="dry-run" if dry_run else "sent")
        if not dry_run:
            with engine.begin() as conn:
                for tid in app_tasks:
                    due = by_task[tid]
                    notify.notify_users(conn, users[due.task.institution_id], kind="reminder",
                                        message=task_message(due), at=now)
                store.record_outcome(conn, day, APP, app_tasks, status="sent", attempts=1,
                                     error=None, at=now)
            line.attempts = 1
        run.lines.append(line)

    for key in sorted(per_channel, key=lambda k: int(k.split(":")[1])):
        channel, task_ids = channels[key], per_channel[key]
        line = Sent(channel=key, kind=channel.kind, target=channel.masked, tasks=len(task_ids),
                    recipients=1, status="dry-run")
        if not dry_run:
            message = digest_message(day, [by_task[tid] for tid in task_ids])
            result = notify.deliver(channel, message, settings, sleep=sleep)
            line.status, line.attempts, line.error = (result.status, len(result.attempts),
                                                      result.error)
            with engine.begin() as conn:
                store.record_outcome(conn, day, key, task_ids, status=result.status,
                                     attempts=len(result.attempts), error=result.error,
                                     at=datetime.now(UTC))
        run.lines.append(line)
    return run


__all__ = ["Due", "ReminderRun", "Sent", "digest_message", "due_tasks", "run_reminders",
           "task_message"]
