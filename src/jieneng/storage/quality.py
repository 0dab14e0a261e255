"""Data-quality rules evaluated over the roll-up tables, and their findings.

What each rule checks is defined in :mod:`jieneng.core.quality`; this module
evaluates them **set-based** over ``consumption_month``, ``consumption_year``,
``institution_profile`` and ``institution`` and stores the results in
``quality_finding``.

Evaluation (:func:`evaluate`)
-----------------------------
The institutions of an evaluation are taken in chunks of ``chunk`` (by id); for
each chunk one query reads the monthly roll-up of the evaluated year and the two
years before into a dense ``institutions × 36 months`` array per carrier, and every
figure rule is a vectorised numpy expression over those arrays (no Python loop
over rows; memory bounded by the chunk). Profiles and the directory are read per
chunk with one query each (``profile_change``: a join of this year's and last
year's profiles; ``duplicate_institution``: a self-join on ``name_key``). Peer
percentiles (``peer_outlier``) are computed over the peer groups (category ×
city-level region) with polars group-bys of one query on ``consumption_year``.

Parameters, severities and whether a rule runs come from the per-region settings
(``rule_setting``, inherited from the root to the leaf through
:func:`jieneng.core.quality.config.effective_configs`); institutions are evaluated per
group of identical effective configuration (usually one).

Finding keys
------------
``(institution_id, year, month, carrier, rule)``; ``month`` 0 = the year (or the
institution as a whole), ``carrier`` '' = 综合能耗 (total energy, tce) or no
carrier. Institution-level rules about an indicator (``profile_change``,
``peer_outlier``) store the indicator code (:data:`jieneng.core.quality.model.INDICATORS`)
in ``carrier`` so each indicator has its own finding.

Writing (:func:`replace_findings`)
----------------------------------
One set-based replace per evaluated scope (institutions × year × months): open
findings of the scope that no longer fire are deleted; an explained finding that
no longer fires becomes ``resolved``; the findings that fire are upserted, and a
finding that still holds keeps its ``explained`` state and explanation (a
``resolved`` one firing again is ``open`` again).
"""

from __future__ import annotations

import io
import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    Integer,
    String,
    Text,
    and_,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.sql import Select

from jieneng.core.carriers import CARRIER_CODES
from jieneng.core.categories import categories_under
from jieneng.core.factors.sets import DEFAULT_FACTOR_SET, factor_set
from jieneng.core.quality.config import RuleConfig, effective_configs
from jieneng.core.quality.findings import Finding
from jieneng.core.quality.model import INDICATORS, Severity
from jieneng.core.quality.stats import MAD_SCALE
from jieneng.core.regions import RegionTree
from jieneng.core.targets import nearest_assignments

from . import tables as t
from ._stage import insert_missing, update_changed
from .bulk import analyze, bulk_insert, ensure_temp, temp_table
from .regions import load_regions

Array = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]

#: Institutions evaluated together (one read of 36 months each).
CHUNK = 5000
#: Months read before the evaluated year (history of the seasonal spike test).
_HISTORY = 24
_SPAN = _HISTORY + 12

FINDING_COLUMNS = ("institution_id", "year", "month", "carrier", "rule", "severity",
                   "value", "expected", "suggested", "params")
_KEYS = ("institution_id", "year", "month", "carrier", "rule")
_VALUES = ("severity", "value", "expected", "suggested", "params")

FINDING_SCHEMA: dict[str, Any] = {
    "institution_id": pl.Int64, "year": pl.Int64, "month": pl.Int64, "carrier": pl.String,
    "rule": pl.String, "severity": pl.String, "value": pl.Float64, "expected": pl.Float64,
    "suggested": pl.Float64, "params": pl.String,
}

