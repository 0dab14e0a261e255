"""Progress reports on items (capability ``report_progress``, the item's responsible
party: :func:`.access.reportable_item`) and their review by the plan's owner
(``manage_work_plans``: accept, or return with a reason).

- A report claims ``in_progress`` or ``done``, may carry a value (the figure of an
  indicator the platform cannot compute: 参与人次, training courses …), a percent
  complete, a comment, and evidence files — type by extension *and* content (PDF, JPEG,
  PNG, Word, Excel: :data:`ACCEPTED`, checked by :mod:`jieneng.core.evidence`), at most
  :data:`MAX_BYTES` each, :data:`MAX_FILES` a report. Every
  report is kept (the history); a new report while one is pending is refused.
- Accepting sets the item's state to the report's claim; returning keeps the state
  and records the reason. Every step audited.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any

from sqlalchemy import Engine

from jieneng.core import evidence as evidence_files
from jieneng.core.caller import User
from jieneng.core.exceptions import Conflict, NotFound, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.workplans import CLAIMS
from jieneng.services.accounts import audit
from jieneng.storage import workplan_reports
from jieneng.storage import workplans as store

from . import access
from .shapes import evidence_dict, report_dict

#: the largest evidence file [bytes]
MAX_BYTES = 20 * 1024 * 1024
#: files per report
MAX_FILES = 10
#: the evidence kinds a report accepts (suffixes of ``data/evidence/kinds.csv``)
ACCEPTED: tuple[str, ...] = (".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".xls", ".xlsx")
MAX_COMMENT = 4000


def check_evidence(file_name: str, content: bytes) -> str:
    """The media type of an evidence file of a report, or ValidationFailed (the shared
    ``evidence_*`` refusals of :func:`jieneng.core.evidence.check_evidence`)."""
    return evidence_files.check_evidence(file_name, content, MAX_BYTES, accepted=ACCEPTED,
                                         field="evidence").media_type


def _check_report(state: str, comment: str, value: float | None, percent: float | None,
                  files: int) -> str:
    if state not in CLAIMS:
        raise ValidationFailed.of("workplan_bad_claim", field="state", state=state[:20],
                                  states=", ".join(CLAIMS))
    text = comment.strip()
    if not text:
        raise ValidationFailed.of("workplan_comment_required", field="comment")
    if len(text) > MAX_COMMENT:
        raise ValidationFailed.of("workplan_comment_too_long", field="comment",
                                  limit=MAX_COMMENT)
    if value is not None and (value != value or value < 0):
        raise ValidationFailed.of("workplan_bad_value", field="value", value=value)
    if percent is not None and not 0 <= percent <= 100:
        raise ValidationFailed.of("workplan_bad_percent", field="percent", value=percent)
    if files > MAX_FILES:
        raise ValidationFailed.of("workplan_too_many_files", field="evidence",
                                  limit=MAX_FILES)
    return text


def report_progress(engine: Engine, user: User, item_id: int, *, state: str, comment: str,
                    value: float | None = None, percent: float | None = None,
                    evidence: list[tuple[str, bytes]] | tuple[()] = ()) -> dict[str, Any]:
    """A progress report on ``item_id`` with its evidence (pending review)."""
    require(user, Capability.REPORT_PROGRESS)
    text = _check_report(state, comment, value, percent, len(evidence))
    checked = [(name, content, check_evidence(name, content)) for name, content in evidence]
    now = datetime.now(UTC)
    with engine.begin() as conn:
        item, _plan = access.reportable_item(conn, user, item_id)
        if any(r["review"] == "pending" for r in workplan_reports.item_reports(conn, [item_id])):
            raise Conflict.of("workplan_report_pending", item=item["item_no"])
        values = {"item_id": item_id, "claimed_state": state, "value": value,
                  "percent": percent, "comment": text, "reported_by": user.actor.username,
                  "reported_by_id": user.actor.user_id, "reported_at": now}
        report_id = workplan_reports.insert_report(conn, values)
        for name, content, kind in checked:
            workplan_reports.insert_evidence(conn, {
                "report_id": report_id, "file_name": PurePath(name).name[:255],
                "content_type": kind, "size_bytes": len(content),
                "sha256": hashlib.sha256(content).hexdigest(), "content": content,
                "uploaded_by": user.actor.username, "uploaded_at": now})
        audit.record(conn, user.actor, "workplans.report", "work_plan_report", report_id,
                     after={"item": item["item_no"], "state": state, "value": value,
                            "percent": percent, "files": [n for n, _, _ in checked]})
        report = workplan_reports.reports_by_id(conn, [report_id])[report_id]
    return report_dict(report)


def review_report(engine: Engine, user: User, report_id: int, *, accept: bool,
                  reason: str | None = None) -> dict[str, Any]:
    """Accept a pending report (the item takes its claimed state) or return it with a
    reason."""
    require(user, Capability.MANAGE_WORK_PLANS)
    why = (reason or "").strip()
    if not accept and not why:
        raise ValidationFailed.of("workplan_reason_required", field="reason")
    with engine.begin() as conn:
        report = workplan_reports.get_report(conn, report_id)
        if report is None:
            raise NotFound.of("workplan_report_not_found", report=report_id)
        item = store.get_item(conn, int(report["item_id"]))
        assert item is not None
        try:
            access.managed_plan(conn, user, int(item["plan_id"]))
        except NotFound:
            raise NotFound.of("workplan_report_not_found", report=report_id) from None
        if report["review"] != "pending":
            raise Conflict.of("workplan_report_reviewed", report=report_id,
                              review=report["review"])
        workplan_reports.review_report(conn, report_id, {
            "review": "accepted" if accept else "returned",
            "reviewed_by": user.actor.username, "reviewed_at": datetime.now(UTC),
            "review_reason": why or None})
        if accept:
            store.set_item_state(conn, int(item["id"]), report["claimed_state"])
        audit.record(conn, user.actor, "workplans.review", "work_plan_report", report_id,
                     before={"review": "pending", "state": item["state"]},
                     after={"review": "accepted" if accept else "returned",
                            "reason": why or None,
                            "state": report["claimed_state"] if accept else item["state"]})
        updated = workplan_reports.reports_by_id(conn, [report_id])[report_id]
    return report_dict(updated)


def get_evidence(engine: Engine, user: User, evidence_id: int) -> dict[str, Any]:
    """An evidence file with its bytes (``content``) for whoever sees the item."""
    with engine.connect() as conn:
        row = workplan_reports.get_evidence(conn, evidence_id)
        if row is None:
            raise NotFound.of("workplan_evidence_not_found", evidence=evidence_id)
        try:
            access.visible_item(conn, user, int(row["item_id"]))
        except NotFound:
            raise NotFound.of("workplan_evidence_not_found", evidence=evidence_id) from None
    return {**evidence_dict(row), "content": row["content"]}


def pending_reviews(engine: Engine, user: User, *, plan_id: int | None = None
                    ) -> list[dict[str, Any]]:
    """Reports waiting for the caller's review (of the plans it manages)."""
    require(user, Capability.MANAGE_WORK_PLANS)
    with engine.connect() as conn:
        if plan_id is not None:
            plans = [access.managed_plan(conn, user, plan_id)]
        else:
            plans = [p for p in store.list_plans(conn)
                     if access.covers(conn, user, p["region_code"])]
        rows = workplan_reports.pending_reports(conn, [int(p["id"]) for p in plans])
    return [{**report_dict(r), "item_no": r["item_no"], "plan_id": r["plan_id"],
             "text": r["text"]} for r in rows]
