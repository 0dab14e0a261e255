"""Plan indicators computed from what the platform holds: one function per source,
each for ALL the regions asked at once (one or a few grouped queries, folded to the
regions through the region tree) — never per item or per region.

=================== ==========================================================
source              computed by
=================== ==========================================================
campaign_coverage   :func:`jieneng.services.campaigns.coverage.slices_coverage`
                    (one call per anchor region for every scheme — whole, or
                    narrowed by ``category=`` / ``level=`` — the plan names,
                    only the counts its items read: the anchor's row and its
                    children's; else ``region_coverage`` per scheme through
                    :func:`.coverage_values.coverage_adapter`), kept in the
                    result cache per slice under the data version and the
                    campaign tables' fingerprint (:mod:`.coverage_values`)
projects            :func:`jieneng.storage.project_counts.grouped` (the
                    conventions of :mod:`jieneng.services.projects.counts`)
datacentre          NY202 records (:func:`jieneng.storage.forms_ny.current_records`):
                    Σ room electricity ÷ Σ IT electricity
fleet               :func:`jieneng.storage.workplan_figures.fleet_by_region`,
                    :func:`jieneng.storage.fleet.coal_not_cleared`
reporting           :func:`jieneng.storage.year_rates.year_task_counts` (上报率)
quality             :func:`jieneng.services.quality.spot_checks.accuracy_for_region`
targets             :func:`jieneng.services.workplans.statistics_read.region_figures`
                    (cached; the parent's figures and its children's in one: the
                    overview's figures without its trend and category groups)
=================== ==========================================================

An indicator that cannot be computed here (a source absent, a parameter it does not
understand) is *not available*: its key is missing from the answer, and the item takes
the value reported by hand. Values are in the indicator's unit (rates in %).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine

from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters
from jieneng.core.workplans import PlanIndicator, indicator
from jieneng.services.projects.counts import IN_OPERATION
from jieneng.services.quality.spot_checks import accuracy_for_region
from jieneng.services.workplans.statistics_read import region_figures
from jieneng.storage import fleet as fleet_store
from jieneng.storage import forms_ny, workplan_figures
from jieneng.storage.project_counts import grouped
from jieneng.storage.year_rates import year_task_counts

from .coverage_values import CoverageFn, campaign_values, coverage_needs
from .region_fold import Key, Values, by_parent, fold, rate, subtree_codes

# --- projects ------------------------------------------------------------------------


def project_values(conn: Connection, rt: RegionTree, ind: PlanIndicator,
                   regions: set[str], year: int, memo: dict[Any, Any] | None = None
                   ) -> Values:
    """``in_operation.area_m2``, ``registered.pv_projects`` …: the year's projects of
    each region (terminated ones never count)."""
    block, key = ind.parameter.split(".", 1)
    memo = {} if memo is None else memo
    codes = subtree_codes(rt, regions)
    slot = ("projects", tuple(codes), year)
    if slot not in memo:  # every project item of a plan reads the same groups
        memo[slot] = grouped(conn, Filters(region_codes=codes), year=year)
    rows = memo[slot]
    picked: list[tuple[str, dict[str, float]]] = []
    for g in rows:
        if g.state == "terminated" or (block == "in_operation" and g.state not in IN_OPERATION):
            continue
        if key.endswith("_projects"):
            kind = key.removesuffix("_projects")
            hit = g.type == kind or (g.type == "epc" and g.subtype == kind)
            value = float(g.projects) if hit else 0.0
        else:
            value = float(g._mapping[key])
        picked.append((str(g.region_code).strip(), {"v": value}))
    folded = fold(rt, regions, picked)
    return {r: folded[r].get("v", 0.0) for r in regions}


# --- data-centre PUE -------------------------------------------------------------------


def pue_values(conn: Connection, rt: RegionTree, regions: set[str], year: int) -> Values:
    """Σ room electricity ÷ Σ IT electricity of each region's NY202 rooms for ``year``
    (a room's annual record, else the sum of its monthly ones); None without rooms."""
    codes = subtree_codes(rt, regions)
    frame = forms_ny.current_records(conn, "NY202", Filters(region_codes=codes), year=year)
    if frame.is_empty() or "elec_total" not in frame.columns:
        return dict.fromkeys(regions)
    annual = frame.filter(pl.col("month") == 0)
    months = frame.filter(pl.col("month") > 0).join(annual.select("room_id"), on="room_id",
                                                    how="anti")
    both = pl.concat([annual, months], how="diagonal_relaxed")
    sums = (both.group_by("region_code")
            .agg(pl.col("elec_total").fill_null(0).sum().alias("total"),
                 pl.col("elec_it").fill_null(0).sum().alias("it")))
    folded = fold(rt, regions, ((str(r["region_code"]).strip(),
                                  {"total": float(r["total"]), "it": float(r["it"])})
                                 for r in sums.iter_rows(named=True)))
    return {r: (f["total"] / f["it"] if f.get("it") else None) for r, f in folded.items()}


# --- fleet ---------------------------------------------------------------------------


def fleet_values(conn: Connection, rt: RegionTree, ind: PlanIndicator, regions: set[str],
                 year: int, memo: dict[Any, Any] | None = None) -> Values:
    codes = subtree_codes(rt, regions)
    if ind.parameter == "coal_not_cleared":
        rows = fleet_store.coal_not_cleared(conn, Filters(region_codes=codes), year)
        folded = fold(rt, regions, ((r["region_code"], {"n": 1.0}) for r in rows))
        return {r: folded[r].get("n", 0.0) for r in regions}
    memo = {} if memo is None else memo
    key = ("fleet", tuple(codes), year)
    if key not in memo:  # the NEV and the charging share read the same sums
        memo[key] = workplan_figures.fleet_by_region(conn, Filters(region_codes=codes), year)
    sums = memo[key]
    folded = fold(rt, regions, ((code, {k: float(v) for k, v in s.items()})
                                 for code, s in sums.items()))
    if ind.parameter == "purchase_share":
        return {r: rate(f.get("bought_nev"), f.get("bought")) for r, f in folded.items()}
    return {r: rate(f.get("charging"), f.get("parking")) for r, f in folded.items()}


# --- reporting and data quality ------------------------------------------------------


def reporting_values(conn: Connection, rt: RegionTree, regions: set[str], year: int,
                     as_of: date) -> Values:
    rows = year_task_counts(conn, Filters(region_codes=subtree_codes(rt, regions)), year=year,
                            as_of=as_of)
    folded = fold(rt, regions, ((r["region_code"].strip(),
                                  {"expected": float(r["expected"]),
                                   "reported": float(r["reported"])}) for r in rows))
    return {r: rate(f.get("reported"), f.get("expected")) for r, f in folded.items()}


def accuracy_values(conn: Connection, rt: RegionTree, regions: set[str], year: int
                    ) -> Values:
    out: Values = {}
    for parent, wanted in by_parent(rt, regions).items():
        table = accuracy_for_region(conn, Filters(region_codes=rt.subtree(parent)), rt,
                                    parent, year)
        by_code = {r["region_code"]: r for r in table["regions"]}
        by_code[parent] = table["total"]
        for r in wanted:
            row = by_code.get(r)
            rate = None if row is None else row["accuracy_rate"]
            out[r] = None if rate is None else 100.0 * float(rate)
    return out


# --- energy, water, CO₂ (the statistics) -------------------------------------------------


def target_values(conn: Connection, rt: RegionTree, ind: PlanIndicator, regions: set[str],
                  year: int, memo: dict[Any, Any] | None = None) -> Values:
    """Totals (``energy_tce`` …, the year to date) or the fall of an intensity against
    the same months of the year before [%], from the figures of each parent and its
    children (:func:`.statistics_read.region_figures`: the overview's figures, read
    without its trend and category groups)."""
    out: Values = {}
    key = ind.parameter
    falls = ind.code.endswith("_reduction")
    memo = {} if memo is None else memo
    for parent, wanted in by_parent(rt, regions).items():
        if ("figures", parent, year) not in memo:  # every statistics item shares it
            memo[("figures", parent, year)] = region_figures(conn, parent, year)
        groups: dict[str, dict[str, Any]] = memo[("figures", parent, year)]
        for r in wanted:
            g = groups.get(r)
            if g is None:
                out[r] = None
            elif falls:
                change = (g.get("yoy") or {}).get(key)
                out[r] = None if change is None else -100.0 * float(change)
            else:
                value = g.get(key)
                out[r] = None if value is None else float(value)
    return out


def compute(engine: Engine, conn: Connection, rt: RegionTree, year: int,
            needs: dict[Key, set[str]], as_of: date,
            adapter: CoverageFn | None = None) -> dict[Key, Values]:
    """Every (indicator, parameter) of ``needs`` for its regions; a key missing from the
    answer is not available."""
    out: dict[Key, Values] = {}
    parts, counts = coverage_needs(needs)
    memo: dict[Any, Any] = {"coverage_parts": parts, "coverage_counts": counts}
    for (code, param), regions in needs.items():
        ind = indicator(code)
        kind = ind.source_kind
        found: Values | None
        if kind == "campaign_coverage":
            found = campaign_values(engine, conn, rt, ind, param, regions, year, adapter, memo)
        elif kind == "projects":
            found = project_values(conn, rt, ind, regions, year, memo)
        elif kind == "datacentre":
            found = pue_values(conn, rt, regions, year)
        elif kind == "fleet":
            found = fleet_values(conn, rt, ind, regions, year, memo)
        elif kind == "reporting":
            found = reporting_values(conn, rt, regions, year, as_of)
        elif kind == "quality":
            found = accuracy_values(conn, rt, regions, year)
        elif kind == "targets":
            found = target_values(conn, rt, ind, regions, year, memo)
        else:
            found = None
        if found is not None:
            out[(code, param)] = found
    return out
