"""What the gateway registry shows (issue 12 §2): the gateways of the caller's
regions with when each was last heard, its readings and refusals today; one
gateway with its meters; its refusal log, newest first, by page.

Capability ``manage_gateways`` and the caller's subtree (:func:`.gateways.
region_filters`) for every read. Times are aware UTC ``datetime`` (pages show them
as China time with the ``local_time`` filter); "today" is the China day.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from jieneng.core.caller import User
from jieneng.core.exceptions import NotFound
from jieneng.core.metering import LOCAL_OFFSET_S
from jieneng.core.permissions import Capability, require
from jieneng.storage import tables
from jieneng.storage.gateways import (
    metering_gateway,
    metering_gateway_log,
    metering_gateway_meter,
)
from jieneng.storage.meter_readings import metering_reading
from jieneng.storage.metering import metering_meter
from jieneng.storage.scoping import region_conditions

from .gateways import region_filters, visible_gateway

_G, _GM, _LOG = metering_gateway, metering_gateway_meter, metering_gateway_log
DAY = 86_400
PER_PAGE = 50


def _utc(ts: int | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(int(ts), UTC)


def today_start(now: int | None = None) -> int:
    """Epoch seconds at which the current China day began."""
    at = int(datetime.now(UTC).timestamp()) if now is None else now
    return (at + LOCAL_OFFSET_S) // DAY * DAY - LOCAL_OFFSET_S


def _counts(conn: Connection, ids: list[int], since: int) -> tuple[
        dict[int, int], dict[int, int], dict[int, int]]:
    """Per gateway: meters assigned, readings timed today, refusals logged today."""
    if not ids:
        return {}, {}, {}
    meters: dict[int, int] = dict(conn.execute(select(_GM.c.gateway_id, func.count()).where(
        _GM.c.gateway_id.in_(ids)).group_by(_GM.c.gateway_id)).all())
    r = metering_reading
    readings: dict[int, int] = dict(conn.execute(
        select(_GM.c.gateway_id, func.count()).select_from(
            _GM.join(r, r.c.meter_id == _GM.c.meter_id))
        .where(_GM.c.gateway_id.in_(ids), r.c.ts >= since, r.c.ts < since + DAY)
        .group_by(_GM.c.gateway_id)).all())
    refusals: dict[int, int] = dict(conn.execute(select(_LOG.c.gateway_id, func.count()).where(
        _LOG.c.gateway_id.in_(ids), _LOG.c.at >= since).group_by(_LOG.c.gateway_id)
    ).all())
    return meters, readings, refusals


def _columns() -> list[Any]:
    i = tables.institution
    return [_G.c.id, _G.c.code, _G.c.name, _G.c.protocol, _G.c.region_code, _G.c.status,
            _G.c.profile, _G.c.created_at, _G.c.created_by, _G.c.last_seen,
            i.c.credit_code, i.c.name.label("institution_name"),
            tables.region.c.name.label("region_name")]


def _joined() -> Any:
    i, reg = tables.institution, tables.region
    return (_G.outerjoin(i, i.c.id == _G.c.institution_id)
            .outerjoin(reg, reg.c.code == _G.c.region_code))


def _item(row: Any, meters: int, readings: int, refusals: int) -> dict[str, Any]:
    return {
        "gateway_id": int(row.id), "code": row.code, "name": row.name or "",
        "protocol": row.protocol, "region_code": row.region_code,
        "region_name": row.region_name or "", "institution": row.credit_code or "",
        "institution_name": row.institution_name or "", "status": row.status,
        "profile": row.profile, "created_by": row.created_by,
        "created_at": _utc(row.created_at), "last_seen": _utc(row.last_seen),
        "meters": meters, "readings_today": readings, "refusals_today": refusals,
    }


def list_gateways(engine: Engine, user: User, *, region: str | None = None,
                  q: str = "", page: int = 1, per_page: int = PER_PAGE,
                  now: int | None = None) -> dict[str, Any]:
    """The gateways of the caller's regions (``region``'s subtree when given), by code;
    ``q`` a fragment of the code or name."""
    require(user, Capability.MANAGE_GATEWAYS)
    with engine.connect() as conn:
        filters = region_filters(conn, user.scope, region or None)
        where: list[Any] = region_conditions(conn, _G.c.region_code, filters)
        if q.strip():
            pattern = f"%{q.strip()[:64]}%"
            where.append(_G.c.code.like(pattern) | _G.c.name.like(pattern))
        total = int(conn.execute(select(func.count()).select_from(_G).where(*where))
                    .scalar_one())
        rows = conn.execute(select(*_columns()).select_from(_joined()).where(*where)
                            .order_by(_G.c.code).limit(per_page)
                            .offset((max(page, 1) - 1) * per_page)).all()
        ids = [int(r.id) for r in rows]
        meters, readings, refusals = _counts(conn, ids, today_start(now))
    return {"region_code": region or "", "page": max(page, 1), "per_page": per_page,
            "total": total, "items": [_item(r, meters.get(int(r.id), 0),
                                            readings.get(int(r.id), 0),
                                            refusals.get(int(r.id), 0)) for r in rows]}


def gateway_detail(engine: Engine, user: User, gateway_id: int, *,
                   now: int | None = None) -> dict[str, Any]:
    """One gateway with its meters (the code it sends → institution and meter)."""
    require(user, Capability.MANAGE_GATEWAYS)
    m, i = metering_meter, tables.institution
    with engine.connect() as conn:
        visible_gateway(conn, user.scope, gateway_id)
        row = conn.execute(select(*_columns()).select_from(_joined())
                           .where(_G.c.id == gateway_id)).one()
        meters = conn.execute(
            select(_GM.c.code, m.c.id, m.c.number, m.c.name, m.c.carrier, m.c.unit,
                   i.c.credit_code, i.c.name.label("institution_name"))
            .select_from(_GM.join(m, m.c.id == _GM.c.meter_id)
                         .join(i, i.c.id == m.c.institution_id))
            .where(_GM.c.gateway_id == gateway_id).order_by(_GM.c.code)).all()
        counts = _counts(conn, [gateway_id], today_start(now))
    out = _item(row, *(c.get(gateway_id, 0) for c in counts))
    out["assigned"] = [{"code": r.code, "meter_id": int(r.id), "meter": r.number,
                        "meter_name": r.name or "", "carrier": r.carrier, "unit": r.unit,
                        "institution": r.credit_code, "institution_name": r.institution_name}
                       for r in meters]
    return out


def refusal_log(engine: Engine, user: User, gateway_id: int, *, page: int = 1,
                per_page: int = PER_PAGE) -> dict[str, Any]:
    """The gateway's refused batches and frames, newest first."""
    require(user, Capability.MANAGE_GATEWAYS)
    with engine.connect() as conn:
        gateway = visible_gateway(conn, user.scope, gateway_id)
        total = int(conn.execute(select(func.count()).select_from(_LOG).where(
            _LOG.c.gateway_id == gateway_id)).scalar_one())
        rows = conn.execute(select(_LOG).where(_LOG.c.gateway_id == gateway_id)
                            .order_by(_LOG.c.at.desc(), _LOG.c.id.desc()).limit(per_page)
                            .offset((max(page, 1) - 1) * per_page)).all()
    return {"gateway_id": int(gateway.id), "code": gateway.code, "page": max(page, 1),
            "per_page": per_page, "total": total,
            "items": [{"id": int(r.id), "at": _utc(r.at), "kind": r.kind, "reason": r.reason,
                       "batch_id": r.batch_id, "readings": int(r.readings)} for r in rows]}



