"""Early warning (超限额预警) on the caps of regions' targets and on the quotas of
institutions.

:func:`evaluate` runs after figures arrive (``jieneng alerts evaluate``, or a
scheduler): for every cap target of the region's subtree and year it takes the
progress (:mod:`jieneng.services.targets.progress`: actual to date, pro-rated allowance
from the region's own season, projected year end), and for every institution with
an assigned energy quota its intensity to date against the 约束值 pro-rated by its
own season (:func:`jieneng.services.targets.progress.quota_progress`), and sets the level —

- ``over`` (超限) when the actual to date exceeds the cap;
- ``warning`` (预警) when the projected year end exceeds it;
- ``notice`` (提示) when the actual reaches ``alert_notice_share`` (setting, default
  90 %) of the allowance to date;
- none: an open alert is **closed** (the condition cleared).

One alert per (subject, year) stays open until closed, so a condition that holds
is not announced again (deduplicated); a *higher* level re-announces it. Each
announcement goes in-app to the 管理机构 accounts of the region and to the
region's channels (inherited from above; e-mail, WeCom/DingTalk/Feishu robots —
queued in the evaluation's transaction, delivered after its commit by
:mod:`jieneng.services.notifications.outbox`, retried with backoff, a failing channel
never blocks the others); the alert's history records ``queued`` and then every
delivery's outcome.
An alert not acknowledged within ``alert_escalate_hours`` (default 48) is
escalated once to the level above (its accounts and channels).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.caller import User
from jieneng.core.messages import text
from jieneng.core.regions import RegionTree
from jieneng.services.forms_ny import alerts as pue_alerts
from jieneng.services.notifications import notify, outbox
from jieneng.services.notifications.channels import channels_for_region, load_tree
from jieneng.services.notifications.notify import Message, Sleep
from jieneng.services.targets import progress
from jieneng.services.targets.targets import CAP_METRICS
from jieneng.settings import Settings
from jieneng.storage import alerts as store
from jieneng.storage import institutions
from jieneng.storage import notify as notify_store
from jieneng.storage import quotas as quota_store
from jieneng.storage import targets as target_store

LEVELS: tuple[str, ...] = ("notice", "warning", "over")
UNITS = {"energy_tce": "tce", "water_m3": "m³", "co2_t": "t",
         "energy_per_capita_kgce": "kgce/人", "energy_per_area_kgce_m2": "kgce/m²",
         "metered_kgce": "kgce", "missing_data": "个时段", "datacentre_pue": "",
         "project_savings": "tce", "project_sufficiency": "%", "project_cvrmse": "%",
         "project_expiry": "天"}
#: the metric of the live alerts' subjects (services.targets.live)
LIVE_METRICS = {"live": "metered_kgce", "silent": "missing_data",
                "pue": "datacentre_pue",  # services.forms_ny.alerts
                # services.projects.project_alerts
                "projsav": "project_savings", "projsuff": "project_sufficiency",
                "projcv": "project_cvrmse", "projexp": "project_expiry"}


def _zh(key: str, **values: Any) -> str:
    """The catalogue's Chinese ``key``: alert messages are written in Chinese."""
    return text("zh-CN", key, **values)


def level_labels(level: str) -> tuple[str, str]:
    """An alert level (``alerts.level.*``) in Chinese and in English."""
    return text("zh-CN", f"alerts.level.{level}"), text("en", f"alerts.level.{level}")


def level_of(item: dict[str, Any], notice_share: float) -> str | None:
    """The alert level of one cap's progress, or None."""
    if item["actual"] > item["limit"]:
        return "over"
    if item["projected"] is not None and item["projected"] > item["limit"]:
        return "warning"
    if item["allowance"] and item["actual"] >= notice_share * item["allowance"]:
        return "notice"
    return None


def _message(item: dict[str, Any], level: str, *, escalated: bool = False) -> Message:
    projected = "—" if item["projected"] is None else f"{item['projected']:,.1f}"
    title = _zh("notify.alert.title", level=_zh(f"alerts.level.{level}"),
                who=item.get("name") or item["region_name"], year=item["year"],
                metric=_zh(f"alerts.metric.{item['metric']}"))
    return Message(
        title=_zh("notify.escalated", title=title) if escalated else title,
        body=_zh("notify.alert.body", months=item["months"], actual=item["actual"],
                 allowance=item["allowance"], projected=projected, limit=item["limit"],
                 unit=UNITS[item["metric"]]),
        link=f"/alerts?region={item['region_code']}&year={item['year']}",
    )


def _announce(conn: Connection, settings: Settings, tree: RegionTree, alert_id: int,
              region_code: str, message: Message, at: datetime, sleep: Sleep) -> None:
    users = store.responsible_users(conn, tree.lineage(region_code))
    notify.notify_users(conn, users, kind="alert", message=message, at=at)
    store.add_event(conn, alert_id, at, "notified", channel="in-app",
                    detail=f"{len(users)} user(s)")
    channels = channels_for_region(conn, region_code, tree=tree)
    for queued in outbox.enqueue(conn, channels, message, ref={"alerts": [alert_id]}, at=at):
        store.add_event(conn, alert_id, at, "queued", channel=queued.channel)


