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
                    :func:`coverage_adapter`), kept in the result cache per
                    slice under the data version and the campaign tables'
                    fingerprint
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

import importlib
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine

from jieneng.core.campaigns.coverage import rates as coverage_rates
from jieneng.core.campaigns.coverage import takes_level
from jieneng.core.exceptions import DomainError
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters
from jieneng.core.workplans import PlanIndicator, indicator
from jieneng.services import result_cache
from jieneng.services.projects.counts import IN_OPERATION
from jieneng.services.quality.spot_checks import accuracy_for_region
from jieneng.services.workplans.statistics_read import region_figures
from jieneng.storage import fleet as fleet_store
from jieneng.storage import forms_ny, workplan_figures
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
#: a coverage reading: (scheme, institution category or None, title level or None)
Part = tuple[str, str | None, str | None]


def coverage_part(ind: PlanIndicator, param: str | None) -> Part | None:
    """The reading a coverage item names: ``scheme=`` (required), optionally
    ``category=`` (an institution category) and ``level=`` (a title level, only for a
    figure a level narrows: :func:`jieneng.core.campaigns.coverage.takes_level`); None
    (not available) without a scheme or with any other parameter."""
    p = params(param)
    scheme = p.pop("scheme", None)
    category, level = p.pop("category", None) or None, p.pop("level", None) or None
    if not scheme or p or (level is not None and not takes_level(ind.parameter)):
        return None
    return (scheme, category, level)


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


def _batch_adapter() -> Callable[..., dict[Part, list[dict[str, Any]]]] | None:
    """:func:`jieneng.services.campaigns.coverage.slices_coverage` (several schemes,
    whole or narrowed, in one pass) when the campaigns module provides it."""
    try:
        module = importlib.import_module("jieneng.services.campaigns.coverage")
    except ImportError:
        return None
    fn = getattr(module, "slices_coverage", None)
    return fn if callable(fn) else None


def _alone(engine: Engine, fn: CoverageFn, anchor: str, year: int, part: Part
           ) -> list[dict[str, Any]] | None:
    """One reading through ``fn`` (``region_coverage`` or a stand-in); None (not
    available) for an unknown scheme, category or level."""
    scheme, category, level = part
    narrowing = {k: v for k, v in (("category", category), ("level", level)) if v}
    try:
        return fn(engine, anchor, year, scheme, user=None, by_child=True, **narrowing)
    except (LookupError, DomainError):
        return None


def _coverage_rows(engine: Engine, fn: CoverageFn, anchor: str, year: int, part: Part,
                   memo: dict[Any, Any]) -> list[dict[str, Any]] | None:
    """The rows of one reading: computed with every reading the plan names
    (``memo["coverage_parts"]``) in one call, with only the counts its items read
    (``memo["coverage_counts"]``), when it can; else alone, every count; None for an
    unknown scheme (category, level)."""
    batch_key = ("coverage_batch", anchor, year)
    parts = list(memo.get("coverage_parts", ()) or (part,))
    batch = _batch_adapter()
    if batch_key not in memo and batch is not None and part in parts:
        try:
            memo[batch_key] = batch(engine, anchor, year, parts, by_child=True,
                                    counts=memo.get("coverage_counts"))
        except (LookupError, DomainError):  # one reading refused: each on its own
            memo[batch_key] = {}
    found = memo.get(batch_key, {})
    if part in found:
        rows: list[dict[str, Any]] = found[part]
        return rows
    return _alone(engine, fn, anchor, year, part)


def _cached_coverage(engine: Engine, conn: Connection, fn: CoverageFn, anchor: str,
                     year: int, part: Part, memo: dict[Any, Any]
                     ) -> list[dict[str, Any]] | None:
    """The coverage rows of ``anchor`` through the result cache, keyed by the data
    version, the campaign tables' fingerprint
    (:func:`jieneng.storage.workplan_figures.campaign_fingerprint`) and the counts asked; None
    for an unknown scheme. A miss computes the plan's readings together
    (:func:`_coverage_rows`)."""
    if "fingerprint" not in memo:
        memo["fingerprint"] = workplan_figures.campaign_fingerprint(conn)
    key = ("workplans.coverage", memo["fingerprint"], anchor, year, *part,
           memo.get("coverage_counts"))
    return result_cache.cached(engine, conn, key,
                               lambda: _coverage_rows(engine, fn, anchor, year, part, memo))


def coverage_needs(needs: Iterable[Key]) -> tuple[list[Part], tuple[str, ...]]:
    """The readings (scheme, category, level) of the campaign-coverage indicators among
    ``needs`` (those computed: :func:`coverage_part`), sorted, and the counts their
    figures are made of (a rate: its numerator and denominator, ``coverage.csv``; a
    count: itself)."""
    by_code = {r.code: r for r in coverage_rates()}
    parts: set[Part] = set()
    counts: set[str] = set()
    for code, param in needs:
        ind = indicator(code)
        part = coverage_part(ind, param) if ind.source_kind == "campaign_coverage" else None
        if part is None:
            continue
        parts.add(part)
        rate = by_code.get(ind.parameter)
        counts.update((rate.numerator, rate.denominator) if rate else (ind.parameter,))
    return sorted(parts, key=lambda x: (x[0], x[1] or "", x[2] or "")), tuple(sorted(counts))


def campaign_values(engine: Engine, conn: Connection, rt: RegionTree, ind: PlanIndicator,
                    param: str | None, regions: set[str], year: int,
                    adapter: CoverageFn | None = None,
                    memo: dict[Any, Any] | None = None) -> Values | None:
    """The coverage figure ``ind.parameter`` of the reading the item names
    (:func:`coverage_part`: ``scheme=``, optionally ``category=`` / ``level=``) for
    ``regions``; None (not available) without the coverage service, without a scheme,
    with a parameter it does not take, or a reading the service refuses (an unknown
    scheme, category or level; a category outside the scheme's population)."""
    fn = adapter if adapter is not None else coverage_adapter()
    part = coverage_part(ind, param)
    if fn is None or part is None:
        return None
    out: Values = {}
    memo = {} if memo is None else memo
    for parent, wanted in _by_parent(rt, regions).items():
        key = ("coverage", parent, year, part)
        if key not in memo and adapter is None:  # the rates of one reading share its rows
            memo[key] = _cached_coverage(engine, conn, fn, parent, year, part, memo)
        elif key not in memo:  # a stand-in (tests): never cached
            memo[key] = _alone(engine, fn, parent, year, part)
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
        memo[key] = workplan_figures.fleet_by_region(conn, Filters(region_codes=codes), year)
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
