"""The derivation's windows and virtual meters (:mod:`.derive`): :func:`merge_ranges`
(a meter's overlapping dirty ranges as one job) and :func:`virtual_intervals` (the
virtual meters reading a touched meter, evaluated over the touched windows by
:func:`jieneng.core.metering.virtual.evaluate`, each after the ones it reads)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Connection

from jieneng.core.exceptions import DomainError
from jieneng.core.metering import IntervalSeries, VirtualMeter, evaluation_order
from jieneng.core.metering.virtual import evaluate
from jieneng.storage import metering as registry_store

from .derive_rollups import INTERVAL_SCHEMA, RANGE_SCHEMA, load_intervals

log = logging.getLogger(__name__)


def merge_ranges(ranges: pl.DataFrame) -> pl.DataFrame:
    """Overlapping or touching ranges of a meter merged; ``job, meter_id, low, high``."""
    return (ranges.sort("meter_id", "low")
            .with_columns(pl.col("high").cum_max().shift(1).over("meter_id").alias("reach"))
            .with_columns((pl.col("reach").is_null() | (pl.col("low") > pl.col("reach")))
                          .cum_sum().alias("job"))
            .group_by("job").agg(pl.col("meter_id").first(), pl.col("low").min(),
                                 pl.col("high").max())
            .sort("job").with_columns(pl.col("job").cast(pl.Int64)))


def virtual_intervals(conn: Connection, touched: pl.DataFrame, meters: dict[int, Any]) -> tuple[
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
        stored = load_intervals(conn, pl.DataFrame(
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