def evaluate(engine: Engine, settings: Settings, user: User, *, region_code: str, year: int,
             as_of_month: int | None = None, now: datetime | None = None,
             sleep: Sleep = time.sleep) -> dict[str, Any]:
    """Open, raise, keep or close the alerts of every cap in the region's subtree
    (see the module docstring), then escalate the overdue ones. Returns what changed."""
    at = now or datetime.now(UTC)
    items = [i for i in progress.region_progress(
        engine, user, region_code=region_code, year=year, as_of_month=as_of_month,
        factor_set=settings.factor_set, subtree=True)["items"]
        if i["metric"] in CAP_METRICS and not i["own_level"]]  # 本级: no target row of its own
    for item in items:
        item["subject"] = f"target:{item['target_id']}"
    quota_items = progress.quota_progress(engine, user, region_code=region_code, year=year,
                                          as_of_month=as_of_month,
                                          factor_set=settings.factor_set)
    for item in quota_items:
        item["subject"] = f"quota:{item['quota_id']}:{item['institution_id']}"
    items = [*items, *quota_items]
    with engine.begin() as conn:
        tree = load_tree(conn)
        changes, announce = _apply(conn, items, year, at, settings.alert_notice_share)
        _announce_all(conn, settings, tree, announce, at, sleep)
        pue = pue_alerts.evaluate_pue(conn, user, tree, region_code=region_code, year=year,
                                      at=at, as_of_month=as_of_month)
        changes["escalated"] = _escalate(conn, settings, tree, at, sleep)
    outbox.wake()  # the channels' messages were queued in that transaction
    return {"region": region_code, "year": year, "evaluated": len(items), **changes,
            "pue": pue}


def _apply(conn: Connection, items: list[dict[str, Any]], year: int, at: datetime,
           notice_share: float) -> tuple[dict[str, list[Any]], list[tuple[int, dict[str, Any],
                                                                          str]]]:
    """Decide every item against the open alerts (read in one query) and write the
    changes in bulk; returns the changes and the (alert id, item, level) to announce."""
    current = store.open_alerts(conn, year)
    changes: dict[str, list[Any]] = {"opened": [], "raised": [], "closed": [], "kept": []}
    updates: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    announce: list[tuple[int, dict[str, Any], str]] = []
    new: list[tuple[dict[str, Any], dict[str, Any], str]] = []
    for item in items:
        level = level_of(item, notice_share)
        row = current.get(item["subject"])
        values = {"actual": item["actual"], "projected": item["projected"],
                  "limit_value": item["limit"]}
        if level is None:
            if row is not None:
                updates.append({"id": row.id, "state": "closed", "closed_at": at, **values})
                events.append({"alert_id": row.id, "at": at, "event": "closed"})
                changes["closed"].append(row.id)
        elif row is None:
            new.append(({"subject": item["subject"], "region_code": item["region_code"],
                         "institution_id": item.get("institution_id"), "year": year,
                         "level": level, "state": "open", "opened_at": at, **values},
                        item, level))
        elif LEVELS.index(level) > LEVELS.index(row.level):
            updates.append({"id": row.id, "level": level, "state": "open", **values})
            events.append({"alert_id": row.id, "at": at, "event": "raised", "detail": level})
            announce.append((row.id, item, level))
            changes["raised"].append(row.id)
        else:
            updates.append({"id": row.id, "level": level, **values})
            changes["kept"].append(row.id)
    ids = store.insert_alerts(conn, [r for r, _, _ in new], year=year, opened_at=at)
    for values_row, item, level in new:
        alert_id = ids[values_row["subject"]]
        events.append({"alert_id": alert_id, "at": at, "event": "opened", "detail": level})
        announce.append((alert_id, item, level))
        changes["opened"].append(alert_id)
    store.update_alerts(conn, updates)
    store.add_events(conn, events)
    return changes, announce


def _announce_all(conn: Connection, settings: Settings, tree: RegionTree,
                  announce: list[tuple[int, dict[str, Any], str]], at: datetime,
                  sleep: Sleep) -> None:
    """A region's caps one message each; the institutions' quota alerts of a region as
    one digest per channel (a group robot is not sent thousands of messages), and
    in-app to each institution's accounts and the region's — all in bulk."""
    regional = [(a, i, lvl) for a, i, lvl in announce if i.get("institution_id") is None]
    for alert_id, item, level in regional:
        _announce(conn, settings, tree, alert_id, item["region_code"], _message(item, level),
                  at, sleep)
    per_institution = [(a, i, lvl) for a, i, lvl in announce if i.get("institution_id")]
    if not per_institution:
        return
    inst_users = store.institutions_users(conn, [i["institution_id"]
                                                 for _, i, _ in per_institution])
    by_region: dict[str, list[tuple[int, dict[str, Any], str]]] = {}
    for entry in per_institution:
        by_region.setdefault(entry[1]["region_code"], []).append(entry)
    events: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for region, entries in sorted(by_region.items()):
        # the region's office, or the nearest one above it when it has no account
        region_users = store.responsible_users(conn, tree.lineage(region))
        for alert_id, item, level in entries:
            users = region_users + inst_users.get(int(item["institution_id"]), [])
            message = _message(item, level)
            notes += [{"user_id": uid, "kind": "alert", "title": message.title[:200],
                       "body": message.body, "link": message.link, "created_at": at}
                      for uid in users]
            events.append({"alert_id": alert_id, "at": at, "event": "notified",
                           "channel": "in-app", "detail": f"{len(users)} user(s)"})
        digest = _digest(tree.name(region), entries)
        ids = [alert_id for alert_id, _, _ in entries]
        for queued in outbox.enqueue(conn, channels_for_region(conn, region, tree=tree),
                                     digest, ref={"alerts": ids}, at=at):
            events += [{"alert_id": alert_id, "at": at, "event": "queued",
                        "channel": queued.channel} for alert_id in ids]
    notify_store.insert_notifications(conn, notes)
    store.add_events(conn, events)


