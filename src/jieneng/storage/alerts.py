"""Alerts (超限额预警) and their events: rows of ``alert`` and ``alert_event``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Column, Connection, Integer, bindparam, func, literal, select, update
from sqlalchemy.sql.elements import ColumnElement

from jieneng.core.scope import Filters

from . import tables as t
from .bulk import in_values, read_frame, temp_table
from .scoping import owned_conditions
from .users import as_utc

_ids = temp_table("_jn_alert_ids", Column("id", Integer, primary_key=True))

OPEN_STATES = ("open", "acknowledged")
_TIMES = ("opened_at", "acknowledged_at", "escalated_at", "closed_at", "at")


def _aware(row: Any) -> dict[str, Any]:
    """A row as a dict, its timestamps aware UTC datetimes (SQLite reads them back naive)."""
    out = dict(row._mapping)
    for key in _TIMES:
        if key in out:
            out[key] = as_utc(out[key])
    return out


def update_alert(conn: Connection, alert_id: int, **values: Any) -> None:
    conn.execute(update(t.alert).where(t.alert.c.id == alert_id).values(**values))


def add_event(conn: Connection, alert_id: int, at: datetime, event: str, *,
              channel: str | None = None, detail: str | None = None) -> None:
    conn.execute(t.alert_event.insert().values(alert_id=alert_id, at=at, event=event,
                                               channel=channel, detail=detail))


def get_alert(conn: Connection, alert_id: int) -> Any | None:
    return conn.execute(select(t.alert).where(t.alert.c.id == alert_id)).first()


def events(conn: Connection, alert_id: int) -> list[dict[str, Any]]:
    e = t.alert_event
    rows = conn.execute(select(e).where(e.c.alert_id == alert_id).order_by(e.c.at, e.c.id))
    return [_aware(r) for r in rows]


def _alert_conditions(conn: Connection, filters: Filters, *, year: int | None,
                      states: Sequence[str] | None, institution_id: int | None = None,
                      alert_id: int | None = None, level: str | None = None
                      ) -> list[ColumnElement[bool]]:
    """The WHERE of the alerts list and of its counts: inside ``filters`` (a region's
    alerts, or — for a department or an institution — its units' alerts only)."""
    a = t.alert
    where = list(owned_conditions(conn, a.c.region_code, a.c.institution_id, filters))
    if year is not None:
        where.append(a.c.year == year)
    if states is not None:
        where.append(a.c.state.in_(list(states)))
    if institution_id is not None:
        where.append(a.c.institution_id == institution_id)
    if alert_id is not None:
        where.append(a.c.id == alert_id)
    if level is not None:
        where.append(a.c.level == level)
    return where


def list_alerts(conn: Connection, filters: Filters, *, year: int | None,
                states: Sequence[str] | None, institution_id: int | None = None,
                alert_id: int | None = None, level: str | None = None,
                limit: int | None = None) -> list[dict[str, Any]]:
    """The alerts inside ``filters`` (a region's alerts, or — for a department or an
    institution — its units' alerts only), newest first; the first ``limit`` only."""
    a = t.alert
    stmt = select(a).where(*_alert_conditions(
        conn, filters, year=year, states=states, institution_id=institution_id,
        alert_id=alert_id, level=level)).order_by(a.c.opened_at.desc(), a.c.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_aware(r) for r in conn.execute(stmt)]


def count_alerts(conn: Connection, filters: Filters, *, year: int | None,
                 states: Sequence[str] | None) -> dict[str, int]:
    """level → how many alerts :func:`list_alerts` lists with the same arguments (one
    GROUP BY; levels without any are absent)."""
    a = t.alert
    stmt = (select(a.c.level, func.count())
            .where(*_alert_conditions(conn, filters, year=year, states=states))
            .group_by(a.c.level))
    return {str(level): int(n) for level, n in conn.execute(stmt)}


def due_for_escalation(conn: Connection, before: datetime) -> list[Any]:
    """Open alerts, not acknowledged nor escalated, opened before ``before``."""
    a = t.alert
    return list(conn.execute(select(a).where(a.c.state == "open", a.c.escalated_at.is_(None),
                                             a.c.opened_at < before)))


def region_users(conn: Connection, region_codes: Sequence[str]) -> list[int]:
    """The unlocked 管理机构 accounts pinned to these regions (those responsible)."""
    u = t.app_user
    rows = conn.execute(select(u.c.id).where(
        u.c.region_code.in_(list(region_codes)), u.c.role.in_(["region", "region_admin"]),
        u.c.is_locked.is_(False)))
    return [int(r.id) for r in rows]


def responsible_users(conn: Connection, lineage: Sequence[str]) -> list[int]:
    """The unlocked 管理机构 accounts of the nearest region of ``lineage`` (a region,
    then the regions above it) that has any: a county without its own office account
    is looked after by its city's."""
    u = t.app_user
    if not lineage:
        return []
    rows = conn.execute(select(u.c.id, u.c.region_code).where(
        u.c.region_code.in_(list(lineage)), u.c.role.in_(["region", "region_admin"]),
        u.c.is_locked.is_(False)))
    found: dict[str, list[int]] = {}
    for uid, code in rows:
        found.setdefault(str(code), []).append(int(uid))
    for code in lineage:
        if code in found:
            return sorted(found[code])
    return []


def month_energy(conn: Connection, institution_ids: Sequence[int], years: Sequence[int],
                 coefficients: Mapping[str, Mapping[str, float]]) -> pl.DataFrame:
    """Energy per institution and month for some years as a polars frame
    ``institution_id, year, month`` and one column per coefficient set (Σ quantity ×
    coefficient, in SQL), streamed (COPY on PostgreSQL)."""
    cm = t.consumption_month
    names = sorted(coefficients)
    cols = []
    for name in names:
        total: Any = literal(0.0)
        for carrier, k in coefficients[name].items():
            total = total + func.coalesce(cm.c[t.quantity_column(carrier)], 0.0) * k
        cols.append(total.label(name))
    query = select(cm.c.institution_id, cm.c.year, cm.c.month, *cols).where(
        in_values(conn, cm.c.institution_id, list(institution_ids), _ids),
        cm.c.year.in_(sorted(set(years))))
    schema = {"institution_id": pl.Int64, "year": pl.Int64, "month": pl.Int64,
              **{n: pl.Float64 for n in names}}
    return read_frame(conn, query, schema)


def profiles(conn: Connection, institution_ids: Sequence[int], year: int
             ) -> dict[int, tuple[float | None, float | None]]:
    """institution id → (用能人数, 建筑面积) of ``year``."""
    p = t.institution_profile
    if not institution_ids:
        return {}
    rows = conn.execute(select(p.c.institution_id, p.c.occupants, p.c.floor_area_m2).where(
        in_values(conn, p.c.institution_id, list(institution_ids), _ids), p.c.year == year))
    return {int(r.institution_id): (None if r.occupants is None else float(r.occupants),
                                    None if r.floor_area_m2 is None else float(r.floor_area_m2))
            for r in rows}


def open_alerts(conn: Connection, year: int) -> dict[str, Any]:
    """subject → the open (or acknowledged) alert of ``year`` (one query)."""
    a = t.alert
    rows = conn.execute(select(a).where(a.c.year == year, a.c.state.in_(OPEN_STATES)))
    return {str(r.subject): r for r in rows}


def update_alerts(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Update many alerts (each dict: ``id`` and the same other keys), one
    ``executemany`` per shape of values."""
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        shapes.setdefault(tuple(sorted(k for k in row if k != "id")), []).append(row)
    a = t.alert
    for keys, group in shapes.items():
        stmt = update(a).where(a.c.id == bindparam("_id")).values(
            {k: bindparam(k) for k in keys})
        conn.execute(stmt, [{"_id": r["id"], **{k: r[k] for k in keys}} for r in group])


def add_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Append many events (``alert_id, at, event, channel, detail``)."""
    if rows:
        conn.execute(t.alert_event.insert(), [
            {"channel": None, "detail": None, **r} for r in rows])


def institutions_users(conn: Connection, institution_ids: Sequence[int]) -> dict[int, list[int]]:
    """institution id → its unlocked institution accounts (one query)."""
    u = t.app_user
    if not institution_ids:
        return {}
    out: dict[int, list[int]] = {}
    rows = conn.execute(select(u.c.institution_id, u.c.id).where(
        in_values(conn, u.c.institution_id, list(institution_ids), _ids),
        u.c.role == "institution", u.c.is_locked.is_(False)))
    for inst, uid in rows:
        out.setdefault(int(inst), []).append(int(uid))
    return out


def insert_alerts(conn: Connection, rows: Sequence[dict[str, Any]], *, year: int,
                  opened_at: datetime) -> dict[str, int]:
    """Insert many new alerts (one ``executemany``); subject → id of those opened at
    ``opened_at`` (the run's own timestamp)."""
    if not rows:
        return {}
    a = t.alert
    conn.execute(a.insert(), list(rows))
    found = conn.execute(select(a.c.subject, a.c.id).where(
        a.c.year == year, a.c.opened_at == opened_at, a.c.state == "open"))
    return {str(subject): int(alert_id) for subject, alert_id in found}


def subject_details(conn: Connection, target_ids: Sequence[int], quota_ids: Sequence[int],
                    institution_ids: Sequence[int]
                    ) -> tuple[dict[int, str], dict[int, str], dict[int, tuple[str, str]]]:
    """What the alerts' subjects name (three queries): target id → metric, quota id →
    indicator, institution id → (统一社会信用代码, name)."""
    tg, q, i = t.target, t.quota, t.institution
    metrics = {int(r.id): str(r.metric) for r in conn.execute(
        select(tg.c.id, tg.c.metric).where(tg.c.id.in_(sorted(set(target_ids)))))
    } if target_ids else {}
    indicators = {int(r.id): str(r.indicator) for r in conn.execute(
        select(q.c.id, q.c.indicator).where(q.c.id.in_(sorted(set(quota_ids)))))
    } if quota_ids else {}
    names = {int(r.id): (str(r.credit_code), str(r.name)) for r in conn.execute(
        select(i.c.id, i.c.credit_code, i.c.name).where(
            in_values(conn, i.c.id, sorted(set(institution_ids)), _ids)))
    } if institution_ids else {}
    return metrics, indicators, names
