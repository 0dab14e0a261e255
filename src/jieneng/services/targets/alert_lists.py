"""Reading and acknowledging alerts (预警): the alerts page's list with its filters,
counts by level, the region choices, one alert's history, and acknowledging an open
alert. Raising, escalating and closing them is :mod:`.alerts`'s."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.caller import User
from jieneng.core.exceptions import NotFound
from jieneng.core.messages import text
from jieneng.core.permissions import Capability, require
from jieneng.core.regions import RegionTree
from jieneng.services.accounts import audit
from jieneng.services.scope import scoped_filters, visible_institution
from jieneng.storage import alerts as store
from jieneng.storage import regions

from .alerts import LIVE_METRICS, UNITS, level_labels


def _visible(conn: Connection, user: User, alert_id: int) -> dict[str, Any]:
    """The alert when the caller's whole scope holds it (a department or an institution:
    its units' alerts only); else NotFound, the same as for an alert that does not exist."""
    found = store.list_alerts(conn, scoped_filters(conn, user.scope), year=None, states=None,
                              alert_id=alert_id)
    if not found:
        raise NotFound.of("alerts.alert_not_found", alert_id=alert_id)
    return found[0]


def acknowledge(engine: Engine, user: User, alert_id: int) -> None:
    """Acknowledge an open alert of the caller's scope (stops its escalation); audited.
    Needs ``acknowledge_alerts`` (not a read-only viewer)."""
    require(user, Capability.ACKNOWLEDGE_ALERTS)
    at = datetime.now(UTC)
    with engine.begin() as conn:
        row = store.get_alert(conn, alert_id)
        if row is None or row.state != "open":
            raise NotFound.of("alerts.not_open", alert_id=alert_id)
        _visible(conn, user, alert_id)
        store.update_alert(conn, alert_id, state="acknowledged", acknowledged_at=at,
                           acknowledged_by=user.id)
        store.add_event(conn, alert_id, at, "acknowledged", detail=user.username)
        audit.record(conn, user.actor, "alert.acknowledge", "alert", alert_id,
                     before={"state": "open"}, after={"state": "acknowledged"})


#: what the alerts page and its twin filter on (None: no filter)
@dataclass(frozen=True)
class AlertFilter:
    level: str | None = None
    metric: str | None = None
    state: str | None = None


def _subject(subject: str) -> tuple[str, int]:
    """``target:<id>`` → ("target", id); ``quota:<id>:<institution>`` → ("quota", id)."""
    kind, _, rest = subject.partition(":")
    number = rest.split(":", 1)[0]
    return kind, int(number) if number.isdigit() else 0  # a malformed subject names nothing


def _describe(conn: Connection, rows: list[dict[str, Any]], tree: RegionTree) -> None:
    """Name each alert's subject: ``kind`` (target / quota), ``metric`` and its labels,
    ``unit``, the institution (``institution_code``, ``institution_name``) and the
    page to act on (``link``: the unit, or the region's targets)."""
    subjects = [_subject(str(r["subject"])) for r in rows]
    metrics, indicators, names = store.subject_details(
        conn, [n for k, n in subjects if k == "target"],
        [n for k, n in subjects if k == "quota"],
        [int(r["institution_id"]) for r in rows if r["institution_id"] is not None])
    for row, (kind, number) in zip(rows, subjects, strict=True):
        metric = (LIVE_METRICS[kind] if kind in LIVE_METRICS
                  else indicators.get(number, "energy_per_capita_kgce") if kind == "quota"
                  else metrics.get(number, "energy_tce"))  # a deleted quota or target
        code, name = names.get(int(row["institution_id"] or 0), (None, None))
        row.update(
            kind=kind, metric=metric, unit=UNITS.get(metric, ""),
            metric_zh=text("zh-CN", f"alerts.metric.{metric}"),
            metric_en=text("en", f"alerts.metric.{metric}"),
            region_name=tree.name(row["region_code"]),
            institution_code=code, institution_name=name,
            link=("/datacentre/summary" if kind == "pue" else
                  f"/projects?region={row['region_code']}" if kind.startswith("proj") else
                  f"/monitoring/{code}" if code and kind in LIVE_METRICS else
                  f"/institutions/{code}" if code else
                  f"/targets?region={row['region_code']}&year={row['year']}"))
        row["level_zh"], row["level_en"] = level_labels(row["level"])


def list_for(engine: Engine, user: User, *, region_code: str, year: int | None = None,
             include_closed: bool = False, institution_code: str | None = None,
             only: AlertFilter | None = None, limit: int | None = None
             ) -> list[dict[str, Any]]:
    """The alerts of the region's subtree in the caller's scope, newest first (the
    first ``limit``); with ``institution_code`` the history of one institution's
    (quota) alerts; ``only`` keeps one level, metric or state. Each names its subject
    (:func:`_describe`)."""
    only = only or AlertFilter()
    with engine.connect() as conn:
        institution_id = None
        if institution_code:
            institution_id = visible_institution(conn, user.scope, institution_code).id
        filters = scoped_filters(conn, user.scope, region_code=region_code)
        tree = RegionTree(regions.load_regions(conn))
        rows = store.list_alerts(conn, filters, year=year, states=_states(only, include_closed),
                                 institution_id=institution_id, level=only.level,
                                 limit=limit if only.metric is None else None)
        _describe(conn, rows, tree)
    rows = [r for r in rows if only.metric in (None, r["metric"])]
    return rows if limit is None else rows[:limit]


def _states(only: AlertFilter, include_closed: bool) -> list[str] | None:
    return ([only.state] if only.state else None if include_closed
            else list(store.OPEN_STATES))


def counts_for(engine: Engine, user: User, *, region_code: str) -> dict[str, int]:
    """level → how many open (or acknowledged) alerts :func:`list_for` lists for the
    region in the caller's scope: a count in SQL, the same scope as the list."""
    with engine.connect() as conn:
        filters = scoped_filters(conn, user.scope, region_code=region_code)
        return store.count_alerts(conn, filters, year=None, states=list(store.OPEN_STATES))


def region_choices(engine: Engine, user: User, region_code: str) -> list[dict[str, str]]:
    """The regions the alerts filter offers: ``region_code`` (the caller's own) and
    every region below it, by code (``code``, ``name``)."""
    with engine.connect() as conn:
        scoped_filters(conn, user.scope, region_code=region_code)
        tree = RegionTree(regions.load_regions(conn))
    return [{"code": code, "name": tree.name(code)} for code in sorted(tree.subtree(region_code))]


def history(engine: Engine, user: User, alert_id: int) -> dict[str, Any]:
    """An alert with every event (deliveries, escalation, acknowledgement)."""
    with engine.connect() as conn:
        return {**_visible(conn, user, alert_id), "events": store.events(conn, alert_id)}
