"""Correcting and withdrawing carbon records: an event (its details and activity rows),
an offset, a carbon-points ledger entry.

Who: capability ``record_carbon`` (as to record them), on records of the institutions the
caller sees (a 公共机构 its own: another institution's record is NotFound, as one that
does not exist). Why: a reason is required (``carbon_reason_required``). How: one
transaction with one audit entry (before → after, the reason): ``carbon.event_correct``,
``carbon.event_withdraw``, ``carbon.offset_correct``, ``carbon.offset_withdraw``,
``carbon.entry_correct``, ``carbon.entry_withdraw``. A withdrawn record is kept (who,
when, why) and the audit keeps what it was; it is out of every total, list and
leaderboard, and cannot be corrected or withdrawn again (``carbon_withdrawn``).

A corrected ledger entry is scored again with the rules of its own version (the set
that made its points) and the factor set of its institution's region and year.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, delete, insert, select, update

from jieneng.core.caller import User
from jieneng.core.carbon.events import check_lines, check_offset
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.services.accounts import audit
from jieneng.services.scope import scoped_filters, visible_institutions
from jieneng.storage import carbon as store

from .events import EventSpec, check_spec, get_event
from .factors import factors_for
from .points import _score
from .rules import rules_of

#: the longest reason kept [characters]
MAX_REASON = 500


def _reason(reason: str) -> str:
    cleaned = " ".join(reason.split())
    if not cleaned:
        raise ValidationFailed.of("carbon_reason_required", field="reason")
    return cleaned[:MAX_REASON]


def _withdrawn(user: User, reason: str) -> dict[str, Any]:
    return {"withdrawn_at": datetime.now(UTC), "withdrawn_by": user.actor.username,
            "withdrawn_reason": reason}


def _event(conn: Connection, user: User, event_id: int) -> dict[str, Any]:
    rows = store.event_rows(conn, scoped_filters(conn, user.scope), event_id=event_id)
    if not rows:
        raise NotFound.of("carbon_event_not_found", event=event_id)
    return rows[0]


_EVENT_FIELDS = ("name", "place", "start_date", "end_date", "attendees", "year", "note")


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def correct_event(engine: Engine, user: User, event_id: int, spec: EventSpec, reason: str,
                  *, default_factor_set: str | None = None) -> dict[str, Any]:
    """Replace the event's details and activity rows with ``spec`` (its institution
    stays); the new rows are checked as a new event's. Returns the event's result."""
    require(user, Capability.RECORD_CARBON)
    check_spec(spec)
    why = _reason(reason)
    lines = {k: float(v) for k, v in (spec.lines or {}).items() if v}
    with engine.begin() as conn:
        row = _event(conn, user, event_id)
        year = spec.start_date.year
        _, factors = factors_for(conn, str(row["region_code"]), year,
                                 default_factor_set=default_factor_set)
        check_lines(lines, factors)
        before = {**{k: row[k] for k in _EVENT_FIELDS},
                  "lines": store.lines_of(conn, [event_id])[event_id]}
        values = {"name": spec.name.strip()[:200], "place": spec.place.strip()[:200] or None,
                  "start_date": spec.start_date, "end_date": spec.end_date,
                  "attendees": spec.attendees, "year": year,
                  "note": spec.note.strip()[:2000] or None}
        conn.execute(update(store.carbon_event).where(store.carbon_event.c.id == event_id)
                     .values(**values))
        conn.execute(delete(store.carbon_event_line)
                     .where(store.carbon_event_line.c.event_id == event_id))
        if lines:
            conn.execute(insert(store.carbon_event_line), [
                {"event_id": event_id, "mode": k, "quantity": v} for k, v in lines.items()])
        audit.record(conn, user.actor, "carbon.event_correct", "carbon_event", event_id,
                     before=_plain(before), after={**_plain(values), "lines": lines,
                                                   "reason": why})
    return get_event(engine, user, event_id, default_factor_set=default_factor_set)


def withdraw_event(engine: Engine, user: User, event_id: int, reason: str) -> dict[str, Any]:
    """Withdraw the event (with its offsets: out of every list and total)."""
    require(user, Capability.RECORD_CARBON)
    why = _reason(reason)
    with engine.begin() as conn:
        row = _event(conn, user, event_id)
        stamp = _withdrawn(user, why)
        conn.execute(update(store.carbon_event).where(store.carbon_event.c.id == event_id)
                     .values(**stamp))
        audit.record(conn, user.actor, "carbon.event_withdraw", "carbon_event", event_id,
                     before=_plain({k: row[k] for k in _EVENT_FIELDS}),
                     after={"reason": why})
    return {"id": event_id, "withdrawn": True, **_plain(stamp)}


_OFFSET_FIELDS = ("kind", "quantity_t", "description")


def _offset(conn: Connection, user: User, event_id: int, offset_id: int) -> dict[str, Any]:
    _event(conn, user, event_id)
    o = store.carbon_offset
    row = conn.execute(select(o.c.kind, o.c.quantity_t, o.c.description, o.c.withdrawn_at)
                       .where(o.c.id == offset_id, o.c.event_id == event_id)).first()
    if row is None:
        raise NotFound.of("carbon_offset_not_found", offset=offset_id)
    if row.withdrawn_at is not None:
        raise ValidationFailed.of("carbon_withdrawn", field="reason")
    return dict(row._mapping)


def correct_offset(engine: Engine, user: User, event_id: int, offset_id: int, *,
                   kind: str, quantity_t: float, description: str, reason: str
                   ) -> dict[str, Any]:
    """Correct an offset's kind, quantity [tCO₂] and description (its evidence stays)."""
    require(user, Capability.RECORD_CARBON)
    check_offset(kind, quantity_t)
    why = _reason(reason)
    with engine.begin() as conn:
        row = _offset(conn, user, event_id, offset_id)
        values = {"kind": kind, "quantity_t": quantity_t,
                  "description": description.strip()[:500] or None}
        conn.execute(update(store.carbon_offset).where(store.carbon_offset.c.id == offset_id)
                     .values(**values))
        audit.record(conn, user.actor, "carbon.offset_correct", "carbon_offset", offset_id,
                     before={k: row[k] for k in _OFFSET_FIELDS},
                     after={**values, "reason": why})
    return {"id": offset_id, "event_id": event_id, **values}