_stage = temp_table(
    "tmp_quality_finding",
    Column("institution_id", Integer, primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("month", Integer, primary_key=True),
    Column("carrier", String(24), primary_key=True),
    Column("rule", String(32), primary_key=True),
    Column("severity", String(8)),
    Column("value", Float),
    Column("expected", Float),
    Column("suggested", Float),
    Column("params", Text),
)
_scope = temp_table("tmp_quality_scope", Column("institution_id", BigInteger, primary_key=True))


# --------------------------------------------------------------------------- settings


def load_settings(conn: Connection) -> dict[str, dict[str, dict[str, object]]]:
    """Every region's overrides: region code → {rule code: settings dict}."""
    out: dict[str, dict[str, dict[str, object]]] = {}
    rs = t.rule_setting
    for row in conn.execute(select(rs.c.region_code, rs.c.rule, rs.c.settings)):
        out.setdefault(str(row.region_code), {})[str(row.rule)] = json.loads(row.settings)
    return out


def ancestors(tree: RegionTree, code: str) -> list[str]:
    """``code``'s chain from the root down to itself."""
    chain = []
    current: str | None = code
    while current is not None and current in tree:
        chain.append(current)
        current = tree.by_code[current].parent_code
    return chain[::-1]


def region_configs(
    conn: Connection, region_codes: Iterable[str], *, tree: RegionTree | None = None,
    settings: Mapping[str, Mapping[str, Mapping[str, object]]] | None = None,
) -> dict[str, dict[str, RuleConfig]]:
    """The effective configuration of every rule in each region (root → leaf)."""
    tree = tree or RegionTree(load_regions(conn))
    settings = load_settings(conn) if settings is None else settings
    out = {}
    for code in region_codes:
        levels = [settings[c] for c in ancestors(tree, code) if c in settings]
        out[code] = effective_configs(levels)
    return out


def upsert_setting(conn: Connection, region_code: str, rule: str, settings: str,
                   *, user_id: int | None) -> None:
    """Store (or replace) one region's override of one rule (``settings``: JSON)."""
    rs = t.rule_setting
    now = datetime.now(UTC)
    done = conn.execute(
        update(rs).where(rs.c.region_code == region_code, rs.c.rule == rule)
        .values(settings=settings, updated_by=user_id, updated_at=now)
    ).rowcount
    if not done:
        conn.execute(rs.insert().values(region_code=region_code, rule=rule, settings=settings,
                                        updated_by=user_id, updated_at=now))


def delete_setting(conn: Connection, region_code: str, rule: str) -> int:
    rs = t.rule_setting
    return int(conn.execute(
        delete(rs).where(rs.c.region_code == region_code, rs.c.rule == rule)).rowcount)


def _config_key(configs: Mapping[str, RuleConfig]) -> str:
    return json.dumps({code: [c.enabled, c.severity.value, dict(sorted(c.params.items()))]
                       for code, c in sorted(configs.items())}, sort_keys=True)


# --------------------------------------------------------------------------- reads


def read_frame(conn: Connection, query: Select[Any], schema: Mapping[str, Any]) -> pl.DataFrame:
    """The result of ``query`` as a polars frame of ``schema`` (column order of the
    query). PostgreSQL streams it with ``COPY … TO STDOUT`` (CSV), SQLite fetches rows."""
    names = list(schema)
    if conn.dialect.name == "postgresql":
        sql = str(query.compile(conn.engine, compile_kwargs={"literal_binds": True}))
        buffer = io.BytesIO()
        dbapi = conn.connection.driver_connection
        assert dbapi is not None
        with dbapi.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
            for block in copy:
                buffer.write(block)
        if buffer.tell() == 0:
            return pl.DataFrame(schema=dict(schema))
        buffer.seek(0)
        return pl.read_csv(buffer, has_header=False, new_columns=names,
                           schema_overrides=dict(schema))
    rows = conn.execute(query).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=dict(schema), orient="row",
                        strict=False)


@dataclass(frozen=True, slots=True)
class Target:
    """The institutions of an evaluation: ids, with their region and category."""

    frame: pl.DataFrame  # institution_id, region_code, category, status


