"""Non-routine adjustments of a project's baseline (IPMVP Core Concepts 2016 §5: area,
occupants, operating hours, added loads — factors not expected to change), recorded
with their evidence and approved before they count (issue 13 §3).

- :func:`propose` — a carrier's adjustment over [start, end): the baseline × ``factor``
  + ``value`` [canonical unit over the whole period], the reason and the evidence (a
  document of the project, **required**: refused without it); state ``proposed``.
  Capability ``manage_projects`` (the unit or the ESCO's filer proposes).
- :func:`decide` — approve or reject a proposed adjustment (``approve_projects``, not
  by the one who proposed it), with a note; audited. Only ``approved`` adjustments
  enter the adjusted baseline (:func:`jieneng.services.projects.mv_runs.adjustments_of`).
- :func:`list_adjustments` — a project's adjustments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.carriers import carrier as find_carrier
from jieneng.core.exceptions import Conflict, NotFound, NotPermitted, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.services.accounts import audit
from jieneng.storage import project_settlement as store

from .mv_access import visible_project


@dataclass(frozen=True)
class AdjustmentSpec:
    carrier: str
    kind: str  # area | occupants | hours | added_load
    start: date
    end: date  # excluded
    value: float
    reason: str
    document_id: int | None
    factor: float = 1.0


#: the longest reason an adjustment takes (the form's ``reason`` carries it as ``maxlength``)
REASON_MAX = 2000


def _check(spec: AdjustmentSpec, code: str) -> None:
    if spec.document_id is None:
        raise ValidationFailed.of("project_adjustment.no_evidence", project=code)
    if spec.kind not in store.ADJUSTMENT_KINDS:
        raise ValidationFailed.of("project_adjustment.bad_kind", kind=spec.kind)
    if not spec.reason.strip():
        raise ValidationFailed.of("project_adjustment.no_reason")
    if len(spec.reason.strip()) > REASON_MAX:
        raise ValidationFailed.of("project_adjustment.reason_too_long", maximum=REASON_MAX,
                                  length=len(spec.reason.strip()), field="reason")
    if spec.end <= spec.start:
        raise ValidationFailed.of("project_adjustment.bad_period", start=spec.start.isoformat(),
                                  end=spec.end.isoformat())
    if not spec.factor > 0:
        raise ValidationFailed.of("project_adjustment.bad_factor", factor=spec.factor)
    find_carrier(spec.carrier)


def propose(engine: Engine, user: User, code: str, spec: AdjustmentSpec) -> dict[str, Any]:
    """Record a proposed adjustment (module docstring); returns it."""
    require(user, Capability.MANAGE_PROJECTS)
    _check(spec, code)
    with engine.begin() as conn:
        project = visible_project(conn, user, code)
        assert spec.document_id is not None
        if store.document_of(conn, int(project["id"]), spec.document_id) is None:
            raise ValidationFailed.of("project_adjustment.bad_evidence", project=code,
                                      document_id=spec.document_id)
        values = {"project_id": project["id"], "carrier": spec.carrier, "kind": spec.kind,
                  "period_start": spec.start, "period_end": spec.end, "value": spec.value,
                  "factor": spec.factor, "reason": spec.reason.strip(),
                  "document_id": spec.document_id, "state": "proposed",
                  "created_by": user.username}
        new_id = store.insert_adjustment(conn, values)
        audit.record(conn, user.actor, "project.adjustment.propose", "project_adjustment",
                     new_id, after={k: str(v) for k, v in values.items()})
        found = store.adjustment(conn, new_id)
    assert found is not None
    return found


def decide(engine: Engine, user: User, code: str, adjustment_id: int, *, approve: bool,
           note: str | None = None) -> dict[str, Any]:
    """Approve or reject a proposed adjustment; returns it."""
    require(user, Capability.APPROVE_PROJECTS)
    at = datetime.now(UTC)
    with engine.begin() as conn:
        project = visible_project(conn, user, code)
        row = store.adjustment(conn, adjustment_id)
        if row is None or row["project_id"] != project["id"]:
            raise NotFound.of("project_adjustment.not_found", project=code,
                              adjustment_id=adjustment_id)
        if row["state"] != "proposed":
            raise Conflict.of("project_adjustment.not_proposed", adjustment_id=adjustment_id,
                              state=row["state"])
        if row["created_by"] == user.username:
            raise NotPermitted.of("project_adjustment.self_approval",
                                  adjustment_id=adjustment_id)
        state = "approved" if approve else "rejected"
        store.decide_adjustment(conn, adjustment_id, state=state, by=user.username, at=at,
                                note=note)
        action = "project.adjustment.approve" if approve else "project.adjustment.reject"
        audit.record(conn, user.actor, action, "project_adjustment", adjustment_id,
                     before={"state": "proposed"},
                     after={"state": state, "note": note})
        found = store.adjustment(conn, adjustment_id)
    assert found is not None
    return found


def list_adjustments(engine: Engine, user: User, code: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        project = visible_project(conn, user, code)
        return store.adjustments(conn, int(project["id"]))
