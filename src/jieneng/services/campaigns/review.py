"""Review of submitted self-assessments, level by level (逐级审核, issue 14 §3).

The chain runs from the institution's region up to the round's region
(:func:`jieneng.core.campaigns.rounds.review_chain`) as the statistics review does (a
county office first, then the city …): the office of the region where the member waits
(``review_region``) approves — it may set review scores (0 … max, with a note per
item), which then count instead of the unit's — or returns it with a reason (back to the
unit; what it entered is kept) or refuses it (``failed``). The last level's approval
makes the member ``recommended``. Capability ``review``; an office acts only at its own
region, an administrator at any.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.campaigns.rounds import WAITING, check_scores, next_reviewer, require_state
from jieneng.core.exceptions import NotPermitted, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.scope import ScopeKind
from jieneng.services.accounts import audit
from jieneng.services.database import Reader, reading
from jieneng.storage import campaign_rounds as store
from jieneng.storage import round_scores

from .assess import member_view
from .round_access import chain_of, find_member, find_round, now, reviews_at, round_scheme, tree_of
from .rounds import member_dict


def review_queue(db: Reader, user: User, *, round_id: int | None = None,
                 limit: int = 500) -> list[dict[str, Any]]:
    """The members waiting at a level the caller reviews (an office: its own region;
    an administrator: every level), oldest submission first."""
    if not user.can(Capability.REVIEW):
        return []
    if user.is_admin:
        regions_: list[str] | None = None
    elif user.scope.kind is ScopeKind.REGION and user.scope.region_code:
        regions_ = [user.scope.region_code]
    else:
        return []
    with reading(db) as conn:
        if round_id is not None:
            find_round(conn, user, round_id)
        tree = tree_of(conn)
        rows = store.waiting_members(conn, regions_, round_id, limit)
    return [{**member_dict(r, tree), "round_id": int(r["round_id"]), "round_title": r["title"],
             "scheme_code": r["scheme_code"]} for r in rows]


def approve_member(engine: Engine, user: User, round_id: int, credit_code: str, *,
                   scores: Mapping[str, float | None] | None = None,
                   notes: Mapping[str, str] | None = None, note: str = "") -> dict[str, Any]:
    """Approve at the caller's level (with review scores when given); the member moves
    to the next level or, after the last, becomes ``recommended``."""
    at = now()
    with engine.begin() as conn:
        row, member, inst = _waiting(conn, user, round_id, credit_code)
        given = {**{c: None for c in (notes or {})}, **(scores or {})}
        if given:
            checked = check_scores(round_scheme(conn, row), given)
            round_scores.put_scores(conn, int(member["id"]), "review", [
                {"item_code": c, "score": v, "value": None, "basis": None,
                 "note": ((notes or {}).get(c) or "").strip()[:2000] or None,
                 "by_user": user.username, "at": at} for c, v in checked.items()])
            round_scores.delete_empty(conn, int(member["id"]), "review")
        tree = tree_of(conn)
        here = str(member["review_region"]).strip()
        after = next_reviewer(chain_of(tree, inst["region_code"], row["region_code"]), here)
        values: dict[str, Any] = (
            {"state": "recommended"} if after is None
            else {"state": "under_review", "review_region": after,
                  "review_level": tree.by_code[after].level})
        store.set_member(conn, int(member["id"]), **values, reason=None, updated_at=at)
        audit.record(conn, user.actor, "campaigns.round_approve", "campaign_round_member",
                     int(member["id"]), before={"state": member["state"], "level": here},
                     after={**values, "note": note.strip()[:500] or None,
                            "scores": dict(scores or {})})
    return member_view(engine, user, round_id, credit_code)


def return_member(engine: Engine, user: User, round_id: int, credit_code: str,
                  reason: str) -> dict[str, Any]:
    """Send the self-assessment back to the unit with ``reason`` (required)."""
    return _decide(engine, user, round_id, credit_code, reason, "returned")


def fail_member(engine: Engine, user: User, round_id: int, credit_code: str,
                reason: str) -> dict[str, Any]:
    """Refuse the member at the caller's level with ``reason`` (required): ``failed``."""
    return _decide(engine, user, round_id, credit_code, reason, "failed")


def _decide(engine: Engine, user: User, round_id: int, credit_code: str, reason: str,
            state: str) -> dict[str, Any]:
    reason = reason.strip()
    if not reason:
        raise ValidationFailed.of("round_reason_required", field="reason")
    with engine.begin() as conn:
        _, member, _ = _waiting(conn, user, round_id, credit_code)
        values: dict[str, Any] = {"state": state, "reason": reason[:2000]}
        if state == "returned":
            values.update(review_region=None, review_level=None)
        store.set_member(conn, int(member["id"]), **values, updated_at=now())
        audit.record(conn, user.actor, f"campaigns.round_{state}", "campaign_round_member",
                     int(member["id"]), before={"state": member["state"]}, after=values)
    return member_view(engine, user, round_id, credit_code)


def _waiting(conn: Any, user: User, round_id: int, credit_code: str
             ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    require(user, Capability.REVIEW)
    row = find_round(conn, user, round_id)
    member, inst = find_member(conn, user, row, credit_code)
    require_state(str(member["state"]), WAITING, "review")
    here = str(member["review_region"]).strip() if member["review_region"] else None
    if not reviews_at(user, here):
        raise NotPermitted.of("round_not_your_level", region=here or "—")
    return row, member, inst


__all__ = ["approve_member", "fail_member", "return_member", "review_queue"]
