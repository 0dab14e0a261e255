"""The project registry's commands and reads: register a project (one or many owner
institutions), read one, list a scope's projects (issue 13 §1).

Rules:

- **Scope.** A project is seen by whoever sees one of its owners, and by a region's
  office when the project is counted in its subtree
  (:func:`jieneng.storage.projects.visible_condition`); outside: NotFound, the same
  answer as for a project that does not exist.
- **Owners.** Every owner is an institution the caller sees (a 公共机构 registers only
  its own projects); a packaged project ("小散") has several.
- **Region.** The region the project is counted in holds every owner; by default the
  lowest region holding them all.
- **Code.** Unique platform-wide.

Writes need ``manage_projects``; reads need no capability beyond the scope (as the
statistics pages). Every write: one transaction, an audit entry; a new project starts
in 征集/申报 with its first lifecycle event.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError

from jieneng.core.caller import User
from jieneng.core.exceptions import Conflict, NotFound, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.projects.lifecycle import FINAL, State, next_states
from jieneng.core.projects.spec import MeasureSpec, ProjectSpec, project_spec
from jieneng.core.projects.types import label
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Scope
from jieneng.services.accounts import audit
from jieneng.services.metering.registry import find_carrier
from jieneng.services.scope import scoped_filters, visible_institutions
from jieneng.storage import projects as store
from jieneng.storage import regions
from jieneng.storage.institutions import InstitutionRow


def now() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------ lookups

def find_project(conn: Connection, scope: Scope, code: str, *, lock: bool = False) -> Row[Any]:
    """The project ``code`` inside ``scope``; NotFound otherwise (whether it does not
    exist or is out of scope)."""
    row = store.find(conn, code.strip(), scoped_filters(conn, scope), lock=lock)
    if row is None:
        raise NotFound.of("project_not_found", code=code)
    return row


def owner_rows(conn: Connection, scope: Scope, codes: Sequence[str]
               ) -> dict[str, InstitutionRow]:
    """Credit code → institution for ``codes``; NotFound naming the first one the
    caller does not see."""
    found = visible_institutions(conn, scope, codes)
    for code in codes:
        if code.upper() not in found:
            raise NotFound.of("project_owner_not_found", credit_code=code)
    return found


def project_region(tree: RegionTree, wanted: str | None, owner_regions: Sequence[str],
                   ) -> str:
    """The region the project is counted in: ``wanted`` when it holds every owner (else
    refused), or the lowest region holding them all."""
    if wanted is not None:
        outside = sorted({r for r in owner_regions if wanted not in tree.lineage(r)})
        if outside:
            raise ValidationFailed.of("project_region_not_holding_owners", region=wanted,
                                      owners=", ".join(outside))
        return wanted
    common: list[str] | None = None
    for code in owner_regions:
        line = tree.lineage(code)
        common = line if common is None else [c for c in common if c in line]
    if not common:
        raise ValidationFailed.of("project_region_not_holding_owners", region="",
                                  owners=", ".join(sorted(set(owner_regions))))
    return common[0]


# ------------------------------------------------------------------ register

def create_project(engine: Engine, user: User, spec: ProjectSpec) -> dict[str, Any]:
    """Register ``spec`` (in 征集/申报); Conflict when its code is taken."""
    require(user, Capability.MANAGE_PROJECTS)
    with engine.begin() as conn:
        ids = insert_specs(conn, user, [spec])
        audit.record(conn, user.actor, "projects.create", "project", ids[spec.code],
                     after={"code": spec.code, "type": spec.type.value,
                            "owners": list(spec.owners)})
        return project_dict(conn, find_project(conn, user.scope, spec.code))


def insert_specs(conn: Connection, user: User, specs: Sequence[ProjectSpec]) -> dict[str, int]:
    """Insert checked specs (set-based: one statement per table) with their owners,
    measures and first event; returns code → id. Raises the first problem found."""
    taken = store.existing_codes(conn, [s.code for s in specs])
    if taken:
        raise Conflict.of("project_code_taken", code=sorted(taken)[0])
    owners = owner_rows(conn, user.scope, sorted({o for s in specs for o in s.owners}))
    tree = RegionTree(regions.load_regions(conn))
    at, who = now(), user.actor.username
    rows = []
    for spec in specs:  # a registry: hundreds of projects, not millions
        region = project_region(tree, spec.region_code,
                                [owners[o].region_code for o in spec.owners])
        if spec.region_code is not None:
            scoped_filters(conn, user.scope, region_code=region)
        rows.append(spec.row() | {"region_code": region, "state": State.DECLARED.value,
                                  "created_by": who, "created_at": at, "updated_at": at})
    try:
        ids = store.insert_projects(conn, rows)
    except IntegrityError:  # a code registered at the same moment by someone else
        raise Conflict.of("project_code_taken", code=", ".join(str(r["code"]) for r in rows)
                          ) from None
    store.insert_rows(conn, store.project_owner, [
        {"project_id": ids[s.code], "institution_id": owners[o].id, "position": n}
        for s in specs for n, o in enumerate(s.owners)])
    store.insert_rows(conn, store.project_measure, [
        {"project_id": ids[s.code], "name": m.name, "carrier": m.carrier,
         "investment_yuan": m.investment_yuan, "expected_saving": m.expected_saving,
         "expected_tce": m.expected_tce, "expected_yuan": m.expected_yuan}
        for s in specs for m in s.measures])
    store.insert_rows(conn, store.project_event, [
        {"project_id": ids[s.code], "from_state": None, "to_state": State.DECLARED.value,
         "actor": who, "at": at, "reason": None} for s in specs])
    return ids


#: the fields an update may change (type, subtype, owners and code stay as registered)
EDITABLE: tuple[str, ...] = (
    "name", "year", "esco_name", "esco_credit_code", "funding_source", "ipmvp_option",
    "area_m2", "pv_kwp", "heat_pumps", "heat_pump_kw", "investment_yuan", "expected_tce",
    "expected_yuan", "planned_start", "planned_end", "description")


def _open_project(conn: Connection, user: User, code: str) -> Row[Any]:
    """The project ``code`` in the caller's scope, locked for a change; refused once it
    is closed or terminated (``project_closed``)."""
    row = find_project(conn, user.scope, code, lock=True)
    if State(row.state) in FINAL:
        raise ValidationFailed.of("project_closed", code=row.code)
    return row


def update_project(engine: Engine, user: User, code: str, changes: dict[str, Any]
                   ) -> dict[str, Any]:
    """Change the project's registered fields (:data:`EDITABLE`), checked as at
    registration; the other fields stay. Audited with before and after."""
    require(user, Capability.MANAGE_PROJECTS)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationFailed.of("project_field_not_editable", field=", ".join(unknown))
    with engine.begin() as conn:
        row = _open_project(conn, user, code)
        now_values = {k: row._mapping[k] for k in EDITABLE}
        merged = now_values | changes
        owners = [o.credit_code for o in store.owners_of(conn, [int(row.id)])]
        checked = project_spec(
            code=row.code, name=str(merged.pop("name") or ""), type_text=row.type,
            owners=owners, year=merged.pop("year"), subtype_text=row.subtype,
            ipmvp_text=merged.pop("ipmvp_option"), **merged).row()
        after = {k: checked[k] for k in EDITABLE}
        at = now()
        store.update_project(conn, int(row.id), after | {"updated_at": at})
        audit.record(conn, user.actor, "projects.update", "project", int(row.id),
                     before={k: str(v) for k, v in now_values.items() if k in changes},
                     after={k: str(after[k]) for k in changes})
        return project_dict(conn, find_project(conn, user.scope, code))


def _checked_measure(measure: MeasureSpec) -> MeasureSpec:
    for name in ("investment_yuan", "expected_saving", "expected_tce", "expected_yuan"):
        value = getattr(measure, name)
        if value is not None and (value < 0 or value != value or value == float("inf")):
            raise ValidationFailed.of("project_figure_invalid", field=name, value=value)
    if not measure.name.strip():
        raise ValidationFailed.of("project_field_required", field="name")
    if len(measure.name.strip()) > 200:
        raise ValidationFailed.of("project_measure_name_long", limit=200)
    carrier = (measure.carrier or "").strip() or None
    if carrier is not None:
        carrier = find_carrier(carrier).code
    return MeasureSpec(measure.name.strip(), carrier, measure.investment_yuan,
                       measure.expected_saving, measure.expected_tce, measure.expected_yuan)


def add_measure(engine: Engine, user: User, code: str, measure: MeasureSpec
                ) -> dict[str, Any]:
    """Add a measure (节能措施) to the project — at registration or any time after,
    until the project is closed or terminated."""
    require(user, Capability.MANAGE_PROJECTS)
    measure = _checked_measure(measure)
    with engine.begin() as conn:
        row = _open_project(conn, user, code)
        values = {"project_id": int(row.id), **asdict(measure)}
        store.insert_rows(conn, store.project_measure, [values])
        store.touch(conn, int(row.id), now())
        new_id = max(int(m.id) for m in store.measures_of(conn, int(row.id)))
        audit.record(conn, user.actor, "projects.measure", "project", int(row.id),
                     after={"measure_id": new_id, **asdict(measure)})
    return {"id": new_id, **asdict(measure)}


def update_measure(engine: Engine, user: User, code: str, measure_id: int,
                   measure: MeasureSpec) -> dict[str, Any]:
    """Replace the measure ``measure_id`` of the project (name, carrier, figures),
    checked as when added; audited with before and after."""
    require(user, Capability.MANAGE_PROJECTS)
    measure = _checked_measure(measure)
    with engine.begin() as conn:
        row = _open_project(conn, user, code)
        found = next((m for m in store.measures_of(conn, int(row.id))
                      if int(m.id) == measure_id), None)
        if found is None:
            raise NotFound.of("project_measure_not_found", id=measure_id, project=row.code)
        before = {k: found._mapping[k] for k in asdict(measure)}
        store.update_measure(conn, measure_id, asdict(measure))
        store.touch(conn, int(row.id), now())
        audit.record(conn, user.actor, "projects.measure_update", "project", int(row.id),
                     before={"measure_id": measure_id, **before},
                     after={"measure_id": measure_id, **asdict(measure)})
    return {"id": measure_id, **asdict(measure)}


# ------------------------------------------------------------------ reads

def get_project(engine: Engine, user: User, code: str) -> dict[str, Any]:
    """The project with owners, boundary, measures, contract, events and the moves
    open to the caller."""
    with engine.connect() as conn:
        row = find_project(conn, user.scope, code)
        out = project_dict(conn, row)
        pid = int(row.id)
        out["boundary"] = [boundary_dict(b) for b in store.boundary_of(conn, pid)]
        out["measures"] = [{k: m._mapping[k] for k in (
            "id", "name", "carrier", "investment_yuan", "expected_saving", "expected_tce",
            "expected_yuan")} for m in store.measures_of(conn, pid)]
        contract = store.contract_of(conn, pid)
        out["contract"] = None if contract is None else contract_dict(contract)
        out["events"] = [{"from": e.from_state, "to": e.to_state, "actor": e.actor,
                          "at": e.at.isoformat() if e.at else None, "reason": e.reason,
                          "recorded_at": (e.recorded_at.isoformat() if e.recorded_at
                                          else None)}
                         for e in store.events_of(conn, pid)]
    out["moves"] = [{"to": m.target.value, "label_zh": m.target.label_zh,
                     "label_en": m.target.label_en, "capability": m.capability,
                     "allowed": user.can(Capability(m.capability))}
                    for m in next_states(State(row.state))]
    return out


def list_projects(engine: Engine, user: User, *, region_code: str | None = None,
                  types: Sequence[str] = (), states: Sequence[str] = (),
                  year: int | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The caller's projects (inside ``region_code`` when given), with their owners."""
    with engine.connect() as conn:
        filters = scoped_filters(conn, user.scope, region_code=region_code)
        rows = store.list_projects(conn, filters, types=types, states=states, year=year,
                                   limit=limit)
        owners = _owners_by_project(conn, [int(r.id) for r in rows])
    return [summary_dict(r, owners.get(int(r.id), [])) for r in rows]


