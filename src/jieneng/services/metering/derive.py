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
    RegisterKind,
    interval_consumption,
)
from jieneng.core.metering.series import closed_interval_of, interval_of
from jieneng.settings import Settings
from jieneng.storage import meter_readings as readings_store
from jieneng.storage import metering as registry_store
from jieneng.storage.bulk import analyze, bulk_insert, ensure_temp, read_frame, temp_table
from jieneng.storage.gateways import metering_dirty
from jieneng.storage.meter_readings import metering_reading

from .derive_bulk import PARAM_SCHEMA, clean_interval_values, clean_intervals
from .derive_rollups import INTERVAL_SCHEMA, RANGE_SCHEMA, write_touched_rollups
from .derive_virtual import merge_ranges, virtual_intervals
from .registry import core_events, core_meter

log = logging.getLogger(__name__)

#: the advisory-lock class of a meter being derived (PostgreSQL; the meter id is the key)
LOCK_CLASS = 12_003
_FAR = 2**62
_DAY = 86_400

_jobs = temp_table("stage_derive_job", Column("job", Integer), Column("meter_id", Integer),
                   Column("low", BigInteger), Column("high", BigInteger))



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
        virtual_intervals(conn, windows, everyone) if has_virtual
        else (pl.DataFrame(schema=INTERVAL_SCHEMA), pl.DataFrame(schema=RANGE_SCHEMA), 0))
    written += readings_store.write_intervals(conn, virtual)
    width = {i: int(r.interval_s) for i, r in everyone.items()}
    all_windows = pl.concat([windows, virtual_windows])
    rollups = write_touched_rollups(conn, all_windows, width, intervals, windows)
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


__all__ = ["DeriveResult", "claim", "derive_all_pending", "derive_claimed", "derive_pending",
           "merge_ranges", "options_of", "rederive"]
