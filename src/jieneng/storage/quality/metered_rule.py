"""The rule ``metered_difference`` (reported vs metered beyond a tolerance) over one
chunk of institutions: the reported month figures are the chunk's dense array
(:class:`jieneng.storage.quality.figure_rules.Chunk`), the metered ones are read
from ``metered_figure`` (:mod:`jieneng.storage.metered_statistics`) in one query;
vectorised per carrier (no loop over rows)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl
from sqlalchemy import Connection

from jieneng.core.quality.config import RuleConfig

from ..metered_statistics import metered_month
from .figure_rules import Chunk
from .model import Out, Period

#: Column of January of the evaluated year in the chunk's 36-month arrays.
_FIRST = 24


def metered_rule(conn: Connection, chunk: Chunk, per: Period,
                 configs: Mapping[str, RuleConfig], out: Out) -> None:
    """Findings where |reported − metered| exceeds both ``threshold`` × metered and
    ``min_difference``; a month without a reported figure is left to ``missing_month``, one
    metered as 0 is not compared (no relative difference)."""
    cfg = configs.get("metered_difference")
    if cfg is None or not cfg.enabled or len(chunk.ids) == 0:
        return
    metered = metered_month(conn, chunk.ids.tolist(), per.year)
    if per.month:
        metered = metered.filter(pl.col("month") == per.month)
    if metered.height == 0:
        return
    threshold, floor = cfg.params["threshold"], cfg.params["min_difference"]
    for (code,), part in metered.group_by(["carrier"]):  # a loop over carriers
        reported_all = chunk.q.get(str(code))
        if reported_all is None:
            continue
        ids = part["institution_id"].to_numpy()
        row = np.searchsorted(chunk.ids, ids)
        inside = (row < len(chunk.ids)) & (chunk.ids[np.minimum(row, len(chunk.ids) - 1)] == ids)
        row, months = row[inside], part["month"].to_numpy()[inside]
        expected = part["quantity"].to_numpy()[inside]
        value = reported_all[row, _FIRST + months - 1]
        diff = np.abs(value - expected)
        with np.errstate(divide="ignore", invalid="ignore"):
            change = (value - expected) / expected
        hit = (~np.isnan(value) & (expected > 0) & (diff > threshold * expected)
               & (diff > floor))
        out.add("metered_difference", cfg, chunk.ids[row[hit]], months[hit], str(code),
                value[hit], expected=expected[hit],
                params={"change": change[hit], "threshold": threshold})
