"""The evaluation rounds (创建评价) on the workbench: what the account has to do next.

- ``self_assessments`` — the self-assessments of the account's own unit in rounds still
  open (member ``invited`` / ``self_assessing`` / ``returned``), returned ones first,
  then by the round's due date;
- ``round_reviews`` — the members waiting at the review level of the account (an
  office: its own region; an administrator: any level), oldest submission first;
- ``rectifications`` — the 回头看 rectifications of the account's own unit not yet
  answered (``rectifying``), the earliest deadline first, with overdue marked;
- ``rechecks_to_act`` — for whoever runs rounds (an office, an administrator): the
  回头看 in its subtree with a result to record (``pending``) or a rectification to
  conclude (answered, or its deadline past).

Read-only, set-based SQL on the tables of :mod:`jieneng.storage.campaign_rounds` and
:mod:`jieneng.storage.campaign_titles` (one count and one short page per section);
the states come from :mod:`jieneng.core.campaigns.rounds`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select

from jieneng.core.caller import User
from jieneng.core.campaigns.rounds import EDITABLE, WAITING
from jieneng.core.campaigns.shipped import SHIPPED, shipped
from jieneng.core.permissions import Capability
from jieneng.core.scope import ScopeKind
from jieneng.services.scope import scoped_filters
from jieneng.storage import tables as t
from jieneng.storage.campaign_rounds import campaign_round, campaign_round_member
from jieneng.storage.campaign_titles import campaign_recheck
from jieneng.storage.scoping import institution_conditions

from .rows import SHORT, due_fields, section

_r, _m, _k, _i = campaign_round, campaign_round_member, campaign_recheck, t.institution


def sections(conn: Connection, user: User, today: date) -> list[dict[str, Any]]:
    """The round sections of ``user`` on ``today`` (empty ones left out by the caller)."""
    out = []
    if user.institution_id is not None and user.can(Capability.SELF_ASSESS):
        out.append(_self_assessments(conn, user.institution_id, today))
        out.append(_rectifications(conn, user.institution_id, today))
    regions = _review_regions(user)
    if regions != []:
        out.append(_reviews(conn, regions))
    if user.can(Capability.RUN_ROUNDS) and user.scope.kind in (ScopeKind.ALL, ScopeKind.REGION):
        out.append(_rechecks_to_act(conn, user, today))
    return out


def _review_regions(user: User) -> list[str] | None:
    """The regions where the caller reviews (None: every region, an administrator)."""
    if not user.can(Capability.REVIEW):
        return []
    if user.is_admin:
        return None
    if user.scope.kind is ScopeKind.REGION and user.scope.region_code:
        return [user.scope.region_code]
    return []


def _self_assessments(conn: Connection, institution_id: int, today: date) -> dict[str, Any]:
    where = (_m.c.institution_id == institution_id, _m.c.state.in_(sorted(EDITABLE)),
             _r.c.state == "open")
    joined = _m.join(_r, _r.c.id == _m.c.round_id).join(_i, _i.c.id == _m.c.institution_id)
    total = conn.execute(select(func.count()).select_from(joined).where(*where)).scalar_one()
    returned_first = case((_m.c.state == "returned", 0), else_=1)
    no_due_last = case((_r.c.due.is_(None), 1), else_=0)
    rows = conn.execute(
        select(_m.c.round_id, _m.c.state, _m.c.reason, _r.c.title, _r.c.scheme_code, _r.c.due,
               _i.c.credit_code, _i.c.name)
        .select_from(joined).where(*where)
        .order_by(returned_first, no_due_last, _r.c.due, _m.c.round_id).limit(SHORT)
    ).mappings()
    items = [{"title": r["title"], "detail": r["name"], "state": r["state"],
              "reason": r["reason"] if r["state"] == "returned" else None,
              "scheme_code": r["scheme_code"],
              "href": f"/campaigns/rounds/{r['round_id']}/members/{r['credit_code']}",
              **due_fields(r["due"], today)} for r in rows]
    return section("self_assessments", int(total), items, "/campaigns/rounds")


def _reviews(conn: Connection, regions: list[str] | None) -> dict[str, Any]:
    where = [_m.c.state.in_(sorted(WAITING)), _r.c.state != "closed"]
    if regions is not None:
        where.append(_m.c.review_region.in_(regions))
    joined = _m.join(_r, _r.c.id == _m.c.round_id).join(_i, _i.c.id == _m.c.institution_id)
    total = conn.execute(select(func.count()).select_from(joined).where(*where)).scalar_one()
    rows = conn.execute(
        select(_m.c.round_id, _m.c.state, _m.c.submitted_at, _r.c.title, _r.c.due,
               _i.c.credit_code, _i.c.name)
        .select_from(joined).where(*where).order_by(_m.c.submitted_at, _m.c.id).limit(SHORT)
    ).mappings()
    items = [{"title": r["name"], "detail": r["title"], "state": r["state"],
              "href": f"/campaigns/rounds/{r['round_id']}/members/{r['credit_code']}",
              "due": None, "overdue": False, "days_left": None} for r in rows]
    return section("round_reviews", int(total), items, "/campaigns/rounds#waiting")


def _rectifications(conn: Connection, institution_id: int, today: date) -> dict[str, Any]:
    where = (_k.c.institution_id == institution_id, _k.c.state == "rectifying",
             _k.c.rectified_on.is_(None))
    total = conn.execute(select(func.count()).select_from(_k).where(*where)).scalar_one()
    rows = conn.execute(
        select(_k.c.id, _k.c.scheme_code, _k.c.year, _k.c.finding, _k.c.deadline)
        .where(*where).order_by(_k.c.deadline, _k.c.id).limit(SHORT)
    ).mappings()
    items = [{**_scheme_title(r["scheme_code"]), "detail": (r["finding"] or "")[:120],
              "state": "rectifying", "scheme_code": r["scheme_code"], "year": int(r["year"]),
              "href": f"/campaigns/rechecks?state=rectifying&year={int(r['year'])}",
              **due_fields(r["deadline"], today)} for r in rows]
    return section("rectifications", int(total), items, "/campaigns/rechecks?state=rectifying")


def _rechecks_to_act(conn: Connection, user: User, today: date) -> dict[str, Any]:
    """An office's 回头看 to act on in its subtree: a result to record (``pending``), or a
    rectification answered or past its deadline to conclude."""
    conclude = and_(_k.c.state == "rectifying",
                    or_(_k.c.rectified_on.isnot(None), _k.c.deadline < today))
    where = (or_(_k.c.state == "pending", conclude),
             *institution_conditions(conn, scoped_filters(conn, user.scope)))
    joined = _k.join(_i, _i.c.id == _k.c.institution_id)
    total = conn.execute(select(func.count()).select_from(joined).where(*where)).scalar_one()
    rows = conn.execute(
        select(_k.c.id, _k.c.state, _k.c.year, _k.c.deadline, _k.c.rectified_on, _i.c.name)
        .select_from(joined).where(*where)
        .order_by(_k.c.deadline.is_(None), _k.c.deadline, _k.c.id).limit(SHORT)
    ).mappings()
    items = [{"title": r["name"], "detail": None,
              "state": "to_conclude" if r["state"] == "rectifying" else "pending",
              "href": f"/campaigns/rechecks?state={r['state']}&year={int(r['year'])}",
              **due_fields(r["deadline"], today)} for r in rows]
    return section("rechecks_to_act", int(total), items, "/campaigns/rechecks")


def _scheme_title(code: str) -> dict[str, str]:
    """The scheme's names as an item's title (its code for a local scheme)."""
    if code not in SHIPPED:
        return {"title": code, "title_en": code}
    found = shipped(code)
    return {"title": found.name_zh, "title_en": found.name_en}


__all__ = ["sections"]
