"""The common case of the derivation, for many meters at once (``services.metering.derive``).

A cumulative meter without events (no install, replacement or removal recorded) whose
loaded readings are all finite, non-negative and non-decreasing, each closing the
interval after the previous reading's (or the same one: a late reading between two),
none above the meter's ``max_rate``, has nothing for
:func:`jieneng.core.metering.interval_consumption` to clean, detect or spread: each
interval gets the sum of its readings' ``(value − previous) × 倍率 × unit factor``,
flags 0, no findings. This module computes exactly that for every such job in one
polars pass (the readings grouped by job), with the same floating-point operations in
the same order as the core, so the figures are bit-identical
(``tests/services/test_metering_derive_bulk.py`` derives random data both ways). Every
other job's meter — events, a drop, a gap, a rate step in the loaded readings — goes
through the core one job at a time, as before.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from jieneng.core.metering.series import LOCAL_OFFSET_S

_FAR = 2**62

#: per meter: what the fast path needs of it
PARAM_SCHEMA: dict[str, Any] = {"meter_id": pl.Int64, "width": pl.Int64,
                                "multiplier": pl.Float64, "unit_factor": pl.Float64,
                                "max_rate": pl.Float64, "register": pl.String}


def clean_intervals(readings: pl.DataFrame, jobs: pl.DataFrame, params: pl.DataFrame,
                    context: int) -> tuple[pl.DataFrame, pl.DataFrame, list[int]]:
    """Intervals of the write windows of every clean job (``meter_id, start, energy,
    flags``, by job and time), their windows (``meter_id, low, high``) and the meters
    done here. ``readings``: ``job, ts, value`` by job and time; ``jobs``: ``job,
    meter_id, low, high``; ``params``: :data:`PARAM_SCHEMA`, the candidate meters;
    ``context``: the glitch window (the write window as ``derive._window`` states it).
    A meter is done here only if every one of its jobs is clean."""
    empty: tuple[pl.DataFrame, pl.DataFrame, list[int]] = (
        pl.DataFrame(schema={"meter_id": pl.Int64, "start": pl.Int64,
                             "energy": pl.Float64, "flags": pl.Int64}),
        pl.DataFrame(schema={"meter_id": pl.Int64, "low": pl.Int64, "high": pl.Int64}),
        [])
    if params.height == 0 or readings.height == 0:
        return empty
    job_info = jobs.select("job", "meter_id", "low", "high").join(params, on="meter_id")
    rows = readings.join(job_info, on="job").sort("job", "ts")
    local = pl.col("ts") + LOCAL_OFFSET_S
    closes = -((-local).floordiv(pl.col("width"))) - 1  # closed_interval_of
    step = pl.col("value").diff().over("job")
    dt = pl.col("ts").diff().over("job")
    rows = rows.with_columns(
        closes.alias("closes"),
        step.alias("step"),
        dt.alias("dt"),
        pl.int_range(pl.len()).over("job").alias("pos"),
    ).with_columns(
        (pl.col("closes").diff().over("job")).alias("span"),
        (pl.col("step") * pl.col("multiplier") * pl.col("unit_factor")).alias("energy"),
    )
    rated = (pl.col("energy") * 3600.0 / pl.col("dt")) > pl.col("max_rate")
    bad = (~pl.col("value").is_finite() | (pl.col("value") < 0)
           | ((pl.col("pos") > 0) & ((pl.col("step") < 0) | ~pl.col("span").is_in([0, 1])
                                     | rated.fill_null(False))))
    dirty_meters = rows.filter(bad)["meter_id"].unique()
    fast_meters = params.filter(~pl.col("meter_id").is_in(dirty_meters.implode()))
    rows = rows.filter(pl.col("meter_id").is_in(fast_meters["meter_id"].implode()))
    if rows.height == 0:
        return empty
    # the write window of each job: from the interval after the one closed by the
    # reading ``context + 1 + (context > 0)`` before the range, to the one closed by
    # the reading ``context`` after it (``derive._window``)
    bounds = rows.group_by("job").agg(
        (pl.col("ts") < pl.col("low")).sum().cast(pl.Int64).alias("at_low"),
        (pl.col("ts") < pl.col("high")).sum().cast(pl.Int64).alias("at_high"),
        pl.len().cast(pl.Int64).alias("n"))
    back = pl.col("at_low") - (context + 1 + (1 if context > 0 else 0))
    ahead = pl.col("at_high") + context
    bounds = bounds.with_columns(back.alias("back"), ahead.alias("ahead"))
    at = rows.select("job", "pos", "closes")
    bounds = (bounds
              .join(at.rename({"pos": "back", "closes": "first"}), on=["job", "back"],
                    how="left")
              .join(at.rename({"pos": "ahead", "closes": "last"}), on=["job", "ahead"],
                    how="left")
              .with_columns(pl.when(pl.col("back") >= 0).then(pl.col("first") + 1)
                            .otherwise(-_FAR).alias("first"),
                            pl.when(pl.col("ahead") < pl.col("n")).then(pl.col("last"))
                            .otherwise(_FAR).alias("last"))
              .select("job", "first", "last"))
    # two readings closing one interval (a late one between two others): their steps
    # summed in time order, as the core's ``bincount`` does
    kept = (rows.filter(pl.col("pos") > 0).join(bounds, on="job")
            .filter((pl.col("closes") >= pl.col("first")) & (pl.col("closes") <= pl.col("last")))
            .sort("job", "ts")
            .group_by("job", "closes", maintain_order=True)
            .agg(pl.col("meter_id").first(), pl.col("width").first(), pl.col("energy").sum())
            .select("job", "meter_id",
                    (pl.col("closes") * pl.col("width") - LOCAL_OFFSET_S).alias("start"),
                    "energy", pl.lit(0, pl.Int64).alias("flags"), "width"))
    windows = (kept.group_by("job").agg(pl.col("meter_id").first(),
                                        pl.col("start").min().alias("low"),
                                        (pl.col("start").max() + pl.col("width").first())
                                        .alias("high"))
               .sort("job").select("meter_id", "low", "high"))
    return (kept.select("meter_id", "start", "energy", "flags"), windows,
            fast_meters["meter_id"].to_list())


def clean_interval_values(readings: pl.DataFrame, jobs: pl.DataFrame,
                          params: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, list[int]]:
    """:func:`clean_intervals` for meters of **interval** registers without events:
    every loaded reading finite, non-negative, not above ``max_rate``, one per interval
    and the intervals consecutive — each is its interval's ``value × 倍率 × unit
    factor``, flags 0, kept within ``[interval of low, interval of high − 1]`` as
    ``derive._window`` states it."""
    empty: tuple[pl.DataFrame, pl.DataFrame, list[int]] = (
        pl.DataFrame(schema={"meter_id": pl.Int64, "start": pl.Int64,
                             "energy": pl.Float64, "flags": pl.Int64}),
        pl.DataFrame(schema={"meter_id": pl.Int64, "low": pl.Int64, "high": pl.Int64}),
        [])
    if params.height == 0 or readings.height == 0:
        return empty
    job_info = jobs.select("job", "meter_id", "low", "high").join(params, on="meter_id")
    rows = readings.join(job_info, on="job").sort("job", "ts")
    index = (pl.col("ts") + LOCAL_OFFSET_S).floordiv(pl.col("width"))  # interval_of
    rows = rows.with_columns(
        index.alias("index"),
        (pl.col("value") * pl.col("multiplier") * pl.col("unit_factor")).alias("energy"),
    ).with_columns(pl.col("index").diff().over("job").alias("span"))
    rated = (pl.col("energy") * 3600.0 / pl.col("width")) > pl.col("max_rate")
    bad = (~pl.col("value").is_finite() | (pl.col("energy") < 0) | rated.fill_null(False)
           | (pl.col("span").is_not_null() & (pl.col("span") != 1)))
    dirty_meters = rows.filter(bad)["meter_id"].unique()
    fast_meters = params.filter(~pl.col("meter_id").is_in(dirty_meters.implode()))
    rows = rows.filter(pl.col("meter_id").is_in(fast_meters["meter_id"].implode()))
    if rows.height == 0:
        return empty
    first = (pl.col("low") + LOCAL_OFFSET_S).floordiv(pl.col("width"))
    last = (pl.col("high") - 1 + LOCAL_OFFSET_S).floordiv(pl.col("width"))
    kept = (rows.filter((pl.col("index") >= first) & (pl.col("index") <= last))
            .select("job", "meter_id",
                    (pl.col("index") * pl.col("width") - LOCAL_OFFSET_S).alias("start"),
                    "energy", pl.lit(0, pl.Int64).alias("flags"), "width"))
    windows = (kept.group_by("job").agg(pl.col("meter_id").first(),
                                        pl.col("start").min().alias("low"),
                                        (pl.col("start").max() + pl.col("width").first())
                                        .alias("high"))
               .sort("job").select("meter_id", "low", "high"))
    return (kept.select("meter_id", "start", "energy", "flags"), windows,
            fast_meters["meter_id"].to_list())


__all__ = ["PARAM_SCHEMA", "clean_interval_values", "clean_intervals"]
