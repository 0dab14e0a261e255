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
- **本级** (the region's own units, e.g. 桂林市（本级）): the share of the region's cap
  its last decomposition gave them (meta ``target_own:…``,
  :func:`jieneng.services.targets.targets.own_level_share`) is followed like a child
  region's cap, against the figures of the institutions registered at the region
  itself — an item with ``own_level`` true, ``source`` ``own_level`` and ``target_id``
  the region's cap it was decomposed from.
- Every cap item carries ``ratio`` = actual ÷ limit (None for a zero limit).
- :func:`assessment`: the same for each child region with its own targets and for
  the 本级 share, with the rates achieved vs required, for the 目标绩效考核 table.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import polars as pl
from sqlalchemy import Connection

from jieneng.core import indicator_registry as registry
from jieneng.core.caller import User
from jieneng.core.categories import categories_under
from jieneng.core.regions import RegionTree
from jieneng.core.targets import nearest_assignments, project
from jieneng.services.database import Reader, reading
from jieneng.services.scope import Filters, scoped_filters
from jieneng.services.statistics.overview import monthly_figures, overview
from jieneng.services.statistics.publication_figures import (
    institution_intensities,
    intensity_coefficients,
)
from jieneng.services.targets.targets import CAP_METRICS, REDUCTION_METRICS, own_level_share
from jieneng.storage import alerts as alert_store
from jieneng.storage import quotas as quota_store
from jieneng.storage import regions
from jieneng.storage import targets as store

#: Previous years read for the seasonal profile.
HISTORY_YEARS = 3


def _months(series: list[Any]) -> int:
    """The months elapsed: up to the last month with a figure."""
    filled = [i for i, v in enumerate(series) if v is not None]
    return filled[-1] + 1 if filled else 0


def _ratio(actual: float, limit: float) -> float | None:
    """How much of the cap the actual used (actual ÷ limit; None for a zero cap)."""
    return actual / limit if limit else None


def _cap_progress(conn: Connection, user: User, row: store.TargetRow, *,
                  as_of_month: int | None, factor_set: str | None) -> dict[str, Any]:
    series = monthly_figures(
        conn, user.scope, region_code=row.region_code,
        years=range(row.year - HISTORY_YEARS, row.year + 1), default_factor_set=factor_set,
        own_level=row.source == OWN_LEVEL)
    current = list(series[row.year][row.metric])
    k = as_of_month or _months(current)
    history = {y: list(series[y][row.metric]) for y in range(row.year - HISTORY_YEARS, row.year)}
    out: dict[str, Any] = {"months": k, "limit": row.value}
    if k == 0:
        return {**out, "actual": 0.0, "allowance": 0.0, "projected": None, "low": None,
                "high": None, "status": "on_track", "profile_years": 0,
                "ratio": _ratio(0.0, row.value)}
    p = project(row.value, current[:k], history)
    years = sum(1 for s in history.values() if len(s) == 12 and all(v is not None for v in s))
    return {**out, "actual": p.actual, "allowance": p.allowance, "projected": p.projected,
            "low": p.low, "high": p.high, "status": p.status.value, "profile_years": years,
            "ratio": _ratio(p.actual, row.value)}


def _reduction_progress(conn: Connection, user: User, row: store.TargetRow, *,
                        as_of_month: int | None, factor_set: str | None) -> dict[str, Any]:
    now = overview(conn, user.scope, region_code=row.region_code, year=row.year,
                   default_factor_set=factor_set)
    k = as_of_month or _months(list(now["monthly_trend"]["current"]["energy_tce"]))
    months = None if k in (0, 12) else (1, k)
    if months is not None:
        now = overview(conn, user.scope, region_code=row.region_code,
                       year=row.year, months=months, default_factor_set=factor_set)
    base_year = row.base_year or row.year - 1
    base = overview(conn, user.scope, region_code=row.region_code, year=base_year,
                    months=months, default_factor_set=factor_set)
    value, before = now.get(row.metric), base.get(row.metric)
    achieved = registry.change(value, before)
    required = -row.value
    met = achieved is not None and achieved <= required
    status = ("met" if met else "not_met") if k == 12 else ("on_track" if met else "at_risk")
    return {"months": k, "base_year": base_year, "indicator_value": value, "base_value": before,
            "achieved_change": achieved, "required_change": required, "status": status}


def _progress(conn: Connection, user: User, row: store.TargetRow, tree: RegionTree, *,
              as_of_month: int | None, factor_set: str | None) -> dict[str, Any]:
    fn = _cap_progress if row.metric in CAP_METRICS else _reduction_progress
    detail = fn(conn, user, row, as_of_month=as_of_month, factor_set=factor_set)
    found = registry.BY_CODE.get(row.metric)
    own = row.source == OWN_LEVEL
    return {"region_code": row.region_code,
            "region_name": tree.group_name(row.region_code, row.region_code) if own
            else tree.name(row.region_code), "own_level": own,
            "year": row.year, "metric": row.metric,
            "metric_zh": found.name_zh if found else row.metric,
            "metric_en": found.name_en if found else row.metric, "kind": row.kind,
            "value": row.value, "target_id": row.id, "source": row.source, **detail}


def region_progress(db: Reader, user: User, *, region_code: str, year: int,
                    as_of_month: int | None = None, factor_set: str | None = None,
                    subtree: bool = False) -> dict[str, Any]:
    """Every target of the region and of its direct children for ``year`` (of its
    whole subtree with ``subtree``), and the 本级 share of the region's caps (of every
    region's in the subtree with ``subtree``) after the region's own items; every
    figure read on one connection (``db``: an engine, or the connection of a caller's
    snapshot such as the 通报's)."""
    with reading(db) as conn:
        scoped_filters(conn, user.scope, region_code=region_code)
        tree = RegionTree(regions.load_regions(conn))
        codes = (tree.subtree(region_code) if subtree
                 else [region_code, *tree.children.get(region_code, ())])
        rows = store.list_targets(conn, Filters(region_codes=codes), year=year,
                                  institution_ids=[])
        above = store.list_targets(conn, Filters(region_codes=tree.lineage(region_code)),
                                   year=year, institution_ids=[])
        rows = rows + _inherited(rows, above, codes, tree)
        rows = _with_own_level(conn, rows, codes if subtree else [region_code], tree)
        items = [_progress(conn, user, r, tree, as_of_month=as_of_month,
                           factor_set=factor_set) for r in rows]
    return {"region": {"code": region_code, "name": tree.name(region_code)}, "year": year,
            "items": items}


#: ``source`` of a 本级 share (:func:`_with_own_level`).
OWN_LEVEL = "own_level"


def _with_own_level(conn: Connection, rows: list[store.TargetRow], parents: list[str],
                    tree: RegionTree) -> list[store.TargetRow]:
    """``rows`` with the 本级 share of each cap of ``parents`` that a decomposition
    saved, right after that cap (source :data:`OWN_LEVEL`, ``id`` and ``parent_id``
    the cap's)."""
    wanted = {(code, metric) for code in parents if tree.children.get(code)
              for metric in CAP_METRICS}
    out: list[store.TargetRow] = []
    for row in rows:
        out.append(row)
        if (row.region_code, row.metric) in wanted and row.institution_id is None:
            share = own_level_share(conn, row.region_code, row.year, row.metric)
            if share is not None:
                out.append(replace(row, value=share, source=OWN_LEVEL, parent_id=row.id))
    return out


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


def assessment(db: Reader, user: User, *, region_code: str, year: int,
               factor_set: str | None = None) -> dict[str, Any]:
    """The year-end assessment of the children: one row per child with each target
    met or not (rates achieved vs required), and whether all were met; the region's
    own units (本级, ``own_level`` true) first when a decomposition gave them a share."""
    progress = region_progress(db, user, region_code=region_code, year=year,
                               as_of_month=12, factor_set=factor_set)
    rows: dict[tuple[bool, str], dict[str, Any]] = {}
    for item in progress["items"]:
        own = bool(item["own_level"])
        if item["region_code"] == region_code and not own:
            continue
        row = rows.setdefault((not own, item["region_code"]), {
            "region_code": item["region_code"], "region_name": item["region_name"],
            "own_level": own, "targets": [], "all_met": True})
        met = item["status"] in ("met", "on_track")
        row["targets"].append({**item, "met": met})
        row["all_met"] = row["all_met"] and met
    return {**progress, "items": None, "rows": [rows[key] for key in sorted(rows)]}


# ---------------------------------------------------------------- quotas of institutions

#: Quota indicators followed during the year: (coefficient set, denominator).
QUOTA_PACE: dict[str, tuple[str, int]] = {
    "energy_per_capita_kgce": ("energy", 0), "energy_per_area_kgce_m2": ("energy_area", 1),
}


def _profiles(frame: pl.DataFrame, column: str, year: int) -> pl.DataFrame:
    """Per institution the mean monthly shares of its complete previous years
    (``share_1`` … ``share_12``; institutions without a complete year are absent)."""
    past = frame.filter(pl.col("year") < year)
    full = past.group_by("institution_id", "year").agg(
        pl.len().alias("n"), pl.col(column).sum().alias("total")).filter(
        (pl.col("n") == 12) & (pl.col("total") > 0))
    shares = past.join(full, on=["institution_id", "year"]).with_columns(
        (pl.col(column) / pl.col("total")).alias("share"))
    return shares.group_by("institution_id", "month").agg(pl.col("share").mean()).pivot(
        "month", index="institution_id", values="share").rename(
        lambda c: c if c == "institution_id" else f"share_{c}")


def quota_progress(db: Reader, user: User, *, region_code: str, year: int,
                   as_of_month: int | None = None, factor_set: str | None = None
                   ) -> list[dict[str, Any]]:
    """Each institution of the region with an assigned energy quota: its intensity to
    date against the 约束值 pro-rated by **its own** seasonal profile (mean monthly
    shares of its complete previous years; 1/12 a month without one), and the
    projected year-end intensity — vectorised over all such institutions (polars);
    read in one snapshot (``db``: an engine, or a caller's snapshot connection)."""
    with reading(db) as conn:
        return _quota_progress(conn, user, region_code=region_code, year=year,
                               as_of_month=as_of_month, factor_set=factor_set)


def _quota_progress(conn: Connection, user: User, *, region_code: str, year: int,
                    as_of_month: int | None, factor_set: str | None) -> list[dict[str, Any]]:
    scoped_filters(conn, user.scope, region_code=region_code)
    tree = RegionTree(regions.load_regions(conn))
    assigned = quota_store.assignments(conn)
    if not assigned:
        return []
    rows = institution_intensities(conn, user.scope, region_code=region_code,
                                   year=year, default_factor_set=factor_set)
    groups = {str(a["category"]): categories_under(str(a["category"])) for a in assigned}
    wanted: list[dict[str, Any]] = []
    for row in rows:  # one pass over the directory; the figures are read set-based below
        found = nearest_assignments(assigned, tree.lineage(row["region_code"]),
                                    row["category"], groups)
        wanted += [{**row, "indicator": ind, "quota": a} for ind, a in found.items()
                   if ind in QUOTA_PACE]
    if not wanted:
        return []
    ids = sorted({w["institution_id"] for w in wanted})
    coefficients = intensity_coefficients(
        conn, user.scope, region_code=region_code, year=year, default_factor_set=factor_set)
    months = alert_store.month_energy(conn, ids, range(year - HISTORY_YEARS, year + 1),
                                      coefficients)
    denominators = alert_store.profiles(conn, ids, year)
    now = months.filter(pl.col("year") == year)
    k = as_of_month or (int(now["month"].max()) if now.height else 0)  # type: ignore[arg-type]
    out: list[dict[str, Any]] = []
    if k == 0:
        return out
    for column in ("energy", "energy_area"):
        todate = now.filter(pl.col("month") <= k).group_by("institution_id").agg(
            pl.col(column).sum().alias("actual"))
        shares = _profiles(months, column, year)
        share_cols = [f"share_{m}" for m in range(1, k + 1) if f"share_{m}" in shares.columns]
        share = shares.select("institution_id", pl.sum_horizontal(share_cols).alias("share")
                              if share_cols else pl.lit(None).alias("share"))
        table = todate.join(share, on="institution_id", how="left").with_columns(
            pl.col("share").fill_null(k / 12))
        by_id = {r["institution_id"]: r for r in table.to_dicts()}
        for w in wanted:
            if QUOTA_PACE[w["indicator"]][0] != column or w["institution_id"] not in by_id:
                continue
            occupants, area = denominators.get(w["institution_id"], (None, None))
            denominator = (occupants, area)[QUOTA_PACE[w["indicator"]][1]]
            if not denominator:
                continue
            r = by_id[w["institution_id"]]
            limit = float(w["quota"]["constraint_value"])
            actual = r["actual"] / denominator
            projected = actual / r["share"] if r["share"] else None
            status = ("over" if actual > limit else "at_risk"
                      if projected is not None and projected > limit else "on_track")
            out.append({
                "institution_id": w["institution_id"], "credit_code": w["credit_code"],
                "name": w["name"], "region_code": w["region_code"],
                "region_name": tree.name(w["region_code"]), "year": year,
                "metric": w["indicator"], "quota_id": w["quota"]["id"], "months": k,
                "limit": limit, "actual": actual, "allowance": limit * r["share"],
                "projected": projected, "status": status})
    return out


def institution_target_progress(db: Reader, user: User, *, region_code: str, year: int,
                                as_of_month: int | None = None,
                                factor_set: str | None = None) -> list[dict[str, Any]]:
    """The institution-level reduction targets of the region's subtree (e.g. from the
    quota rule) with the change achieved: the intensity of the year's months to date
    against the same months of the base year, per institution — vectorised (polars
    over the month roll-ups of those institutions); ``met`` when it fell at least as
    much as required. Read in one snapshot (``db``: an engine, or a caller's snapshot)."""
    with reading(db) as conn:
        filters = scoped_filters(conn, user.scope, region_code=region_code)
        tree = RegionTree(regions.load_regions(conn))
        rows = [r for r in store.list_targets(conn, filters, year=year)
                if r.institution_id is not None and r.metric in QUOTA_PACE]
        if not rows:
            return []
        ids = sorted({int(r.institution_id) for r in rows if r.institution_id is not None})
        bases = sorted({r.base_year or year - 1 for r in rows})
        coefficients = intensity_coefficients(
            conn, user.scope, region_code=region_code, year=year,
            default_factor_set=factor_set)
        months = alert_store.month_energy(conn, ids, [*bases, year], coefficients)
        denominators = {y: alert_store.profiles(conn, ids, y) for y in [*bases, year]}
    now = months.filter(pl.col("year") == year)
    k = as_of_month or (int(now["month"].max()) if now.height else 0)  # type: ignore[arg-type]
    if k == 0:
        return []
    sums = months.filter(pl.col("month") <= k).group_by("institution_id", "year").agg(
        pl.col("energy").sum(), pl.col("energy_area").sum())
    by_key = {(r["institution_id"], r["year"]): r for r in sums.to_dicts()}
    out: list[dict[str, Any]] = []
    for r in rows:
        column, which = QUOTA_PACE[r.metric]
        base_year = r.base_year or year - 1
        iid = int(r.institution_id or 0)
        now_sum, base_sum = by_key.get((iid, year)), by_key.get((iid, base_year))
        now_d = denominators[year].get(iid, (None, None))[which]
        base_d = denominators[base_year].get(iid, (None, None))[which]
        value = now_sum[column] / now_d if now_sum and now_d else None
        before = base_sum[column] / base_d if base_sum and base_d else None
        achieved = registry.change(value, before)
        met = achieved is not None and achieved <= -r.value
        out.append({"target_id": r.id, "institution_id": iid, "region_code": r.region_code,
                    "region_name": tree.name(r.region_code), "year": year, "metric": r.metric,
                    "months": k, "value": r.value, "base_year": base_year,
                    "indicator_value": value, "base_value": before, "achieved_change": achieved,
                    "required_change": -r.value,
                    "status": ("met" if met else "not_met") if k == 12
                    else ("on_track" if met else "at_risk")})
    return out
