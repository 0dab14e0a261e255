"""Alerts of energy-saving projects (issue 13 §4), through the same alerts as the quotas,
targets and PUE (:mod:`jieneng.services.targets.alerts`: the ``alert`` rows, one open
per subject and year — deduplicated —, in-app notifications to the region's office,
the region's channels through the outbox, escalation after ``alert_escalate_hours``
by ``jieneng alerts evaluate``, acknowledgement on ``/alerts``).

Per project of the region's subtree in the caller's scope (not closed or terminated),
for ``year`` (thresholds in ``data/projects/monitoring.json`` and ``data/mv/rules.json``):

- ``projsav:<project>`` (``project_savings``, 预警 warning) — the year's verified
  savings so far (Σ of its monthly statements, tce) below the guarantee pro-rated to
  the same months (:mod:`.statements`);
- ``projsuff:<project>`` (``project_sufficiency``, warning) — a current baseline run's
  sufficiency, or a monthly statement's reporting coverage, below 90 %;
- ``projcv:<project>`` (``project_cvrmse``, 提示 notice) — a current run's CV(RMSE)
  above ASHRAE Guideline 14's limit for its method;
- ``projexp:<project>`` (``project_expiry``, notice) — the contract ends within 6
  months of ``today`` (actual = days left).

A condition that no longer holds closes its alert; announcements go as one digest per
region to its 管理机构 accounts (nearest office above) and channels.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from jieneng.core.caller import User
from jieneng.core.messages import text
from jieneng.core.mv.rules import guideline14
from jieneng.core.projects.cadence import alert_threshold
from jieneng.core.regions import RegionTree
from jieneng.services.notifications import outbox
from jieneng.services.notifications.channels import channels_for_region, load_tree
from jieneng.services.notifications.notify import Message
from jieneng.services.scope import scoped_filters
from jieneng.storage import alerts as alert_store
from jieneng.storage import notify as notify_store
from jieneng.storage import project_settlement as store
from jieneng.storage.projects import project, project_contract, visible_condition

KINDS = {"projsav": "project_savings", "projsuff": "project_sufficiency",
         "projcv": "project_cvrmse", "projexp": "project_expiry"}
_ENDED = ("closed", "terminated")


def _zh(key: str, **values: Any) -> str:
    return text("zh-CN", key, **values)


def _projects(conn: Connection, user: User, region_code: str) -> list[dict[str, Any]]:
    filters = scoped_filters(conn, user.scope, region_code=region_code)
    p, c = project, project_contract
    stmt = (select(p.c.id, p.c.code, p.c.name, p.c.region_code, c.c.term_end)
            .outerjoin(c, c.c.project_id == p.c.id).where(p.c.state.not_in(_ENDED)))
    inside = visible_condition(conn, filters)  # the one scope rule of projects
    if inside is not None:
        stmt = stmt.where(inside)
    return [dict(r._mapping) for r in conn.execute(stmt.order_by(p.c.code))]


def _items(conn: Connection, projects: list[dict[str, Any]], year: int, today: date
           ) -> list[dict[str, Any]]:
    """Every condition that holds: subject, level, actual, limit, the project."""
    ids = [int(p["id"]) for p in projects]
    runs = store.current_runs_for(conn, ids)
    monthly = store.statements_for(conn, ids, year, "monthly")
    need = float(alert_threshold("min_sufficiency"))
    expiry_days = int(alert_threshold("expiry_months")) * 366 // 12
    out: list[dict[str, Any]] = []

    def hold(p: dict[str, Any], kind: str, level: str, actual: float, limit: float) -> None:
        out.append({**p, "subject": f"{kind}:{p['id']}", "kind": kind, "level": level,
                    "metric": KINDS[kind], "actual": actual, "limit": limit})

    for p in projects:  # a loop over projects (hundreds), reading nothing per project
        statements = monthly.get(int(p["id"]), [])
        guaranteed = [s["figures"]["guarantee"] for s in statements
                      if s["figures"].get("guarantee")]
        if guaranteed:
            verified = sum(g["verified_tce"] for g in guaranteed)
            promised = sum(g["guaranteed_tce"] for g in guaranteed)
            if verified < promised:
                hold(p, "projsav", str(alert_threshold("guarantee_level")), verified, promised)
        shares = [float(r.sufficiency) for r in runs.get(int(p["id"]), [])
                  if r.sufficiency is not None]
        shares += [float(s["figures"]["coverage"]) for s in statements]
        if shares and min(shares) < need:
            hold(p, "projsuff", "warning", min(shares) * 100, need * 100)
        over = [(float(r.cvrmse), guideline14(r.method).cv_rmse)
                for r in runs.get(int(p["id"]), [])
                if r.cvrmse is not None and r.cvrmse > guideline14(r.method).cv_rmse]
        if over:
            worst = max(over)
            hold(p, "projcv", "notice", worst[0] * 100, worst[1] * 100)
        if p["term_end"] is not None and 0 <= (p["term_end"] - today).days <= expiry_days:
            hold(p, "projexp", "notice", float((p["term_end"] - today).days),
                 float(expiry_days))
    return out


def evaluate_projects(engine: Engine, user: User, *, region_code: str, year: int,
                      today: date | None = None, now: datetime | None = None
                      ) -> dict[str, list[int]]:
    """Open, keep or close the project alerts of the region's subtree (module
    docstring) and announce the new ones. Returns the alert ids changed."""
    at = now or datetime.now(UTC)
    day = today or at.date()
    with engine.begin() as conn:
        projects = _projects(conn, user, region_code)
        items = _items(conn, projects, year, day)
        ids = {f"{k}:{p['id']}" for p in projects for k in KINDS}
        current = {s: r for s, r in alert_store.open_alerts(conn, year).items() if s in ids}
        changes = _apply(conn, items, current, year, at)
        _announce(conn, load_tree(conn), changes.pop("_announce"), year, at)
    outbox.wake()
    return changes


def _apply(conn: Connection, items: list[dict[str, Any]], current: dict[str, Any],
           year: int, at: datetime) -> dict[str, Any]:
    changes: dict[str, Any] = {"opened": [], "closed": [], "kept": [], "_announce": []}
    holding = {i["subject"]: i for i in items}
    updates: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for subject, row in current.items():
        if subject not in holding:
            updates.append({"id": row.id, "state": "closed", "closed_at": at})
            events.append({"alert_id": row.id, "at": at, "event": "closed"})
            changes["closed"].append(int(row.id))
        else:
            item = holding[subject]
            updates.append({"id": row.id, "actual": item["actual"],
                            "limit_value": item["limit"]})
            changes["kept"].append(int(row.id))
    new = [{"subject": i["subject"], "region_code": i["region_code"], "institution_id": None,
            "year": year, "level": i["level"], "state": "open", "opened_at": at,
            "actual": i["actual"], "projected": None, "limit_value": i["limit"]}
           for i in items if i["subject"] not in current]
    opened = alert_store.insert_alerts(conn, new, year=year, opened_at=at)
    for row in new:
        alert_id = opened[row["subject"]]
        events.append({"alert_id": alert_id, "at": at, "event": "opened",
                       "detail": row["level"]})
        changes["opened"].append(alert_id)
        changes["_announce"].append((alert_id, holding[row["subject"]]))
    alert_store.update_alerts(conn, updates)
    alert_store.add_events(conn, events)
    return changes


def _line(item: dict[str, Any]) -> str:
    return _zh(f"projects.alert.{item['kind']}", code=item["code"], name=item["name"],
               actual=item["actual"], limit=item["limit"])


def _announce(conn: Connection, tree: RegionTree, announce: list[tuple[int, dict[str, Any]]],
              year: int, at: datetime) -> None:
    """One digest per region to its office (nearest above) and its channels."""
    by_region: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for entry in announce:
        by_region.setdefault(str(entry[1]["region_code"]), []).append(entry)
    notes: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for region, entries in sorted(by_region.items()):
        message = Message(
            title=_zh("projects.alert.title", region=tree.name(region), year=year,
                      count=len(entries))[:200],
            body="\n".join(_line(item) for _, item in entries),
            link=f"/projects?region={region}")
        users = alert_store.responsible_users(conn, tree.lineage(region))
        notes += [{"user_id": uid, "kind": "alert", "title": message.title,
                   "body": message.body, "link": message.link, "created_at": at}
                  for uid in users]
        ids = [alert_id for alert_id, _ in entries]
        events += [{"alert_id": a, "at": at, "event": "notified", "channel": "in-app",
                    "detail": f"{len(users)} user(s)"} for a in ids]
        for queued in outbox.enqueue(conn, channels_for_region(conn, region, tree=tree),
                                     message, ref={"alerts": ids}, at=at):
            events += [{"alert_id": a, "at": at, "event": "queued",
                        "channel": queued.channel} for a in ids]
    notify_store.insert_notifications(conn, notes)
    alert_store.add_events(conn, events)