def _owners_by_project(conn: Connection, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for o in store.owners_of(conn, ids):
        out.setdefault(int(o.project_id), []).append(
            {"credit_code": o.credit_code, "name": o.name, "region_code": o.region_code})
    return out


_FIGURES = ("area_m2", "pv_kwp", "heat_pumps", "heat_pump_kw", "investment_yuan",
            "expected_tce", "expected_yuan")


def summary_dict(row: Row[Any], owners: list[dict[str, Any]]) -> dict[str, Any]:
    """A project as the list shows it."""
    state = State(row.state)
    kind = label("type", row.type)
    sub = label("subtype", row.subtype, row.type) if row.subtype else None
    return {
        "id": int(row.id), "code": row.code, "name": row.name, "type": row.type,
        "type_zh": kind.name_zh, "type_en": kind.name_en, "subtype": row.subtype,
        "subtype_zh": sub.name_zh if sub else None, "subtype_en": sub.name_en if sub else None,
        "region_code": row.region_code, "state": state.value, "state_zh": state.label_zh,
        "state_en": state.label_en, "year": int(row.year), "esco_name": row.esco_name,
        "owners": owners, **{f: row._mapping[f] for f in _FIGURES}}


def project_dict(conn: Connection, row: Row[Any]) -> dict[str, Any]:
    """Every column of the project, with its owners."""
    out = summary_dict(row, _owners_by_project(conn, [int(row.id)]).get(int(row.id), []))
    for k in ("esco_credit_code", "funding_source", "ipmvp_option", "description"):
        out[k] = row._mapping[k]
    for k in ("planned_start", "planned_end"):
        out[k] = row._mapping[k].isoformat() if row._mapping[k] else None
    for k in ("created_at", "updated_at"):
        out[k] = row._mapping[k].isoformat() if row._mapping[k] else None
    out["created_by"] = row.created_by
    return out


def boundary_dict(b: Row[Any]) -> dict[str, Any]:
    return {"id": int(b.id), "kind": b.kind, "institution": b.credit_code,
            "institution_name": b.institution_name,
            "account": b.account_number, "account_carrier": b.account_carrier,
            "meter": b.meter_number, "meter_carrier": b.meter_carrier,
            "description": b.description, "area_m2": b.area_m2,
            "removed_on": b.removed_on.isoformat() if b.removed_on else None,
            "removed_reason": b.removed_reason, "removed_by": b.removed_by}


def contract_dict(c: Row[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in c._mapping.items():
        if k in ("id", "project_id"):
            continue
        out[k] = v.isoformat() if hasattr(v, "isoformat") else v
    out["check_result"] = json.loads(c.check_result) if c.check_result else None
    return out
