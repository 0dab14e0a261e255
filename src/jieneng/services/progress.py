"""Progress of a region's targets (双控目标进度) and the year-end assessment
(目标绩效考核) of its children.

- **Caps** (``energy_tce``, ``water_m3``, ``co2_t``): the actual to date (the months
  with figures, January on) against the pro-rated allowance from the region's
  own seasonal profile of its previous :data:`HISTORY_YEARS` complete years, and
  the projected year-end value with its range (:func:`jieneng.core.targets.project`):
  on track / at risk / over. Month figures are those of the overview (the same
  numbers as the pages and the API).
- **Reductions** (intensities vs a base year; a region without its own inherits the
  nearest one above it, ``source`` ``inherited``): the change achieved so far against
  the required one: ``met`` when the intensity fell at least as much as required.
  With the year incomplete the figure is the year to date, against the same
  months of the base year.
- :func:`assessment`: the same for each child region with its own targets, with
  the rates achieved vs required, for the 目标绩效考核 table.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import Engine

from jieneng.core.regions import RegionTree
from jieneng.core.targets import project
from jieneng.services import dashboard
from jieneng.services.scope import scoped_filters
from jieneng.services.targets import CAP_METRICS, REDUCTION_METRICS
from jieneng.services.users import User
from jieneng.storage import regions
from jieneng.storage import targets as store

#: Previous years read for the seasonal profile.
HISTORY_YEARS = 3


def _months(series: list[Any]) -> int:
    """The months elapsed: up to the last month with a figure."""
    filled = [i for i, v in enumerate(series) if v is not None]
    return filled[-1] + 1 if filled else 0


def _cap_progress(engine: Engine, user: User, row: store.TargetRow, *,
                  as_of_month: int | None, factor_set: str | None) -> dict[str, Any]:
    series = dashboard.monthly_figures(
        engine, user.scope, region_code=row.region_code,
        years=range(row.year - HISTORY_YEARS, row.year + 1), default_factor_set=factor_set)
    current = list(series[row.year][row.metric])
    k = as_of_month or _months(current)
    history = {y: list(series[y][row.metric]) for y in range(row.year - HISTORY_YEARS, row.year)}
    out: dict[str, Any] = {"months": k, "limit": row.value}
    if k == 0:
        return {**out, "actual": 0.0, "allowance": 0.0, "projected": None, "low": None,
                "high": None, "status": "on_track", "profile_years": 0}
    p = project(row.value, current[:k], history)
    years = sum(1 for s in history.values() if len(s) == 12 and all(v is not None for v in s))
    return {**out, "actual": p.actual, "allowance": p.allowance, "projected": p.projected,
            "low": p.low, "high": p.high, "status": p.status.value, "profile_years": years}


def _reduction_progress(engine: Engine, user: User, row: store.TargetRow, *,
                        as_of_month: int | None, factor_set: str | None) -> dict[str, Any]:
    now = dashboard.overview(engine, user.scope, region_code=row.region_code, year=row.year,
                             default_factor_set=factor_set)
    k = as_of_month or _months(list(now["monthly_trend"]["current"]["energy_tce"]))
    months = None if k in (0, 12) else (1, k)
    if months is not None:
        now = dashboard.overview(engine, user.scope, region_code=row.region_code,
                                 year=row.year, months=months, default_factor_set=factor_set)
    base_year = row.base_year or row.year - 1
    base = dashboard.overview(engine, user.scope, region_code=row.region_code, year=base_year,
                              months=months, default_factor_set=factor_set)
    value, before = now.get(row.metric), base.get(row.metric)
    achieved = (value - before) / before if value is not None and before else None
    required = -row.value
    met = achieved is not None and achieved <= required
    status = ("met" if met else "not_met") if k == 12 else ("on_track" if met else "at_risk")
    return {"months": k, "base_year": base_year, "indicator_value": value, "base_value": before,
            "achieved_change": achieved, "required_change": required, "status": status}


def _progress(engine: Engine, user: User, row: store.TargetRow, tree: RegionTree, *,
              as_of_month: int | None, factor_set: str | None) -> dict[str, Any]:
    fn = _cap_progress if row.metric in CAP_METRICS else _reduction_progress
    detail = fn(engine, user, row, as_of_month=as_of_month, factor_set=factor_set)
    names = dashboard.FORMULAS.get(row.metric, {})
    return {"region_code": row.region_code, "region_name": tree.name(row.region_code),
            "year": row.year, "metric": row.metric,
            "metric_zh": names.get("name_zh", row.metric),
            "metric_en": names.get("name_en", row.metric), "kind": row.kind,
            "value": row.value, "target_id": row.id, "source": row.source, **detail}


def region_progress(engine: Engine, user: User, *, region_code: str, year: int,
                    as_of_month: int | None = None, factor_set: str | None = None,
                    subtree: bool = False) -> dict[str, Any]:
    """Every target of the region and of its direct children for ``year`` (of its
    whole subtree with ``subtree``)."""
    with engine.connect() as conn:
        scoped_filters(conn, user.scope, region_code=region_code)
        tree = RegionTree(regions.load_regions(conn))
        codes = (tree.subtree(region_code) if subtree
                 else [region_code, *tree.children.get(region_code, ())])
        rows = store.list_targets(conn, year=year, region_codes=codes, institution_ids=[])
        above = store.list_targets(conn, year=year, region_codes=tree.lineage(region_code),
                                   institution_ids=[])
    rows = rows + _inherited(rows, above, codes, tree)
    items = [_progress(engine, user, r, tree, as_of_month=as_of_month, factor_set=factor_set)
             for r in rows]
    return {"region": {"code": region_code, "name": tree.name(region_code)}, "year": year,
            "items": items}


def _inherited(rows: list[store.TargetRow], above: list[store.TargetRow],
               codes: list[str], tree: RegionTree) -> list[store.TargetRow]:
    """Reduction targets a region without its own inherits from the nearest region
    above it that has one (source ``inherited``, ``parent_id`` the inherited target)."""
    known = {(r.region_code, r.metric): r for r in [*above, *rows]}
    out: list[store.TargetRow] = []
    for code in codes:
        for metric in REDUCTION_METRICS:
            if (code, metric) in known:
                continue
            for up in tree.lineage(code)[1:]:
                parent = known.get((up, metric))
                if parent is not None:
                    out.append(replace(parent, region_code=code, source="inherited",
                                       parent_id=parent.id))
                    break
    return out


def assessment(engine: Engine, user: User, *, region_code: str, year: int,
               factor_set: str | None = None) -> dict[str, Any]:
    """The year-end assessment of the children: one row per child with each target
    met or not (rates achieved vs required), and whether all were met."""
    progress = region_progress(engine, user, region_code=region_code, year=year,
                               as_of_month=12, factor_set=factor_set)
    rows: dict[str, dict[str, Any]] = {}
    for item in progress["items"]:
        if item["region_code"] == region_code:
            continue
        row = rows.setdefault(item["region_code"], {
            "region_code": item["region_code"], "region_name": item["region_name"],
            "targets": [], "all_met": True})
        met = item["status"] in ("met", "on_track")
        row["targets"].append({**item, "met": met})
        row["all_met"] = row["all_met"] and met
    return {**progress, "items": None, "rows": sorted(rows.values(),
                                                      key=lambda r: r["region_code"])}