def withdraw_offset(engine: Engine, user: User, event_id: int, offset_id: int, reason: str
                    ) -> dict[str, Any]:
    """Withdraw an offset (kept with its evidence; out of the event's Σ offsets)."""
    require(user, Capability.RECORD_CARBON)
    why = _reason(reason)
    with engine.begin() as conn:
        row = _offset(conn, user, event_id, offset_id)
        stamp = _withdrawn(user, why)
        conn.execute(update(store.carbon_offset).where(store.carbon_offset.c.id == offset_id)
                     .values(**stamp))
        audit.record(conn, user.actor, "carbon.offset_withdraw", "carbon_offset", offset_id,
                     before={k: row[k] for k in _OFFSET_FIELDS}, after={"reason": why})
    return {"id": offset_id, "event_id": event_id, "withdrawn": True, **_plain(stamp)}


def withdrawn_of_event(engine: Engine, user: User, event_id: int) -> list[dict[str, Any]]:
    """The event's withdrawn offsets (who, when, why), for its page."""
    with engine.connect() as conn:
        _event(conn, user, event_id)
        return store.offsets_of(conn, [event_id], withdrawn=True)[event_id]


def withdrawn_events(engine: Engine, user: User) -> list[dict[str, Any]]:
    """The caller's withdrawn events (who, when, why)."""
    with engine.connect() as conn:
        return store.withdrawn_events(conn, scoped_filters(conn, user.scope))


# ------------------------------------------------------------------ ledger entries

_ENTRY_FIELDS = ("quantity", "counted", "points", "co2_kg")


def _entry(conn: Connection, user: User, entry_id: int) -> dict[str, Any]:
    rows = store.entry_rows(conn, scoped_filters(conn, user.scope), None, None,
                            entry_id=entry_id)
    if not rows:
        raise NotFound.of("carbon_entry_not_found", entry=entry_id)
    if rows[0]["withdrawn_at"] is not None:
        raise ValidationFailed.of("carbon_withdrawn", field="reason")
    return rows[0]


