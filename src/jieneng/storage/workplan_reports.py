"""Work-plan progress reports and their evidence (``work_plan_report``,
``work_plan_evidence``; tables in :mod:`.workplans`): a report is never overwritten (the
history), its review is ``pending`` / ``accepted`` / ``returned``; evidence rows carry the
file's bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, case, func, select

from .workplans import work_plan_evidence as _e
from .workplans import work_plan_item as _i
from .workplans import work_plan_report as _r


def insert_report(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(_r.insert().values(**values).returning(_r.c.id)).scalar_one())


def insert_evidence(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(_e.insert().values(**values).returning(_e.c.id)).scalar_one())


def get_report(conn: Connection, report_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(_r).where(_r.c.id == report_id)).first()
    return None if row is None else dict(row._mapping)


def review_report(conn: Connection, report_id: int, values: dict[str, Any]) -> None:
    conn.execute(_r.update().where(_r.c.id == report_id).values(**values))


def _evidence_counts() -> Any:
    return (select(_e.c.report_id, func.count().label("evidence"))
            .group_by(_e.c.report_id).subquery())


def item_reports(conn: Connection, item_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Every report of ``item_ids``, newest first, with its evidence count."""
    if not item_ids:
        return []
    ev = _evidence_counts()
    query = (select(_r, func.coalesce(ev.c.evidence, 0).label("evidence"))
             .outerjoin(ev, ev.c.report_id == _r.c.id)
             .where(_r.c.item_id.in_(list(item_ids))).order_by(_r.c.item_id, _r.c.id.desc()))
    return [dict(r._mapping) for r in conn.execute(query)]


def latest_reports(conn: Connection, plan_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Per item of ``plan_ids``: its newest report, its newest accepted report (may be
    the same) and its pending count — one query over the plans' reports (window-free:
    max ids grouped by item)."""
    if not plan_ids:
        return []
    accepted = func.max(case((_r.c.review == "accepted", _r.c.id)))
    pending = func.sum(case((_r.c.review == "pending", 1), else_=0))
    query = (select(_r.c.item_id, func.max(_r.c.id).label("last_id"),
                    accepted.label("accepted_id"), pending.label("pending"))
             .join(_i, _i.c.id == _r.c.item_id).where(_i.c.plan_id.in_(list(plan_ids)))
             .group_by(_r.c.item_id))
    return [dict(r._mapping) for r in conn.execute(query)]


def reports_by_id(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    ev = _evidence_counts()
    query = (select(_r, func.coalesce(ev.c.evidence, 0).label("evidence"))
             .outerjoin(ev, ev.c.report_id == _r.c.id).where(_r.c.id.in_(list(ids))))
    return {int(r.id): dict(r._mapping) for r in conn.execute(query)}


def report_evidence(conn: Connection, report_ids: Sequence[int]) -> list[dict[str, Any]]:
    if not report_ids:
        return []
    query = (select(_e.c.id, _e.c.report_id, _e.c.file_name, _e.c.content_type,
                    _e.c.size_bytes, _e.c.sha256, _e.c.uploaded_by, _e.c.uploaded_at)
             .where(_e.c.report_id.in_(list(report_ids))).order_by(_e.c.id))
    return [dict(r._mapping) for r in conn.execute(query)]


def get_evidence(conn: Connection, evidence_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(_e, _r.c.item_id).join(_r, _r.c.id == _e.c.report_id)
                       .where(_e.c.id == evidence_id)).first()
    return None if row is None else dict(row._mapping)


def pending_reports(conn: Connection, plan_ids: Sequence[int]) -> list[dict[str, Any]]:
    if not plan_ids:
        return []
    query = (select(_r, _i.c.item_no, _i.c.plan_id, _i.c.text)
             .join(_i, _i.c.id == _r.c.item_id)
             .where(_i.c.plan_id.in_(list(plan_ids)), _r.c.review == "pending")
             .order_by(_r.c.id))
    return [dict(r._mapping) for r in conn.execute(query)]
