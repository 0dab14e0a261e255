"""The derivation's reads of stored intervals and its roll-ups (:mod:`.derive`): hour
and day roll-ups of exactly the days a pass touched (from the stored intervals, the
ones just derived taken from memory), month roll-ups of exactly their months (from the
stored day roll-ups), summed in time order so a figure is the same every time."""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import BigInteger, Column, Connection, Integer, and_, select

from jieneng.core.metering.rollups import Level, period_end, period_start
from jieneng.storage import meter_readings as readings_store
from jieneng.storage.bulk import analyze, bulk_insert, ensure_temp, read_frame, temp_table
from jieneng.storage.meter_readings import metering_interval, metering_rollup

_DAY = 86_400
_windows = temp_table("stage_derive_window", Column("meter_id", Integer),
                      Column("low", BigInteger), Column("high", BigInteger))

RANGE_SCHEMA: dict[str, Any] = {"meter_id": pl.Int64, "low": pl.Int64, "high": pl.Int64}
INTERVAL_SCHEMA: dict[str, Any] = {"meter_id": pl.Int64, "start": pl.Int64,
                                   "energy": pl.Float64, "flags": pl.Int64}


def load_intervals(conn: Connection, windows: pl.DataFrame) -> pl.DataFrame:
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
        return load_intervals(conn, days)
    mine = days.join(single, on="meter_id")
    rest = pl.concat([
        days.join(single, on="meter_id", how="anti"),
        mine.select("meter_id", "low", pl.col("w_low").alias("high")),
        mine.select("meter_id", pl.col("w_high").alias("low"), "high"),
    ]).filter(pl.col("low") < pl.col("high"))
    ids = single["meter_id"].implode()
    return (pl.concat([load_intervals(conn, rest),
                       fresh.filter(pl.col("meter_id").is_in(ids)).select(list(INTERVAL_SCHEMA))])
            .unique(["meter_id", "start"]).sort("meter_id", "start"))


def write_touched_rollups(conn: Connection, windows: pl.DataFrame, width: dict[int, int],
                   fresh: pl.DataFrame | None = None,
                   fresh_windows: pl.DataFrame | None = None) -> int:
    """Hour and day roll-ups of exactly the days the windows touch (from the stored
    intervals), month roll-ups of exactly their months (from the stored day roll-ups)."""
    if windows.height == 0:
        return 0
    days = (windows.with_columns(_periods(windows, Level.DAY, "low").alias("low"),
                                 (pl.Series(period_start(windows["high"].to_numpy() - 1,
                                                         Level.DAY)) + _DAY).alias("high")))
    intervals = (load_intervals(conn, days) if fresh is None or fresh_windows is None
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