def target_institutions(
    conn: Connection, *, institution_ids: Sequence[int] | None = None,
    region_codes: Sequence[str] | None = None, active_only: bool = True,
) -> pl.DataFrame:
    """``institution_id, region_code, category`` of the evaluated institutions."""
    i = t.institution
    query = select(i.c.id, i.c.region_code, i.c.category).order_by(i.c.id)
    if institution_ids is not None:
        query = query.where(i.c.id.in_(list(institution_ids)))
    if region_codes is not None:
        query = query.where(i.c.region_code.in_(list(region_codes)))
    if active_only:
        query = query.where(i.c.status == "active")
    return read_frame(conn, query, {"institution_id": pl.Int64, "region_code": pl.String,
                                    "category": pl.String})


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True, slots=True)
class Period:
    """What one evaluation looks at: ``year``, one ``month`` or the whole year, and
    the last month checked for missing figures (``cutoff``)."""

    year: int
    month: int | None
    cutoff: int

    @property
    def months(self) -> list[int]:
        """The months whose findings an evaluation replaces (0 = the year)."""
        return [0, self.month] if self.month else list(range(13))


def period(year: int, month: int | None = None, *, today: date | None = None) -> Period:
    """The :class:`Period` of an evaluation. Missing months are looked for up to the
    evaluated month (the whole year: up to December, or the last finished month of
    the current year)."""
    today = today or date.today()
    last = 12 if year < today.year else max(today.month - 1, 0) if year == today.year else 0
    return Period(year, month, month if month else last)


