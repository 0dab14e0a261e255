"""What an institution's metering registry holds: its accounts (户号) with their
bindings and its meters with their current register (CT/PT after the last
replacement, the last event)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.carriers import carrier
from jieneng.core.metering import register_segments
from jieneng.services.scope import visible_institution
from jieneng.storage import metering as store

from .registry import core_events, core_meter, local_text


def institution_registry(engine: Engine, user: User, credit_code: str, *,
                         history: bool = False) -> dict[str, Any]:
    """The institution's accounts (open bindings; every binding with ``history``) and
    meters, inside the caller's scope (else NotFound)."""
    with engine.connect() as conn:
        inst = visible_institution(conn, user.scope, credit_code)
        accounts = store.accounts_of(conn, [inst.id], current_only=not history)
        meters = store.meters_of(conn, [inst.id])
        events = store.events_of(conn, [int(m.id) for m in meters if m.formula is None])
    by_meter: dict[int, list[Any]] = {}
    for e in events:  # a loop over one institution's events
        by_meter.setdefault(int(e.meter_id), []).append(e)
    return {
        "institution": {"id": inst.id, "credit_code": inst.credit_code, "name": inst.name},
        "accounts": [{
            "account_id": int(a.account_id), "carrier": a.carrier,
            "carrier_zh": carrier(a.carrier).name_zh, "number": a.number,
            "utility": a.utility, "name": a.name, "valid_from": a.valid_from.isoformat(),
            "valid_to": a.valid_to.isoformat() if a.valid_to else None,
        } for a in accounts],
        "meters": [_meter(m, by_meter.get(int(m.id), [])) for m in meters],
    }


def _meter(m: Any, events: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "meter_id": int(m.id), "number": m.number, "name": m.name, "carrier": m.carrier,
        "carrier_zh": carrier(m.carrier).name_zh, "item_code": m.item_code,
        "register": m.register, "unit": m.unit, "parent": m.parent_number,
        "account": m.account_number, "status": m.status, "formula": m.formula,
        "virtual": m.formula is not None, "ct": m.ct, "pt": m.pt,
        "multiplier": None if m.formula is not None else m.ct * m.pt,
        "events": [{"kind": e.kind, "time": local_text(int(e.ts)), "final": e.final,
                    "initial": e.initial} for e in events],
    }
    if m.formula is None and events:
        segments = register_segments(core_meter(m), core_events(events))
        out["multiplier"] = segments[-1].multiplier
    return out
