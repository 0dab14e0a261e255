"""Questions on a task: a reviewer asks, the filer answers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.carriers import carrier as known_carrier
from jieneng.core.exceptions import NotFound, NotPermitted, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.reporting.tasks import ActorRole
from jieneng.services.accounts import audit
from jieneng.services.workflow import notices
from jieneng.services.workflow.access import (
    now,
    period_of,
    roles_of,
    visible_task,
)
from jieneng.settings import Settings
from jieneng.storage import reporting as store


def _stored_text(value: str | None) -> str:
    """The text as stored: trimmed, at most 2,000 characters (empty when none)."""
    return (value or "").strip()[:2000]


def ask(engine: Engine, user: User, task_id: int, *, month: int, carrier: str,
        question: str, settings: Settings | None = None) -> dict[str, Any]:
    """A reviewer's question on one figure of a task; it reaches the task's filers in
    the app and, with ``settings``, the region's channels (:mod:`.notices`)."""
    require(user, Capability.REVIEW)
    text = _stored_text(question)
    if not text:
        raise ValidationFailed.of("workflow.question_empty", field="question")
    carrier = known_carrier(carrier.strip()).code
    with engine.begin() as conn:
        task = visible_task(conn, user, task_id)
        if not set(roles_of(user, task)) & {ActorRole.ADMIN, ActorRole.OFFICE_REVIEWER,
                                         ActorRole.DEPARTMENT_REVIEWER}:
            raise NotPermitted.of("workflow.reviewers_only_ask")
        if month not in period_of(task).months:
            raise ValidationFailed.of("workflow.month_outside_period", month=month, field="month")
        qid = store.insert_question(conn, task_id=task_id, month=month, carrier=carrier[:24],
                                    question=text, asked_by=user.id, asked_at=now())
        audit.record(conn, user.actor, "reporting.ask", "figure_question", qid,
                     after={"task_id": task_id, "month": month, "carrier": carrier,
                            "question": text})
        sent = notices.announce_question(conn, task_id, month=month, carrier_code=carrier[:24],
                                         question=text, actor=user, at=now())
    if settings is not None:
        notices.deliver(engine, settings, sent)
    return {"id": qid, "task_id": task_id}


def answer(engine: Engine, user: User, task_id: int, question_id: int, *,
           text: str) -> dict[str, Any]:
    """The 统计员's answer to a question, in place."""
    require(user, Capability.SUBMIT)
    body = _stored_text(text)
    if not body:
        raise ValidationFailed.of("workflow.answer_empty", field="answer")
    with engine.begin() as conn:
        task = visible_task(conn, user, task_id)
        found = store.get_question(conn, question_id)
        if found is None or found["task_id"] != task_id:
            raise NotFound.of("workflow.question_not_found", question_id=question_id)
        if ActorRole.FILER not in roles_of(user, task) and user.role != "admin":
            raise NotPermitted.of("workflow.filer_only_answers")
        store.answer_question(conn, question_id, answer=body, answered_by=user.id,
                              answered_at=now())
        audit.record(conn, user.actor, "reporting.answer", "figure_question", question_id,
                     before={"answer": found["answer"]}, after={"answer": body})
        notices.announce_answer(conn, task_id, asked_by=found["asked_by"],
                                question=found["question"], answer=body, actor=user,
                                at=now())
    return {"id": question_id, "task_id": task_id}
