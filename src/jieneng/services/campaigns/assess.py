"""Self-assessment (自评) of a round's member: the form's content (every item with its
maximum, the computed items with their figures, the scores of each stage, the
evidence, the review chain), saving scores and notes, submitting.

Capability ``self_assess``, the institution inside the caller's scope; the round must
be ``open`` and the member ``invited``, ``self_assessing`` or ``returned``. A score over
the item's maximum, below 0 or on a computed item is refused naming the item and its
maximum, nothing stored; submitting needs a score on every checklist item
(:mod:`jieneng.core.campaigns.rounds`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.campaigns.rounds import (
    EDITABLE,
    HAND_RULES,
    WAITING,
    check_scores,
    final_hand,
    maximum,
    missing_for_submit,
    require_state,
)
from jieneng.core.campaigns.scheme import Item, Scheme
from jieneng.core.exceptions import Conflict, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.regions import RegionTree
from jieneng.services.accounts import audit
from jieneng.services.database import Reader, reading
from jieneng.storage import campaign_rounds as store
from jieneng.storage import round_scores

from .round_access import chain_of, find_member, find_round, now, reviews_at, round_scheme, tree_of
from .rounds import member_dict


def member_view(db: Reader, user: User, round_id: int, credit_code: str) -> dict[str, Any]:
    """Everything the self-assessment and review page shows for one member."""
    with reading(db) as conn:
        row = find_round(conn, user, round_id)
        member, inst = find_member(conn, user, row, credit_code)
        scheme = round_scheme(conn, row)
        scores = round_scores.member_scores(conn, int(member["id"])) + computed_rows(member)
        evidence = store.list_evidence(conn, int(member["id"]))
        tree = tree_of(conn)
    state = str(member["state"])
    review_region = str(member["review_region"]).strip() if member["review_region"] else None
    return {
        "round": {k: row[k] for k in ("id", "title", "scheme_code", "region_code",
                                      "region_name", "year", "state")},
        "member": member_dict({**member, **{k: inst[k] for k in (
            "credit_code", "name", "region_code", "category")}}, tree),
        "scheme": {"code": scheme.code, "name_zh": scheme.name_zh, "name_en": scheme.name_en,
                   "total": scheme.total},
        "items": items_view(scheme, scores),
        "evidence": [_evidence_dict(e) for e in evidence],
        "chain": _chain(tree, inst["region_code"], row["region_code"], state, review_region),
        "can_assess": (user.can(Capability.SELF_ASSESS) and row["state"] == "open"
                       and state in EDITABLE),
        "can_review": (user.can(Capability.REVIEW) and state in WAITING
                       and reviews_at(user, review_region)),
    }


def computed_rows(member: dict[str, Any]) -> list[dict[str, Any]]:
    """The computed items of the last scoring, as score rows (stage ``computed``)."""
    text = member.get("computed")
    if not text:
        return []
    return [{"item_code": code, "stage": "computed", "score": v[0], "value": v[1],
             "basis": v[2]} for code, v in json.loads(text).items()]


def items_view(scheme: Scheme, scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The scheme's blocks and items with the stored scores of every stage."""
    by_item: dict[str, dict[str, dict[str, Any]]] = {}
    for s in scores:
        by_item.setdefault(str(s["item_code"]), {})[str(s["stage"])] = s
    return [_item_view(n, by_item.get(n.code, {})) for n in scheme.nodes]


def _item_view(n: Item, stages: dict[str, dict[str, Any]]) -> dict[str, Any]:
    values = {k: v.get("score") for k, v in stages.items()}
    final, source = (final_hand(values) if n.rule in HAND_RULES
                     else (values.get("computed"), "computed" if "computed" in values else None))
    computed = stages.get("computed", {})
    return {
        "code": n.code, "parent": n.parent, "block": n.is_block, "name_zh": n.name_zh,
        "name_en": n.name_en, "points": n.points, "max": None if n.is_block else maximum(n),
        "rule": n.rule.value if n.rule else None, "measure": n.measure,
        "basis": n.basis.value, "veto": n.veto, "evidence": n.evidence,
        "hand": n.rule in HAND_RULES,
        "scores": values, "notes": {k: v.get("note") for k, v in stages.items()
                                    if v.get("note")},
        "final": final, "source": source,
        "value": computed.get("value"), "peer": computed.get("basis"),
    }


