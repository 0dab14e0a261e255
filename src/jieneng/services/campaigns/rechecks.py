"""回头看: re-checks of held titles, rectification and revocation (issue 14 §3).

- :func:`select_rechecks` — chooses the held titles of a scheme in a region's subtree
  (awarded before a date; all of them, or a reproducible share with a recorded seed —
  :func:`jieneng.core.campaigns.checks.pick_titles`); titles with an open re-check are
  left out. Each becomes a ``pending`` re-check of the year.
- :func:`record_result` — the office records the result: ``pass`` → ``passed``;
  ``fail`` → ``rectifying`` with the finding and a rectification deadline (default the
  check day + ``rectification_days`` of ``data/campaigns/procedure.csv``: 30, a platform
  convention).
- :func:`answer_rectification` — the unit (``self_assess``) reports its rectification.
- :func:`conclude` — the office concludes a rectifying re-check: rectified by the
  deadline → ``rectified`` (it passes); not rectified and the deadline past → ``revoked``
  and the title revoked (state, reason, date: R1's ``revoke_title``); before the
  deadline without an answer → refused (the unit still has time).
- :func:`remind_overdue` — the rectifications past their deadline without an answer,
  through the existing channels (in-app notifications to the unit's accounts and to its
  region's office — the nearest above with accounts —, one digest per region to the
  region's channels through the outbox); never twice a day (``reminded_on``).
- :func:`list_rechecks` — the re-checks in the caller's scope with their deadlines.

Audited like every change.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core import chinatime
from jieneng.core.caller import User
from jieneng.core.campaigns.checks import (
    RecheckState,
    pick_titles,
    recheck_move,
    rectification_deadline,
    rectified_in_time,
)
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.messages import text
from jieneng.core.permissions import Capability, require
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters, ScopeKind
from jieneng.services.accounts import audit
from jieneng.services.campaigns.check_access import iso
from jieneng.services.campaigns.round_access import now, tree_of
from jieneng.services.notifications import outbox
from jieneng.services.notifications.channels import channels_for_region
from jieneng.services.notifications.notify import Message
from jieneng.services.scope import scoped_filters, visible_institution
from jieneng.storage import alerts as alert_store
from jieneng.storage import campaign_titles as store
from jieneng.storage import notify as notify_store
from jieneng.storage import title_awards
from jieneng.storage.scoping import institution_conditions

LINK = "/campaigns/rechecks"


def _office(conn: Connection, user: User, region_code: str) -> Filters:
    """The filters of ``region_code``'s subtree when the caller acts as an office there."""
    require(user, Capability.RUN_ROUNDS)
    if user.scope.kind not in (ScopeKind.ALL, ScopeKind.REGION):
        raise NotFound.of("scope.region_not_found", region_code=region_code)
    return scoped_filters(conn, user.scope, region_code=region_code)


def _visible(conn: Connection, user: User, recheck_id: int, *, office: bool
             ) -> dict[str, Any]:
    """A re-check the caller may act on (locked); NotFound otherwise."""
    row = store.get_recheck(conn, recheck_id, lock=True)
    if row is None:
        raise NotFound.of("check_recheck_not_found", recheck=recheck_id)
    try:
        if office:
            _office(conn, user, str(row["region_code"]).strip())
        else:
            scoped_filters(conn, user.scope, institution_id=int(row["institution_id"]))
    except NotFound:
        raise NotFound.of("check_recheck_not_found", recheck=recheck_id) from None
    return row


