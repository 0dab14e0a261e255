"""The figures an assessment scores, for every subject at once (issue 14 §4).

Subjects: the direct child regions of the assessing region (``region``; each with its
whole subtree; the region's own units, 本级, are not a subject) or the active units of
its subtree (``institution``). Sources, each read once for all subjects:

- targets (:mod:`jieneng.services.targets.progress`): share of the year's targets met —
  the children's 双控 targets at year end (:func:`~.progress.assessment`) or the units'
  own targets (:func:`~.progress.institution_target_progress`);
- reporting and data quality (:func:`jieneng.storage.assessments.institution_counts`,
  :func:`~jieneng.storage.assessments.finding_counts`: one GROUP BY each, per unit,
  folded to the subjects with polars): 上报率, 按时上报率, 审核通过率, 数据准确率,
  findings explained;
- projects (:func:`~jieneng.storage.assessments.project_counts`, by owner);
- campaign coverage (``services.campaigns.coverage.region_coverage``) and work-plan
  completion (``services.workplans.progress.region_plan_completion``) — read through
  adapters: a module not installed yet makes its measures **not available** (NaN for
  every subject, the page says so).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Connection, Engine

from jieneng.core.assessments import MEASURE_SOURCES, Sheet
from jieneng.core.caller import User
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters
from jieneng.services.projects.counts import IN_OPERATION
from jieneng.services.scope import scoped_filters
from jieneng.services.targets import progress
from jieneng.storage import assessments as store
from jieneng.storage import regions


@dataclass
class Figures:
    """The subjects (in order) and each measure's figure per subject."""

    subjects: list[dict[str, Any]]
    values: dict[str, np.ndarray] = field(default_factory=dict)
    available: dict[str, bool] = field(default_factory=dict)

    def keys(self) -> list[str]:
        return [s["subject_key"] for s in self.subjects]


def subjects(conn: Connection, user: User, sheet: Sheet, region_code: str
             ) -> list[dict[str, Any]]:
    """Who a sheet assesses under ``region_code`` (in the caller's scope)."""
    filters = scoped_filters(conn, user.scope, region_code=region_code)
    if sheet.subject == "institution":
        return [{"subject_key": str(r.id), "position": n, "name": r.name,
                 "region_code": r.region_code, "category": r.category}
                for n, r in enumerate(store.institution_list(conn, filters))]
    tree = RegionTree(regions.load_regions(conn))
    return [{"subject_key": code, "position": n, "name": tree.name(code), "region_code": code,
             "category": None}
            for n, code in enumerate(sorted(tree.children.get(region_code, ())))]


def compute(engine: Engine, user: User, sheet: Sheet, region_code: str, year: int, *,
            as_of: date | None = None) -> Figures:
    """Every measure the sheet names, for every subject."""
    wanted = set(sheet.measures())
    with engine.connect() as conn:
        found = Figures(subjects(conn, user, sheet, region_code))
        fold = _folder(conn, sheet, region_code, found)
        filters = scoped_filters(conn, user.scope, region_code=region_code)
        counts = _frame(store.institution_counts(conn, filters, year=year,
                                                 as_of=as_of or date.today()),
                        ("expected", "reported", "on_time", "approved"))
        findings = _frame(store.finding_counts(conn, filters, year=year),
                          ("findings", "handled", "error_months"))
        projects = _frame(store.project_counts(conn, filters, year=year,
                                               in_operation=IN_OPERATION),
                          ("projects", "in_operation"))
    keys = found.keys()
    c, f, p = fold(counts), fold(findings), fold(projects)
    expected = _col(c, keys, "expected")
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = {
            "assess_reporting_rate": _rate(_col(c, keys, "reported"), expected),
            "assess_timely_rate": _rate(_col(c, keys, "on_time"), expected),
            "assess_approval_rate": _rate(_col(c, keys, "approved"), expected),
            "assess_error_free_rate": np.clip(
                1.0 - _rate(_col(f, keys, "error_months"), expected), 0.0, 1.0),
            "assess_findings_handled_rate": np.where(
                _col(f, keys, "findings") > 0,
                _col(f, keys, "handled") / np.maximum(_col(f, keys, "findings"), 1), 1.0),
            "assess_projects_registered": _col(p, keys, "projects"),
            "assess_projects_in_operation": _col(p, keys, "in_operation"),
        }
    for measure, values in rates.items():
        found.values[measure], found.available[measure] = values, True
    if "assess_targets_met_share" in wanted:
        found.values["assess_targets_met_share"] = _targets(engine, user, sheet, region_code,
                                                            year, keys)
        found.available["assess_targets_met_share"] = True
    for measure, reader in (("assess_campaign_coverage", _coverage),
                            ("assess_plan_completion", _plans)):
        if measure in wanted:
            values_or_none = reader(engine, sheet, region_code, year, keys)
            found.available[measure] = values_or_none is not None
            found.values[measure] = (values_or_none if values_or_none is not None
                                     else np.full(len(keys), np.nan))
    found.values = {m: v for m, v in found.values.items() if m in wanted}
    found.available = {m: found.available.get(m, False) for m in MEASURE_SOURCES if m in wanted}
    return found


