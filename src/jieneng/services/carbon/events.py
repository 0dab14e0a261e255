"""An event's carbon (大型活动/会议碳中和): record an event of an institution in the
caller's scope with its activity data, compute its emissions by source with the factors
(and their sources) that made each figure, record offsets with their evidence, and say
net emissions and whether the event is carbon neutral
(:mod:`jieneng.core.carbon.events`; 《大型活动碳中和实施指南（试行）》 第三条、第六条).

Writes need ``record_carbon``; the institution must be one the caller sees (a 公共机构
records its own events). Reads follow the scope: an event of an institution outside it
is answered NotFound, as one that does not exist. A mode without a factor is refused
when the event is recorded (``carbon_factor_missing``), so a stored event always has a
result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from jieneng.core import evidence as evidence_files
from jieneng.core.caller import User
from jieneng.core.carbon.events import check_lines, check_offset, compute, neutrality
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.services.accounts import audit
from jieneng.services.scope import scoped_filters, visible_institutions
from jieneng.storage import carbon as store

from .factors import factors_for

#: the largest evidence document [bytes] (as a project document)
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
#: the evidence kinds an offset accepts (suffixes of ``data/evidence/kinds.csv``)
EVIDENCE_TYPES: tuple[str, ...] = (".pdf", ".png", ".jpg", ".jpeg", ".ofd", ".docx", ".xlsx")


@dataclass(frozen=True)
class EventSpec:
    """An event as typed (checked by :func:`check_spec`)."""

    credit_code: str
    name: str
    start_date: date
    end_date: date
    attendees: int
    place: str = ""
    note: str = ""
    lines: Mapping[str, float] | None = None


def check_spec(spec: EventSpec) -> None:
    if not spec.name.strip():
        raise ValidationFailed.of("carbon_event_name_required", field="name")
    if spec.end_date < spec.start_date:
        raise ValidationFailed.of("carbon_event_dates", field="end_date",
                                  start=spec.start_date.isoformat(),
                                  end=spec.end_date.isoformat())
    if not 0 < spec.attendees <= 1_000_000:
        raise ValidationFailed.of("carbon_event_attendees", field="attendees",
                                  value=str(spec.attendees))


def create_event(engine: Engine, user: User, spec: EventSpec, *,
                 default_factor_set: str | None = None) -> dict[str, Any]:
    """Record the event and its activity data (one transaction, audited); returns it
    with its result."""
    require(user, Capability.RECORD_CARBON)
    check_spec(spec)
    lines = {k: float(v) for k, v in (spec.lines or {}).items() if v}
    with engine.begin() as conn:
        owner = visible_institutions(conn, user.scope, [spec.credit_code]).get(
            spec.credit_code.strip().upper())
        if owner is None:
            raise NotFound.of("carbon_institution_not_found", field="credit_code",
                              credit_code=spec.credit_code[:20])
        year = spec.start_date.year
        _, factors = factors_for(conn, owner.region_code, year,
                                 default_factor_set=default_factor_set)
        check_lines(lines, factors)
        values = {"institution_id": owner.id, "name": spec.name.strip()[:200],
                  "place": spec.place.strip()[:200] or None, "start_date": spec.start_date,
                  "end_date": spec.end_date, "attendees": spec.attendees, "year": year,
                  "note": spec.note.strip()[:2000] or None}
        event_id = int(conn.execute(insert(store.carbon_event).values(
            created_by=user.actor.username, created_at=datetime.now(UTC), **values)
            .returning(store.carbon_event.c.id)).scalar_one())
        if lines:
            conn.execute(insert(store.carbon_event_line), [
                {"event_id": event_id, "mode": k, "quantity": v} for k, v in lines.items()])
        audit.record(conn, user.actor, "carbon.event", "carbon_event", event_id,
                     after={**values, "start_date": spec.start_date.isoformat(),
                            "end_date": spec.end_date.isoformat(), "lines": lines})
        return _detail(conn, user, event_id, default_factor_set)


def _event_row(conn: Connection, user: User, event_id: int) -> dict[str, Any]:
    rows = store.event_rows(conn, scoped_filters(conn, user.scope), event_id=event_id)
    if not rows:
        raise NotFound.of("carbon_event_not_found", event=event_id)
    return rows[0]


def _detail(conn: Connection, user: User, event_id: int,
            default_factor_set: str | None) -> dict[str, Any]:
    row = _event_row(conn, user, event_id)
    lines = store.lines_of(conn, [event_id])[event_id]
    offsets = store.offsets_of(conn, [event_id])[event_id]
    set_name, factors = factors_for(conn, row["region_code"], int(row["year"]),
                                    default_factor_set=default_factor_set)
    results, by_cat, total = compute(lines, factors)
    return {"event": row, "factor_set": set_name,
            "lines": [{"code": r.code, "category": r.category, "quantity": r.quantity,
                       "unit": r.unit, "kg": r.kg, "t": r.kg / 1000.0,
                       "factor": r.factor.to_dict()} for r in results],
            "by_category": by_cat, "total_t": total,
            "per_attendee_kg": total * 1000.0 / int(row["attendees"]),
            "offsets": offsets,
            **neutrality(total, [float(o["quantity_t"]) for o in offsets])}


def get_event(engine: Engine, user: User, event_id: int, *,
              default_factor_set: str | None = None) -> dict[str, Any]:
    """The event inside the caller's scope with its inputs, result by source, factors
    and sources, offsets, net and 碳中和."""
    with engine.connect() as conn:
        return _detail(conn, user, event_id, default_factor_set)


def list_events(engine: Engine, user: User, *, region_code: str | None = None,
                default_factor_set: str | None = None) -> list[dict[str, Any]]:
    """The caller's events (inside ``region_code`` when given) with their totals."""
    with engine.connect() as conn:
        rows = store.event_rows(conn, scoped_filters(conn, user.scope,
                                                     region_code=region_code))
        ids = [int(r["id"]) for r in rows]
        lines = store.lines_of(conn, ids)
        offsets = store.offsets_of(conn, ids)
        cache: dict[tuple[str, int], Any] = {}
        out = []
        for r in rows:  # an office's events: tens a year, not millions
            key = (str(r["region_code"]), int(r["year"]))
            if key not in cache:
                cache[key] = factors_for(conn, *key, default_factor_set=default_factor_set)[1]
            _, by_cat, total = compute(lines[int(r["id"])], cache[key])
            n = neutrality(total, [float(o["quantity_t"]) for o in offsets[int(r["id"])]])
            out.append({**r, "by_category": by_cat, "total_t": total, **n})
    return out


