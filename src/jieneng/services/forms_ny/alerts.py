"""PUE alerts (issue 12 §7): a data-centre room whose latest PUE is above its target
raises an alert for the room's institution, through the same alerts as the quotas and
targets (the ``alert`` rows, one open per subject, in-app notifications, the regions'
channels through the outbox, escalation; :mod:`jieneng.services.targets.alerts`).

- Subject ``pue:<room id>``, metric ``datacentre_pue``, level ``warning``; ``actual`` the
  PUE, ``limit_value`` the target.
- *Latest PUE* of the evaluated year: the annual report's (month 0) when the room has
  one, else that of the latest month up to ``as_of_month`` (12 when not given) —
  :func:`jieneng.storage.quality.pue_rule.room_pue` (from the sub-meters when they cover
  the period, else from the form; the same PUE as the data-quality rule
  ``datacentre_pue_above`` and ``/datacentre/summary``).
- Targets: those of the quality rule ``datacentre_pue_above`` in the region's settings
  (default 1.3 new / 1.6 existing, :data:`jieneng.core.forms_ny.DEFAULT_TARGETS`).
- When the latest PUE is back at or below target the alert is closed with a 已恢复
  notice to the same people; a room with no PUE in the year keeps its alert as it is.

Run by :func:`jieneng.services.targets.alerts.evaluate` (``jieneng alerts evaluate
--region R --year Y [--month M]``), over the rooms of the region's subtree in the
caller's scope.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection

from jieneng.core.caller import User
from jieneng.core.messages import text
from jieneng.core.regions import RegionTree
from jieneng.services.notifications import outbox
from jieneng.services.notifications.channels import channels_for_region
from jieneng.services.notifications.notify import Message
from jieneng.services.scope import scoped_filters
from jieneng.storage import alerts as store
from jieneng.storage import notify as notify_store
from jieneng.storage.quality.pue_rule import ROOM_PUE_SCHEMA, RULE, room_pue
from jieneng.storage.quality.settings import region_configs

PREFIX = "pue:"
METRIC = "datacentre_pue"


def _zh(key: str, **values: Any) -> str:
    return text("zh-CN", key, **values)


def latest_pue(conn: Connection, user: User, *, region_code: str, year: int,
               as_of_month: int | None = None, tree: RegionTree | None = None
               ) -> pl.DataFrame:
    """Per room of the region's subtree in ``user``'s scope: its latest PUE of ``year``
    (module docstring), target (the region's rule settings) and whether it is above."""
    filters = scoped_filters(conn, user.scope, region_code=region_code)
    found: list[pl.DataFrame] = []
    for month in [0, *range(as_of_month or 12, 0, -1)]:  # ≤ 13 periods, latest first
        found.append(room_pue(conn, filters, year, month))
    rooms = pl.concat(found).unique("room_id", keep="first", maintain_order=True)
    if rooms.is_empty():
        return rooms
    configs = region_configs(conn, rooms["region_code"].unique().to_list(), tree=tree)
    targets = pl.DataFrame(
        {"region_code": list(configs),
         "t_new": [c[RULE].params["target_new"] for c in configs.values()],
         "t_existing": [c[RULE].params["target_existing"] for c in configs.values()],
         "enabled": [c[RULE].enabled for c in configs.values()]},
        schema={"region_code": pl.String, "t_new": pl.Float64, "t_existing": pl.Float64,
                "enabled": pl.Boolean})
    return (rooms.join(targets, on="region_code", how="left")
            .with_columns(pl.when(pl.col("room_status") == "new").then(pl.col("t_new"))
                          .otherwise(pl.col("t_existing")).alias("target"))
            .with_columns(((pl.col("pue") > pl.col("target")) & pl.col("enabled"))
                          .alias("above"))
            .select(list(ROOM_PUE_SCHEMA)))


def evaluate_pue(conn: Connection, user: User, tree: RegionTree, *, region_code: str,
                 year: int, at: datetime, as_of_month: int | None = None
                 ) -> dict[str, list[int]]:
    """Open, keep or close the PUE alerts of the region's rooms (module docstring) in the
    caller's transaction and announce the changes. Returns the alert ids changed."""
    rooms = latest_pue(conn, user, region_code=region_code, year=year,
                       as_of_month=as_of_month, tree=tree)
    current = {s: r for s, r in store.open_alerts(conn, year).items()
               if s.startswith(PREFIX)}
    changes: dict[str, list[int]] = {"opened": [], "closed": [], "kept": []}
    updates: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    announce: list[tuple[int, dict[str, Any], str]] = []
    new: list[dict[str, Any]] = []
    for room in rooms.to_dicts():  # one per room with a PUE in the year
        subject, row = f"{PREFIX}{room['room_id']}", current.get(f"{PREFIX}{room['room_id']}")
        values = {"actual": room["pue"], "limit_value": room["target"]}
        if not room["above"]:
            if row is not None:
                updates.append({"id": row.id, "state": "closed", "closed_at": at, **values})
                events.append({"alert_id": row.id, "at": at, "event": "closed"})
                announce.append((int(row.id), room, "recovered"))
                changes["closed"].append(int(row.id))
        elif row is None:
            new.append({"subject": subject, "region_code": room["region_code"],
                        "institution_id": room["institution_id"], "year": year,
                        "level": "warning", "state": "open", "opened_at": at, **values})
        else:
            updates.append({"id": row.id, **values})
            changes["kept"].append(int(row.id))
    ids = store.insert_alerts(conn, new, year=year, opened_at=at)
    by_subject = {f"{PREFIX}{r['room_id']}": r for r in rooms.to_dicts()}
    for row_values in new:
        alert_id = ids[row_values["subject"]]
        events.append({"alert_id": alert_id, "at": at, "event": "opened",
                       "detail": "warning"})
        announce.append((alert_id, by_subject[row_values["subject"]], "warning"))
        changes["opened"].append(alert_id)
    store.update_alerts(conn, updates)
    store.add_events(conn, events)
    _announce(conn, tree, announce, year, at)
    return changes


def _line(room: dict[str, Any], level: str) -> str:
    state = _zh("monitoring.alert.recovered") if level == "recovered" \
        else _zh(f"alerts.level.{level}")
    source = _zh(f"forms_ny.alert.source.{room['pue_source']}")
    return _zh("forms_ny.alert.line", level=state, name=room["institution_name"],
               room=f"{room['room_code']} {room['room_name']}", pue=room["pue"],
               target=room["target"], source=source,
               period=_zh("forms_ny.annual") if room["month"] == 0 else f"{room['month']}月")


def _announce(conn: Connection, tree: RegionTree,
              announce: list[tuple[int, dict[str, Any], str]], year: int,
              at: datetime) -> None:
    """Per region: one message to its office's accounts (nearest above) and channels;
    each institution's accounts in-app their own lines; events per alert."""
    if not announce:
        return
    inst_users = store.institutions_users(conn, sorted({int(r["institution_id"])
                                                         for _, r, _ in announce}))
    by_region: dict[str, list[tuple[int, dict[str, Any], str]]] = {}
    for entry in announce:
        by_region.setdefault(str(entry[1]["region_code"]), []).append(entry)
    notes: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for region, entries in sorted(by_region.items()):  # a loop over regions
        recovered = sum(1 for _, _, lvl in entries if lvl == "recovered")
        message = Message(
            title=_zh("forms_ny.alert.title", region=tree.name(region), year=year,
                      count=len(entries) - recovered, recovered=recovered)[:200],
            body="\n".join(_line(r, lvl) for _, r, lvl in entries),
            link=f"/datacentre/summary?region={region}&year={year}")
        users = store.responsible_users(conn, tree.lineage(region))
        notes += [{"user_id": uid, "kind": "alert", "title": message.title,
                   "body": message.body, "link": message.link, "created_at": at}
                  for uid in users]
        ids = [alert_id for alert_id, _, _ in entries]
        events += [{"alert_id": a, "at": at, "event": "notified", "channel": "in-app",
                    "detail": f"{len(users)} user(s)"} for a in ids]
        for queued in outbox.enqueue(conn, channels_for_region(conn, region, tree=tree),
                                     message, ref={"alerts": ids}, at=at):
            events += [{"alert_id": a, "at": at, "event": "queued",
                        "channel": queued.channel} for a in ids]
        own: dict[int, list[str]] = {}
        for _, room, level in entries:
            own.setdefault(int(room["institution_id"]), []).append(_line(room, level))
        for iid, lines in own.items():
            notes += [{"user_id": uid, "kind": "alert", "title": message.title,
                       "body": "\n".join(lines), "link": message.link, "created_at": at}
                      for uid in inst_users.get(iid, [])]
    notify_store.insert_notifications(conn, notes)
    store.add_events(conn, events)