@dataclass(slots=True)
class Counts:
    institutions: int = 0
    findings: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # wall clock per step

    def clock(self, step: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[step] = self.seconds.get(step, 0.0) + now - since
        return now


@dataclass(frozen=True, slots=True)
class _Chunk:
    ids: npt.NDArray[np.int64]
    q: dict[str, Array]  # carrier → [n, 36] quantities (NaN = no figure)
    c: dict[str, Array]  # carrier → [n, 36] costs
    present: Mask  # [n, 36] the institution has a month row
    province: npt.NDArray[np.str_]  # [n] province code of each institution


def _read_chunk(conn: Connection, ids: Sequence[int], regions: Sequence[str], year: int,
                *, costs: bool = True) -> _Chunk:
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
    return _Chunk(id_array, q, c, present, province)


def _median_without(x: Array, cols: npt.NDArray[np.int_]) -> Array:
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


def _total_tce(chunk: _Chunk) -> Array:
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


class _Out:
    """Collects findings as column arrays; one frame per chunk."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.parts: list[pl.DataFrame] = []

    def add(self, rule: str, config: RuleConfig, ids: npt.NDArray[np.int64], month: Any,
            carrier: Any, value: Any, expected: Any = None, suggested: Any = None,
            params: Mapping[str, Any] | None = None) -> None:
        n = len(ids)
        if n == 0:
            return

        def col(v: Any, dtype: Any) -> pl.Series:
            if v is None:
                return pl.Series([None] * n, dtype=dtype)
            if np.ndim(v) == 0:
                return pl.Series([v] * n, dtype=dtype)
            return pl.Series(np.asarray(v), dtype=dtype)

        frame = pl.DataFrame({
            "institution_id": col(ids, pl.Int64),
            "year": col(self.year, pl.Int64),
            "month": col(month, pl.Int64),
            "carrier": col(carrier, pl.String),
            "rule": col(rule, pl.String),
            "severity": col(config.severity.value, pl.String),
            "value": col(value, pl.Float64),
            "expected": col(expected, pl.Float64),
            "suggested": col(suggested, pl.Float64),
        })
        if params:
            structs = pl.DataFrame({k: col(v, pl.String if isinstance(v, str) or (
                np.ndim(v) and np.asarray(v).dtype.kind in "OUS") else pl.Float64)
                for k, v in params.items()})
            encoded = structs.select(pl.struct(pl.all()).struct.json_encode().alias("params"))
            frame = frame.with_columns(encoded["params"])
        else:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("params"))
        self.parts.append(frame)

    def frame(self) -> pl.DataFrame:
        if not self.parts:
            return pl.DataFrame(schema=FINDING_SCHEMA)
        return pl.concat(self.parts, how="vertical").select(FINDING_COLUMNS)


def _figure_rules(chunk: _Chunk, per: Period, configs: Mapping[str, RuleConfig],
                  prices: Mapping[tuple[str, str], tuple[float, float]], out: _Out) -> None:
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
            expected = _median_without(positive, cols)
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


def _profile_rules(conn: Connection, ids: Sequence[int], per: Period,
                   configs: Mapping[str, RuleConfig], out: _Out) -> None:
    cfg = configs["profile_change"]
    if not cfg.enabled:
        return
    p, q = t.institution_profile, t.institution_profile.alias("last_year")
    query = (
        select(p.c.institution_id, p.c.occupants, q.c.occupants, p.c.floor_area_m2,
               q.c.floor_area_m2)
        .join(q, and_(q.c.institution_id == p.c.institution_id, q.c.year == per.year - 1))
        .where(p.c.year == per.year, p.c.institution_id.between(int(ids[0]), int(ids[-1])))
    )
    frame = read_frame(conn, query, {"institution_id": pl.Int64, "occ": pl.Float64,
                                     "occ_before": pl.Float64, "area": pl.Float64,
                                     "area_before": pl.Float64})
    frame = frame.filter(pl.col("institution_id").is_in(list(ids)))
    threshold = cfg.params["threshold"]
    for indicator, now, before in (("occupants", "occ", "occ_before"),
                                   ("floor_area_m2", "area", "area_before")):
        hit = frame.with_columns(
            ((pl.col(now) - pl.col(before)) / pl.col(before)).alias("change")
        ).filter((pl.col(before) > 0) & pl.col(now).is_not_null()
                 & (pl.col("change").abs() > threshold))
        out.add("profile_change", cfg, hit["institution_id"].to_numpy(), 0, indicator,
                hit[now].to_numpy(), params={
                    "indicator": indicator, "previous": hit[before].to_numpy(),
                    "change": hit["change"].to_numpy(), "threshold": threshold})


def _duplicate_rule(conn: Connection, ids: Sequence[int], configs: Mapping[str, RuleConfig],
                    out: _Out) -> None:
    cfg = configs["duplicate_institution"]
    if not cfg.enabled:
        return
    a, b = t.institution, t.institution.alias("other")
    query = (
        select(a.c.id, func.min(b.c.name + "（" + b.c.credit_code + "）"))
        .join(b, and_(b.c.name_key == a.c.name_key, b.c.region_code == a.c.region_code,
                      b.c.id != a.c.id, b.c.credit_code != a.c.credit_code,
                      b.c.status == "active"))
        .where(a.c.id.between(int(ids[0]), int(ids[-1])))
        .group_by(a.c.id)
    )
    frame = read_frame(conn, query, {"institution_id": pl.Int64, "other": pl.String})
    frame = frame.filter(pl.col("institution_id").is_in(list(ids)))
    out.add("duplicate_institution", cfg, frame["institution_id"].to_numpy(), 0, "", None,
            params={"other_institution": frame["other"].to_numpy()})


def _peer_rules(conn: Connection, targets: pl.DataFrame, tree: RegionTree, per: Period,
                groups: Sequence[tuple[dict[str, RuleConfig], list[str]]], out: _Out) -> None:
    """``peer_outlier``: per capita / per area energy against the percentile range of
    the same category in the same city-level region (whole years only)."""
    def city(code: str) -> str:
        region = tree.by_code.get(code)
        if region is not None and region.level == 3 and region.parent_code:
            return region.parent_code
        return code

    wanted = sorted({city(c) for c in targets["region_code"].unique().to_list()})
    peer_regions = sorted({r for c in wanted for r in tree.subtree(c)
                           if city(r) == c})
    if not peer_regions:
        return
    frame = _intensities(conn, peer_regions, per.year)
    if frame.height == 0:
        return
    city_map = pl.DataFrame({"region_code": peer_regions,
                             "city": [city(r) for r in peer_regions]})
    frame = frame.join(city_map, on="region_code")
    for configs, regions in groups:
        cfg = configs["peer_outlier"]
        if not cfg.enabled:
            continue
        mine = targets.filter(pl.col("region_code").is_in(regions))["institution_id"]
        lo_q, hi_q = cfg.params["lower_pct"] / 100, cfg.params["upper_pct"] / 100
        for indicator in ("energy_per_capita_kgce", "energy_per_area_kgce_m2"):
            values = frame.filter(pl.col(indicator).is_not_null())
            bounds = values.group_by("city", "category").agg(
                pl.col(indicator).quantile(lo_q, interpolation="linear").alias("low"),
                pl.col(indicator).quantile(hi_q, interpolation="linear").alias("high"),
                pl.len().alias("peers"))
            hit = values.filter(pl.col("institution_id").is_in(mine.implode())).join(
                bounds, on=["city", "category"]).filter(
                (pl.col("peers") >= cfg.params["min_peers"])
                & ((pl.col(indicator) < pl.col("low")) | (pl.col(indicator) > pl.col("high"))))
            out.add("peer_outlier", cfg, hit["institution_id"].to_numpy(), 0, indicator,
                    hit[indicator].to_numpy(), params={
                        "indicator": indicator, "low": hit["low"].to_numpy(),
                        "high": hit["high"].to_numpy(),
                        "peers": hit["peers"].to_numpy().astype(np.float64)})


def _intensities(conn: Connection, region_codes: Sequence[str], year: int) -> pl.DataFrame:
    """Whole-year energy [kgce] and its per-capita / per-area intensities of the
    active institutions of ``region_codes`` (12 months reported, with a profile)."""
    factors = factor_set(DEFAULT_FACTOR_SET)
    cy, i, p = t.consumption_year, t.institution, t.institution_profile
    energy: Any = literal(0.0)
    for code in CARRIER_CODES:
        kgce = factors.kgce_per_unit(code)
        if kgce is not None and code != "solar_pv":
            energy = energy + func.coalesce(cy.c[t.quantity_column(code)], 0.0) * kgce
    query = (
        select(i.c.id, i.c.region_code, i.c.category, energy, p.c.occupants, p.c.floor_area_m2)
        .join(cy, and_(cy.c.institution_id == i.c.id, cy.c.year == year))
        .join(p, and_(p.c.institution_id == i.c.id, p.c.year == year))
        .where(i.c.region_code.in_(list(region_codes)), i.c.status == "active",
               cy.c.months_reported >= 12)
    )
    frame = read_frame(conn, query, {"institution_id": pl.Int64, "region_code": pl.String,
                                     "category": pl.String, "kgce": pl.Float64,
                                     "occupants": pl.Float64, "area": pl.Float64})
    return frame.with_columns(
        pl.when(pl.col("occupants") > 0).then(pl.col("kgce") / pl.col("occupants"))
        .alias("energy_per_capita_kgce"),
        pl.when(pl.col("area") > 0).then(pl.col("kgce") / pl.col("area"))
        .alias("energy_per_area_kgce_m2"))


#: Quota indicators the quota rule checks (the energy intensities it computes).
QUOTA_INDICATORS: tuple[str, ...] = ("energy_per_capita_kgce", "energy_per_area_kgce_m2")


def _quota_rule(conn: Connection, targets: pl.DataFrame, tree: RegionTree, per: Period,
                groups: Sequence[tuple[dict[str, RuleConfig], list[str]]], out: _Out) -> None:
    """``quota_outlier``: whole-year per-capita / per-area energy above
    ``upper_factor`` × the 约束值 or below ``lower_factor`` × the 引导值 of the quota
    assigned to the institution (the nearest assignment,
    :func:`jieneng.core.targets.nearest_assignments`). Skipped without quotas."""
    a, q = t.quota_assignment, t.quota
    assigned = [dict(r._mapping) for r in conn.execute(
        select(a.c.region_code, a.c.category, q.c.indicator, q.c.constraint_value,
               q.c.guide_value).join(q, q.c.id == a.c.quota_id)
        .where(q.c.indicator.in_(QUOTA_INDICATORS)))]
    if not assigned:
        return
    groups_of = {str(x["category"]): categories_under(str(x["category"])) for x in assigned}
    pairs = targets.select("region_code", "category").unique()
    rows = []
    for region, category in pairs.iter_rows():  # a few thousand pairs, not institutions
        for indicator, x in nearest_assignments(assigned, tree.lineage(region), category,
                                                groups_of).items():
            rows.append((region, category, indicator, float(x["constraint_value"]),  # type: ignore[arg-type]
                         float(x["guide_value"])))  # type: ignore[arg-type]
    if not rows:
        return
    levels = pl.DataFrame(rows, schema={"region_code": pl.String, "category": pl.String,
                                        "indicator": pl.String, "constraint": pl.Float64,
                                        "guide": pl.Float64}, orient="row")
    frame = _intensities(conn, targets["region_code"].unique().to_list(), per.year).filter(
        pl.col("institution_id").is_in(targets["institution_id"].implode()))
    long = frame.unpivot(index=["institution_id", "region_code", "category"],
                         on=list(QUOTA_INDICATORS), variable_name="indicator",
                         value_name="value").filter(pl.col("value").is_not_null())
    long = long.join(levels, on=["region_code", "category", "indicator"])
    for configs, regions in groups:
        cfg = configs["quota_outlier"]
        if not cfg.enabled:
            continue
        mine = long.filter(pl.col("region_code").is_in(regions))
        high = mine.filter(pl.col("value") > cfg.params["upper_factor"] * pl.col("constraint"))
        low = mine.filter(pl.col("value") < cfg.params["lower_factor"] * pl.col("guide"))
        for hit, expected in ((high, "constraint"), (low, "guide")):
            out.add("quota_outlier", cfg, hit["institution_id"].to_numpy(), 0,
                    hit["indicator"].to_numpy(), hit["value"].to_numpy(),
                    expected=hit[expected].to_numpy(), params={
                        "indicator": hit["indicator"].to_numpy(),
                        "ratio": (hit["value"] / hit[expected]).to_numpy()})


def reference_prices(conn: Connection) -> dict[tuple[str, str], tuple[float, float]]:
    rp = t.reference_price
    return {(str(r.province_code), str(r.carrier)): (float(r.low), float(r.high))
            for r in conn.execute(select(rp.c.province_code, rp.c.carrier, rp.c.low, rp.c.high))}


def evaluate(
    conn: Connection, per: Period, *, institution_ids: Sequence[int] | None = None,
    region_codes: Sequence[str] | None = None, chunk: int = CHUNK,
    active_only: bool = True,
) -> Counts:
    """Evaluate every enabled rule for the institutions given (by id or by region)
    and ``per``, and replace their findings (:func:`replace_findings`). Returns counts."""
    tree = RegionTree(load_regions(conn))
    targets = target_institutions(conn, institution_ids=institution_ids,
                                  region_codes=region_codes, active_only=active_only)
    counts = Counts(institutions=targets.height)
    ensure_temp(conn, _stage)
    ensure_temp(conn, _scope)
    if targets.height == 0:
        return counts
    bulk_insert(conn, _scope, targets.select("institution_id"))
    configs_by_region = region_configs(conn, targets["region_code"].unique().to_list(),
                                       tree=tree)
    grouped: dict[str, tuple[dict[str, RuleConfig], list[str]]] = {}
    for code, configs in configs_by_region.items():
        grouped.setdefault(_config_key(configs), (configs, []))[1].append(code)
    groups = list(grouped.values())
    prices = reference_prices(conn)
    mark = time.perf_counter()
    for configs, regions in groups:
        members = targets.filter(pl.col("region_code").is_in(regions))
        for start in range(0, members.height, chunk):
            part = members.slice(start, chunk)
            ids = part["institution_id"].to_list()
            out = _Out(per.year)
            data = _read_chunk(conn, ids, part["region_code"].to_list(), per.year,
                               costs=bool(prices) and configs["unit_price_range"].enabled)
            mark = counts.clock("read", mark)
            _figure_rules(data, per, configs, prices, out)
            mark = counts.clock("figure rules", mark)
            _profile_rules(conn, ids, per, configs, out)
            _duplicate_rule(conn, ids, configs, out)
            mark = counts.clock("profile and directory rules", mark)
            _stage_findings(conn, out.frame(), counts)
            mark = counts.clock("stage", mark)
    out = _Out(per.year)
    _peer_rules(conn, targets, tree, per, groups, out)
    _quota_rule(conn, targets, tree, per, groups, out)
    _stage_findings(conn, out.frame(), counts)
    mark = counts.clock("peer rule", mark)
    analyze(conn, _stage)
    analyze(conn, _scope)
    replace_findings(conn, per.year, per.months)
    counts.clock("replace", mark)
    return counts


def _stage_findings(conn: Connection, frame: pl.DataFrame, counts: Counts) -> None:
    if frame.height == 0:
        return
    frame = frame.with_columns(
        *(pl.when(pl.col(c).is_finite()).then(pl.col(c)).alias(c)
          for c in ("value", "expected", "suggested")))
    bulk_insert(conn, _stage, frame, columns=list(FINDING_COLUMNS))
    counts.findings += frame.height
    for rule_code, n in frame.group_by("rule").len().iter_rows():
        counts.by_rule[rule_code] = counts.by_rule.get(rule_code, 0) + n


def stage(conn: Connection, frame: pl.DataFrame, institution_ids: Sequence[int]) -> None:
    """Load findings and the evaluated institutions into the staging tables (tests)."""
    ensure_temp(conn, _stage)
    ensure_temp(conn, _scope)
    bulk_insert(conn, _scope, pl.DataFrame({"institution_id": list(institution_ids)}))
    _stage_findings(conn, frame, Counts())


def replace_findings(conn: Connection, year: int, months: Sequence[int]) -> None:
    """Replace the findings of the staged scope (``tmp_quality_scope`` × ``year`` ×
    ``months``) by the staged findings, in three set-based statements."""
    f = t.quality_finding
    match = and_(*(f.c[k] == _stage.c[k] for k in _KEYS))
    in_scope = and_(f.c.institution_id.in_(select(_scope.c.institution_id)),
                    f.c.year == year, f.c.month.in_(list(months)))
    fires = exists(select(1).select_from(_stage).where(match))
    conn.execute(delete(f).where(in_scope, f.c.state == "open", ~fires))
    conn.execute(update(f).where(in_scope, f.c.state == "explained", ~fires)
                 .values(state="resolved"))
    conn.execute(update(f).where(in_scope, f.c.state == "resolved", fires)
                 .values(state="open", explanation=None, explained_by=None,
                         explained_at=None))
    now = datetime.now(UTC)
    if conn.dialect.name == "postgresql":  # UPDATE … FROM: one hash join
        changed = or_(*(f.c[v].is_distinct_from(_stage.c[v]) for v in _VALUES))
        conn.execute(update(f).where(match, changed)
                     .values({**{v: _stage.c[v] for v in _VALUES}, "found_at": now}))
    else:  # SQLite plans UPDATE … FROM badly; correlated probes of the keyed stage
        update_changed(conn, f, _stage, keys=_KEYS, values=_VALUES, extra={"found_at": now})
    insert_missing(conn, f, _stage, keys=_KEYS, values=_VALUES,
                   extra={"found_at": now, "state": "open"})


# --------------------------------------------------------------------------- reads of findings


def finding_of(row: Mapping[str, Any]) -> Finding:
    """A stored row as a :class:`Finding` (indicator codes moved into ``params``)."""
    params: dict[str, float | int | str] = json.loads(row["params"]) if row["params"] else {}
    carrier: str | None = row["carrier"] or None
    if carrier in INDICATORS:
        params.setdefault("indicator", carrier)
        carrier = None
    if row["rule"] == "missing_month":
        params["months"] = str(params.get("months", ""))
    for key, value in list(params.items()):
        if isinstance(value, float) and key == "peers":
            params[key] = int(value)
        if isinstance(value, float) and not math.isfinite(value):
            params[key] = 0.0
    return Finding(str(row["rule"]), Severity(row["severity"]), int(row["institution_id"]),
                   int(row["year"]), int(row["month"]) or None, carrier, row["value"],
                   row["expected"], row["suggested"], params)


def list_findings(
    conn: Connection, *, region_codes: Sequence[str] | None = None,
    department_id: int | None = None, institution_ids: Sequence[int] | None = None,
    year: int | None = None, month: int | None = None, rule: str | None = None,
    severity: str | None = None, state: str | None = None, offset: int = 0, limit: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    """Findings with their institution, filtered; newest period first. Returns
    ``(rows, total)``."""
    f, i = t.quality_finding, t.institution
    conds: list[Any] = []
    if region_codes is not None:
        conds.append(i.c.region_code.in_(list(region_codes)))
    if department_id is not None:
        conds.append((i.c.department_id == department_id) | (i.c.id == department_id))
    if institution_ids is not None:
        conds.append(f.c.institution_id.in_(list(institution_ids)))
    for column, value in ((f.c.year, year), (f.c.month, month), (f.c.rule, rule),
                          (f.c.severity, severity), (f.c.state, state)):
        if value is not None:
            conds.append(column == value)
    base = select(f, i.c.credit_code, i.c.name.label("institution_name"),
                  i.c.region_code).join(i, i.c.id == f.c.institution_id).where(*conds)
    total = int(conn.execute(select(func.count()).select_from(base.subquery())).scalar_one())
    rows = conn.execute(base.order_by(f.c.year.desc(), f.c.month.desc(), i.c.credit_code,
                                      f.c.rule, f.c.carrier).offset(offset).limit(limit))
    return [dict(r._mapping) for r in rows], total


def get_finding(conn: Connection, finding_id: int) -> dict[str, Any] | None:
    f, i = t.quality_finding, t.institution
    row = conn.execute(select(f, i.c.credit_code, i.c.name.label("institution_name"),
                              i.c.region_code).join(i, i.c.id == f.c.institution_id)
                       .where(f.c.id == finding_id)).first()
    return None if row is None else dict(row._mapping)


def explain_finding(conn: Connection, finding_id: int, text: str, *, user_id: int | None
                    ) -> None:
    f = t.quality_finding
    conn.execute(update(f).where(f.c.id == finding_id).values(
        state="explained", explanation=text, explained_by=user_id,
        explained_at=datetime.now(UTC)))


def replace_reference_prices(conn: Connection, frame: pl.DataFrame) -> int:
    """Replace the reference prices of the provinces in ``frame`` (all-or-nothing,
    in the caller's transaction)."""
    rp = t.reference_price
    provinces = frame["province_code"].unique().to_list()
    conn.execute(delete(rp).where(rp.c.province_code.in_(provinces)))
    return bulk_insert(conn, rp, frame.select("province_code", "carrier", "low", "high",
                                              "source"))


def list_reference_prices(conn: Connection, province_code: str | None = None
                          ) -> list[dict[str, Any]]:
    rp = t.reference_price
    query = select(rp).order_by(rp.c.province_code, rp.c.carrier)
    if province_code:
        query = query.where(rp.c.province_code == province_code)
    return [dict(r._mapping) for r in conn.execute(query)]


def list_settings(conn: Connection, region_codes: Sequence[str]) -> list[dict[str, Any]]:
    rs = t.rule_setting
    rows = conn.execute(select(rs).where(rs.c.region_code.in_(list(region_codes)))
                        .order_by(rs.c.region_code, rs.c.rule))
    return [dict(r._mapping) for r in rows]