def gateway_id_of(engine: Engine, user: User, code: str) -> int:
    """The id of the gateway ``code`` inside the caller's regions (else NotFound)."""
    require(user, Capability.MANAGE_GATEWAYS)
    with engine.connect() as conn:
        found = conn.execute(select(_G.c.id).where(_G.c.code == code.strip())).scalar()
        if found is None:
            raise NotFound.of("metering.gateways.code_not_found", code=code.strip()[:80])
        try:
            return int(visible_gateway(conn, user.scope, int(found)).id)
        except NotFound:
            raise NotFound.of("metering.gateways.code_not_found",
                              code=code.strip()[:80]) from None


def broker_accounts(engine: Engine, user: User) -> list[tuple[str, str]]:
    """(code, ``$7$`` password hash) of the active MQTT gateways of the caller's regions:
    the broker's accounts (a disabled gateway has none)."""
    require(user, Capability.MANAGE_GATEWAYS)
    with engine.connect() as conn:
        filters = region_filters(conn, user.scope)
        where = [_G.c.protocol == "mqtt", _G.c.status == "active", _G.c.secret.is_not(None),
                 *region_conditions(conn, _G.c.region_code, filters)]
        rows = conn.execute(select(_G.c.code, _G.c.secret).where(*where).order_by(_G.c.code))
        return [(str(code), str(secret)) for code, secret in rows]
