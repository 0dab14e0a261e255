"""Raw readings → interval consumption → hour / day / month roll-ups (issue 12 §3), as
a service run by a worker (``jieneng meters derive --loop``, the web app's
background task).

:func:`derive_pending` does one pass in **one transaction**:

1. **claims** ranges of ``metering_dirty`` (written by every input in the same
   transaction as its readings) for at most ``limit`` meters. PostgreSQL: each meter
   is taken under a transaction-level advisory lock (``pg_try_advisory_xact_lock``;
   a meter another worker holds is skipped) and its rows deleted with ``DELETE …
   WHERE id IN (… FOR UPDATE SKIP LOCKED) RETURNING``, so several workers never
   derive the same meter at once. SQLite: the ``DELETE … RETURNING`` takes the one
   write lock. A crash before the commit rolls the claim back with the writes;
2. **merges** the ranges of each meter that overlap (disjoint ones — a reading of last
   month and today's — stay apart: each is a *job*);
3. **loads** in one query the readings of every job: its range widened by the
   readings the derivation needs around it (``2·glitch_window + 4`` before,
   ``2·glitch_window + 2`` after, found through the (meter, ts) key), and the
   meters' events;
4. **derives** each job with :func:`jieneng.core.metering.interval_consumption`
   (numpy; a loop over jobs, none over readings) and keeps the intervals of its
   *write window* — from the one after the reading ``glitch_window + 2`` positions
   before the range to the one closed by the reading ``glitch_window`` positions
   after it, the window :func:`jieneng.core.metering.periods_to_recompute` states;
5. **writes** those intervals (upsert; a missing interval is NULL, never 0), then
   the hour and day roll-ups of exactly the days the windows touch (from the stored
   intervals) and the month roll-ups of exactly their months (from the stored day
   roll-ups);
6. recomputes the **virtual meters** of the institutions concerned whose formula
   reads (directly or through another virtual meter) a derived meter, over the same
   windows, and their roll-ups.

Deriving twice changes nothing (every row is rewritten under its key, never
incremented). A job whose meter cannot be derived (an inconsistent registry) is
logged and skipped; its range is consumed — ``rederive`` marks a meter again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    and_,
    func,
    insert,
    literal,
    select,
    text,
)

from jieneng.core.exceptions import DomainError
from jieneng.core.metering import (
    ConsumptionOptions,
    GapPolicy,
    IntervalSeries,
    RegisterKind,
    VirtualMeter,
    evaluation_order,
    interval_consumption,
)
from jieneng.core.metering.rollups import Level, period_end, period_start
from jieneng.core.metering.series import closed_interval_of, interval_of
from jieneng.core.metering.virtual import evaluate
from jieneng.settings import Settings
from jieneng.storage import meter_readings as readings_store
from jieneng.storage import metering as registry_store
from jieneng.storage.bulk import analyze, bulk_insert, ensure_temp, read_frame, temp_table
from jieneng.storage.gateways import metering_dirty
from jieneng.storage.meter_readings import metering_interval, metering_reading, metering_rollup

from .derive_bulk import PARAM_SCHEMA, clean_interval_values, clean_intervals
from .registry import core_events, core_meter

log = logging.getLogger(__name__)

#: the advisory-lock class of a meter being derived (PostgreSQL; the meter id is the key)
LOCK_CLASS = 12_003
_FAR = 2**62
_DAY = 86_400

_jobs = temp_table("stage_derive_job", Column("job", Integer), Column("meter_id", Integer),
                   Column("low", BigInteger), Column("high", BigInteger))
_windows = temp_table("stage_derive_window", Column("meter_id", Integer),
                      Column("low", BigInteger), Column("high", BigInteger))

RANGE_SCHEMA: dict[str, Any] = {"meter_id": pl.Int64, "low": pl.Int64, "high": pl.Int64}
INTERVAL_SCHEMA: dict[str, Any] = {"meter_id": pl.Int64, "start": pl.Int64,
                                   "energy": pl.Float64, "flags": pl.Int64}


@dataclass(frozen=True, slots=True)
class DeriveResult:
    """What a pass did: dirty ranges claimed, jobs (merged ranges) derived, physical
    meters, virtual meters recomputed, interval and roll-up rows written, findings
    (resets, gaps, flagged steps …) and jobs skipped as underivable."""

    ranges: int = 0
    jobs: int = 0
    meters: int = 0
    virtual: int = 0
    intervals: int = 0
    rollups: int = 0
    findings: int = 0
    skipped: int = 0

    def to_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}


# ------------------------------------------------------------------ claim

def claim(conn: Connection, limit: int) -> pl.DataFrame:
    """Take (delete) the dirty ranges of at most ``limit`` meters in the caller's
    transaction; ``meter_id, low, high``. On PostgreSQL a meter another transaction
    is deriving is left alone (advisory lock, ``SKIP LOCKED``). Nothing dirty: no
    write at all (an idle SQLite worker never takes the write lock)."""
    if conn.execute(text("SELECT 1 FROM metering_dirty LIMIT 1")).first() is None:
        return pl.DataFrame(schema=RANGE_SCHEMA)
    if conn.dialect.name == "postgresql":
        # the oldest meters first; the lock is tried row by row until ``limit`` are
        # held, so a second worker passes over the first one's meters to the next
        locked = conn.execute(text(
            "SELECT m FROM (SELECT meter_id AS m FROM metering_dirty GROUP BY meter_id "
            "ORDER BY min(id) LIMIT :candidates) AS c "
            "WHERE pg_try_advisory_xact_lock(:cls, m) LIMIT :n"),
            {"candidates": 4 * limit, "n": limit, "cls": LOCK_CLASS}).scalars().all()
        if not locked:
            return pl.DataFrame(schema=RANGE_SCHEMA)
        rows = conn.execute(text(
            "DELETE FROM metering_dirty WHERE id IN (SELECT id FROM metering_dirty "
            "WHERE meter_id = ANY(CAST(:ids AS integer[])) FOR UPDATE SKIP LOCKED) "
            "RETURNING meter_id, low, high"), {"ids": list(locked)}).all()
    else:
        rows = conn.execute(text(
            "DELETE FROM metering_dirty WHERE meter_id IN (SELECT meter_id FROM "
            "metering_dirty GROUP BY meter_id ORDER BY min(id) LIMIT :n) "
            "RETURNING meter_id, low, high"), {"n": limit}).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=RANGE_SCHEMA, orient="row")


def merge_ranges(ranges: pl.DataFrame) -> pl.DataFrame:
    """Overlapping or touching ranges of a meter merged; ``job, meter_id, low, high``."""
    return (ranges.sort("meter_id", "low")
            .with_columns(pl.col("high").cum_max().shift(1).over("meter_id").alias("reach"))
            .with_columns((pl.col("reach").is_null() | (pl.col("low") > pl.col("reach")))
                          .cum_sum().alias("job"))
            .group_by("job").agg(pl.col("meter_id").first(), pl.col("low").min(),
                                 pl.col("high").max())
            .sort("job").with_columns(pl.col("job").cast(pl.Int64)))


def rederive(engine: Engine, meter_ids: Sequence[int]) -> int:
    """Mark the whole history of the meters dirty (the next pass derives it again)."""
    if not meter_ids:
        return 0
    with engine.begin() as conn:
        conn.execute(insert(metering_dirty), [
            {"meter_id": int(m), "low": -_FAR, "high": _FAR} for m in sorted(set(meter_ids))])
    return len(set(meter_ids))


# ------------------------------------------------------------------ loads

def _load_readings(conn: Connection, jobs: pl.DataFrame, before: int,
                   after: int) -> pl.DataFrame:
    """The readings of every job, with ``before`` readings before its range and
    ``after`` from its end on: ``job, ts, value`` by job and time (one query)."""
    ensure_temp(conn, _jobs)
    bulk_insert(conn, _jobs, jobs.select("job", "meter_id", "low", "high"))
    analyze(conn, _jobs)
    r, j = metering_reading, _jobs
    first = (select(r.c.ts).where(r.c.meter_id == j.c.meter_id, r.c.ts < j.c.low)
             .order_by(r.c.ts.desc()).limit(1).offset(before - 1).scalar_subquery())
    last = (select(r.c.ts).where(r.c.meter_id == j.c.meter_id, r.c.ts >= j.c.high)
            .order_by(r.c.ts).limit(1).offset(after - 1).scalar_subquery())
    bounds = select(j.c.job, j.c.meter_id, func.coalesce(first, literal(-_FAR)).label("lo"),
                    func.coalesce(last, literal(_FAR)).label("hi")).cte("bounds")
    query = (select(bounds.c.job, r.c.ts, r.c.value)
             .join_from(bounds, r, and_(r.c.meter_id == bounds.c.meter_id,
                                        r.c.ts >= bounds.c.lo, r.c.ts <= bounds.c.hi))
             .order_by(bounds.c.job, r.c.ts))
    return read_frame(conn, query, {"job": pl.Int64, "ts": pl.Int64, "value": pl.Float64})


def _load_intervals(conn: Connection, windows: pl.DataFrame) -> pl.DataFrame:
    """Stored intervals of ``meter_id`` with ``low <= start < high`` for every window
    (one query); ``meter_id, start, energy, flags``, unique."""
    if windows.height == 0:
        return pl.DataFrame(schema=INTERVAL_SCHEMA)
    ensure_temp(conn, _windows)
    bulk_insert(conn, _windows, windows.select("meter_id", "low", "high"))
    analyze(conn, _windows)
    i, w = metering_interval, _windows
    query = (select(i.c.meter_id, i.c.start, i.c.energy, i.c.flags)
             .join_from(w, i, and_(i.c.meter_id == w.c.meter_id, i.c.start >= w.c.low,
                                   i.c.start < w.c.high)))
    return (read_frame(conn, query, INTERVAL_SCHEMA).unique(["meter_id", "start"])
            .sort("meter_id", "start"))  # sums in time order: the same figures every time


def _load_day_rollups(conn: Connection, windows: pl.DataFrame) -> pl.DataFrame:
    schema = {"meter_id": pl.Int64, "start": pl.Int64, "energy": pl.Float64,
              "present": pl.Int64, "flags": pl.Int64}
    if windows.height == 0:
        return pl.DataFrame(schema=schema)
    ensure_temp(conn, _windows)
    bulk_insert(conn, _windows, windows.select("meter_id", "low", "high"))
    analyze(conn, _windows)
    u, w = metering_rollup, _windows
    query = (select(u.c.meter_id, u.c.start, u.c.energy, u.c.present, u.c.flags)
             .join_from(w, u, and_(u.c.meter_id == w.c.meter_id, u.c.level == "day",
                                   u.c.start >= w.c.low, u.c.start < w.c.high)))
    return (read_frame(conn, query, schema).unique(["meter_id", "start"])
            .sort("meter_id", "start"))


# ------------------------------------------------------------------ derive

def _window(meter: Any, ts: np.ndarray, low: int, high: int, context: int) -> tuple[int, int]:
    """The interval indices [first, last] a job rewrites (module docstring, step 4)."""
    width = int(meter.interval_s)
    if meter.register is RegisterKind.INTERVAL:
        return int(interval_of(np.array([low]), width)[0]), int(
            interval_of(np.array([high - 1]), width)[0])
    at_low = int(np.searchsorted(ts, low))
    at_high = int(np.searchsorted(ts, high))
    back = at_low - (context + 1 + (context > 0))
    ahead = at_high + context
    first = (int(closed_interval_of(ts[back:back + 1], width)[0]) + 1 if back >= 0
             else -_FAR)
    last = int(closed_interval_of(ts[ahead:ahead + 1], width)[0]) if ahead < ts.size else _FAR
    return first, last


def _frame(parts: list[tuple[np.ndarray, ...]]) -> pl.DataFrame:
    """Interval rows from per-meter arrays (meter, start, energy NaN = missing, flags),
    concatenated once."""
    if not parts:
        return pl.DataFrame(schema=INTERVAL_SCHEMA)
    meter, start, energy, flags = (np.concatenate(column) for column in zip(*parts,
                                                                            strict=True))
    return pl.DataFrame({"meter_id": meter, "start": start,
                         "energy": pl.Series(energy, dtype=pl.Float64, nan_to_null=True),
                         "flags": flags}, schema=INTERVAL_SCHEMA)


def _derive_jobs(conn: Connection, jobs: pl.DataFrame, meters: dict[int, Any],
                 opts: ConsumptionOptions) -> tuple[pl.DataFrame, pl.DataFrame, int, int]:
    """Intervals of every job's write window, the windows [start, end) per meter,
    findings counted and jobs skipped."""
    context = opts.glitch_window
    readings = _load_readings(conn, jobs, 2 * context + 4, 2 * context + 2)
    events: dict[int, list[Any]] = {}
    for e in registry_store.events_of(conn, sorted(meters)):  # a loop over events
        events.setdefault(int(e.meter_id), []).append(e)
    params = _fast_params(meters, events)
    cumulative = params.filter(pl.col("register") == str(RegisterKind.CUMULATIVE))
    fast, fast_windows, done = clean_intervals(readings, jobs, cumulative, context)
    by_value, value_windows, value_done = clean_interval_values(
        readings, jobs, params.filter(pl.col("register") == str(RegisterKind.INTERVAL)))
    fast, fast_windows = pl.concat([fast, by_value]), pl.concat([fast_windows, value_windows])
    done = done + value_done
    slow_jobs = jobs.filter(~pl.col("meter_id").is_in(done))
    readings = readings.filter(pl.col("job").is_in(slow_jobs["job"].implode()))
    by_job = {int(k[0]): g for k, g in readings.group_by("job")}
    parts: list[tuple[np.ndarray, ...]] = []
    windows: list[tuple[int, int, int]] = []
    findings = skipped = 0
    for job, meter_id, low, high in slow_jobs.select("job", "meter_id", "low",
                                                    "high").iter_rows():  # a loop over jobs
        part = by_job.get(job)
        if part is None or meter_id not in meters:
            continue
        row = meters[meter_id]
        try:
            meter = core_meter(row)
            ts = part["ts"].to_numpy()
            result = interval_consumption(meter, ts, part["value"].to_numpy(),
                                          events=core_events(events.get(meter_id, [])),
                                          options=opts)
        except DomainError as err:
            log.warning("meter %s (id %s) not derived: %s", row.number, meter_id, err.code)
            skipped += 1
            continue
        findings += len(result.findings)
        series = result.intervals
        first, last = _window(meter, ts, low, high, context)
        index = interval_of(series.start, meter.interval_s)
        keep = (index >= first) & (index <= last)
        if not keep.any():
            continue
        start = series.start[keep]
        parts.append((np.full(start.size, meter_id, dtype=np.int64), start,
                      series.energy[keep], series.flags[keep].astype(np.int64)))
        windows.append((meter_id, int(start[0]), int(start[-1]) + meter.interval_s))
    intervals = pl.concat([fast, _frame(parts)]) if parts else fast
    return (intervals.unique(["meter_id", "start"], keep="last"),
            pl.concat([fast_windows, pl.DataFrame(windows, schema=RANGE_SCHEMA, orient="row")]),
            findings, skipped)


def _fast_params(meters: dict[int, Any], events: dict[int, list[Any]]) -> pl.DataFrame:
    """The meters the set-based path may take (:mod:`.derive_bulk`): no events; their
    register kind (a loop over meters, none over readings)."""
    rows = []
    for meter_id, row in meters.items():
        if events.get(meter_id):
            continue
        try:
            meter = core_meter(row)
            rows.append((meter_id, int(meter.interval_s), float(meter.multiplier.value),
                         float(meter.unit_factor), meter.max_rate, str(meter.register)))
        except DomainError:
            continue  # the core path logs it
    return pl.DataFrame(rows, schema=PARAM_SCHEMA, orient="row")


def _virtual(conn: Connection, touched: pl.DataFrame, meters: dict[int, Any]) -> tuple[
        pl.DataFrame, pl.DataFrame, int]:
    """Intervals of the virtual meters reading a touched meter, over the touched
    windows; their windows; how many virtual meters."""
    if touched.height == 0:
        return pl.DataFrame(schema=INTERVAL_SCHEMA), pl.DataFrame(schema=RANGE_SCHEMA), 0
    institutions = sorted({int(meters[m].institution_id)
                           for m in touched["meter_id"].unique().to_list()})
    rows = registry_store.meters_of(conn, institutions)
    virtual_rows = [r for r in rows if r.formula is not None]
    if not virtual_rows:
        return pl.DataFrame(schema=INTERVAL_SCHEMA), pl.DataFrame(schema=RANGE_SCHEMA), 0
    frames: list[pl.DataFrame] = []
    windows: list[tuple[int, int, int]] = []
    done: set[int] = set()
    touched_ids = set(touched["meter_id"].to_list())
    for inst in institutions:  # a loop over institutions, then their virtual meters
        own = [r for r in rows if int(r.institution_id) == inst]
        ids = {r.number: int(r.id) for r in own}
        physical = {r.number: r.carrier for r in own if r.formula is None}
        try:
            order = evaluation_order([VirtualMeter(r.number, r.carrier, r.formula)
                                      for r in own if r.formula is not None], physical)
        except DomainError as err:
            log.warning("virtual meters of institution %s not derived: %s", inst, err.code)
            continue
        hit = {n for n, i in ids.items() if i in touched_ids}
        affected = []
        for vm in order:  # each after the virtual meters it reads
            if vm.inputs & hit:
                affected.append(vm)
                hit.add(vm.number)
        if not affected:
            continue
        spans = merge_ranges(touched.filter(pl.col("meter_id").is_in(list(ids.values())))
                             .with_columns(pl.lit(0, pl.Int64).alias("meter_id")))
        needed = sorted({ids[n] for vm in affected for n in vm.inputs})
        stored = _load_intervals(conn, pl.DataFrame(
            [(m, lo, hi) for m in needed for lo, hi in spans.select("low", "high").iter_rows()],
            schema=RANGE_SCHEMA, orient="row"))
        for lo, hi in spans.select("low", "high").iter_rows():  # disjoint windows
            part = stored.filter((pl.col("start") >= lo) & (pl.col("start") < hi))
            series: dict[str, IntervalSeries] = {}
            for number in {n for vm in affected for n in vm.inputs}:
                mine = part.filter(pl.col("meter_id") == ids[number]).sort("start")
                width = int(meters[ids[number]].interval_s) if ids[number] in meters else 900
                series[number] = IntervalSeries(
                    number, width, mine["start"].to_numpy(),
                    mine["energy"].fill_null(np.nan).to_numpy(),
                    mine["flags"].to_numpy().astype(np.uint16))
            for vm in affected:
                try:
                    result = evaluate(vm, series)
                except DomainError as err:
                    log.warning("virtual meter %s not derived: %s", vm.number, err.code)
                    continue
                series[vm.number] = result
                done.add(ids[vm.number])
                if len(result) == 0:
                    continue
                frames.append(pl.DataFrame({
                    "meter_id": np.full(len(result), ids[vm.number], dtype=np.int64),
                    "start": result.start,
                    "energy": pl.Series(result.energy, dtype=pl.Float64, nan_to_null=True),
                    "flags": result.flags.astype(np.int64)}, schema=INTERVAL_SCHEMA))
                windows.append((ids[vm.number], lo, hi))
    out = pl.concat(frames) if frames else pl.DataFrame(schema=INTERVAL_SCHEMA)
    return (out.unique(["meter_id", "start"], keep="last"),
            pl.DataFrame(windows, schema=RANGE_SCHEMA, orient="row"), len(done))


def _periods(frame: pl.DataFrame, level: Level, column: str = "start") -> pl.Series:
    return pl.Series(period_start(frame[column].to_numpy(), level), dtype=pl.Int64)


def _day_intervals(conn: Connection, days: pl.DataFrame, fresh: pl.DataFrame,
                   fresh_windows: pl.DataFrame) -> pl.DataFrame:
    """The intervals of the day windows ``days``: a meter with one window derived in
    this pass (``fresh_windows``, every interval of which is in ``fresh``, just written)
    takes those from memory and loads only the rest of its days; the others load all."""
    single = (fresh_windows.group_by("meter_id").agg(pl.len().alias("n"),
                                                     pl.col("low").first().alias("w_low"),
                                                     pl.col("high").first().alias("w_high"))
              .filter(pl.col("n") == 1)
              .join(days.group_by("meter_id").agg(pl.len().alias("d")), on="meter_id")
              .filter(pl.col("d") == 1).drop("n", "d"))
    if single.height == 0:
        return _load_intervals(conn, days)
    mine = days.join(single, on="meter_id")
    rest = pl.concat([
        days.join(single, on="meter_id", how="anti"),
        mine.select("meter_id", "low", pl.col("w_low").alias("high")),
        mine.select("meter_id", pl.col("w_high").alias("low"), "high"),
    ]).filter(pl.col("low") < pl.col("high"))
    ids = single["meter_id"].implode()
    return (pl.concat([_load_intervals(conn, rest),
                       fresh.filter(pl.col("meter_id").is_in(ids)).select(list(INTERVAL_SCHEMA))])
            .unique(["meter_id", "start"]).sort("meter_id", "start"))


def _write_rollups(conn: Connection, windows: pl.DataFrame, width: dict[int, int],
                   fresh: pl.DataFrame | None = None,
                   fresh_windows: pl.DataFrame | None = None) -> int:
    """Hour and day roll-ups of exactly the days the windows touch (from the stored
    intervals), month roll-ups of exactly their months (from the stored day roll-ups)."""
    if windows.height == 0:
        return 0
    days = (windows.with_columns(_periods(windows, Level.DAY, "low").alias("low"),
                                 (pl.Series(period_start(windows["high"].to_numpy() - 1,
                                                         Level.DAY)) + _DAY).alias("high")))
    intervals = (_load_intervals(conn, days) if fresh is None or fresh_windows is None
                 else _day_intervals(conn, days, fresh, fresh_windows))
    widths = pl.DataFrame({"meter_id": list(width), "interval_s": list(width.values())},
                          schema={"meter_id": pl.Int64, "interval_s": pl.Int64})
    intervals = intervals.join(widths, on="meter_id").sort("meter_id", "start")
    written = 0
    hours = windows.with_columns(
        _periods(windows, Level.HOUR, "low").alias("low"),
        (pl.Series(period_start(windows["high"].to_numpy() - 1, Level.HOUR)) + 3600)
        .alias("high"))
    in_hours = (intervals.filter(pl.col("interval_s") <= 3600)
                .join(hours, on="meter_id")
                .filter((pl.col("start") >= pl.col("low")) & (pl.col("start") < pl.col("high")))
                .drop("low", "high").unique(["meter_id", "start"]).sort("meter_id", "start"))
    for level in (Level.HOUR, Level.DAY):  # exactly the hours, then the days, touched
        rows = intervals if level is Level.DAY else in_hours
        if rows.height == 0:
            continue
        size = 3600 if level is Level.HOUR else _DAY
        frame = (rows.with_columns(_periods(rows, level).alias("period"))
                 .group_by("meter_id", "period", maintain_order=True)
                 .agg(pl.col("energy").sum().alias("sum"),
                      pl.col("energy").count().alias("present"),
                      pl.col("flags").bitwise_or().alias("flags"),
                      pl.col("interval_s").first())
                 .select("meter_id", pl.lit(str(level)).alias("level"),
                         pl.col("period").alias("start"),
                         pl.when(pl.col("present") > 0).then(pl.col("sum")).alias("energy"),
                         pl.col("present"), (size // pl.col("interval_s")).alias("expected"),
                         pl.col("flags")))
        written += readings_store.write_rollups(conn, frame)
    months = (days.with_columns(_periods(days, Level.MONTH, "low").alias("low"),
                                pl.Series(period_end(period_start(
                                    days["high"].to_numpy() - 1, Level.MONTH), Level.MONTH))
                                .alias("high")))
    daily = (_load_day_rollups(conn, months).join(widths, on="meter_id")
             .sort("meter_id", "start"))
    if daily.height:
        frame = (daily.with_columns(_periods(daily, Level.MONTH).alias("period"))
                 .group_by("meter_id", "period", maintain_order=True)
                 .agg(pl.col("energy").sum().alias("sum"), pl.col("present").sum(),
                      pl.col("flags").bitwise_or(), pl.col("interval_s").first()))
        ends = pl.Series(period_end(frame["period"].to_numpy(), Level.MONTH))
        frame = frame.with_columns(ends.alias("end")).select(
            "meter_id", pl.lit(str(Level.MONTH)).alias("level"), pl.col("period").alias("start"),
            pl.when(pl.col("present") > 0).then(pl.col("sum")).alias("energy"),
            pl.col("present"),
            ((pl.col("end") - pl.col("period")) // pl.col("interval_s")).alias("expected"),
            pl.col("flags"))
        written += readings_store.write_rollups(conn, frame)
    return written


def derive_claimed(conn: Connection, claimed: pl.DataFrame,
                   options: ConsumptionOptions | None = None) -> DeriveResult:
    """Derive the claimed ranges (``meter_id, low, high``) in the caller's transaction."""
    if claimed.height == 0:
        return DeriveResult()
    opts = options or ConsumptionOptions()
    jobs = merge_ranges(claimed)
    ids = jobs["meter_id"].unique().to_list()
    m = registry_store.metering_meter
    rows = conn.execute(select(m).where(m.c.id.in_(ids), m.c.formula.is_(None))).all()
    meters = {int(r.id): r for r in rows}
    intervals, windows, findings, skipped = _derive_jobs(conn, jobs, meters, opts)
    written = readings_store.write_intervals(conn, intervals)
    institutions = sorted({int(r.institution_id) for r in rows})
    # the registry of the institutions only when one of them has a virtual meter
    # (a city's thousands of meters are not loaded each pass for nothing)
    has_virtual = bool(rows) and conn.execute(
        select(m.c.id).where(m.c.institution_id.in_(institutions), m.c.formula.is_not(None))
        .limit(1)).first() is not None
    everyone = ({int(r.id): r for r in registry_store.meters_of(conn, institutions)}
                if has_virtual else meters)
    virtual, virtual_windows, virtual_count = (
        _virtual(conn, windows, everyone) if has_virtual
        else (pl.DataFrame(schema=INTERVAL_SCHEMA), pl.DataFrame(schema=RANGE_SCHEMA), 0))
    written += readings_store.write_intervals(conn, virtual)
    width = {i: int(r.interval_s) for i, r in everyone.items()}
    all_windows = pl.concat([windows, virtual_windows])
    rollups = _write_rollups(conn, all_windows, width, intervals, windows)
    return DeriveResult(ranges=claimed.height, jobs=jobs.height, meters=len(meters),
                        virtual=virtual_count, intervals=written, rollups=rollups,
                        findings=findings, skipped=skipped)


