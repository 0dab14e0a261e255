"""Notices: a return, a reopen, a reviewer's question and its answer reach the person
who must act.

- **in-app**, in the transaction of the move itself (:func:`announce_moves`,
  :func:`announce_question`, :func:`announce_answer`): one ``notification`` row per
  account that files for the task's unit (:func:`jieneng.storage.notify.task_filers`:
  the unit's own accounts; none — its 主管部门's; none — the lowest region's that has
  accounts), never the actor; an answer goes to the account that asked. The top
  bar's bell counts them (``/notifications``).
- **e-mail / group robots**: queued in the move's transaction (:func:`queue`, the
  outbox) for the channels of the institution's region and the regions above it
  (:func:`jieneng.services.notifications.channels.channels_for_region`), one message
  per channel (several notices to one channel as one digest); delivered after the
  commit by the outbox's worker (:func:`deliver` wakes it), retried with backoff; a
  failing channel is recorded and never undoes the move.
- **the entry form's banner** (:func:`entry_notices`): the tasks covering a month of
  an institution, each with its last return or reopen (reason, who, when) and its
  unanswered questions.

Texts come from the catalogue (``notify.returned.*``, ``notify.question.*``, …): the
title in Chinese, the body in Chinese and English, as the reminders write them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.caller import User
from jieneng.core.carriers import carrier
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.messages import text
from jieneng.core.reporting.periods import Period
from jieneng.services.notifications import notify, outbox
from jieneng.services.notifications.channels import channels_for_region, load_tree
from jieneng.services.notifications.notify import Channel, Message
from jieneng.services.scope import visible_institution
from jieneng.settings import Settings
from jieneng.storage import notify as notify_store
from jieneng.storage import task_notices as store

log = logging.getLogger(__name__)

#: the moves that send a task back to its filer, with the notification kind
MOVE_KINDS: dict[str, str] = {"return": "returned", "dept_return": "returned",
                              "region_return": "returned",
                              "reopen": "reopened"}
LANGS = ("zh-CN", "en")


@dataclass(frozen=True, slots=True)
class Notice:
    """A message for the channels of a region (sent after the commit)."""

    region_code: str
    message: Message


def _period(task: dict[str, Any], lang: str) -> str:
    month = int(task["month"])
    if month == 0:
        return text(lang, "notify.reminder.annual", year=task["year"])
    return text(lang, "notify.reminder.monthly", year=task["year"], month=month)


def entry_link(task: dict[str, Any]) -> str:
    """Where the filer fixes the figures: the month's entry form (a 年报: its task)."""
    if int(task["month"]) == 0:
        return task_link(int(task["id"]))
    return f"/entry/{task['credit_code']}/{task['year']}/{task['month']}"


def task_link(task_id: int) -> str:
    return f"/reporting/tasks/{task_id}"


def _message(key: str, task: dict[str, Any], link: str, **values: Any) -> Message:
    def say(part: str, lang: str) -> str:
        return text(lang, f"{key}.{part}", period=_period(task, lang),
                    institution=task["name"], **values)

    return Message(title=say("title", "zh-CN"),
                   body="\n".join(say("body", lang) for lang in LANGS), link=link)


def announce_moves(conn: Connection, task_ids: Sequence[int], action: str, *,
                   reason: str | None, actor: User, at: datetime) -> list[Notice]:
    """In-app notices of a return or reopen of tasks (in the move's transaction); the
    messages for the channels are returned. Other actions announce nothing."""
    kind = MOVE_KINDS.get(action)
    if kind is None or not task_ids:
        return []
    tasks = store.task_brief(conn, task_ids)
    users = notify_store.task_filers(conn, task_ids, exclude_user=actor.id)
    out: list[Notice] = []
    rows: list[dict[str, Any]] = []
    for task in tasks:
        message = _message(f"notify.{kind}", task, entry_link(task),
                           actor=actor.display_name, reason=reason or "—")
        rows += notify.notification_rows(users.get(int(task["id"]), []), kind=kind,
                                         message=message, at=at)
        out.append(Notice(str(task["region_code"]), message))
    notify_store.insert_notifications(conn, rows)
    queue(conn, out, at=at)
    return out


def _carrier_names(code: str) -> tuple[str, str]:
    try:
        found = carrier(code)
    except ValidationFailed:
        return code, code
    return found.name_zh, found.name_en