def _frame(rows: list[Any], columns: tuple[str, ...]) -> pl.DataFrame:
    schema = {"institution_id": pl.Int64, **{c: pl.Float64 for c in columns}}
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def _folder(conn: Connection, sheet: Sheet, region_code: str, found: Figures
            ) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """Per-unit counts → per-subject sums keyed ``subject_key``."""
    if sheet.subject == "institution":
        def by_unit(frame: pl.DataFrame) -> pl.DataFrame:
            return frame.with_columns(pl.col("institution_id").cast(pl.Utf8)
                                      .alias("subject_key"))
        return by_unit
    tree = RegionTree(regions.load_regions(conn))
    below = {code: child for code, child in tree.child_under(region_code).items()
             if child != region_code}
    units = store.institution_list(conn, Filters(region_codes=tree.subtree(region_code)))
    mapping = pl.DataFrame({"institution_id": [int(u.id) for u in units],
                            "subject_key": [below.get(u.region_code) for u in units]},
                           schema={"institution_id": pl.Int64, "subject_key": pl.Utf8})

    def by_child(frame: pl.DataFrame) -> pl.DataFrame:
        joined = frame.join(mapping, on="institution_id", how="inner").drop_nulls(
            "subject_key")
        return joined.drop("institution_id").group_by("subject_key").sum()
    return by_child


def _col(frame: pl.DataFrame, keys: list[str], column: str) -> np.ndarray:
    """``column`` of the folded ``frame`` in subject order (0 where a subject has none)."""
    lookup = dict(zip(frame["subject_key"].to_list(), frame[column].to_list(), strict=True))
    return np.array([float(lookup.get(k) or 0.0) for k in keys], dtype=np.float64)


def _rate(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part ÷ whole, NaN where nothing was due."""
    return np.where(whole > 0, part / np.where(whole > 0, whole, 1.0), np.nan)


def _share(met: dict[str, list[bool]], keys: list[str]) -> np.ndarray:
    return np.array([sum(met[k]) / len(met[k]) if met.get(k) else np.nan for k in keys],
                    dtype=np.float64)


def _targets(engine: Engine, user: User, sheet: Sheet, region_code: str, year: int,
             keys: list[str]) -> np.ndarray:
    """Share of each subject's targets met (NaN: no target)."""
    met: dict[str, list[bool]] = {}
    if sheet.subject == "region":
        result = progress.assessment(engine, user, region_code=region_code, year=year)
        for row in result["rows"]:
            if not row["own_level"]:
                met[row["region_code"]] = [bool(t["met"]) for t in row["targets"]]
    else:
        for item in progress.institution_target_progress(engine, user,
                                                         region_code=region_code,
                                                         year=year, as_of_month=12):
            met.setdefault(str(item["institution_id"]), []).append(
                item["status"] in ("met", "on_track"))
    return _share(met, keys)


def _adapter(module: str, name: str) -> Callable[..., Any] | None:
    """A function of another feature's module, or None while it is not there."""
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
    return found if callable(found) else None


def _coverage(engine: Engine, sheet: Sheet, region_code: str, year: int,
              keys: list[str]) -> np.ndarray | None:
    """The child regions' campaign coverage (the sheet's ``coverage_scheme`` and
    ``coverage_rate``), or None when the coverage service is not available."""
    read = _adapter("jieneng.services.campaigns.coverage", "region_coverage")
    if read is None or sheet.subject != "region":
        return None
    scheme = sheet.scheme.param("coverage_scheme", "conservation_organ")
    key = sheet.scheme.param("coverage_rate", "compliance_rate")
    rows = read(engine, region_code, year, scheme, user=None, by_child=True)
    got = {r["region_code"]: r.get(key) for r in rows if r.get("level") == "child"}
    return np.array([np.nan if got.get(k) is None else float(got[k]) for k in keys],
                    dtype=np.float64)


def _plans(engine: Engine, sheet: Sheet, region_code: str, year: int,
           keys: list[str]) -> np.ndarray | None:
    """The child regions' work-plan completion, or None when the work-plan service is
    not available."""
    read = _adapter("jieneng.services.workplans.progress", "region_plan_completion")
    if read is None or sheet.subject != "region":
        return None
    rows = read(engine, region_code, year)
    got = {r["region_code"]: r.get("completion_rate") for r in rows
           if r["region_code"] != region_code}
    return np.array([np.nan if got.get(k) is None else float(got[k]) for k in keys],
                    dtype=np.float64)
