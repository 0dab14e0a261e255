"""Work plans (工作安排) on the workbench: what the account has to do next.

- ``plan_items`` — the items the account is responsible for (its own unit's items; for
  an office, the items of its region that name no unit) not yet done whose deadline is
  within :data:`HORIZON_DAYS` days or past, in active plans, the earliest first.
  "Not yet done" is the item's worked-out state
  (:func:`jieneng.core.workplans.work_state`), decided in SQL from stored data only —
  so the list holds only the items whose state stored data decides (:func:`_decidable`):
  no indicator, or one reported by hand that is not summed from child items. Those are
  done when the stored state is done or the last accepted report's value meets the
  target (an "at most" target only after the deadline). Items with a computed
  indicator (a PUE, a coverage rate …) or a parent summed from its children are left
  out: their state needs the computed figures, shown on the plan's page;
- ``plan_reviews`` — the progress reports waiting for the account's review as the
  owner of the plan (``manage_work_plans``; the plan's region is the office's own
  region; an administrator: every plan).

Read-only, set-based SQL on the tables of :mod:`jieneng.storage.workplans` (one count
and one short page per section).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, func, or_, select

from jieneng.core.caller import User
from jieneng.core.permissions import Capability
from jieneng.core.scope import ScopeKind
from jieneng.core.workplans import indicator_catalogue
from jieneng.storage.workplans import work_plan, work_plan_item, work_plan_report

from .rows import SHORT, due_fields, section

#: items due within this many days (or overdue) are shown — a platform convention
HORIZON_DAYS = 30
_p, _it, _rp = work_plan, work_plan_item, work_plan_report


def sections(conn: Connection, user: User, today: date) -> list[dict[str, Any]]:
    """The work-plan sections of ``user`` on ``today``."""
    out = []
    mine = _responsible(user)
    if mine is not None and user.can(Capability.REPORT_PROGRESS):
        out.append(_items(conn, mine, today))
    if user.can(Capability.MANAGE_WORK_PLANS):
        owner = _owner(user)
        if owner is not None:
            out.append(_reviews(conn, owner))
    return out


def _region(user: User) -> str | None:
    if user.scope.kind is ScopeKind.REGION and user.scope.region_code:
        return user.scope.region_code
    return None


def _responsible(user: User) -> ColumnElement[bool] | None:
    """The items the caller answers for: its unit's, or its region's without a unit."""
    if user.institution_id is not None:
        return _it.c.institution_id == user.institution_id
    region = _region(user)
    if region is None:
        return None
    return and_(_it.c.responsible_region == region, _it.c.institution_id.is_(None))


def _owner(user: User) -> ColumnElement[bool] | None:
    """The plans whose reports the caller reviews as their owner."""
    if user.is_admin:
        return _p.c.id.isnot(None)
    region = _region(user)
    return None if region is None else _p.c.region_code == region


@cache
def _codes() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(computed indicator codes, hand-reported codes summed from the children)."""
    found = indicator_catalogue()
    return (tuple(i.code for i in found if i.computed),
            tuple(i.code for i in found if not i.computed and i.parent_rule == "sum"))


@cache
def _decidable() -> ColumnElement[bool]:
    """Items whose worked-out state stored data decides (see the module docstring)."""
    computed, summed = _codes()
    child = _it.alias("child")
    has_children = exists().where(child.c.parent_id == _it.c.id)
    return or_(_it.c.indicator_code.is_(None),
               and_(_it.c.indicator_code.notin_(computed),
                    or_(_it.c.indicator_code.notin_(summed), ~has_children)))


@lru_cache(maxsize=4)
def _met_by_report(today: date) -> ColumnElement[bool]:
    """The last accepted report's value meets the target (:func:`core.workplans.meets`;
    an "at most" target only once the deadline has passed, as ``work_state``). Built
    once per day (an expression is immutable; building it costs more than the query)."""
    value = (select(_rp.c.value).where(_rp.c.item_id == _it.c.id, _rp.c.review == "accepted")
             .order_by(_rp.c.id.desc()).limit(1).scalar_subquery())
    cmp_, target, past = _it.c.comparison, _it.c.target_value, _it.c.deadline < today
    return and_(target.isnot(None), cmp_.isnot(None), value.isnot(None), or_(
        and_(cmp_ == ">=", value >= target), and_(cmp_ == ">", value > target),
        and_(cmp_ == "<=", value <= target, past), and_(cmp_ == "<", value < target, past)))


def _items(conn: Connection, mine: ColumnElement[bool], today: date) -> dict[str, Any]:
    where = (mine, _it.c.state != "done", _it.c.deadline <= today + timedelta(HORIZON_DAYS),
             _p.c.status == "active", _decidable(), ~_met_by_report(today))
    joined = _it.join(_p, _p.c.id == _it.c.plan_id)
    total = conn.execute(select(func.count()).select_from(joined).where(*where)).scalar_one()
    rows = conn.execute(
        select(_it.c.id, _it.c.plan_id, _it.c.item_no, _it.c.text, _it.c.state,
               _it.c.deadline, _p.c.title)
        .select_from(joined).where(*where).order_by(_it.c.deadline, _it.c.id).limit(SHORT)
    ).mappings()
    items = [{"title": f"{r['item_no']} {_short(r['text'])}", "detail": r["title"],
              "state": r["state"], "href": f"/workplans/{r['plan_id']}/items/{r['id']}",
              **due_fields(r["deadline"], today)} for r in rows]
    return section("plan_items", int(total), items, "/workplans")


def _reviews(conn: Connection, owner: ColumnElement[bool]) -> dict[str, Any]:
    where = (owner, _rp.c.review == "pending")
    joined = _rp.join(_it, _it.c.id == _rp.c.item_id).join(_p, _p.c.id == _it.c.plan_id)
    total = conn.execute(select(func.count()).select_from(joined).where(*where)).scalar_one()
    rows = conn.execute(
        select(_rp.c.id, _rp.c.claimed_state, _rp.c.reported_by, _rp.c.reported_at,
               _it.c.id.label("item_id"), _it.c.plan_id, _it.c.item_no, _it.c.text)
        .select_from(joined).where(*where).order_by(_rp.c.reported_at, _rp.c.id).limit(SHORT)
    ).mappings()
    items = [{"title": f"{r['item_no']} {_short(r['text'])}", "detail": r["reported_by"],
              "state": f"claimed_{r['claimed_state']}",
              "href": f"/workplans/{r['plan_id']}/items/{r['item_id']}",
              "due": None, "overdue": False, "days_left": None} for r in rows]
    return section("plan_reviews", int(total), items, "/workplans")


def _short(body: str, size: int = 60) -> str:
    body = " ".join(body.split())
    return body if len(body) <= size else body[: size - 1] + "…"


__all__ = ["HORIZON_DAYS", "sections"]
