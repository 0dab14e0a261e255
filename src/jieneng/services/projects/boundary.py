"""A project's boundary (issue 13 §1): the utility accounts (户号), meters, buildings and
systems it covers.

Rule: **an account or a meter in the boundary belongs to one of the project's owner
institutions.** An account belongs to the institution it is bound to now
(``metering_binding``); a meter to its institution. One bound to another institution
is refused (``Conflict``) naming both: the other institution (by name when the caller
may see it, else as "another institution") and the project with its owners. An unbound
account is refused too — its savings could not be attributed. Buildings and systems
are described in words and belong to a named owner (default: the first).

**Removing a line** (:func:`remove_boundary`) keeps it, marked with the first day it
no longer counts (``removed_on``), the reason, who and when: its meters' data count
for the days before that day only (M&V inputs, generation). Refused
(``Conflict``) when the change would alter a figure already made from the line: an
M&V run whose windows (baseline start … reporting end) used one of its meters on or
after that day, or a statement of a later month made from such a run or from the
line's generation meters (``project_boundary_removal_used``, naming the runs and
statements), or a settlement on such a statement
(``project_boundary_removal_settled``) — remove from a later day, or refit first. A
building or system line feeds no figure: removable any day. A removed line is not
added again (``project_boundary_removal_readd``).

Writes need ``manage_projects`` and the project in the caller's scope; one
transaction, an audit entry.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, Row

from jieneng.core.caller import User
from jieneng.core.exceptions import Conflict, NotFound, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.projects.cadence import kind_label
from jieneng.core.scope import Scope
from jieneng.services.accounts import audit
from jieneng.services.metering.registry import find_carrier
from jieneng.services.scope import scoped_filters
from jieneng.storage import project_inputs, project_settlement
from jieneng.storage import projects as store
from jieneng.storage.projects import BOUNDARY_KINDS

from .registry import boundary_dict, find_project, now


def add_boundary(engine: Engine, user: User, code: str, *, kind: str,
                 institution: str | None = None, carrier: str | None = None,
                 account: str | None = None, meter: str | None = None,
                 description: str | None = None, area_m2: float | None = None
                 ) -> dict[str, Any]:
    """Add an account (``carrier`` + ``account``), a meter (``meter`` number, of
    ``institution`` when given, else searched among the owners'), or a building /
    system (``description``) to the project's boundary."""
    require(user, Capability.MANAGE_PROJECTS)
    if kind not in BOUNDARY_KINDS:
        raise ValidationFailed.of("project_boundary_kind_unknown", value=kind)
    with engine.begin() as conn:
        project = find_project(conn, user.scope, code, lock=True)
        owners = store.owners_of(conn, [int(project.id)])
        values: dict[str, Any] = {"project_id": int(project.id), "kind": kind,
                                  "area_m2": area_m2, "description": (description or None),
                                  "created_by": user.actor.username, "created_at": now()}
        if kind == "account":
            values |= _account(conn, user.scope, project, owners, carrier, account)
        elif kind == "meter":
            values |= _meter(conn, user.scope, project, owners, institution, meter)
        else:
            if not (description or "").strip():
                raise ValidationFailed.of("project_field_required", field="description")
            values["institution_id"] = _owner(project, owners, institution)
        _not_twice(conn, int(project.id), values)
        store.insert_rows(conn, store.project_boundary, [values])
        store.touch(conn, int(project.id), values["created_at"])
        audit.record(conn, user.actor, "projects.boundary", "project", int(project.id),
                     after={k: v for k, v in values.items() if k != "created_at"})
        added = store.boundary_of(conn, int(project.id))[-1]
    return boundary_dict(added)


def _owner(project: Row[Any], owners: list[Row[Any]], institution: str | None) -> int:
    if not institution:
        return int(owners[0].id)
    for o in owners:
        if o.credit_code == institution.strip().upper():
            return int(o.id)
    raise ValidationFailed.of("project_boundary_not_an_owner", credit_code=institution,
                              project=project.code,
                              owners="、".join(o.name for o in owners))


def _elsewhere(conn: Connection, scope: Scope, project: Row[Any], owners: list[Row[Any]],
               what: str, item: str, other_id: int, other_name: str, other_code: str
               ) -> Conflict:
    """The refusal naming the other institution and the project's owners."""
    if _sees(conn, scope, other_id):
        zh, en = f"{other_name}（{other_code}）", f"{other_name} ({other_code})"
    else:
        zh, en = "另一单位（不在您的范围内）", "another institution (outside your scope)"
    names = "、".join(f"{o.name}（{o.credit_code}）" for o in owners)
    return Conflict.of("project_boundary_other_institution", project=project.code, item=item,
                       values={"what_zh": "户号" if what == "account" else "计量表",
                               "what_en": what, "other_zh": zh, "other_en": en,
                               "owners_zh": names,
                               "owners_en": ", ".join(f"{o.name} ({o.credit_code})"
                                                      for o in owners)})


def _account(conn: Connection, scope: Scope, project: Row[Any], owners: list[Row[Any]],
             carrier: str | None, number: str | None) -> dict[str, Any]:
    if not (number or "").strip() or not (carrier or "").strip():
        raise ValidationFailed.of("project_field_required", field="carrier, account")
    key = (find_carrier(carrier or "").code, (number or "").strip())
    found = store.account_now(conn, *key)
    if found is None:
        raise NotFound.of("project_boundary_account_not_found", account=key[1])
    if found.institution_id is None:
        raise ValidationFailed.of("project_boundary_account_unbound", account=key[1])
    if int(found.institution_id) not in {int(o.id) for o in owners}:
        raise _elsewhere(conn, scope, project, owners, "account", key[1],
                         int(found.institution_id), found.name, found.credit_code)
    return {"account_id": int(found.id), "institution_id": int(found.institution_id)}


def _meter(conn: Connection, scope: Scope, project: Row[Any], owners: list[Row[Any]],
           institution: str | None, number: str | None) -> dict[str, Any]:
    """The meter ``number`` of ``institution`` (else of an owner, else of anyone — to
    name who it belongs to)."""
    number = (number or "").strip()
    if not number:
        raise ValidationFailed.of("project_field_required", field="meter")
    owner_ids = {int(o.id) for o in owners}
    found = store.meters_numbered(conn, number)
    if institution:
        found = [m for m in found if m.credit_code == institution.strip().upper()]
    mine = [m for m in found if int(m.institution_id) in owner_ids]
    if mine:
        return {"meter_id": int(mine[0].id), "institution_id": int(mine[0].institution_id)}
    visible = [m for m in found if _sees(conn, scope, int(m.institution_id))]
    if not visible:
        raise NotFound.of("project_boundary_meter_not_found", meter=number,
                          credit_code=institution or project.code)
    other = visible[0]
    raise _elsewhere(conn, scope, project, owners, "meter", number,
                     int(other.institution_id), other.name, other.credit_code)


def _sees(conn: Connection, scope: Scope, institution_id: int) -> bool:
    try:
        scoped_filters(conn, scope, institution_id=institution_id)
    except NotFound:
        return False
    return True


def _not_twice(conn: Connection, project_id: int, values: dict[str, Any]) -> None:
    for b in store.boundary_of(conn, project_id):
        if (values.get("account_id") is not None and b.account_id == values["account_id"]) or (
                values.get("meter_id") is not None and b.meter_id == values["meter_id"]):
            if b.removed_on is not None:
                raise Conflict.of("project_boundary_removal_readd",
                                  item=b.account_number or b.meter_number,
                                  removed_on=b.removed_on.isoformat())
            raise Conflict.of("project_boundary_twice", item=b.account_number or b.meter_number)


# ------------------------------------------------------------------ removal

def remove_boundary(engine: Engine, user: User, code: str, boundary_id: int, *,
                    removed_on: date, reason: str) -> dict[str, Any]:
    """Remove the boundary line ``boundary_id`` from ``removed_on`` (that day and later
    no longer count) for ``reason`` (module docstring: the refusals)."""
    require(user, Capability.MANAGE_PROJECTS)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.of("project_field_required", field="reason")
    with engine.begin() as conn:
        project = find_project(conn, user.scope, code, lock=True)
        pid = int(project.id)
        line = next((b for b in store.boundary_of(conn, pid) if int(b.id) == boundary_id), None)
        if line is None:
            raise NotFound.of("project_boundary_removal_not_found", id=boundary_id,
                              project=project.code)
        item = line.account_number or line.meter_number or line.description or str(line.id)
        if line.removed_on is not None:
            raise Conflict.of("project_boundary_removal_twice", item=item,
                              removed_on=line.removed_on.isoformat())
        if line.kind in ("account", "meter"):
            _unchanged_figures(conn, project, line, item, removed_on)
        at = now()
        values = {"removed_on": removed_on, "removed_reason": reason,
                  "removed_by": user.actor.username, "removed_at": at}
        store.remove_member(conn, int(line.id), values)
        store.touch(conn, pid, at)
        audit.record(conn, user.actor, "projects.boundary_remove", "project", pid,
                     before={"boundary_id": int(line.id), "kind": line.kind, "item": item},
                     after={"removed_on": removed_on.isoformat(), "reason": reason})
        removed = next(b for b in store.boundary_of(conn, pid) if int(b.id) == boundary_id)
    return boundary_dict(removed)


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _unchanged_figures(conn: Connection, project: Row[Any], line: Row[Any], item: str,
                       removed_on: date) -> None:
    """Refuse when a stored run, statement or settlement used one of the line's meters
    on ``removed_on`` or later (its figures would change)."""
    meters = {i for i, _d in project_inputs.member_meters(conn, [line])}
    if not meters:
        return
    pid = int(project.id)
    used: dict[int, dict[str, Any]] = {}
    for run in project_settlement.runs(conn, pid, current_only=False):
        ids = {int(i) for i in (run["inputs"] or {}).get("meters") or ()}
        last = max(d for d in (run["baseline_end"], run["reporting_end"]) if d is not None)
        if ids & meters and last >= removed_on:
            used[int(run["id"])] = run
    runs_hit = set(used)
    generates = bool(project_inputs.member_meters(conn, [line], "solar_pv"))
    statements = []
    for st in project_settlement.statements(conn, pid):
        ids = {int(i) for i in (st["run_ids"] or {}).values()}
        if _last_day(int(st["year"]), int(st["last_month"])) < removed_on:
            continue
        runs_meters = [project_settlement.run(conn, i) for i in ids - runs_hit]
        generation = ((st["figures"] or {}).get("generation") or {}).get("sources") or ()
        if ids & runs_hit or any(r is not None and meters & {int(m) for m in (
                r["inputs"] or {}).get("meters") or ()} for r in runs_meters) or (
                generates and "meter" in generation):
            statements.append(st)
    names = {int(st["id"]): f"{st['kind']} {st['period']}" for st in statements}
    settled = [s for s in project_settlement.settlements(conn, pid)
               if int(s["statement_id"]) in names]
    if settled:
        raise Conflict.of(
            "project_boundary_removal_settled", item=item, removed_on=removed_on.isoformat(),
            project=project.code,
            settlements=", ".join(f"{s['period']} ({s['state']})" for s in settled),
            values={"settlements_en": ", ".join(f"{s['period']} ({s['state']})"
                                                for s in settled),
                    "settlements_zh": "、".join(
                f"{s['period']}（{'已确认' if s['state'] == 'confirmed' else '草稿'}）"
                for s in settled)})
    if used or statements:
        runs = [f"#{i} {r['carrier']} {r['baseline_start']}…"
                f"{r['reporting_end'] or r['baseline_end']}" for i, r in sorted(used.items())]
        raise Conflict.of(
            "project_boundary_removal_used", item=item, removed_on=removed_on.isoformat(),
            project=project.code, used="; ".join([*runs, *names.values()]),
            values={"used_en": "; ".join([*runs, *names.values()]),
                    "used_zh": "；".join([*(f"基准拟合 {r}" for r in runs), *(
                f"{kind_label(st['kind'])} {st['period']}" for st in statements)])})
