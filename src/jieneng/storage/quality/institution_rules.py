"""The institution-level rules: profile changes (a join of this and last year's
profiles), duplicate institutions (a self-join on ``name_key``), peer outliers
(polars percentiles per category × city-level region) and quota outliers (against
the nearest quota assignment)."""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import (
    Connection,
    and_,
    func,
    literal,
    select,
)

from jieneng.core.carriers import CARRIER_CODES
from jieneng.core.categories import categories_under
from jieneng.core.factors.sets import DEFAULT_FACTOR_SET, factor_set
from jieneng.core.quality.config import RuleConfig
from jieneng.core.regions import RegionTree
from jieneng.core.targets import nearest_assignments

from .. import tables as t
from ..bulk import read_frame
from .model import Out, Period


def profile_rules(conn: Connection, ids: Sequence[int], per: Period,
                   configs: Mapping[str, RuleConfig], out: Out) -> None:
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


def duplicate_rule(conn: Connection, ids: Sequence[int], configs: Mapping[str, RuleConfig],
                    out: Out) -> None:
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


def peer_rules(conn: Connection, targets: pl.DataFrame, tree: RegionTree, per: Period,
                groups: Sequence[tuple[dict[str, RuleConfig], list[str]]], out: Out) -> None:
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


def quota_rule(conn: Connection, targets: pl.DataFrame, tree: RegionTree, per: Period,
                groups: Sequence[tuple[dict[str, RuleConfig], list[str]]], out: Out) -> None:
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