#: Institutions named in a digest before "… and N more".
DIGEST_NAMES = 30


def _digest(region_name: str, entries: list[tuple[int, dict[str, Any], str]], *,
            escalated: bool = False) -> Message:
    counts = {lvl: sum(1 for _, _, x in entries if x == lvl) for lvl in LEVELS}
    head = "、".join(_zh("notify.quota.count", level=_zh(f"alerts.level.{lvl}"), count=n)
                    for lvl, n in counts.items() if n)
    lines = [_zh("notify.quota.line", name=i["name"], metric=_zh(f"alerts.metric.{i['metric']}"),
                 actual=i["actual"], limit=i["limit"], level=_zh(f"alerts.level.{lvl}"))
             for _, i, lvl in entries[:DIGEST_NAMES]]
    if len(entries) > DIGEST_NAMES:
        lines.append(_zh("notify.quota.more", count=len(entries) - DIGEST_NAMES))
    year = entries[0][1]["year"]
    title = _zh("notify.quota.title", region=region_name, year=year, counts=head)
    return Message(title=_zh("notify.escalated", title=title) if escalated else title,
                   body="\n".join(lines),
                   link=f"/alerts?region={entries[0][1]['region_code']}&year={year}")


def _escalate(conn: Connection, settings: Settings, tree: RegionTree, at: datetime,
              sleep: Sleep) -> list[int]:
    """Alerts open and unacknowledged since ``alert_escalate_hours``: once to the level
    above — a region's caps one message each, institutions' alerts as one digest per
    channel of the parent region (in-app to its accounts for each alert)."""
    out: list[int] = []
    before = at - timedelta(hours=settings.alert_escalate_hours)
    rows = store.due_for_escalation(conn, before)
    store.update_alerts(conn, [{"id": r.id, "escalated_at": at} for r in rows])
    digests: dict[str, list[tuple[int, dict[str, Any], str]]] = {}
    for row in rows:
        parent = tree.by_code[row.region_code].parent_code if row.region_code in tree else None
        if parent is None:
            store.add_event(conn, row.id, at, "escalated", detail="no level above")
            continue
        item = {"region_code": row.region_code, "region_name": tree.name(row.region_code),
                "year": row.year, "metric": _metric(conn, row.subject), "months": "—",
                "actual": row.actual or 0.0, "allowance": 0.0, "projected": row.projected,
                "limit": row.limit_value or 0.0, "institution_id": row.institution_id,
                "name": None}
        store.add_event(conn, row.id, at, "escalated", detail=parent)
        out.append(int(row.id))
        if row.institution_id is None:
            _announce(conn, settings, tree, row.id, parent,
                      _message(item, row.level, escalated=True), at, sleep)
        else:
            found = institutions.get_institution_by_id(conn, int(row.institution_id))
            item["name"] = found.name if found else str(row.institution_id)
            digests.setdefault(parent, []).append((int(row.id), item, str(row.level)))
    for parent, entries in digests.items():
        users = store.region_users(conn, [parent])
        notify_store.insert_notifications(conn, [
            {"user_id": uid, "kind": "alert", "title": m.title[:200], "body": m.body,
             "link": m.link, "created_at": at}
            for _, item, level in entries
            for m in [_message(item, level, escalated=True)] for uid in users])
        digest = _digest(tree.name(parent), entries, escalated=True)
        ids = [a for a, _, _ in entries]
        for queued in outbox.enqueue(conn, channels_for_region(conn, parent, tree=tree),
                                     digest, ref={"alerts": ids}, at=at):
            store.add_events(conn, [{"alert_id": a, "at": at, "event": "queued",
                                     "channel": queued.channel} for a in ids])
    return out


def _metric(conn: Connection, subject: str) -> str:
    kind, _, rest = subject.partition(":")
    if kind in LIVE_METRICS:
        return LIVE_METRICS[kind]
    if kind == "quota":
        quota_id = int(rest.split(":", 1)[0])
        found = [q for q in quota_store.list_quotas(conn) if q["id"] == quota_id]
        return str(found[0]["indicator"]) if found else "energy_per_capita_kgce"
    target = target_store.get_target(conn, int(rest))
    return target.metric if target is not None else "energy_tce"
