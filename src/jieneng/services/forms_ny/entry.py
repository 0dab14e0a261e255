"""Entering NY202 / NY203 figures for one institution: its rooms, a room's figures of
a period, its heating figures, a room's IT / total sub-meters.

Every command: the capability ``enter_data``, the institution inside the caller's
scope (:func:`jieneng.services.scope.visible_institution`, else NotFound), the
figures checked by :func:`jieneng.core.forms_ny.check_record` (the same rules the
import applies), one transaction, an audit entry. Figures are stored as revisions
(:func:`jieneng.storage.forms_ny.write_records`, source ``manual``). A figure of a
period whose reporting task is submitted or approved is refused as NY201's are
(:func:`jieneng.services.workflow.locks.check_unlocked`, the one rule); a save moves
the period's task to 录入中 (:func:`~jieneng.services.workflow.locks.note_saved`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, select

from jieneng.core.caller import User
from jieneng.core.exceptions import Conflict, NotFound, ValidationFailed
from jieneng.core.forms_ny import DEFAULT_TARGETS, ROOM_STATUSES, PueTargets, check_record
from jieneng.core.permissions import Capability, require
from jieneng.core.scope import Filters
from jieneng.services.accounts import audit
from jieneng.services.scope import visible_institution
from jieneng.services.workflow import locks
from jieneng.storage import forms_ny as store
from jieneng.storage.metering import metering_meter

from .summaries import check_period, heating_figures, room_figures


def institution_forms(engine: Engine, user: User, credit_code: str, *, year: int, month: int,
                      targets: PueTargets = DEFAULT_TARGETS) -> dict[str, Any]:
    """The institution's rooms (with the period's figures and PUE, and their bound
    meters) and its heating figures of the period."""
    check_period(year, month)
    with engine.connect() as conn:
        inst = visible_institution(conn, user.scope, credit_code)
        own = Filters(None, None, [inst.id])
        rooms = store.rooms_of(conn, [inst.id])
        figures = room_figures(conn, own, year, month, targets)
        heating = heating_figures(conn, own, year, month)
        links = store.room_meters(conn, rooms["room_id"].to_list())
        m = metering_meter
        numbers = {int(r.id): r.number for r in conn.execute(
            select(m.c.id, m.c.number).where(m.c.institution_id == inst.id))}
    per_room = rooms.join(figures.drop("institution_id", "room_code", "room_name",
                                       "room_status"), on="room_id", how="left")
    meters = links.with_columns(pl.col("meter_id").replace_strict(
        numbers, default=None, return_dtype=pl.String).alias("number"))
    meter_rows = meters.to_dicts()
    return {
        "institution": {"id": inst.id, "credit_code": inst.credit_code, "name": inst.name},
        "period": {"year": year, "month": month},
        "rooms": [{**r, "meters": {m["role"]: m["number"] for m in meter_rows
                                   if m["room_id"] == r["room_id"]}}
                  for r in per_room.to_dicts()],
        "heating": heating.to_dicts()[0] if heating.height else None,
    }


def add_room(engine: Engine, user: User, credit_code: str, *, code: str, name: str,
             status: str = "existing") -> dict[str, Any]:
    """A new room of the institution (code unique within it)."""
    require(user, Capability.ENTER_DATA)
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise ValidationFailed.of("forms_ny.room_required", field="room_code")
    if status not in ROOM_STATUSES:
        raise ValidationFailed.of("forms_ny.bad_status", field="status")
    with engine.begin() as conn:
        inst = visible_institution(conn, user.scope, credit_code)
        if store.room_by_code(conn, inst.id, code) is not None:
            raise Conflict.of("forms_ny.room_exists", code=code, field="room_code")
        room_id = store.add_room(conn, inst.id, code, name, status)
        audit.record(conn, user.actor, "forms_ny.add_room", "datacentre_room", room_id,
                     after={"institution": inst.credit_code, "code": code, "name": name,
                            "status": status})
    return {"room_id": room_id, "code": code, "name": name, "status": status}


def _check_unlocked(conn: Connection, institution_id: int, year: int, month: int) -> None:
    """A period of a submitted or approved report is locked, as NY201's (checked first)."""
    locks.check_unlocked(conn, pl.DataFrame(
        {"institution_id": [institution_id], "year": [year], "month": [month]}))


