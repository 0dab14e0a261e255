"""Plan indicators computed from what the platform holds: one function per source,
each for ALL the regions asked at once (one or a few grouped queries, folded to the
regions through the region tree) — never per item or per region.

=================== ==========================================================
source              computed by
=================== ==========================================================
campaign_coverage   :func:`jieneng.services.campaigns.coverage.schemes_coverage`
                    (one call per anchor region for every scheme the plan names,
                    only the counts its items read: the anchor's row and its
                    children's; else ``region_coverage`` per scheme through
                    :func:`coverage_adapter`), kept in the result cache per
                    scheme under the data version and the campaign tables'
                    fingerprint
projects            :func:`jieneng.storage.project_counts.grouped` (the
                    conventions of :mod:`jieneng.services.projects.counts`)
datacentre          NY202 records (:func:`jieneng.storage.forms_ny.current_records`):
                    Σ room electricity ÷ Σ IT electricity
fleet               :func:`jieneng.storage.workplans.fleet_by_region`,
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

import importlib
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine

from jieneng.core.campaigns.coverage import rates as coverage_rates
from jieneng.core.exceptions import DomainError
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters
from jieneng.core.workplans import PlanIndicator, indicator
from jieneng.services import result_cache
from jieneng.services.projects.counts import IN_OPERATION
from jieneng.services.quality.spot_checks import accuracy_for_region
from jieneng.services.workplans.statistics_read import region_figures
from jieneng.storage import fleet as fleet_store
from jieneng.storage import forms_ny
from jieneng.storage import workplans as store
from jieneng.storage.project_counts import grouped
from jieneng.storage.year_rates import year_task_counts

#: (indicator code, parameter text) — what is computed once for a set of regions
Key = tuple[str, str | None]
Values = dict[str, float | None]


def params(text: str | None) -> dict[str, str]:
    """``scheme=conservation_organ; category=01`` → a dict."""
    out: dict[str, str] = {}
    for part in (text or "").replace("；", ";").split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def _fold(rt: RegionTree, regions: Iterable[str], rows: Iterable[tuple[str, dict[str, float]]]
          ) -> dict[str, dict[str, float]]:
    """Sum per-region-code rows into each asked region holding them (its subtree)."""
    asked = set(regions)
    out: dict[str, dict[str, float]] = {r: {} for r in asked}
    for code, figures in rows:
        for holder in rt.lineage(code):
            if holder in asked:
                bucket = out[holder]
                for k, v in figures.items():
                    bucket[k] = bucket.get(k, 0.0) + v
    return out


def _codes(rt: RegionTree, regions: Iterable[str]) -> list[str]:
    """Every region code inside the asked regions (their subtrees)."""
    out: set[str] = set()
    for r in regions:
        out.update(rt.subtree(r))
    return sorted(out)


def _by_parent(rt: RegionTree, regions: Iterable[str]) -> dict[str, set[str]]:
    """The asked regions grouped by the region whose per-child answer holds them: its
    parent when that is asked too, else itself (its own answer's first row)."""
    asked = set(regions)
    out: dict[str, set[str]] = {}
    for r in asked:
        parent = rt.by_code[r].parent_code if r in rt else None
        anchor = parent if parent is not None and parent in asked else r
        out.setdefault(anchor, set()).add(r)
    return out


def _rate(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    return 100.0 * part / whole


# --- campaign coverage ----------------------------------------------------------------

CoverageFn = Callable[..., list[dict[str, Any]]]


def coverage_adapter() -> CoverageFn | None:
    """:func:`jieneng.services.campaigns.coverage.region_coverage` when the campaigns
    module provides it; None (the coverage indicators not available) when not."""
    try:
        module = importlib.import_module("jieneng.services.campaigns.coverage")
    except ImportError:
        return None
    fn = getattr(module, "region_coverage", None)
    return fn if callable(fn) else None


_RATE_KEYS = {"compliance_rate", "creation_rate", "self_assessment_rate", "spot_check_rate",
              "recheck_pass_rate"}


def _batch_adapter() -> Callable[..., dict[str, list[dict[str, Any]]]] | None:
    """:func:`jieneng.services.campaigns.coverage.schemes_coverage` (several schemes in
    one pass) when the campaigns module provides it."""
    try:
        module = importlib.import_module("jieneng.services.campaigns.coverage")
    except ImportError:
        return None
    fn = getattr(module, "schemes_coverage", None)
    return fn if callable(fn) else None


def _coverage_rows(engine: Engine, fn: CoverageFn, anchor: str, year: int, scheme: str,
                   memo: dict[Any, Any]) -> list[dict[str, Any]] | None:
    """The rows of one scheme: computed with every scheme the plan names
    (``memo["coverage_schemes"]``) in one call, with only the counts its items read
    (``memo["coverage_counts"]``), when it can; else alone, every count; None for an
    unknown scheme."""
    batch_key = ("coverage_batch", anchor, year)
    schemes = sorted(memo.get("coverage_schemes", ()) or (scheme,))
    batch = _batch_adapter()
    if batch_key not in memo and batch is not None and scheme in schemes:
        try:
            memo[batch_key] = batch(engine, anchor, year, schemes, by_child=True,
                                    counts=memo.get("coverage_counts"))
        except (LookupError, DomainError):  # one scheme unknown: each on its own
            memo[batch_key] = {}
    found = memo.get(batch_key, {})
    if scheme in found:
        rows: list[dict[str, Any]] = found[scheme]
        return rows
    try:
        return fn(engine, anchor, year, scheme, user=None, by_child=True)
    except (LookupError, DomainError):  # an unknown scheme: not available
        return None


def _cached_coverage(engine: Engine, conn: Connection, fn: CoverageFn, anchor: str,
                     year: int, scheme: str, memo: dict[Any, Any]
                     ) -> list[dict[str, Any]] | None:
    """The coverage rows of ``anchor`` through the result cache, keyed by the data
    version, the campaign tables' fingerprint
    (:func:`jieneng.storage.workplans.campaign_fingerprint`) and the counts asked; None
    for an unknown scheme. A miss computes the plan's schemes together
    (:func:`_coverage_rows`)."""
    if "fingerprint" not in memo:
        memo["fingerprint"] = store.campaign_fingerprint(conn)
    key = ("workplans.coverage", memo["fingerprint"], anchor, year, scheme,
           memo.get("coverage_counts"))
    return result_cache.cached(engine, conn, key,
                               lambda: _coverage_rows(engine, fn, anchor, year, scheme, memo))


def coverage_needs(needs: Iterable[Key]) -> tuple[set[str], tuple[str, ...]]:
    """The schemes of the campaign-coverage indicators among ``needs`` (those computed:
    a ``scheme=`` and nothing else) and the counts their figures are made of (a rate:
    its numerator and denominator, ``coverage.csv``; a count: itself)."""
    by_code = {r.code: r for r in coverage_rates()}
    schemes: set[str] = set()
    counts: set[str] = set()
    for code, param in needs:
        p = params(param)
        scheme = p.pop("scheme", None)
        ind = indicator(code)
        if ind.source_kind != "campaign_coverage" or not scheme or p:
            continue
        schemes.add(scheme)
        rate = by_code.get(ind.parameter)
        counts.update((rate.numerator, rate.denominator) if rate else (ind.parameter,))
    return schemes, tuple(sorted(counts))


def campaign_values(engine: Engine, conn: Connection, rt: RegionTree, ind: PlanIndicator,
                    param: str | None, regions: set[str], year: int,
                    adapter: CoverageFn | None = None,
                    memo: dict[Any, Any] | None = None) -> Values | None:
    """The coverage figure ``ind.parameter`` of the scheme ``scheme=`` for ``regions``;
    None (not available) without the coverage service, without a scheme, or with a
    parameter it does not take (e.g. a category)."""
    fn = adapter if adapter is not None else coverage_adapter()
    p = params(param)
    scheme = p.pop("scheme", None)
    if fn is None or scheme is None or p:
        return None
    out: Values = {}
    memo = {} if memo is None else memo
    for parent, wanted in _by_parent(rt, regions).items():
        key = ("coverage", parent, year, scheme)
        if key not in memo and adapter is None:  # the rates of one scheme share its rows
            memo[key] = _cached_coverage(engine, conn, fn, parent, year, scheme, memo)
        elif key not in memo:  # a stand-in (tests): never cached
            try:
                memo[key] = fn(engine, parent, year, scheme, user=None, by_child=True)
            except (LookupError, DomainError):
                memo[key] = None
        rows = memo[key]
        if rows is None:
            return None
        by_code = {str(r["region_code"]): r for r in rows}
        for r in wanted:
            row = by_code.get(r)
            raw = None if row is None else row.get(ind.parameter)
            if raw is None:
                out[r] = None
            elif ind.parameter in _RATE_KEYS:
                out[r] = 100.0 * float(raw)
            else:
                out[r] = float(raw)
    return out


# --- projects ------------------------------------------------------------------------


def project_values(conn: Connection, rt: RegionTree, ind: PlanIndicator,
                   regions: set[str], year: int, memo: dict[Any, Any] | None = None
                   ) -> Values:
    """``in_operation.area_m2``, ``registered.pv_projects`` …: the year's projects of
    each region (terminated ones never count)."""
    block, key = ind.parameter.split(".", 1)
    memo = {} if memo is None else memo
    codes = _codes(rt, regions)
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
    folded = _fold(rt, regions, picked)
    return {r: folded[r].get("v", 0.0) for r in regions}


# --- data-centre PUE -------------------------------------------------------------------


def pue_values(conn: Connection, rt: RegionTree, regions: set[str], year: int) -> Values:
    """Σ room electricity ÷ Σ IT electricity of each region's NY202 rooms for ``year``
    (a room's annual record, else the sum of its monthly ones); None without rooms."""
    frame = forms_ny.current_records(conn, "NY202", Filters(region_codes=_codes(rt, regions)),
                                     year=year)
    if frame.is_empty() or "elec_total" not in frame.columns:
        return dict.fromkeys(regions)
    annual = frame.filter(pl.col("month") == 0)
    months = frame.filter(pl.col("month") > 0).join(annual.select("room_id"), on="room_id",
                                                    how="anti")
    both = pl.concat([annual, months], how="diagonal_relaxed")
    sums = (both.group_by("region_code")
            .agg(pl.col("elec_total").fill_null(0).sum().alias("total"),
                 pl.col("elec_it").fill_null(0).sum().alias("it")))
    folded = _fold(rt, regions, ((str(r["region_code"]).strip(),
                                  {"total": float(r["total"]), "it": float(r["it"])})
                                 for r in sums.iter_rows(named=True)))
    return {r: (f["total"] / f["it"] if f.get("it") else None) for r, f in folded.items()}


# --- fleet ---------------------------------------------------------------------------


def fleet_values(conn: Connection, rt: RegionTree, ind: PlanIndicator, regions: set[str],
                 year: int, memo: dict[Any, Any] | None = None) -> Values:
    codes = _codes(rt, regions)
    if ind.parameter == "coal_not_cleared":
        rows = fleet_store.coal_not_cleared(conn, Filters(region_codes=codes), year)
        folded = _fold(rt, regions, ((r["region_code"], {"n": 1.0}) for r in rows))
        return {r: folded[r].get("n", 0.0) for r in regions}
    memo = {} if memo is None else memo
    key = ("fleet", tuple(codes), year)
    if key not in memo:  # the NEV and the charging share read the same sums
        memo[key] = store.fleet_by_region(conn, Filters(region_codes=codes), year)
    sums = memo[key]
    folded = _fold(rt, regions, ((code, {k: float(v) for k, v in s.items()})
                                 for code, s in sums.items()))
    if ind.parameter == "purchase_share":
        return {r: _rate(f.get("bought_nev"), f.get("bought")) for r, f in folded.items()}
    return {r: _rate(f.get("charging"), f.get("parking")) for r, f in folded.items()}


# --- reporting and data quality ------------------------------------------------------


def reporting_values(conn: Connection, rt: RegionTree, regions: set[str], year: int,
                     as_of: date) -> Values:
    rows = year_task_counts(conn, Filters(region_codes=_codes(rt, regions)), year=year,
                            as_of=as_of)
    folded = _fold(rt, regions, ((r["region_code"].strip(),
                                  {"expected": float(r["expected"]),
                                   "reported": float(r["reported"])}) for r in rows))
    return {r: _rate(f.get("reported"), f.get("expected")) for r, f in folded.items()}


def accuracy_values(conn: Connection, rt: RegionTree, regions: set[str], year: int
                    ) -> Values:
    out: Values = {}
    for parent, wanted in _by_parent(rt, regions).items():
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
    for parent, wanted in _by_parent(rt, regions).items():
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
    schemes, counts = coverage_needs(needs)
    memo: dict[Any, Any] = {"coverage_schemes": schemes, "coverage_counts": counts}
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