def check_evidence(file_name: str, content: bytes) -> str:
    """The evidence's type (its suffix) when name and bytes agree and the size is
    within :data:`MAX_EVIDENCE_BYTES`; refused otherwise (the shared ``evidence_*``
    refusals of :func:`jieneng.core.evidence.check_evidence`)."""
    return evidence_files.check_evidence(file_name, content, MAX_EVIDENCE_BYTES,
                                         accepted=EVIDENCE_TYPES).suffix


def add_offset(engine: Engine, user: User, event_id: int, *, kind: str, quantity_t: float,
               description: str = "", file_name: str | None = None,
               content: bytes | None = None, content_type: str | None = None
               ) -> dict[str, Any]:
    """Record an offset [tCO₂] of ``kind`` against the event, with its evidence
    document (type and size checked); one transaction, audited."""
    require(user, Capability.RECORD_CARBON)
    check_offset(kind, quantity_t)
    evidence: dict[str, Any] = {}
    if content is not None and file_name:
        check_evidence(file_name, content)
        evidence = {"file_name": file_name[:255], "content": content,
                    "content_type": (content_type or None) and content_type[:100],
                    "sha256": hashlib.sha256(content).hexdigest(), "size_bytes": len(content)}
    with engine.begin() as conn:
        _event_row(conn, user, event_id)
        values = {"event_id": event_id, "kind": kind, "quantity_t": quantity_t,
                  "description": description.strip()[:500] or None}
        offset_id = int(conn.execute(insert(store.carbon_offset).values(
            recorded_by=user.actor.username, recorded_at=datetime.now(UTC), **values,
            **evidence).returning(store.carbon_offset.c.id)).scalar_one())
        audit.record(conn, user.actor, "carbon.offset", "carbon_offset", offset_id,
                     after={**values, **{k: v for k, v in evidence.items()
                                         if k != "content"}})
    return {"id": offset_id, **values, **{k: v for k, v in evidence.items() if k != "content"}}


def get_evidence(engine: Engine, user: User, event_id: int, offset_id: int
                 ) -> dict[str, Any]:
    """An offset's evidence document with its bytes (NotFound outside the scope or when
    the offset has none)."""
    o = store.carbon_offset
    with engine.connect() as conn:
        _event_row(conn, user, event_id)
        row = conn.execute(select(o.c.file_name, o.c.content_type, o.c.content)
                           .where(o.c.id == offset_id, o.c.event_id == event_id)).first()
    if row is None or row.content is None:
        raise NotFound.of("carbon_evidence_not_found", offset=offset_id)
    return dict(row._mapping)