def _chain(tree: RegionTree, inst_region: str, round_region: str, state: str,
           at: str | None) -> list[dict[str, Any]]:
    chain = chain_of(tree, inst_region, round_region)
    k = chain.index(at) if at in chain else -1
    out = []
    for j, code in enumerate(chain):
        done = state == "recommended" or (state in WAITING and j < k)
        out.append({"region_code": code, "region_name": tree.name(code), "done": done,
                    "current": state in WAITING and j == k})
    return out


def _evidence_dict(e: dict[str, Any]) -> dict[str, Any]:
    return {"id": int(e["id"]), "item_code": e["item_code"], "file_name": e["file_name"],
            "content_type": e["content_type"], "size_bytes": int(e["size_bytes"]),
            "sha256": str(e["sha256"]).strip(), "uploaded_by": e["uploaded_by"],
            "uploaded_at": e["uploaded_at"].isoformat() if e.get("uploaded_at") else None}


def save_self_assessment(engine: Engine, user: User, round_id: int, credit_code: str,
                         scores: Mapping[str, float | None],
                         notes: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Store the unit's scores (and notes) for the items given; an empty score removes
    the one stored. The member becomes ``self_assessing``."""
    require(user, Capability.SELF_ASSESS)
    notes = notes or {}
    at = now()
    with engine.begin() as conn:
        row = find_round(conn, user, round_id)
        member, inst = find_member(conn, user, row, credit_code)
        editable(row, member)
        scheme = round_scheme(conn, row)
        checked = check_scores(scheme, {**{c: None for c in notes}, **scores})
        rows = [{"item_code": c, "score": v, "note": (notes.get(c) or "").strip()[:2000] or None,
                 "value": None, "basis": None, "by_user": user.username, "at": at}
                for c, v in checked.items()]
        member_id = int(member["id"])
        round_scores.put_scores(conn, member_id, "self", rows)
        round_scores.delete_empty(conn, member_id, "self")
        if member["state"] == "invited":
            store.set_member(conn, member_id, state="self_assessing", updated_at=at)
        else:
            store.set_member(conn, member_id, updated_at=at)
        audit.record(conn, user.actor, "campaigns.round_self_assess", "campaign_round_member",
                     member_id, after={"round": round_id, "institution": inst["credit_code"],
                                       "scores": {c: v for c, v in checked.items()}})
    return member_view(engine, user, round_id, credit_code)


def submit_self_assessment(engine: Engine, user: User, round_id: int, credit_code: str
                           ) -> dict[str, Any]:
    """Submit the self-assessment: refused while a checklist item has no score; the
    member then waits for the first reviewer (its own region's office)."""
    require(user, Capability.SELF_ASSESS)
    at = now()
    with engine.begin() as conn:
        row = find_round(conn, user, round_id)
        member, inst = find_member(conn, user, row, credit_code)
        editable(row, member)
        scheme = round_scheme(conn, row)
        given = {str(s["item_code"]): s["score"] for s in round_scores.member_scores(
            conn, int(member["id"])) if s["stage"] == "self"}
        lacking = missing_for_submit(scheme, given)
        if lacking:
            names = "、".join(scheme.node(c).name_zh for c in lacking[:5])
            raise ValidationFailed.of("round_submit_missing", field=f"score.{lacking[0]}",
                                      count=len(lacking), items=", ".join(lacking[:5]),
                                      names=names)
        tree = tree_of(conn)
        chain = chain_of(tree, inst["region_code"], row["region_code"])
        first = chain[0] if chain else row["region_code"]
        store.set_member(conn, int(member["id"]), state="submitted", review_region=first,
                         review_level=tree.by_code[first].level, reason=None,
                         submitted_at=at, updated_at=at)
        audit.record(conn, user.actor, "campaigns.round_submit", "campaign_round_member",
                     int(member["id"]), after={"round": round_id,
                                               "institution": inst["credit_code"],
                                               "reviewer": first})
    return member_view(engine, user, round_id, credit_code)


def editable(round_row: dict[str, Any], member: dict[str, Any]) -> None:
    if round_row["state"] != "open":
        raise Conflict.of("round_not_open", round=round_row["id"], state=round_row["state"])
    require_state(str(member["state"]), EDITABLE, "self_assess")


__all__ = ["computed_rows", "items_view", "member_view", "save_self_assessment",
           "submit_self_assessment"]