def correct_entry(engine: Engine, user: User, entry_id: int, quantity: float, reason: str,
                  *, default_factor_set: str | None = None) -> dict[str, Any]:
    """Set the entry's quantity; counted, points and kgCO₂ scored again with the rules
    of the entry's version. The correction stands: re-importing the file with the old
    quantity skips the entry."""
    require(user, Capability.RECORD_CARBON)
    if not quantity == quantity or not 0 <= quantity <= 1e9:
        raise ValidationFailed.of("carbon_points_quantity", field="quantity",
                                  value=str(quantity)[:20])
    why = _reason(reason)
    with engine.begin() as conn:
        row = _entry(conn, user, entry_id)
        rule_set = rules_of(conn, int(row["rule_version"]))
        if row["action"] not in {r.action for r in rule_set}:  # a version never lacks it
            raise ValidationFailed.of("carbon_unknown_action", field="action",
                                      action=str(row["action"]),
                                      known=", ".join(r.action for r in rule_set))
        frame = pl.DataFrame({"region_code": [str(row["region_code"])],
                              "entry_date": [row["entry_date"]], "action": [row["action"]],
                              "quantity": [float(quantity)]})
        scored = _score(conn, frame, default_factor_set, rule_set).row(0, named=True)
        values = {"quantity": float(quantity), "counted": float(scored["counted"]),
                  "points": float(scored["points"]), "co2_kg": float(scored["co2_kg"])}
        conn.execute(update(store.carbon_points_entry)
                     .where(store.carbon_points_entry.c.id == entry_id)
                     .values(**values, corrected_at=datetime.now(UTC)))
        audit.record(conn, user.actor, "carbon.entry_correct", "carbon_points_entry",
                     entry_id, before={k: row[k] for k in _ENTRY_FIELDS},
                     after={**values, "reason": why})
    return {"id": entry_id, **values, "rule_version": int(row["rule_version"])}


def withdraw_entry(engine: Engine, user: User, entry_id: int, reason: str) -> dict[str, Any]:
    """Withdraw a ledger entry (kept; out of every total and leaderboard; a file
    re-imported does not bring it back)."""
    require(user, Capability.RECORD_CARBON)
    why = _reason(reason)
    with engine.begin() as conn:
        row = _entry(conn, user, entry_id)
        stamp = _withdrawn(user, why)
        conn.execute(update(store.carbon_points_entry)
                     .where(store.carbon_points_entry.c.id == entry_id).values(**stamp))
        audit.record(conn, user.actor, "carbon.entry_withdraw", "carbon_points_entry",
                     entry_id, before={k: row[k] for k in _ENTRY_FIELDS},
                     after={"reason": why})
    return {"id": entry_id, "withdrawn": True, **_plain(stamp)}


def latest_entry_month(engine: Engine, user: User) -> str:
    """The month (``YYYY-MM``) of the latest ledger entry inside the caller's scope, else
    this month — where the entries page opens."""
    with engine.connect() as conn:
        latest = store.latest_entry_date(conn, scoped_filters(conn, user.scope))
    return (latest if isinstance(latest, date) else date.today()).strftime("%Y-%m")


def ledger_entries(engine: Engine, user: User, *, institution_code: str | None = None,
                   staff_code: str | None = None, start: date, end: date,
                   limit: int = 500) -> list[dict[str, Any]]:
    """Ledger entries in [start, end] inside the caller's scope (one institution, one
    staff member when given), withdrawn ones included and marked; at most ``limit``."""
    with engine.connect() as conn:
        institution_id = None
        if institution_code:
            found = visible_institutions(conn, user.scope, [institution_code]).get(
                institution_code.strip().upper())
            if found is None:
                raise NotFound.of("carbon_institution_not_found", field="institution",
                                  credit_code=institution_code[:20])
            institution_id = found.id
        rows = store.entry_rows(conn, scoped_filters(conn, user.scope,
                                                     institution_id=institution_id),
                                start, end, staff_code=staff_code or None, limit=limit)
        labels = {(version, rule.action): (rule.label_zh, rule.label_en)
                  for version in {int(r["rule_version"]) for r in rows}
                  for rule in rules_of(conn, version)}
    keep = ("id", "entry_date", "action", "quantity", "counted", "points", "co2_kg",
            "rule_version", "staff_code", "display_name", "credit_code", "institution_name",
            "recorded_by", "withdrawn_at", "withdrawn_by", "withdrawn_reason")
    out = []
    for r in rows:  # at most ``limit`` (500) rows: one page's worth
        zh, en = labels.get((int(r["rule_version"]), r["action"]), (r["action"], r["action"]))
        out.append({**{k: r[k] for k in keep}, "action_zh": zh, "action_en": en})
    return out