def select_rechecks(engine: Engine, user: User, scheme_code: str, region_code: str, *,
                    year: int, awarded_before: date | None = None, share: float | None = None,
                    seed: int | None = None) -> dict[str, Any]:
    """Open a 回头看 of the held titles chosen (module docstring)."""
    day = chinatime.today()
    before = awarded_before or date(year, 1, 1)
    with engine.begin() as conn:
        filters = _office(conn, user, region_code)
        titles = store.held_titles(conn, scheme_code, institution_conditions(conn, filters),
                                   before, day)
        chosen_seed = None if share is None else (
            secrets.randbelow(2**31 - 1) if seed is None else int(seed))
        ids = pick_titles([int(t["id"]) for t in titles], share=share, seed=chosen_seed or 0)
        if not ids:
            raise ValidationFailed.of("check_no_titles", scheme=scheme_code,
                                      region_code=region_code, before=before.isoformat())
        by_id = {int(t["id"]): t for t in titles}
        at = now()
        store.insert_rechecks(conn, [
            {"title_id": i, "institution_id": int(by_id[i]["institution_id"]),
             "scheme_code": scheme_code, "region_code": str(by_id[i]["region_code"]).strip(),
             "year": year, "state": RecheckState.PENDING.value, "seed": chosen_seed,
             "selected_by": user.actor.username, "selected_at": at} for i in ids])
        audit.record(conn, user.actor, "campaigns.recheck_select", "region", region_code,
                     after={"scheme": scheme_code, "year": year, "share": share,
                            "seed": chosen_seed, "awarded_before": before.isoformat(),
                            "titles": ids})
    return {"scheme": scheme_code, "region_code": region_code, "year": year,
            "held": len(titles), "selected": len(ids), "share": share, "seed": chosen_seed}


def record_result(engine: Engine, user: User, recheck_id: int, *, passed: bool,
                  finding: str = "", checked_on: date | None = None,
                  deadline: date | None = None) -> dict[str, Any]:
    """The re-check's result: passed, or failed with a rectification deadline."""
    note = finding.strip()
    if not passed and not note:
        raise ValidationFailed.of("check_reason_required", field="finding")
    on = checked_on or chinatime.today()
    with engine.begin() as conn:
        row = _visible(conn, user, recheck_id, office=True)
        state = recheck_move(row["state"], "pass" if passed else "fail")
        due = None if passed else (deadline or rectification_deadline(on))
        if due is not None and due <= on:
            raise ValidationFailed.of("check_deadline_before", deadline=due.isoformat(),
                                      checked_on=on.isoformat(), field="deadline")
        values = {"state": state.value, "checked_on": on, "finding": note or None,
                  "checked_by": user.actor.username, "deadline": due,
                  "concluded_on": on if passed else None,
                  "concluded_by": user.actor.username if passed else None}
        store.set_recheck(conn, recheck_id, **values)
        audit.record(conn, user.actor, "campaigns.recheck_result", "campaign_recheck",
                     recheck_id, before={"state": row["state"]}, after=iso(values))
    return {"id": recheck_id, **iso(values)}


def answer_rectification(engine: Engine, user: User, recheck_id: int, answer: str, *,
                         on: date | None = None) -> dict[str, Any]:
    """The unit's report of its rectification (``self_assess``)."""
    require(user, Capability.SELF_ASSESS)
    body = answer.strip()
    if not body:
        raise ValidationFailed.of("check_rectification_text", field="rectification")
    day = on or chinatime.today()
    with engine.begin() as conn:
        row = _visible(conn, user, recheck_id, office=False)
        if row["state"] != RecheckState.RECTIFYING.value:
            raise ValidationFailed.of("check_not_rectifying", recheck=recheck_id,
                                      state=row["state"])
        store.set_recheck(conn, recheck_id, rectification=body, rectified_on=day,
                          rectified_by=user.actor.username)
        audit.record(conn, user.actor, "campaigns.recheck_rectification", "campaign_recheck",
                     recheck_id, after={"rectification": body, "on": day.isoformat()})
    return {"id": recheck_id, "rectification": body, "rectified_on": day.isoformat(),
            "deadline": row["deadline"].isoformat() if row["deadline"] else None}


def conclude(engine: Engine, user: User, recheck_id: int, *, on: date | None = None,
             reason: str = "") -> dict[str, Any]:
    """Conclude a rectifying re-check: rectified in time passes, else revoked."""
    day = on or chinatime.today()
    with engine.begin() as conn:
        row = _visible(conn, user, recheck_id, office=True)
        if row["state"] != RecheckState.RECTIFYING.value or row["deadline"] is None:
            raise ValidationFailed.of("check_not_rectifying", recheck=recheck_id,
                                      state=row["state"])
        deadline: date = row["deadline"]
        answered: date | None = row["rectified_on"]
        if answered is not None and rectified_in_time(deadline, answered):
            state = recheck_move(row["state"], "rectified")
        elif day <= deadline:
            raise ValidationFailed.of("check_recheck_not_due", recheck=recheck_id,
                                      deadline=deadline.isoformat())
        else:
            state = recheck_move(row["state"], "revoke")
            why = reason.strip() or text("zh-CN", "campaigns.checks.revoked_reason",
                                         deadline=deadline.isoformat())
            title_awards.revoke_title(conn, int(row["title_id"]), revoked_on=day, reason=why)
        store.set_recheck(conn, recheck_id, state=state.value, concluded_on=day,
                          concluded_by=user.actor.username)
        audit.record(conn, user.actor, "campaigns.recheck_conclude", "campaign_recheck",
                     recheck_id, before={"state": row["state"]},
                     after={"state": state.value, "on": day.isoformat()})
    return {"id": recheck_id, "state": state.value, "concluded_on": day.isoformat()}


