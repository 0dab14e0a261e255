"""Questions on a task: a reviewer asks, the filer answers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from jieneng.core.exceptions import NotPermitted, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.reporting.tasks import ActorRole
from jieneng.services.accounts import audit
from jieneng.services.accounts.users import User
from jieneng.services.workflow.access import (
    hidden,
    now,
    period_of,
    roles_of,
    visible_task,
)
from jieneng.storage import reporting as store


def _required_text(value: str | None, field: str, zh: str, en: str) -> str:
    """The text as stored (trimmed, at most 2,000 characters); refused when empty."""
    cleaned = (value or "").strip()[:2000]
    if not cleaned:
        raise ValidationFailed(f"{zh}不能为空", f"the {en} is empty", field=field)
    return cleaned


def ask(engine: Engine, who: User, task_id: int, *, month: int, carrier: str,
        question: str) -> dict[str, Any]:
    """A reviewer's question on one figure of a task."""
    require(who, Capability.REVIEW)
    text = _required_text(question, "question", "问题", "question")
    with engine.begin() as conn:
        task = visible_task(conn, who, task_id)
        if not set(roles_of(who, task)) & {ActorRole.ADMIN, ActorRole.OFFICE_REVIEWER,
                                         ActorRole.DEPARTMENT_REVIEWER}:
            raise NotPermitted("只有审核人可以提问", "only reviewers can ask questions")
        if month not in period_of(task).months:
            raise ValidationFailed(f"月份 {month} 不在报告期内",
                                   f"month {month} is outside the period", field="month")
        qid = store.insert_question(conn, task_id=task_id, month=month, carrier=carrier[:24],
                                    question=text, asked_by=who.id, asked_at=now())
        audit.record(conn, who.actor, "reporting.ask", "figure_question", qid,
                     after={"task_id": task_id, "month": month, "carrier": carrier,
                            "question": text})
    return {"id": qid, "task_id": task_id}


def answer(engine: Engine, who: User, task_id: int, question_id: int, *,
           text: str) -> dict[str, Any]:
    """The 统计员's answer to a question, in place."""
    require(who, Capability.SUBMIT)
    body = _required_text(text, "answer", "回答", "answer")
    with engine.begin() as conn:
        task = visible_task(conn, who, task_id)
        found = store.get_question(conn, question_id)
        if found is None or found["task_id"] != task_id:
            raise hidden(f"问题 {question_id}")
        if ActorRole.FILER not in roles_of(who, task) and who.role != "admin":
            raise NotPermitted("只有填报人可以回答", "only the filer can answer")
        store.answer_question(conn, question_id, answer=body, answered_by=who.id,
                              answered_at=now())
        audit.record(conn, who.actor, "reporting.answer", "figure_question", question_id,
                     before={"answer": found["answer"]}, after={"answer": body})
    return {"id": question_id, "task_id": task_id}
