"""Overdue reminders of work-plan items, through the existing channels: an in-app
notification to the accounts of the responsible region's office (and of the
responsible institution), and one digest per region channel queued in the outbox
(:mod:`jieneng.services.notifications.outbox`, delivered after the commit) — as the
reporting reminders do (:mod:`jieneng.services.workflow.reminders`). Once per item and
day (``work_plan_reminder``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine

from jieneng.core import chinatime
from jieneng.core.messages import text as say
from jieneng.services.notifications import notify, outbox
from jieneng.services.notifications.channels import channels_for_region, load_tree
from jieneng.services.notifications.notify import Channel, Message
from jieneng.storage import workplans as store


def _message(day: date, items: list[dict[str, Any]]) -> Message:
    lines = [say("zh-CN", "workplans.remind.line", item=i["item_no"], text=i["text"][:60],
                 deadline=i["deadline"].isoformat(), days=(day - i["deadline"]).days)
             for i in items[:20]]
    title = (say("zh-CN", "workplans.remind.title", count=len(items)) + " / "
             + say("en", "workplans.remind.title", count=len(items)))
    return Message(title=title, body="\n".join(lines),
                   link=f"/workplans/{items[0]['plan_id']}" if items else None)


def remind_overdue(engine: Engine, *, as_of: date | None = None, dry_run: bool = False
                   ) -> dict[str, Any]:
    """Remind the responsible parties of every item overdue on ``as_of`` not reminded
    that day; returns what was (or, dry run, would be) sent."""
    day = as_of or chinatime.today()
    with engine.connect() as conn:
        due = store.open_items_due(conn, day)
        done = store.reminded(conn, [int(i["id"]) for i in due], day)
        due = [i for i in due if int(i["id"]) not in done]
        users = store.responsible_users(
            conn, sorted({i["responsible_region"] for i in due}),
            sorted({int(i["institution_id"]) for i in due if i["institution_id"]}))
        tree = load_tree(conn)
        channels: dict[str, list[Channel]] = {
            code: channels_for_region(conn, code, tree=tree)
            for code in {i["responsible_region"] for i in due}}
    per_user: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for item in due:
        for u in users:
            if ((u["region_code"] == item["responsible_region"] and u["institution_id"] is None)
                    or (item["institution_id"] and u["institution_id"] == item["institution_id"])):
                per_user[u["id"]].append(item)
    per_channel: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_key: dict[str, Channel] = {}
    for item in due:
        for ch in channels[item["responsible_region"]]:
            per_channel[ch.key].append(item)
            by_key[ch.key] = ch
    out = {"day": day.isoformat(), "overdue": len(due), "users": len(per_user),
           "channels": len(per_channel), "dry_run": dry_run,
           "items": [{"id": i["id"], "item_no": i["item_no"], "plan_id": i["plan_id"],
                      "responsible_region": i["responsible_region"],
                      "deadline": i["deadline"].isoformat()} for i in due]}
    if dry_run or not due:
        return out
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for uid, mine in per_user.items():
            notify.notify_users(conn, [uid], kind="reminder", message=_message(day, mine),
                                at=now)
        for key, mine in per_channel.items():
            outbox.enqueue(conn, [by_key[key]], _message(day, mine),
                           ref={"workplan_reminder": {"day": day.isoformat(),
                                                      "items": [i["id"] for i in mine]}},
                           at=now)
        store.note_reminded(conn, [int(i["id"]) for i in due], day)
    if per_channel:
        outbox.wake()
    return out
