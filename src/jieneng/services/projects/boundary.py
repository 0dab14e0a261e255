"""A project's boundary (issue 13 §1): the utility accounts (户号), meters, buildings and
systems it covers.

Rule: **an account or a meter in the boundary belongs to one of the project's owner
institutions.** An account belongs to the institution it is bound to now
(``metering_binding``); a meter to its institution. One bound to another institution
is refused (``Conflict``) naming both: the other institution (by name when the caller
may see it, else as "another institution") and the project with its owners. An unbound
account is refused too — its savings could not be attributed. Buildings and systems
are described in words and belong to a named owner (default: the first).

Writes need ``manage_projects`` and the project in the caller's scope; one
transaction, an audit entry.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, Row

from jieneng.core.caller import User
from jieneng.core.exceptions import Conflict, NotFound, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.scope import Scope
from jieneng.services.accounts import audit
from jieneng.services.metering.registry import find_carrier
from jieneng.services.scope import scoped_filters
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
            raise Conflict.of("project_boundary_twice", item=b.account_number or b.meter_number)
