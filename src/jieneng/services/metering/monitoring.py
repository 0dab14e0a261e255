"""Live monitoring (issue 12 §6): what an institution's or a region's meters say now.

Everything is read from the derived roll-ups (``metering_rollup``, hour and day
levels) and, for the last interval received, from ``metering_interval`` — set-based
(:mod:`jieneng.storage.live`), one snapshot per page, China time (UTC+8, no DST).

- **Load curve**: electricity of the top-level physical meters (no parent, no
  formula), kWh per hour of today so far, of yesterday and of the same weekday a week
  ago (an hour's kWh is its mean load in kW). An hour some of whose intervals are
  missing is drawn with what arrived and marked incomplete (``complete``).
- **Last 30 days**: the same meters, kWh per day.
- **分项 breakdown** (this month to date): the electricity sub-meters hanging directly
  under a top-level meter, summed by 分项 code; 未分项 = total − Σ sub-meters. When the
  sub-meters add up to more than the total the remainder is shown as it is (negative)
  and flagged (``remainder_negative``) — never clipped to 0 silently.
- **Completeness**: intervals received ÷ intervals expected (from the clock: today so
  far, the last 7 days, the month to date, at each meter's own interval), per physical
  meter and summed per institution.
- **Silent meters**: physical meters whose last interval with energy ended more than
  ``silent_after`` intervals ago (default :data:`SILENT_AFTER`), or that never sent one.

The region page sums the same over the institutions of the region in the caller's
scope, with the top institutions by today's use and the completeness per institution.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine

from jieneng.core.caller import User
from jieneng.core.carriers import carrier
from jieneng.core.metering import LOCAL_OFFSET_S, item_codes
from jieneng.core.permissions import Capability, require
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters
from jieneng.services.database import reading
from jieneng.services.scope import scoped_filters, visible_institution
from jieneng.storage import live as store
from jieneng.storage import regions

DAY = 86_400
HOUR = 3_600
#: a physical meter is silent after this many intervals without energy (2 h at 15 min)
SILENT_AFTER = 8
#: how far back the last interval is looked for; a meter silent longer shows its last day
LOOKBACK_DAYS = 3
#: how far back its last day with data is looked for
LOOKBACK_DAYS_DAY = 62
#: institutions in the region page's "top by today's use"
TOP = 10


@dataclass(frozen=True)
class LiveOptions:
    """``silent_after`` intervals without data make a meter silent; ``top`` institutions
    listed on the region page."""

    silent_after: int = SILENT_AFTER
    top: int = TOP


@dataclass(frozen=True)
class Clock:
    """The China-time instants a page is computed from (epoch s)."""

    now: int
    today: int  # 00:00 today
    month: int  # 00:00 on the 1st of this month

    @classmethod
    def at(cls, now: datetime | int | None = None) -> Clock:
        ts = (int(datetime.now(UTC).timestamp()) if now is None
              else now if isinstance(now, int) else int(now.timestamp()))
        today = (ts + LOCAL_OFFSET_S) // DAY * DAY - LOCAL_OFFSET_S
        local = datetime.fromtimestamp(today + LOCAL_OFFSET_S, UTC)
        month = today - (local.day - 1) * DAY
        return cls(ts, today, month)

    @property
    def week(self) -> int:
        """00:00 six days ago: with today, the last 7 days."""
        return self.today - 6 * DAY

    def text(self, ts: int, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return datetime.fromtimestamp(ts + LOCAL_OFFSET_S, UTC).strftime(fmt)

    def days_in_month(self) -> int:
        local = datetime.fromtimestamp(self.month + LOCAL_OFFSET_S, UTC)
        nxt = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=UTC)
        return (nxt - local).days


def _pct(received: float, expected: float) -> float | None:
    return None if expected <= 0 else round(min(100.0, 100.0 * received / expected), 1)


# ---------------------------------------------------------------- parts

def _curve(conn: Connection, filters: Filters, clock: Clock) -> dict[str, Any]:
    """kWh per hour of today, yesterday and the same weekday last week."""
    days = {"today": clock.today, "yesterday": clock.today - DAY,
            "last_week": clock.today - 7 * DAY}
    frame = store.hourly_total(conn, filters, [(d, d + DAY) for d in days.values()])
    by_start = {int(r[0]): r for r in frame.iter_rows()}
    out: dict[str, Any] = {"hours": [f"{h:02d}:00" for h in range(24)]}
    for name, start in days.items():
        values: list[float | None] = []
        complete: list[bool] = []
        for h in range(24):  # 24 points of a chart
            row = by_start.get(start + h * HOUR)
            future = start + h * HOUR >= clock.now
            values.append(None if row is None or future or row[1] is None else row[1])
            complete.append(row is not None and row[2] >= row[3])
        out[name] = values
        out[f"{name}_complete"] = complete
    out["today_kwh"] = sum(v for v in out["today"] if v is not None)
    out["yesterday_kwh"] = sum(v for v in out["yesterday"] if v is not None)
    return out


def _daily(conn: Connection, filters: Filters, clock: Clock) -> dict[str, Any]:
    """kWh per day over the last 30 days (today not included: it is the curve's)."""
    low = clock.today - 30 * DAY
    frame = store.daily_total(conn, filters, low, clock.today)
    by_start = {int(r[0]): r for r in frame.iter_rows()}
    starts = [low + k * DAY for k in range(30)]
    return {
        "days": [clock.text(s, "%m-%d") for s in starts],
        "energy": [by_start[s][1] if s in by_start else None for s in starts],
        "complete": [s in by_start and by_start[s][2] >= by_start[s][3] for s in starts],
    }


def _expected(clock: Clock, interval_s: pl.Expr) -> dict[str, pl.Expr]:
    """Intervals expected per window, from the clock, at each meter's interval."""
    today = (clock.now - clock.today) // interval_s
    return {"today": today,
            "week": 6 * DAY // interval_s + today,
            "month": (clock.today - clock.month) // interval_s + today}


def _meter_table(conn: Connection, filters: Filters, clock: Clock,
                 options: LiveOptions) -> pl.DataFrame:
    """Every active meter inside ``filters`` with its sums (today, week, month), its
    completeness per window and its silence."""
    meters = store.meters(conn, filters)
    sums = store.window_sums(conn, filters, today=clock.today, now=clock.now,
                             windows={"week": clock.week, "month": clock.month})
    last = store.last_received(conn, filters, since=clock.now - LOOKBACK_DAYS * DAY,
                               day_since=clock.today - LOOKBACK_DAYS_DAY * DAY)
    table = (meters.join(sums, on="meter_id", how="left")
             .join(last, on="meter_id", how="left"))
    interval = pl.col("interval_s").clip(lower_bound=60)
    expected = _expected(clock, interval)
    cols = []
    for name, exp in expected.items():
        cols += [exp.alias(f"expected_{name}"),
                 pl.when(exp > 0).then(
                     (100.0 * pl.col(f"present_{name}").fill_null(0) / exp)
                     .clip(upper_bound=100.0).round(1)).alias(f"completeness_{name}")]
    now_floor = clock.now // interval * interval
    table = table.with_columns(*cols).with_columns(
        pl.when(pl.col("last_end").is_not_null())
        .then(((now_floor - pl.col("last_end")) // interval).clip(lower_bound=0))
        .alias("silent_intervals"))
    return table.with_columns(
        (~pl.col("virtual") & (pl.col("silent_intervals").is_null()
                               | (pl.col("silent_intervals") > options.silent_after)))
        .alias("silent"))


def _meter_rows(table: pl.DataFrame, clock: Clock) -> list[dict[str, Any]]:
    rows = table.filter(~pl.col("virtual")).select(
        "meter_id", "institution_id", "credit_code", "institution_name", "number", "name",
        "carrier", "item_code", "completeness_today", "completeness_week",
        "completeness_month", "last_end", "silent_intervals", "silent").to_dicts()
    names = {c: carrier(c) for c in {str(r["carrier"]) for r in rows}}
    for r in rows:  # the meters of one page
        r["last_seen"] = None if r["last_end"] is None else clock.text(int(r["last_end"]))
        r["carrier_zh"], r["carrier_en"] = (names[r["carrier"]].name_zh,
                                            names[r["carrier"]].name_en)
    return rows


def _completeness(table: pl.DataFrame) -> dict[str, float | None]:
    physical = table.filter(~pl.col("virtual"))
    return {name: _pct(float(physical[f"present_{name}"].fill_null(0).sum()),
                       float(physical[f"expected_{name}"].sum()))
            for name in ("today", "week", "month")}


def _breakdown(table: pl.DataFrame) -> dict[str, Any]:
    """This month's electricity by 分项 code of the sub-meters directly under a
    top-level meter, and 未分项 = total − Σ of them (flagged when negative)."""
    elec = table.filter(pl.col("carrier") == "electricity")
    top = elec.filter(pl.col("parent_id").is_null() & ~pl.col("virtual"))
    total = float(top["energy_month"].fill_null(0.0).sum())
    subs = elec.filter(pl.col("parent_id").is_in(top["meter_id"].implode()))
    by_item = (subs.with_columns(pl.col("item_code").fill_null(""))
               .group_by("item_code").agg(pl.col("energy_month").fill_null(0.0).sum())
               .sort("item_code"))
    names = item_codes()
    items = []
    for code, energy in by_item.iter_rows():  # a handful of 分项 codes
        found = names.get(code)
        items.append({"code": code or None, "name_zh": found.name("zh") if found else "其他",
                      "name_en": found.name("en") if found else "other", "energy": energy,
                      "share": None if total <= 0 else round(100.0 * energy / total, 1)})
    sub_total = sum(i["energy"] for i in items)
    remainder = total - sub_total
    return {"total": total, "items": items, "sub_total": sub_total, "remainder": remainder,
            "remainder_share": None if total <= 0 else round(100.0 * remainder / total, 1),
            "remainder_negative": remainder < -1e-9}


# ---------------------------------------------------------------- pages

def institution_live(engine: Engine, user: User, credit_code: str, *,
                     now: datetime | int | None = None,
                     options: LiveOptions | None = None) -> dict[str, Any]:
    """One institution's live page (inside the caller's scope, else NotFound)."""
    require(user, Capability.VIEW_METERING)
    options = options or LiveOptions()
    clock = Clock.at(now)
    with reading(engine) as conn:
        inst = visible_institution(conn, user.scope, credit_code)
        filters = Filters(None, None, [inst.id])
        table = _meter_table(conn, filters, clock, options)
        curve = _curve(conn, filters, clock)
        daily = _daily(conn, filters, clock)
    meters = _meter_rows(table, clock)
    return {
        "institution": {"credit_code": inst.credit_code, "name": inst.name,
                        "region_code": inst.region_code},
        "as_of": clock.text(clock.now), "month": clock.text(clock.month, "%Y-%m"),
        "silent_after": options.silent_after, "curve": curve, "daily": daily,
        "breakdown": _breakdown(table), "completeness": _completeness(table),
        "meters": meters, "silent": [m for m in meters if m["silent"]],
    }


def region_live(engine: Engine, user: User, region_code: str | None = None, *,
                now: datetime | int | None = None,
                options: LiveOptions | None = None) -> dict[str, Any]:
    """A region's live page over its institutions in the caller's scope (the caller's
    whole scope without ``region_code``)."""
    require(user, Capability.VIEW_METERING)
    options = options or LiveOptions()
    clock = Clock.at(now)
    with reading(engine) as conn:
        filters = scoped_filters(conn, user.scope, region_code=region_code)
        tree = RegionTree(regions.load_regions(conn))
        table = _meter_table(conn, filters, clock, options)
        curve = _curve(conn, filters, clock)
        daily = _daily(conn, filters, clock)
    code = region_code or user.region_code
    return {
        "region": {"code": code, "name": tree.name(code) if code and code in tree else None},
        "as_of": clock.text(clock.now), "month": clock.text(clock.month, "%Y-%m"),
        "silent_after": options.silent_after, "curve": curve, "daily": daily,
        "breakdown": _breakdown(table), "completeness": _completeness(table),
        "institutions": _institutions(table, options.top),
        "silent": [m for m in _meter_rows(table, clock) if m["silent"]],
    }


def _institutions(table: pl.DataFrame, top: int) -> dict[str, Any]:
    """Per institution: today's and this month's electricity (top-level meters), its
    meters, silent meters and completeness; the ``top`` by today's use first."""
    physical = table.filter(~pl.col("virtual"))
    top_elec = (pl.col("carrier") == "electricity") & pl.col("parent_id").is_null()
    per = (physical.group_by("institution_id", "credit_code", "institution_name")
           .agg(pl.col("energy_today").filter(top_elec).sum().alias("today_kwh"),
                pl.col("energy_month").filter(top_elec).sum().alias("month_kwh"),
                pl.len().alias("meters"), pl.col("silent").sum().alias("silent"),
                *[pl.col(f"present_{n}").fill_null(0).sum().alias(f"present_{n}")
                  for n in ("today", "week", "month")],
                *[pl.col(f"expected_{n}").sum().alias(f"expected_{n}")
                  for n in ("today", "week", "month")])
           .sort(["today_kwh", "credit_code"], descending=[True, False]))
    rows = per.to_dicts()
    for r in rows:  # one row per institution of the region
        for n in ("today", "week", "month"):
            r[f"completeness_{n}"] = _pct(r.pop(f"present_{n}"), r.pop(f"expected_{n}"))
        r["silent"] = int(r["silent"])
    return {"top": rows[:top], "all": sorted(rows, key=lambda r: r["credit_code"])}


# ---------------------------------------------------------------- for the live alerts

def month_to_date(conn: Connection, filters: Filters, clock: Clock) -> pl.DataFrame:
    """Per institution and carrier inside ``filters``: the month-to-date energy of its
    top-level physical meters (``institution_id, carrier, energy``) and their daily
    energy of the last 28 whole days (``daily``: a frame ``institution_id, carrier,
    start, energy``) — returned as one frame with ``kind`` ``mtd`` / ``day``."""
    meters = store.meters(conn, filters).filter(
        pl.col("parent_id").is_null() & ~pl.col("virtual"))
    sums = store.window_sums(conn, filters, today=clock.today, now=clock.now,
                             windows={"month": clock.month})
    days = store.daily_by_meter(conn, filters, clock.today - 28 * DAY, clock.today)
    keys = meters.select("meter_id", "institution_id", "region_code", "carrier")
    mtd = (keys.join(sums, on="meter_id").group_by("institution_id", "region_code", "carrier")
           .agg(pl.col("energy_month").fill_null(0.0).sum().alias("energy"))
           .with_columns(pl.lit("mtd").alias("kind"), pl.lit(None, pl.Int64).alias("start")))
    daily = (keys.join(days, on="meter_id")
             .group_by("institution_id", "region_code", "carrier", "start")
             .agg(pl.col("energy").fill_null(0.0).sum())
             .with_columns(pl.lit("day").alias("kind")))
    columns = ["institution_id", "region_code", "carrier", "kind", "start", "energy"]
    return pl.concat([mtd.select(columns), daily.select(columns)])
