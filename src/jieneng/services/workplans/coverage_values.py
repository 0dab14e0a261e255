"""The campaign-coverage plan indicators (创建达标率, 创建率, 自评率, 抽查率, 复检合格率,
称号单位数): every reading a plan names (scheme, optionally an institution category and a
title level) from :func:`jieneng.services.campaigns.coverage.slices_coverage` in one call
per anchor region (else ``region_coverage`` per reading through :func:`coverage_adapter`),
only the counts the items' figures are made of, kept in the result cache under the data
version and the campaign tables' fingerprint. Part of :func:`.indicators.compute`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.campaigns.coverage import rates as coverage_rates
from jieneng.core.campaigns.coverage import takes_level
from jieneng.core.exceptions import DomainError
from jieneng.core.regions import RegionTree
from jieneng.core.workplans import PlanIndicator, indicator
from jieneng.services import result_cache
from jieneng.storage import workplan_figures

from .region_fold import Key, Values, by_parent, params

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


def _coverage_function(name: str) -> Callable[..., Any] | None:
    """``name`` of :mod:`jieneng.services.campaigns.coverage` when the campaigns module
    provides it; None when not."""
    try:
        module = importlib.import_module("jieneng.services.campaigns.coverage")
    except ImportError:
        return None
    fn = getattr(module, name, None)
    return fn if callable(fn) else None


def coverage_adapter() -> CoverageFn | None:
    """:func:`jieneng.services.campaigns.coverage.region_coverage` when the campaigns
    module provides it; None (the coverage indicators not available) when not."""
    return _coverage_function("region_coverage")


_RATE_KEYS = {"compliance_rate", "creation_rate", "self_assessment_rate", "spot_check_rate",
              "recheck_pass_rate"}


def _batch_adapter() -> Callable[..., dict[Part, list[dict[str, Any]]]] | None:
    """:func:`jieneng.services.campaigns.coverage.slices_coverage` (several schemes,
    whole or narrowed, in one pass) when the campaigns module provides it."""
    return _coverage_function("slices_coverage")


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
                                    counts=memo.get("coverage_counts"),
                                    leave_out_refused=True)  # refused: missing, below
        except (LookupError, DomainError):  # the region refused: each on its own
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
    for parent, wanted in by_parent(rt, regions).items():
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
