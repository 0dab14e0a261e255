"""Live alerts from the meters (issue 12 §6): real-time 超限额预警 and missing data,
raised through the same alerts as the quotas and targets (:mod:`.alerts`: the
``alert`` rows, one open per subject, levels, in-app notifications, the regions'
channels through the outbox, escalation after ``alert_escalate_hours``).

:func:`evaluate_live` (``jieneng meters watch``, every 15 minutes from cron):

**超限额预警** — subject ``live:<institution>:<YYYYMM>``, metric ``metered_kgce``.

- *Metered use*: the month to date of the institution's top-level physical meters
  (no parent, no formula), every carrier, converted to kgce with the coefficients of
  the region's factor set (those of the intensities).
- *Limit for the month*: the institution's energy quota (定额约束值, per capita or per
  m², from the nearest assignment as the quota alerts use) × its 用能人数 or 建筑面积
  (the year's profile, else last year's) = the yearly allowance [kgce]; the stricter
  of the two when both apply. The month's part is last year's share of that month
  in the institution's reported energy (12 months reported), else days ÷ days of the
  year; and only the metered carriers' part of it — their share of last year's
  reported energy (1 when none reported).
- *Projection to month end* (``projection``): ``linear`` (default) — month to date ÷
  elapsed share of the month; ``weekday`` — month to date + each remaining day at the
  mean of the same weekday over the last 4 weeks (the rest of today pro rata).
- *Levels* (:func:`.alerts.level_of`): ``over`` when the month to date exceeds the
  limit, ``warning`` when the projection does, ``notice`` when the month to date
  reaches ``alert_notice_share`` (90 %) of the pace (limit × elapsed share).
- When the condition clears the alert is closed and a "已恢复 back within limits"
  notice goes to the same people and channels; an alert of an ended month is closed
  quietly.

**缺数预警** — subject ``silent:<meter>``, metric ``missing_data``, level ``warning``:
a physical meter silent beyond ``silent_after`` intervals
(:mod:`jieneng.services.metering.monitoring`); closed with a 已恢复 notice when its
data comes back.

Announcements go as one digest per region to its 管理机构 accounts (nearest office
above) and its channels, and in-app to each institution's accounts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine

from jieneng.core.caller import command_line_user
from jieneng.core.categories import categories_under
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.messages import text
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters
from jieneng.core.targets import nearest_assignments
from jieneng.services.metering import monitoring
from jieneng.services.metering.monitoring import Clock, LiveOptions
from jieneng.services.notifications import outbox
from jieneng.services.notifications.channels import channels_for_region, load_tree
from jieneng.services.notifications.notify import Message, Sleep
from jieneng.services.statistics.publication_figures import intensity_coefficients
from jieneng.settings import Settings
from jieneng.storage import alerts as store
from jieneng.storage import live as live_store
from jieneng.storage import notify as notify_store
from jieneng.storage import quotas as quota_store

from .alerts import LEVELS, _escalate, level_of

PROJECTIONS = ("linear", "weekday")
#: quota indicator → which denominator of the profile (0 用能人数, 1 建筑面积)
_DENOMINATOR = {"energy_per_capita_kgce": 0, "energy_per_area_kgce_m2": 1,
                "energy_per_area_nonheating_kgce_m2": 1}
DAY = 86_400


@dataclass(frozen=True)
class LiveAlertOptions:
    """``projection`` linear | weekday; ``silent_after`` intervals make a meter silent."""

    projection: str = "linear"
    silent_after: int = monitoring.SILENT_AFTER

    def __post_init__(self) -> None:
        if self.projection not in PROJECTIONS:
            raise ValidationFailed.of("monitoring.bad_projection", value=self.projection,
                                      allowed=" / ".join(PROJECTIONS))


def _zh(key: str, **values: Any) -> str:
    return text("zh-CN", key, **values)


# ---------------------------------------------------------------- figures

def _allowances(conn: Connection, clock: Clock, ids: list[int]) -> dict[int, dict[str, Any]]:
    """institution id → its yearly allowance [kgce] under its energy quota, with the
    month's share and the metered carriers' share (module docstring)."""
    year = int(clock.text(clock.month, "%Y"))
    month = int(clock.text(clock.month, "%m"))
    info = live_store.institutions(conn, ids)
    assigned = quota_store.assignments(conn)
    if not assigned or not info:
        return {}
    tree = load_tree(conn)
    groups = {str(a["category"]): categories_under(str(a["category"])) for a in assigned}
    profiles = store.profiles(conn, ids, year)
    last_profiles = store.profiles(conn, ids, year - 1)
    out: dict[int, dict[str, Any]] = {}
    for row in info:  # the institutions with meters
        found = nearest_assignments(assigned, tree.lineage(row["region_code"]),
                                    row["category"], groups)
        denominators = profiles.get(row["id"]) or last_profiles.get(row["id"]) or (None, None)
        candidates = [float(str(a["constraint_value"])) * float(value)
                      for ind, a in found.items() if ind in _DENOMINATOR
                      for value in [denominators[_DENOMINATOR[ind]]] if value]
        if candidates:
            out[row["id"]] = {**row, "yearly": min(candidates), "year": year, "month": month}
    return out


def _coefficients(conn: Connection, region_code: str, year: int) -> dict[str, float]:
    return intensity_coefficients(conn, command_line_user().scope, region_code=region_code,
                                  year=year)["energy"]


def overuse_items(conn: Connection, clock: Clock, options: LiveAlertOptions,
                  notice_share: float) -> list[dict[str, Any]]:
    """Every institution with metered use this month and an energy quota: month to
    date, limit, pace, projection [kgce] and its level (None: within limits)."""
    figures = monitoring.month_to_date(conn, Filters(), clock)
    ids = sorted({int(i) for i in figures["institution_id"].unique()})
    allow = _allowances(conn, clock, ids)
    if not allow:
        return []
    year, month = next(iter(allow.values()))["year"], next(iter(allow.values()))["month"]
    out: list[dict[str, Any]] = []
    by_region: dict[str, list[int]] = {}
    for iid, a in allow.items():
        by_region.setdefault(a["region_code"], []).append(iid)
    elapsed = (clock.now - clock.month) / (clock.days_in_month() * DAY)
    for region, members in sorted(by_region.items()):  # a loop over regions
        k = _coefficients(conn, region, year)
        coeff = pl.DataFrame({"carrier": list(k), "k": list(k.values())})
        mine = figures.filter(pl.col("institution_id").is_in(members)).join(coeff, on="carrier")
        metered = sorted(set(mine["carrier"]))
        history = store.month_energy(conn, members, [year - 1],
                                     {"all": k, "metered": {c: k[c] for c in metered}})
        shape = _shape(history, month, clock)
        mtd = (mine.filter(pl.col("kind") == "mtd").group_by("institution_id")
               .agg((pl.col("energy") * pl.col("k")).sum().alias("actual")))
        ahead = _ahead(mine.filter(pl.col("kind") == "day"), clock, options.projection)
        table = (mtd.join(shape, on="institution_id", how="left")
                 .join(ahead, on="institution_id", how="left"))
        for r in table.to_dicts():  # the region's institutions with a quota
            a = allow[r["institution_id"]]
            limit = a["yearly"] * (r["month_share"] or clock.days_in_month() / _days(year)) \
                * (r["metered_share"] or 1.0)
            projected = (r["actual"] / elapsed if options.projection == "linear" and elapsed
                         else r["actual"] + (r["ahead"] or 0.0))
            item = {"subject": f"live:{a['id']}:{year:04d}{month:02d}",
                    "institution_id": a["id"], "region_code": a["region_code"],
                    "name": a["name"], "credit_code": a["credit_code"], "year": year,
                    "month": month, "metric": "metered_kgce", "actual": r["actual"],
                    "limit": limit, "allowance": limit * elapsed, "projected": projected}
            item["level"] = level_of(item, notice_share)
            out.append(item)
    return out


def _days(year: int) -> int:
    return 366 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 365


def _shape(history: pl.DataFrame, month: int, clock: Clock) -> pl.DataFrame:
    """Per institution: last year's share of ``month`` in its energy (12 months
    reported, else null) and the metered carriers' share of it (null when none)."""
    totals = history.group_by("institution_id").agg(
        pl.len().alias("n"), pl.col("all").sum().alias("total"),
        pl.col("metered").sum().alias("metered_total"),
        pl.col("all").filter(pl.col("month") == month).sum().alias("this_month"))
    return totals.select(
        "institution_id",
        pl.when((pl.col("n") == 12) & (pl.col("total") > 0))
        .then(pl.col("this_month") / pl.col("total")).alias("month_share"),
        pl.when(pl.col("total") > 0).then(pl.col("metered_total") / pl.col("total"))
        .alias("metered_share"))