def _checked(form: str, values: Mapping[str, float | None], month: int) -> None:
    problems = check_record(form, values, month=month)
    if problems:
        first = problems[0]
        raise ValidationFailed.of("forms_ny.check_failed", field=first.field, check=first.code,
                                  values={"detail_zh": first.zh, "detail_en": first.en})


def save_room_figures(engine: Engine, user: User, credit_code: str, *, room_code: str,
                      year: int, month: int, values: Mapping[str, float | None],
                      ) -> dict[str, int]:
    """Store a room's NY202 figures of the period (a blank is "not reported")."""
    require(user, Capability.ENTER_DATA)
    check_period(year, month)
    with engine.begin() as conn:
        inst = visible_institution(conn, user.scope, credit_code)  # scope before the figures
        _check_unlocked(conn, inst.id, year, month)
        _checked("NY202", values, month)
        room = store.room_by_code(conn, inst.id, room_code.strip())
        if room is None:
            raise NotFound.of("forms_ny.room_not_found", code=room_code)
        frame = pl.DataFrame([{"institution_id": inst.id, "room_id": int(room.room_id),
                               "year": year, "month": month,
                               **{k: values.get(k) for k in store.value_keys("NY202")}}],
                             schema={"institution_id": pl.Int64, "room_id": pl.Int64,
                                     "year": pl.Int64, "month": pl.Int64,
                                     **store.value_schema("NY202")}, strict=False)
        counts = store.write_records(conn, "NY202", frame, source="manual",
                                     entered_by=user.username)
        locks.note_saved(conn, user.actor)
        audit.record(conn, user.actor, "forms_ny.save_room", "datacentre_room",
                     int(room.room_id), after={"year": year, "month": month, **counts,
                                               **{k: v for k, v in values.items()
                                                  if v is not None}})
    return counts


def save_heating(engine: Engine, user: User, credit_code: str, *, year: int, month: int,
                 values: Mapping[str, float | None]) -> dict[str, int]:
    """Store the institution's NY203 figures of the period."""
    require(user, Capability.ENTER_DATA)
    check_period(year, month)
    with engine.begin() as conn:
        inst = visible_institution(conn, user.scope, credit_code)
        _check_unlocked(conn, inst.id, year, month)
        _checked("NY203", values, month)
        frame = pl.DataFrame([{"institution_id": inst.id, "year": year, "month": month,
                               **{k: values.get(k) for k in store.value_keys("NY203")}}],
                             schema={"institution_id": pl.Int64, "year": pl.Int64,
                                     "month": pl.Int64, **store.value_schema("NY203")},
                             strict=False)
        counts = store.write_records(conn, "NY203", frame, source="manual",
                                     entered_by=user.username)
        locks.note_saved(conn, user.actor)
        audit.record(conn, user.actor, "forms_ny.save_heating", "institution", inst.id,
                     after={"year": year, "month": month, **counts})
    return counts


def bind_room_meter(engine: Engine, user: User, credit_code: str, *, room_code: str,
                    role: str, meter_number: str) -> dict[str, Any]:
    """Bind the institution's electricity meter ``meter_number`` as the room's ``it`` or
    ``total`` meter (replacing the one bound before)."""
    require(user, Capability.ENTER_DATA)
    if role not in store.METER_ROLES:
        raise ValidationFailed.of("forms_ny.bad_role", field="role")
    with engine.begin() as conn:
        inst = visible_institution(conn, user.scope, credit_code)
        room = store.room_by_code(conn, inst.id, room_code.strip())
        if room is None:
            raise NotFound.of("forms_ny.room_not_found", code=room_code)
        m = metering_meter
        meter_id = conn.execute(select(m.c.id).where(
            m.c.institution_id == inst.id, m.c.number == meter_number.strip(),
            m.c.carrier == "electricity")).scalar()
        if meter_id is None:
            raise NotFound.of("forms_ny.meter_not_found", number=meter_number)
        store.bind_room_meter(conn, int(room.room_id), role, int(meter_id))
        audit.record(conn, user.actor, "forms_ny.bind_meter", "datacentre_room",
                     int(room.room_id), after={"role": role, "meter": meter_number})
    return {"room_code": room_code, "role": role, "meter": meter_number}