def announce_question(conn: Connection, task_id: int, *, month: int, carrier_code: str,
                      question: str, actor: User, at: datetime) -> list[Notice]:
    """The filers of the task learn of a reviewer's question (in-app, channels)."""
    tasks = store.task_brief(conn, [task_id])
    if not tasks:
        return []
    task = tasks[0]
    names = _carrier_names(carrier_code)
    users = notify_store.task_filers(conn, [task_id], exclude_user=actor.id)
    message = Message(
        title=text("zh-CN", "notify.question.title", period=_period(task, "zh-CN"),
                   institution=task["name"]),
        body="\n".join(text(lang, "notify.question.body", actor=actor.display_name,
                            month=month, carrier=names[n], question=question,
                            institution=task["name"], period=_period(task, lang))
                       for n, lang in enumerate(LANGS)),
        link=task_link(task_id))
    notify.notify_users(conn, users.get(task_id, []), kind="question", message=message, at=at)
    notices = [Notice(str(task["region_code"]), message)]
    queue(conn, notices, at=at)
    return notices


def announce_answer(conn: Connection, task_id: int, *, asked_by: int | None, question: str,
                    answer: str, actor: User, at: datetime) -> None:
    """The reviewer who asked learns of the answer (in-app only)."""
    tasks = store.task_brief(conn, [task_id])
    if asked_by is None or not tasks or asked_by == actor.id:
        return
    message = _message("notify.answered", tasks[0], task_link(task_id),
                       actor=actor.display_name, question=question, answer=answer)
    notify.notify_users(conn, store.active_users(conn, [asked_by]), kind="answer",
                        message=message, at=at)


def queue(conn: Connection, notices: Sequence[Notice], *, at: datetime) -> None:
    """Queue the notices for their regions' channels in the move's transaction (the
    outbox, :mod:`jieneng.services.notifications.outbox`): one message per channel,
    several notices to one channel as one digest."""
    if not notices:
        return
    tree = load_tree(conn)
    by_region = {code: channels_for_region(conn, code, tree=tree)
                 for code in {n.region_code for n in notices} if code in tree}
    per_channel: dict[str, list[Message]] = defaultdict(list)
    channels: dict[str, Channel] = {}
    for notice in notices:
        for channel in by_region.get(notice.region_code, []):
            channels[channel.key] = channel
            per_channel[channel.key].append(notice.message)
    for key, messages in per_channel.items():
        message = messages[0] if len(messages) == 1 else _digest(messages)
        outbox.enqueue(conn, [channels[key]], message, at=at)


def deliver(engine: Engine, settings: Settings, notices: Sequence[Notice]) -> None:
    """After the commit: the notices' channel messages are in the outbox already; the
    app's worker is woken to deliver them now (``jieneng notify deliver`` otherwise)."""
    del engine, settings
    if notices:
        outbox.wake()


def _digest(messages: list[Message]) -> Message:
    return Message(title=text("zh-CN", "notify.digest.title", count=len(messages),
                              first=messages[0].title),
                   body="\n\n".join(m.text for m in messages[:30]), link=messages[0].link)


# ---------------------------------------------------------------- the entry form's banner


def entry_notices(engine: Engine, user: User, credit_code: str, year: int, month: int
                  ) -> list[dict[str, Any]]:
    """The tasks covering an institution's month that ask something of the filer: a
    task returned or reopened and not submitted since (with the reason, who and when)
    or with unanswered questions (of that month). An institution unknown or outside
    the caller's scope is :class:`~jieneng.core.exceptions.NotFound`."""
    with engine.connect() as conn:
        institution_id = int(visible_institution(conn, user.scope, credit_code).id)
        tasks = store.covering_tasks(conn, institution_id, year, month)
        ids = [int(t["id"]) for t in tasks]
        moves = store.last_moves(conn, ids, (*MOVE_KINDS, "submit"))
        asked = store.open_questions(conn, ids, month=month)
    by_task: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for q in asked:
        names = _carrier_names(str(q["carrier"]))
        by_task[int(q["task_id"])].append({
            "id": q["id"], "month": q["month"], "carrier": q["carrier"],
            "carrier_zh": names[0], "carrier_en": names[1], "question": q["question"],
            "asked_by": q["asked_by"], "asked_at": q["asked_at"].isoformat()})
    out: list[dict[str, Any]] = []
    for task in tasks:
        tid = int(task["id"])
        move = moves.get(tid)
        # sent back and not submitted since: the reason still stands
        sent_back = (move is not None and move["action"] in MOVE_KINDS
                     and task["state"] in ("returned", "in_progress"))
        if not sent_back and not by_task[tid]:
            continue
        period = Period(int(task["year"]), int(task["month"]) or None)
        out.append({
            "task_id": tid, "state": task["state"], "kind": task["kind"],
            "period": period.format(), "period_label": period.label(),
            "deadline": task["deadline"].isoformat(), "link": task_link(tid),
            "returned": None if not sent_back or move is None else {
                "action": move["action"], "reason": move["reason"],
                "by": move["display_name"] or move["username"],
                "at": move["at"].isoformat()},
            "questions": by_task[tid]})
    return out


__all__ = ["MOVE_KINDS", "Notice", "announce_answer", "announce_moves", "announce_question",
           "deliver", "entry_link", "entry_notices", "queue", "task_link"]
