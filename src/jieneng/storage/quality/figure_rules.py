"""The per-figure rules (negative, 同比, unexpected zero, 万-unit slip, spike, missing
month, unit price) of one chunk of institutions, vectorised over a dense
``institutions × 36 months`` array per carrier: no Python loop over rows; memory
bounded by the chunk (:data:`jieneng.storage.quality.evaluation.CHUNK`)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from sqlalchemy import (
    Connection,
    select,
)

from jieneng.core.carriers import CARRIER_CODES
from jieneng.core.factors.sets import DEFAULT_FACTOR_SET, factor_set
from jieneng.core.quality.config import RuleConfig
from jieneng.core.quality.stats import MAD_SCALE

from .. import tables as t
from ..bulk import read_frame
from .model import Out, Period

Array = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]

#: Months read before the evaluated year (history of the seasonal spike test).
_HISTORY = 24
_SPAN = _HISTORY + 12


@dataclass(frozen=True, slots=True)
class Chunk:
    ids: npt.NDArray[np.int64]
    q: dict[str, Array]  # carrier → [n, 36] quantities (NaN = no figure)
    c: dict[str, Array]  # carrier → [n, 36] costs
    present: Mask  # [n, 36] the institution has a month row
    province: npt.NDArray[np.str_]  # [n] province code of each institution


def read_chunk(conn: Connection, ids: Sequence[int], regions: Sequence[str], year: int,
                *, costs: bool = True) -> Chunk:
    """The 36 months of ``ids``; costs only when a rule needs them (unit prices)."""
    cm = t.consumption_month
    lo, hi = int(ids[0]), int(ids[-1])
    cols = [cm.c.institution_id, cm.c.year, cm.c.month]
    schema: dict[str, Any] = {"institution_id": pl.Int64, "year": pl.Int64, "month": pl.Int64}
    for code in CARRIER_CODES:
        cols.append(cm.c[t.quantity_column(code)])
        schema[t.quantity_column(code)] = pl.Float64
        if costs:
            cols.append(cm.c[t.cost_column(code)])
            schema[t.cost_column(code)] = pl.Float64
    where = (cm.c.institution_id.between(lo, hi), cm.c.year.between(year - 2, year))
    frame = read_frame(conn, select(*cols).where(*where), schema)
    id_array = np.asarray(ids, dtype=np.int64)
    n = len(id_array)
    pos = np.searchsorted(id_array, frame["institution_id"].to_numpy())
    pos = np.clip(pos, 0, n - 1)
    keep = id_array[pos] == frame["institution_id"].to_numpy()
    row = pos[keep]
    col = ((frame["year"].to_numpy() - (year - 2)) * 12 + frame["month"].to_numpy() - 1)[keep]
    present = np.zeros((n, _SPAN), dtype=bool)
    present[row, col] = True
    q: dict[str, Array] = {}
    c: dict[str, Array] = {}
    for code in CARRIER_CODES:
        for target, name in ((q, t.quantity_column(code)), (c, t.cost_column(code))):
            if name not in frame.columns:
                continue
            values = frame[name].to_numpy().astype(np.float64)[keep]
            dense = np.full((n, _SPAN), np.nan)
            dense[row, col] = values
            target[code] = dense
    province = np.array([r[:2] + "0000" for r in regions])
    return Chunk(id_array, q, c, present, province)


def median_without(x: Array, cols: npt.NDArray[np.int_]) -> Array:
    """``[n, len(cols)]``: the median of each row's non-NaN values leaving out the
    value in column ``cols[j]`` (one sort for all ``j``)."""
    ordered = np.sort(x, axis=1)  # NaN last
    valid = np.sum(~np.isnan(x), axis=1)[:, None]  # [n, 1]
    target = x[:, cols]  # [n, m]
    # rank of the left-out value among the sorted valid values (-1: not among them)
    below = np.sum(ordered[:, None, :] < target[:, :, None], axis=2)
    rank = np.where(np.isnan(target), -1, below)
    k = valid - (rank >= 0)  # values left
    lo_r, hi_r = (k - 1) // 2, k // 2
    lo_i = np.where((rank >= 0) & (lo_r >= rank), lo_r + 1, lo_r)
    hi_i = np.where((rank >= 0) & (hi_r >= rank), hi_r + 1, hi_r)
    width = x.shape[1] - 1
    low = np.take_along_axis(ordered, np.clip(lo_i, 0, width), axis=1)
    high = np.take_along_axis(ordered, np.clip(hi_i, 0, width), axis=1)
    return np.where(k > 0, (low + high) / 2, np.nan)


def _total_tce(chunk: Chunk) -> Array:
    """综合能耗 [tce] per month (NaN when no energy carrier has a figure)."""
    factors = factor_set(DEFAULT_FACTOR_SET)
    total = np.zeros_like(chunk.present, dtype=np.float64)
    seen = np.zeros_like(chunk.present)
    for code, x in chunk.q.items():
        kgce = factors.kgce_per_unit(code)
        if kgce is None or code == "solar_pv":
            continue
        seen |= ~np.isnan(x)
        total += np.nan_to_num(x) * kgce / 1000.0
    return np.where(seen, total, np.nan)


def _nanmedian(a: Array, axis: int) -> Array:
    """``np.nanmedian`` without its per-row loop: sort (NaN last), then the middle of
    the valid values (NaN where none)."""
    ordered = np.sort(a, axis=axis)
    valid = np.sum(~np.isnan(a), axis=axis, keepdims=True)
    low = np.take_along_axis(ordered, np.maximum((valid - 1) // 2, 0), axis=axis)
    high = np.take_along_axis(ordered, np.minimum(valid // 2, a.shape[axis] - 1), axis=axis)
    middle = np.where(valid % 2 == 1, low, (low + high) / 2)
    middle = np.where(valid > 0, middle, np.nan)
    return np.squeeze(middle, axis=axis)


def figure_rules(chunk: Chunk, per: Period, configs: Mapping[str, RuleConfig],
                  prices: Mapping[tuple[str, str], tuple[float, float]], out: Out) -> None:
    """Every per-figure rule over one chunk, vectorised over institutions × months."""
    months = [per.month] if per.month else list(range(1, 13))
    cols = np.array([_HISTORY + m - 1 for m in months])
    month_of = np.array(months)
    series: dict[str, Array] = dict(chunk.q)
    series[""] = _total_tce(chunk)

    def hits(mask: Mask) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        r, k = np.nonzero(mask)
        return r, k

    for code, x in series.items():
        # only the institutions with a figure of this carrier in the 36 months
        keep = np.nonzero(~np.isnan(x).all(axis=1))[0]
        if len(keep) == 0:
            continue
        x, ids, province = x[keep], chunk.ids[keep], chunk.province[keep]
        now = x[:, cols]  # [n, m]
        carrier_value = code
        # negative_value
        cfg = configs["negative_value"]
        if cfg.enabled and code:
            r, k = hits(now < 0)
            out.add("negative_value", cfg, ids[r], month_of[k], carrier_value, now[r, k])
        # yoy_change: the year to date against the same months of last year (累计同比;
        # monthly figures vary too much for a 10 % test: mom_spike covers months)
        cfg = configs["yoy_change"]
        if cfg.enabled:
            threshold, floor = cfg.params["threshold"], cfg.params["min_previous"]
            year_now = x[:, _HISTORY:_HISTORY + 12]
            year_before = x[:, 12:_HISTORY]
            both = ~np.isnan(year_now) & ~np.isnan(year_before)
            if per.cutoff < 12:
                both[:, max(per.cutoff, 0):] = False
            sum_now = np.where(both, year_now, 0.0).sum(axis=1)
            sum_before = np.where(both, year_before, 0.0).sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                ychange = (sum_now - sum_before) / sum_before
            r = np.nonzero((sum_before > 0) & (sum_before >= floor) & both.any(axis=1)
                           & (np.abs(ychange) > threshold))[0]
            out.add("yoy_change", cfg, ids[r], 0, carrier_value, sum_now[r],
                    params={"previous": sum_before[r], "change": ychange[r],
                            "threshold": threshold})
        if not code:
            continue
        # unexpected_zero: 0 while ≥ min_months of the last 12 were > 0
        cfg = configs["unexpected_zero"]
        positive = np.where(x > 0, x, np.nan)
        if cfg.enabled and (now == 0).any():
            windows = np.stack([positive[:, c - 12:c] for c in cols], axis=1)  # [n, m, 12]
            count = (~np.isnan(windows)).sum(axis=2)
            r, k = hits((now == 0) & (count >= cfg.params["min_months"]))
            if len(r):
                typical = _nanmedian(windows[r, k], axis=1)
                out.add("unexpected_zero", cfg, ids[r], month_of[k], code, now[r, k],
                        expected=typical)
        # unit_slip_10000: ratio to the median of the other positive months
        cfg = configs["unit_slip_10000"]
        slipped = np.zeros_like(now, dtype=bool)
        if cfg.enabled:
            lo, hi = cfg.params["min_ratio"], cfg.params["max_ratio"]
            expected = median_without(positive, cols)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = now / expected
            up = (ratio >= lo) & (ratio <= hi)
            down = (ratio >= 1 / hi) & (ratio <= 1 / lo)
            slipped = (now > 0) & (expected > 0) & (up | down)
            r, k = hits(slipped)
            suggested = np.where(up[r, k], now[r, k] / 1e4, now[r, k] * 1e4)
            out.add("unit_slip_10000", cfg, ids[r], month_of[k], code, now[r, k],
                    expected=expected[r, k], suggested=suggested,
                    params={"ratio": ratio[r, k]})
        # mom_spike: core.quality.stats.robust_spike, vectorised
        cfg = configs["mom_spike"]
        if cfg.enabled:
            with np.errstate(divide="ignore", invalid="ignore"):
                logr = np.log(positive[:, 12:] / positive[:, :-12])  # [n, 24]: index s-12
            windows = np.stack([logr[:, c - 24:c - 12] for c in cols], axis=1)  # [n, m, 12]
            pairs = (~np.isnan(windows)).sum(axis=2)
            centre = _nanmedian(windows, axis=2)
            mad = _nanmedian(np.abs(windows - centre[:, :, None]), axis=2)
            base = positive[:, cols - 12]
            with np.errstate(divide="ignore", invalid="ignore"):
                score = (np.log(now / base) - centre) / np.maximum(
                    MAD_SCALE * mad, cfg.params["min_scale"])
            testable = (now > 0) & (base > 0) & (pairs >= cfg.params["min_pairs"])
            r, k = hits(testable & (np.abs(score) > cfg.params["k"]) & ~slipped)
            out.add("mom_spike", cfg, ids[r], month_of[k], code, now[r, k],
                    expected=base[r, k] * np.exp(centre[r, k]),
                    params={"score": score[r, k]})
        # missing_month: no figure up to the cutoff for a carrier reported within the
        # look-back (one finding per carrier and year, listing the months)
        cfg = configs["missing_month"]
        if cfg.enabled and per.cutoff > 0:
            look = int(cfg.params["lookback_months"])
            reported = ~np.isnan(x)
            cum = np.concatenate([np.zeros((len(x), 1), dtype=np.int64),
                                  np.cumsum(reported, axis=1)], axis=1)
            mcols = np.arange(_HISTORY, _HISTORY + per.cutoff)
            start = np.maximum(mcols - look, 0)
            before_count = cum[:, mcols] - cum[:, start]
            missing = ~reported[:, mcols] & (before_count > 0)
            r, k = hits(missing)
            if len(r):
                frame = pl.DataFrame({"i": r, "m": k + 1}).group_by("i").agg(
                    pl.col("m").sort().cast(pl.String).str.join(",").alias("months"),
                    pl.len().alias("n")).sort("i")
                rows = frame["i"].to_numpy()
                out.add("missing_month", cfg, ids[rows], 0, code,
                        frame["n"].to_numpy().astype(np.float64),
                        params={"months": frame["months"].to_numpy()})
        # unit_price_range: cost ÷ quantity against the province's reference range
        cfg = configs["unit_price_range"]
        if cfg.enabled and prices:
            margin = cfg.params["margin"]
            low = np.array([prices.get((p, code), (np.nan, np.nan))[0] for p in province])
            high = np.array([prices.get((p, code), (np.nan, np.nan))[1] for p in province])
            if not np.isnan(low).all():
                with np.errstate(divide="ignore", invalid="ignore"):
                    price = chunk.c[code][keep][:, cols] / now
                lo_b = (low * (1 - margin))[:, None]
                hi_b = (high * (1 + margin))[:, None]
                ok = (now > 0) & ~np.isnan(price) & ~np.isnan(lo_b)
                r, k = hits(ok & ((price < lo_b) | (price > hi_b)))
                out.add("unit_price_range", cfg, ids[r], month_of[k], code, price[r, k],
                        params={"low": low[r], "high": high[r]})