def derive_pending(engine: Engine, *, limit: int = 500,
                   options: ConsumptionOptions | None = None) -> DeriveResult:
    """One pass: claim the dirty ranges of at most ``limit`` meters and derive them,
    in one transaction (module docstring)."""
    with engine.begin() as conn:
        return derive_claimed(conn, claim(conn, limit), options)


def derive_all_pending(engine: Engine, *, limit: int = 500,
                       options: ConsumptionOptions | None = None,
                       max_passes: int = 1000) -> DeriveResult:
    """Passes until nothing is dirty (or ``max_passes``); the totals."""
    total = DeriveResult()
    for _ in range(max_passes):  # a loop over passes
        one = derive_pending(engine, limit=limit, options=options)
        if one.ranges == 0:
            break
        total = DeriveResult(*(a + b for a, b in zip(
            (getattr(total, n) for n in total.__slots__),
            (getattr(one, n) for n in one.__slots__), strict=True)))
    return total


def options_of(settings: Settings) -> ConsumptionOptions:
    """The consumption conventions configured (``metering_gap_policy``)."""
    return ConsumptionOptions(gap_policy=GapPolicy(settings.metering_gap_policy))


async def _one_pass(engine: Engine, limit: int, options: ConsumptionOptions) -> DeriveResult:
    """One pass in a thread; cancelled (the app stopping), it still waits for the pass
    to end (its thread holds a connection of the engine the lifespan disposes next)."""
    running = asyncio.ensure_future(asyncio.to_thread(derive_pending, engine, limit=limit,
                                                      options=options))
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await running
        raise


async def run_worker(engine: Engine, settings: Settings, every: float, *,
                     limit: int = 500) -> None:
    """Derive pending ranges every ``every`` seconds (at once again while a pass found
    a full batch), until cancelled (the app's lifespan). A failing pass is logged and
    rolled back — its ranges stay dirty for the next one — and never stops the loop."""
    options = options_of(settings)
    while True:
        busy = False
        try:
            done = await _one_pass(engine, limit, options)
            busy = done.meters >= limit
        except Exception:
            log.exception("metering derivation pass failed")
        if not busy:
            await asyncio.sleep(every)


__all__ = ["DeriveResult", "claim", "derive_all_pending", "derive_claimed", "derive_pending",
           "merge_ranges", "options_of", "rederive", "run_worker"]
