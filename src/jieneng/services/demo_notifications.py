"""The demo's notification loop: a new user of ``jieneng demo`` finds the bell working.

Run once the demo accounts exist (:func:`jieneng.services.demo.ensure_demo_accounts`),
once per database (``demo_notifications`` in meta), through the ordinary services so
that what a user sees is what the platform does:

- a 催报 by ``guilin`` of every overdue task of the demo's last month
  (:func:`jieneng.services.workflow.reminders.remind`), the school's still 录入中: it
  reaches whoever files for each unit — the school's 统计员, the 教育局 for its units
  without an account, the county (阳朔) for its own;
- the school's report then 已上报 (a demo-only write, :func:`jieneng.storage.demo.demo_move`),
  a reviewer's question on its electricity (:func:`jieneng.services.workflow.questions.ask`)
  and its return with the reason by ``guilin`` through the state machine: the school's
  bell, the entry form's banner and the task page all carry the reason;
- an alert for ``guilin``: the demo's alerts were evaluated before any account existed,
  so one open alert — the city's own cap, else the one furthest over its limit — is
  announced to the city's office in the app.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine

from jieneng.core import chinatime
from jieneng.core.exceptions import DomainError
from jieneng.core.messages import text
from jieneng.services.accounts.accounts import get_user_by_username
from jieneng.services.notifications import notify
from jieneng.services.notifications.notify import Message
from jieneng.services.targets import alert_lists
from jieneng.services.workflow import questions, reminders
from jieneng.services.workflow import tasks as workflow_tasks
from jieneng.settings import load_settings
from jieneng.storage import demo as demo_store
from jieneng.storage import meta

VERSION = "notifications-1"
QUESTION = "12月用电量比11月高约四成，是否新增了用电设备？请在说明中注明。"
REASON = "12月电费与电量不符（电费偏高约 30%），请核对电费发票与电表读数后重新上报"


def seed(engine: Engine, *, region_code: str, year: int, today: date | None = None) -> bool:
    """Seed the demo's notifications (see the module); False when already done or the
    demo's workflow (periods, tasks) or accounts are missing."""
    with engine.connect() as conn:
        if meta.get_meta(conn, "demo_notifications") == VERSION:
            return False
    try:
        office = get_user_by_username(engine, "guilin")
        school = get_user_by_username(engine, "school")
    except DomainError:
        return False
    if school.institution_id is None:
        return False
    with engine.connect() as conn:
        task = demo_store.demo_task(conn, school.institution_id, year, 12)
    if task is None:
        return False
    with engine.begin() as conn:  # the story: still being entered when the 催报 comes
        demo_store.demo_move(conn, int(task["id"]), "in_progress", at=datetime.now(UTC))
    reminders.remind(engine, load_settings(), office, period_id=int(task["period_id"]),
                     day=today or chinatime.today())
    with engine.begin() as conn:  # then submitted, questioned and returned
        demo_store.demo_move(conn, int(task["id"]), "submitted", at=datetime.now(UTC))
    questions.ask(engine, office, int(task["id"]), month=12, carrier="electricity",
                  question=QUESTION)
    workflow_tasks.act(engine, office, int(task["id"]), "return", reason=REASON)
    _alert(engine, region_code, year, office.id)
    with engine.begin() as conn:
        meta.set_meta(conn, "demo_notifications", VERSION)
    return True


def _alert(engine: Engine, region_code: str, year: int, user_id: int) -> None:
    """The most severe open alert of the demo city, announced to its office in the app."""
    office = get_user_by_username(engine, "guilin")
    found = alert_lists.list_for(engine, office, region_code=region_code, year=year)
    if not found:
        return
    # the city's own cap first (the office's own target), else the furthest over its limit
    top = min(found, key=lambda a: (
        a["institution_id"] is not None or a["region_code"] != region_code,
        -float(a["actual"] or 0.0) / float(a["limit_value"] or 1.0), int(a["id"])))
    who = top["institution_name"] or top["region_name"]
    message = Message(
        title=text("zh-CN", "notify.alert.title", level=top["level_zh"], who=who, year=year,
                   metric=top["metric_zh"]),
        body="\n".join(text(lang, "notify.alert.brief", who=who,
                            actual=float(top["actual"] or 0.0), unit=top["unit"],
                            limit=float(top["limit_value"] or 0.0))
                       for lang in ("zh-CN", "en")),
        link=f"/alerts?region={top['region_code']}&year={year}")
    with engine.begin() as conn:
        notify.notify_users(conn, [user_id], kind="alert", message=message)


__all__ = ["seed"]
