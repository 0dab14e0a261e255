"""公示, objections, award and rejection of a round (issue 14 §3).

- :func:`start_publicity` — publishes the members a review recommended (state
  ``recommended``) for a period: from ``starts_on`` (default today, China time) for
  ``days`` calendar days (default ``publicity_days`` of ``data/campaigns/procedure.csv``:
  7, a platform convention — the references give no length). Refused while a sampled
  member has no on-site verdict, or when nobody is recommended. The members become
  ``publicised``, the round ``publicity``.
- :func:`raise_objection` / :func:`resolve_objection` — an objection (异议) received
  during the period is recorded against a publicised member; resolved ``upheld`` (the
  member is ``rejected`` with the resolution as reason) or ``dismissed``.
- :func:`award` — after the period's last day, with every objection resolved: each
  member still ``publicised`` receives the title (R1's ``campaign_title``: the level of
  the round's region unless given, ``awarded_on``, ``valid_until`` from the scheme's
  ``validity_years`` when it states one, else none — convention) and becomes
  ``awarded``; the round is closed.
- :func:`reject_member` — a recommended, publicised or sampled member rejected with a
  reason (state ``rejected``).

Office actions (``run_rounds``, the round's region in scope); audited.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, select

from jieneng.core import chinatime
from jieneng.core.caller import User
from jieneng.core.campaigns.checks import publicity_end, valid_until
from jieneng.core.campaigns.rounds import round_states_from
from jieneng.core.exceptions import Conflict, NotFound, ValidationFailed
from jieneng.services.accounts import audit
from jieneng.services.campaigns.check_access import check_state, iso, office_round, rule_of
from jieneng.services.campaigns.round_access import find_member, now, tree_of
from jieneng.services.scope import scoped_filters
from jieneng.storage import campaign_rounds as rounds_store
from jieneng.storage import campaign_titles as store
from jieneng.storage import title_awards
from jieneng.storage.scoping import institution_conditions
from jieneng.storage.tables import institution

#: title level by the level of the round's region (1 province, 2 city, 3 county)
LEVELS = {0: "national", 1: "provincial", 2: "city", 3: "county"}
REJECTABLE = ("recommended", "publicised", "under_review", "submitted")


def today() -> date:
    """Today in China time."""
    return chinatime.today()


def _members_in(conn: Connection, round_id: int, state: str) -> list[int]:
    m = rounds_store.campaign_round_member
    return [int(x) for x in conn.execute(select(m.c.institution_id).where(
        m.c.round_id == round_id, m.c.state == state)).scalars()]


def _uninspected(conn: Connection, round_id: int) -> int:
    """Sampled members of every batch of the round without a verdict."""
    return store.uninspected(conn, round_id)


def start_publicity(engine: Engine, user: User, round_id: int, *,
                    starts_on: date | None = None, days: int | None = None
                    ) -> dict[str, Any]:
    """Publish the recommended members for the period (module docstring)."""
    first = starts_on or today()
    last = publicity_end(first, days)
    with engine.begin() as conn:
        row = office_round(conn, user, round_id)
        check_state(row, round_states_from("publicity", "publicity"))
        if store.publicity_of(conn, round_id) is not None:
            raise Conflict.of("check_publicity_exists", round=round_id)
        waiting = _uninspected(conn, round_id)
        if waiting:
            raise ValidationFailed.of("check_sample_not_inspected", count=waiting)
        ids = _members_in(conn, round_id, "recommended")
        if not ids:
            raise ValidationFailed.of("check_nobody_recommended", round=round_id)
        at = now()
        pid = store.insert_publicity(conn, round_id=round_id, starts_on=first, ends_on=last,
                                     members=len(ids), published_by=user.actor.username,
                                     published_at=at)
        rounds_store.set_members_state(conn, round_id, ids, "publicised", at=at)
        rounds_store.set_round(conn, round_id, state="publicity")
        audit.record(conn, user.actor, "campaigns.publicity", "campaign_round", round_id,
                     before={"state": row["state"]},
                     after={"starts_on": first.isoformat(), "ends_on": last.isoformat(),
                            "members": len(ids)})
    return {"id": pid, "round_id": round_id, "starts_on": first.isoformat(),
            "ends_on": last.isoformat(), "days": (last - first).days + 1, "members": len(ids)}


def raise_objection(engine: Engine, user: User, round_id: int, credit_code: str, text: str,
                    *, raised_on: date | None = None) -> dict[str, Any]:
    """Record an objection to a publicised member during the period."""
    body = text.strip()
    if not body:
        raise ValidationFailed.of("check_objection_text", field="text")
    on = raised_on or today()
    with engine.begin() as conn:
        row = office_round(conn, user, round_id)
        publicity = store.publicity_of(conn, round_id)
        if publicity is None:
            raise ValidationFailed.of("check_publicity_missing", round=round_id)
        if not publicity["starts_on"] <= on <= publicity["ends_on"]:
            raise ValidationFailed.of("check_objection_outside", on=on.isoformat(),
                                      starts_on=publicity["starts_on"].isoformat(),
                                      ends_on=publicity["ends_on"].isoformat(),
                                      field="raised_on")
        member, inst = find_member(conn, user, row, credit_code)
        if member["state"] != "publicised":
            raise ValidationFailed.of("check_not_publicised", credit_code=inst["credit_code"])
        oid = store.insert_objection(conn, publicity_id=int(publicity["id"]),
                                     institution_id=int(inst["id"]), text=body,
                                     raised_by=user.actor.username, raised_on=on)
        audit.record(conn, user.actor, "campaigns.objection", "campaign_objection", oid,
                     after={"round_id": round_id, "credit_code": inst["credit_code"],
                            "text": body, "raised_on": on.isoformat()})
    return {"id": oid, "round_id": round_id, "credit_code": inst["credit_code"],
            "raised_on": on.isoformat(), "text": body}


def resolve_objection(engine: Engine, user: User, round_id: int, objection_id: int, *,
                      upheld: bool, note: str) -> dict[str, Any]:
    """Resolve an objection: upheld rejects the member (the note is the reason)."""
    text = note.strip()
    if not text:
        raise ValidationFailed.of("check_reason_required", field="note")
    with engine.begin() as conn:
        office_round(conn, user, round_id)
        publicity = store.publicity_of(conn, round_id)
        found = store.get_objection(conn, objection_id)
        if publicity is None or found is None or found["publicity_id"] != publicity["id"]:
            raise NotFound.of("check_objection_not_found", objection=objection_id)
        resolution = "upheld" if upheld else "dismissed"
        at = now()
        if not store.resolve_objection(conn, objection_id, resolution=resolution,
                                       resolution_note=text, resolved_by=user.actor.username,
                                       resolved_at=at):
            raise Conflict.of("check_objection_resolved", objection=objection_id)
        if upheld:
            member = rounds_store.get_member(conn, round_id, int(found["institution_id"]))
            if member is not None:
                rounds_store.set_member(conn, int(member["id"]), state="rejected",
                                        reason=text, updated_at=at)
        audit.record(conn, user.actor, "campaigns.objection_resolve", "campaign_objection",
                     objection_id, after={"resolution": resolution, "note": text})
    return {"id": objection_id, "resolution": resolution, "note": text}


def award(engine: Engine, user: User, round_id: int, *, awarded_on: date | None = None,
          level: str | None = None) -> dict[str, Any]:
    """Award the title to every member still publicised after the period."""
    on = awarded_on or today()
    with engine.begin() as conn:
        row = office_round(conn, user, round_id)
        check_state(row, round_states_from("closed", "award"))
        publicity = store.publicity_of(conn, round_id)
        if publicity is None:
            raise ValidationFailed.of("check_publicity_missing", round=round_id)
        if on <= publicity["ends_on"]:
            raise ValidationFailed.of("check_publicity_running", on=on.isoformat(),
                                      ends_on=publicity["ends_on"].isoformat())
        pending = [o for o in store.objections(conn, int(publicity["id"]))
                   if o["resolution"] is None]
        if pending:
            raise ValidationFailed.of("check_objections_open", count=len(pending))
        chosen = level or LEVELS.get(tree_of(conn).by_code[row["region_code"]].level, "county")
        if chosen not in LEVELS.values():
            raise ValidationFailed.of("check_level_invalid", level=chosen, field="level")
        scheme, _ = rule_of(conn, row)
        until = valid_until(on, scheme.params)
        ids = _members_in(conn, round_id, "publicised")
        at = now()
        count = title_awards.award_titles(conn, [
            {"institution_id": i, "scheme_code": scheme.code, "round_id": round_id,
             "level": chosen, "awarded_on": on, "valid_until": until} for i in ids])
        rounds_store.set_members_state(conn, round_id, ids, "awarded", at=at)
        rounds_store.set_round(conn, round_id, state="closed", closed_at=at)
        audit.record(conn, user.actor, "campaigns.award", "campaign_round", round_id,
                     after={"awarded_on": on.isoformat(), "level": chosen,
                            "valid_until": until.isoformat() if until else None,
                            "titles": count})
    return {"round_id": round_id, "awarded": count, "level": chosen,
            "awarded_on": on.isoformat(),
            "valid_until": until.isoformat() if until else None}


def reject_member(engine: Engine, user: User, round_id: int, credit_code: str, reason: str
                  ) -> dict[str, Any]:
    """Reject a member with a reason (state ``rejected``)."""
    text = reason.strip()
    if not text:
        raise ValidationFailed.of("check_reason_required", field="reason")
    with engine.begin() as conn:
        row = office_round(conn, user, round_id)
        check_state(row, ("open", "reviewing", "checking", "publicity"))
        member, inst = find_member(conn, user, row, credit_code)
        if member["state"] not in REJECTABLE:
            raise ValidationFailed.of("check_not_rejectable", credit_code=inst["credit_code"],
                                      state=member["state"])
        rounds_store.set_member(conn, int(member["id"]), state="rejected", reason=text,
                                updated_at=now())
        audit.record(conn, user.actor, "campaigns.reject", "campaign_round_member",
                     int(member["id"]), before={"state": member["state"]},
                     after={"state": "rejected", "reason": text})
    return {"round_id": round_id, "credit_code": inst["credit_code"], "state": "rejected",
            "reason": text}


def publicity_view(conn: Connection, user: User, round_row: dict[str, Any]
                   ) -> dict[str, Any] | None:
    """The round's publicity, its members' list (publicised, awarded or rejected) and
    objections, for the round page (None before the publicity)."""
    publicity = store.publicity_of(conn, int(round_row["id"]))
    if publicity is None:
        return None
    m, i = rounds_store.campaign_round_member, institution
    inside = institution_conditions(conn, scoped_filters(conn, user.scope))
    listed = conn.execute(
        select(i.c.id, i.c.credit_code, i.c.name, m.c.state, m.c.total, m.c.grade,
               m.c.reason)
        .join(i, i.c.id == m.c.institution_id)
        .where(m.c.round_id == round_row["id"],
               m.c.state.in_(("publicised", "awarded", "rejected")), *inside)
        .order_by(i.c.credit_code)).all()
    seen = {int(r.id) for r in listed}
    objections = [iso(o) for o in store.objections(conn, int(publicity["id"]))
                  if int(o["institution_id"]) in seen]
    return {**iso(publicity),
            "days": (publicity["ends_on"] - publicity["starts_on"]).days + 1,
            "list": [iso({k: v for k, v in r._mapping.items() if k != "id"})
                     for r in listed],
            "objections": objections}


__all__ = ["LEVELS", "award", "publicity_view", "raise_objection", "reject_member",
           "resolve_objection", "start_publicity"]