def _ahead(days: pl.DataFrame, clock: Clock, projection: str) -> pl.DataFrame:
    """Per institution, the kgce still to come this month by the weekday profile: each
    remaining day (and the rest of today) at the mean of its weekday over the last 4
    weeks."""
    schema = {"institution_id": pl.Int64, "ahead": pl.Float64}
    if projection != "weekday" or days.height == 0:
        return pl.DataFrame(schema=schema)
    per_day = (days.group_by("institution_id", "start")
               .agg((pl.col("energy") * pl.col("k")).sum().alias("kgce"))
               .with_columns((((pl.col("start") + 8 * 3600) // DAY + 3) % 7).alias("weekday")))
    mean = per_day.group_by("institution_id", "weekday").agg(pl.col("kgce").mean())
    end = clock.month + clock.days_in_month() * DAY
    rest_today = 1.0 - (clock.now - clock.today) / DAY
    weights = [(((clock.today + 8 * 3600) // DAY + 3) % 7, rest_today)]
    weights += [(((d + 8 * 3600) // DAY + 3) % 7, 1.0)
                for d in range(clock.today + DAY, end, DAY)]  # the month's remaining days
    w = (pl.DataFrame({"weekday": [a for a, _ in weights], "w": [b for _, b in weights]})
         .group_by("weekday").agg(pl.col("w").sum()))
    return (mean.join(w, on="weekday").group_by("institution_id")
            .agg((pl.col("kgce") * pl.col("w")).sum().alias("ahead")))


def silent_items(conn: Connection, clock: Clock, options: LiveAlertOptions
                 ) -> list[dict[str, Any]]:
    """Every physical meter, silent (level ``warning``) or not (None)."""
    table = monitoring._meter_table(conn, Filters(), clock,
                                    LiveOptions(silent_after=options.silent_after))
    year = int(clock.text(clock.now, "%Y"))
    rows = table.filter(~pl.col("virtual")).select(
        "meter_id", "institution_id", "region_code", "credit_code", "institution_name",
        "number", "silent_intervals", "silent", "last_end").to_dicts()
    return [{"subject": f"silent:{r['meter_id']}", "institution_id": r["institution_id"],
             "region_code": r["region_code"], "name": r["institution_name"],
             "credit_code": r["credit_code"], "number": r["number"], "year": year,
             "metric": "missing_data", "actual": r["silent_intervals"],
             "limit": float(options.silent_after), "allowance": None, "projected": None,
             "last_seen": None if r["last_end"] is None else clock.text(int(r["last_end"])),
             "level": "warning" if r["silent"] else None} for r in rows]


# ---------------------------------------------------------------- evaluation

def evaluate_live(engine: Engine, now: datetime | int | None = None, *,
                  settings: Settings | None = None, options: LiveAlertOptions | None = None,
                  sleep: Sleep = time.sleep) -> dict[str, Any]:
    """Open, raise, keep or close the live alerts (module docstring), announce the
    changes and the recoveries, escalate the overdue alerts. Returns what changed."""
    settings = settings or Settings()
    options = options or LiveAlertOptions()
    clock = Clock.at(now)
    at = datetime.fromtimestamp(clock.now, UTC)
    with engine.connect() as conn:
        items = [*overuse_items(conn, clock, options, settings.alert_notice_share),
                 *silent_items(conn, clock, options)]
    with engine.begin() as conn:
        tree = load_tree(conn)
        changes, announce = _apply(conn, items, clock, at)
        _announce(conn, tree, announce, at)
        changes["escalated"] = _escalate(conn, settings, tree, at, sleep)
    outbox.wake()
    return {"evaluated": len(items), "at": clock.text(clock.now), **changes}


def _open_live(conn: Connection, year: int) -> dict[str, Any]:
    found = {**store.open_alerts(conn, year - 1), **store.open_alerts(conn, year)}
    return {s: r for s, r in found.items() if s.startswith(("live:", "silent:"))}


def _apply(conn: Connection, items: list[dict[str, Any]], clock: Clock, at: datetime
           ) -> tuple[dict[str, list[Any]], list[tuple[int, dict[str, Any], str]]]:
    year = int(clock.text(clock.now, "%Y"))
    current = _open_live(conn, year)
    seen = {i["subject"] for i in items}
    changes: dict[str, list[Any]] = {"opened": [], "raised": [], "closed": [], "kept": [],
                                     "recovered": []}
    updates: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    announce: list[tuple[int, dict[str, Any], str]] = []
    new: list[dict[str, Any]] = []
    for item in items:  # one per institution with a quota and per physical meter
        level, row = item["level"], current.get(item["subject"])
        values = {"actual": item["actual"], "projected": item["projected"],
                  "limit_value": item["limit"]}
        if level is None:
            if row is not None:
                updates.append({"id": row.id, "state": "closed", "closed_at": at, **values})
                events.append({"alert_id": row.id, "at": at, "event": "closed"})
                announce.append((int(row.id), item, "recovered"))
                changes["closed"].append(int(row.id))
                changes["recovered"].append(int(row.id))
        elif row is None:
            new.append(item)
        elif LEVELS.index(level) > LEVELS.index(row.level):
            updates.append({"id": row.id, "level": level, "state": "open", **values})
            events.append({"alert_id": row.id, "at": at, "event": "raised", "detail": level})
            announce.append((int(row.id), item, level))
            changes["raised"].append(int(row.id))
        else:
            updates.append({"id": row.id, "level": level, **values})
            changes["kept"].append(int(row.id))
    for subject, row in current.items():  # a month ended, a meter removed
        if subject not in seen:
            updates.append({"id": row.id, "state": "closed", "closed_at": at})
            events.append({"alert_id": row.id, "at": at, "event": "closed",
                           "detail": "period ended"})
            changes["closed"].append(int(row.id))
    ids: dict[str, int] = {}
    for year_of in sorted({int(i["year"]) for i in new}):
        rows = [{"subject": i["subject"], "region_code": i["region_code"],
                 "institution_id": i["institution_id"], "year": year_of, "level": i["level"],
                 "state": "open", "opened_at": at, "actual": i["actual"],
                 "projected": i["projected"], "limit_value": i["limit"]}
                for i in new if i["year"] == year_of]
        ids |= store.insert_alerts(conn, rows, year=year_of, opened_at=at)
    for item in new:
        alert_id = ids[item["subject"]]
        events.append({"alert_id": alert_id, "at": at, "event": "opened",
                       "detail": item["level"]})
        announce.append((alert_id, item, item["level"]))
        changes["opened"].append(alert_id)
    store.update_alerts(conn, updates)
    store.add_events(conn, events)
    return changes, announce


def _line(item: dict[str, Any], level: str) -> str:
    state = _zh("monitoring.alert.recovered") if level == "recovered" \
        else _zh(f"alerts.level.{level}")
    if item["metric"] == "missing_data":
        return _zh("monitoring.alert.silent_line", level=state, name=item["name"],
                   meter=item["number"], last_seen=item["last_seen"] or "—",
                   intervals=item["actual"] if item["actual"] is not None else "—")
    return _zh("monitoring.alert.overuse_line", level=state, name=item["name"],
               month=f"{item['year']}-{item['month']:02d}", actual=item["actual"],
               projected=item["projected"] or 0.0, limit=item["limit"])


def _digest(region_name: str, region_code: str,
            entries: list[tuple[int, dict[str, Any], str]]) -> Message:
    recovered = sum(1 for _, _, lvl in entries if lvl == "recovered")
    lines = [_line(i, lvl) for _, i, lvl in entries[:30]]
    if len(entries) > 30:
        lines.append(_zh("notify.quota.more", count=len(entries) - 30))
    return Message(title=_zh("monitoring.alert.title", region=region_name,
                             count=len(entries) - recovered, recovered=recovered)[:200],
                   body="\n".join(lines), link=f"/monitoring?region={region_code}")


def _announce(conn: Connection, tree: RegionTree,
              announce: list[tuple[int, dict[str, Any], str]], at: datetime) -> None:
    """One digest per region to its office's accounts and channels; each institution's
    accounts in-app its own lines; events per alert."""
    if not announce:
        return
    inst_users = store.institutions_users(conn, sorted({int(i["institution_id"])
                                                         for _, i, _ in announce}))
    by_region: dict[str, list[tuple[int, dict[str, Any], str]]] = {}
    for entry in announce:
        by_region.setdefault(entry[1]["region_code"], []).append(entry)
    notes: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for region, entries in sorted(by_region.items()):  # a loop over regions
        digest = _digest(tree.name(region), region, entries)
        users = store.responsible_users(conn, tree.lineage(region))
        notes += [{"user_id": uid, "kind": "alert", "title": digest.title, "body": digest.body,
                   "link": digest.link, "created_at": at} for uid in users]
        ids = [alert_id for alert_id, _, _ in entries]
        events += [{"alert_id": a, "at": at, "event": "notified", "channel": "in-app",
                    "detail": f"{len(users)} user(s)"} for a in ids]
        for queued in outbox.enqueue(conn, channels_for_region(conn, region, tree=tree),
                                     digest, ref={"alerts": ids}, at=at):
            events += [{"alert_id": a, "at": at, "event": "queued",
                        "channel": queued.channel} for a in ids]
        own: dict[int, list[str]] = {}
        for _, item, level in entries:
            own.setdefault(int(item["institution_id"]), []).append(_line(item, level))
        for iid, lines in own.items():
            title = digest.title
            notes += [{"user_id": uid, "kind": "alert", "title": title, "body": "\n".join(lines),
                       "link": digest.link, "created_at": at}
                      for uid in inst_users.get(iid, [])]
    notify_store.insert_notifications(conn, notes)
    store.add_events(conn, events)