def list_rechecks(db: Engine, user: User, *, region_code: str | None = None,
                  scheme_code: str | None = None, year: int | None = None,
                  state: str | None = None) -> list[dict[str, Any]]:
    """The re-checks inside the caller's scope (a unit: its own)."""
    with db.connect() as conn:
        filters = scoped_filters(conn, user.scope, region_code=region_code)
        rows = store.list_rechecks(conn, institution_conditions(conn, filters),
                                   scheme_code=scheme_code, year=year, state=state)
        today = chinatime.today()
        tree = tree_of(conn)
    out = []
    for r in rows:  # one page of re-checks (the query's limit)
        d = iso(r)
        d["region_name"] = tree.name(d["region_code"]) if d["region_code"] in tree else ""
        d["overdue"] = bool(r["state"] == "rectifying" and r["deadline"] is not None
                            and r["deadline"] < today and r["rectified_on"] is None)
        out.append(d)
    return out


def _digest(tree: RegionTree, region: str, rows: list[dict[str, Any]]) -> Message:
    lines = [text("zh-CN", "campaigns.checks.overdue_line", credit_code=r["credit_code"],
                  name=r["name"], deadline=r["deadline"].isoformat()) for r in rows]
    return Message(title=text("zh-CN", "campaigns.checks.overdue_title",
                              region=tree.name(region), count=len(rows))[:200],
                   body="\n".join(lines), link=f"{LINK}?region={region}&state=rectifying")


def remind_overdue(engine: Engine, *, today: date | None = None,
                   at: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Remind the overdue rectifications (module docstring); counts sent (a dry run:
    what would be sent, nothing stored or queued)."""
    day = today or chinatime.today()
    when = at or now()
    with engine.begin() as conn:
        rows = store.overdue_rechecks(conn, day)
        if not dry_run:
            store.mark_reminded(conn, [int(r["id"]) for r in rows], day)
        tree = tree_of(conn)
        by_region: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_region.setdefault(str(r["region_code"]).strip(), []).append(r)
        units = notify_store.institution_users(conn, [int(r["institution_id"]) for r in rows])
        notes: list[dict[str, Any]] = []
        queued = 0
        for region, group in sorted(by_region.items()):
            message = _digest(tree, region, group)
            offices = alert_store.responsible_users(conn, tree.lineage(region))
            unit_users = {u for r in group for u in units.get(int(r["institution_id"]), [])}
            notes += [{"user_id": u, "kind": "recheck", "title": message.title,
                       "body": message.body, "link": message.link, "created_at": when}
                      for u in sorted(set(offices) | unit_users)]
            found = channels_for_region(conn, region, tree=tree)
            if dry_run:
                queued += len(found)
                continue
            queued += len(outbox.enqueue(conn, found, message,
                                         ref={"rechecks": [r["id"] for r in group]}, at=when))
        if dry_run:
            return {"overdue": len(rows), "notifications": len(notes), "queued": queued}
        notify_store.insert_notifications(conn, notes)
    outbox.wake()
    return {"overdue": len(rows), "notifications": len(notes), "queued": queued}


def titles_of(db: Engine, user: User, credit_code: str) -> list[dict[str, Any]]:
    """The titles of an institution in the caller's scope."""
    with db.connect() as conn:
        inst = visible_institution(conn, user.scope, credit_code)
        return [iso(t) for t in title_awards.titles_of(conn, inst.id)]


__all__ = ["answer_rectification", "conclude", "list_rechecks", "record_result",
           "remind_overdue", "select_rechecks", "titles_of"]
