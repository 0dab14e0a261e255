"""Manual reading (抄表, issue 12 §2): a reading typed for a meter without a feed.

:func:`record_reading` stores one register reading of a physical meter in
``metering_reading`` and marks its range dirty (``metering_dirty``) in **one
transaction** with an audit entry; the derivation (:mod:`.derive`) picks it up like
any machine reading. Rules (``docs/metering.md``, Manual reading):

- the capability ``read_meters`` and the institution inside the caller's scope
  (else NotFound); the meter must be a physical meter in service (not removed);
- the value is a finite number ≥ 0 and the time not in the future (5 min of clock
  slack); a naive time is China time;
- a time before the meter's first install event is refused, naming the install time;
- a time **not after the meter's last reading** is refused, naming it (a manual
  reading adds to the series; a correction is not a new reading);
- a cumulative reading **lower than the previous reading** is refused unless
  ``confirm`` is given ("表计更换/回零?"): a replacement is recorded as a
  replacement (换表, with the old final and the new initial reading); a register
  that really went back to zero is stored on confirmation and the derivation
  treats the drop as a reset (or flags it as a negative step), never as negative use.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, func, select

from jieneng.core.caller import User
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.services.accounts import audit
from jieneng.services.scope import visible_institution
from jieneng.storage import meter_readings as readings_store
from jieneng.storage import metering as store
from jieneng.storage.meter_readings import metering_reading

from .ingest import mark_dirty
from .registry import _physical, epoch, local_text

#: how far ahead of the server's clock a reading may be stamped [s]
CLOCK_SLACK_S = 300


def last_reading(conn: Connection, meter_id: int, before: int | None = None) -> tuple[
        int, float] | None:
    """The meter's last reading (before ``before`` when given): (ts, value) or None."""
    r = metering_reading
    query = select(r.c.ts, r.c.value).where(r.c.meter_id == meter_id)
    if before is not None:
        query = query.where(r.c.ts < before)
    row = conn.execute(query.order_by(r.c.ts.desc()).limit(1)).one_or_none()
    return None if row is None else (int(row.ts), float(row.value))


def _installed_at(conn: Connection, meter_id: int) -> int | None:
    e = store.metering_event
    value = conn.execute(select(func.min(e.c.ts)).where(
        e.c.meter_id == meter_id, e.c.kind == "install")).scalar_one_or_none()
    return None if value is None else int(value)


def record_reading(engine: Engine, user: User, credit_code: str, meter_number: str,
                   at: datetime, value: float, *, confirm: bool = False,
                   now: int | None = None) -> dict[str, Any]:
    """Store a manual reading of the meter (module docstring for the rules)."""
    require(user, Capability.READ_METERS)
    ts = epoch(at)
    current = int(datetime.now(UTC).timestamp()) if now is None else now
    if not math.isfinite(value) or value < 0:
        raise ValidationFailed.of("metering.manual.bad_value", field="value", value=value)
    if ts > current + CLOCK_SLACK_S:
        raise ValidationFailed.of("metering.manual.in_future", field="at",
                                  time=local_text(ts))
    with engine.begin() as conn:
        inst, row = _physical(conn, user, credit_code, meter_number)
        meter_id = int(row.id)
        if row.status != "active":
            raise ValidationFailed.of("metering.manual.meter_removed", field="meter",
                                      meter=row.number)
        installed = _installed_at(conn, meter_id)
        if installed is not None and ts < installed:
            raise ValidationFailed.of("metering.manual.before_install", field="at",
                                      meter=row.number, time=local_text(ts),
                                      installed=local_text(installed))
        last = last_reading(conn, meter_id)
        if last is not None and ts <= last[0]:
            raise ValidationFailed.of("metering.manual.not_after_last", field="at",
                                      meter=row.number, time=local_text(ts),
                                      last=local_text(last[0]), previous=last[1])
        lower = False
        if row.register == "cumulative" and last is not None and value < last[1]:
            lower = True
            if not confirm:
                raise ValidationFailed.of("metering.manual.lower_than_previous",
                                          field="value", meter=row.number, value=value,
                                          previous=last[1], last=local_text(last[0]))
        frame = pl.DataFrame({"meter_id": [meter_id], "ts": [ts], "value": [float(value)]})
        readings_store.write_readings(conn, frame, received_at=current)
        mark_dirty(conn, frame)
        after = {"institution": inst.credit_code, "meter": row.number,
                 "time": local_text(ts), "value": float(value), "confirmed_lower": lower}
        audit.record(conn, user.actor, "metering.manual_reading", "metering_meter", meter_id,
                     after=after)
    return {"meter_id": meter_id, **after}


def last_readings(engine: Engine, user: User, credit_code: str) -> dict[str, dict[str, Any]]:
    """Meter number → its last reading (``time`` China time, ``value``) for the
    institution's physical meters (scope as everywhere)."""
    with engine.connect() as conn:
        inst = visible_institution(conn, user.scope, credit_code)
        meters = [m for m in store.meters_of(conn, [inst.id]) if m.formula is None]
        found = readings_store.last_readings(conn, [int(m.id) for m in meters])
    return {m.number: {"time": local_text(found[int(m.id)][0]),
                       "value": found[int(m.id)][1]}
            for m in meters if int(m.id) in found}
