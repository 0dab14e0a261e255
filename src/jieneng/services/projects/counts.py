"""What the notices count about projects, per region and year (issue 13 §1): area
retrofitted, PV capacity and generation, heat pumps, EPC and 托管 projects, data-centre retrofits,
projects by type and by state — for the work plans of the campaigns.

The platform's conventions (``docs/projects.md``):

- a project counts in its ``year`` (the year of the work plan it belongs to) and in the
  region it is counted in (:mod:`jieneng.services.projects.registry`);
- ``registered`` = every project not terminated; ``in_operation`` = the projects in
  运行监测 or later (项目调整, 效果评估, 结算, 资产移交, 关闭) — "完成/建成" in a notice;
- terminated projects appear only in ``by_state``;
- ``pv_generation``: the generation [kWh] of the PV projects (not terminated, of any
  work-plan year) in the *calendar* ``year`` — from their generation meters, reported
  figures or the owners' NY201 太阳能光电发电量 (:mod:`jieneng.services.projects.generation`).

Aggregated in SQL (:func:`jieneng.storage.project_counts.grouped`, one row per region ×
type × subtype × state); here only those groups are folded. Scope as everywhere; no
capability beyond it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl
from sqlalchemy import Engine, Row

from jieneng.core.caller import User
from jieneng.core.projects.lifecycle import State
from jieneng.core.projects.types import ProjectType, Subtype, label
from jieneng.core.regions import RegionTree
from jieneng.services.scope import scoped_filters
from jieneng.storage import regions
from jieneng.storage.project_counts import SUMS, grouped
from jieneng.storage.project_generation import SOURCES

from .generation import region_generation

IN_OPERATION: frozenset[str] = frozenset(s.value for s in (
    State.MONITORING, State.ADJUSTMENT, State.EVALUATION, State.SETTLEMENT, State.HANDOVER,
    State.CLOSED))


def _figures(groups: Iterable[Row[Any]]) -> dict[str, Any]:
    """Counts and sums over ``groups`` (terminated ones left out)."""
    out: dict[str, Any] = {"projects": 0, **{c: 0.0 for c in SUMS}}
    for k in ("epc", "trusteeship", "shared_savings", "guaranteed_savings", "water_contract",
              "pv", "heat_pump", "datacentre", "retrofit", "electrification", "charging"):
        out[f"{k}_projects"] = 0
    for g in groups:
        if g.state == State.TERMINATED.value:
            continue
        n = int(g.projects)
        out["projects"] += n
        for c in SUMS:
            out[c] += float(g._mapping[c])
        out[f"{g.type}_projects"] += n
        if g.type == ProjectType.EPC.value and g.subtype:
            out[f"{g.subtype}_projects"] += n
    out["heat_pumps"] = int(out["heat_pumps"])
    return out


def _generation(frame: pl.DataFrame, year: int | None) -> dict[str, Any]:
    """Σ PV generation [kWh] in calendar ``year`` (all years when None) of the PV
    projects, by source, and how many projects have a figure (rows of
    :func:`region_generation`)."""
    by_source = {s: float(frame.filter(pl.col("source") == s)["generation_kwh"].sum())
                 for s in SOURCES}
    return {"year": year, "kwh": sum(by_source.values()), "by_source": by_source,
            "projects": frame["project_id"].n_unique()}


def _block(groups: list[Row[Any]]) -> dict[str, Any]:
    return {"registered": _figures(groups),
            "in_operation": _figures(g for g in groups if g.state in IN_OPERATION)}


def region_counts(engine: Engine, user: User, *, region_code: str | None = None,
                  year: int | None = None) -> dict[str, Any]:
    """The figures of the caller's projects (inside ``region_code``; of ``year``), in
    total, by type, by state and for each region directly below ``region_code``."""
    with engine.connect() as conn:
        filters = scoped_filters(conn, user.scope, region_code=region_code)
        groups = grouped(conn, filters, year=year)
        generation = region_generation(conn, filters, year=year)
        tree = RegionTree(regions.load_regions(conn))
    root = region_code or user.scope.region_code
    by_type: dict[str, dict[str, Any]] = {}
    for kind in ProjectType:
        mine = [g for g in groups if g.type == kind.value and g.state != "terminated"]
        names = label("type", kind.value)
        by_type[kind.value] = {"name_zh": names.name_zh, "name_en": names.name_en,
                               "projects": sum(int(g.projects) for g in mine)}
    subtypes = {s.value: sum(int(g.projects) for g in groups if g.subtype == s.value
                             and g.state != "terminated") for s in Subtype}
    by_state = {s.value: {"name_zh": s.label_zh, "name_en": s.label_en,
                          "projects": sum(int(g.projects) for g in groups
                                          if g.state == s.value)} for s in State}
    out: dict[str, Any] = {"region_code": root, "year": year, **_block(groups),
                           "by_type": by_type, "by_subtype": subtypes, "by_state": by_state,
                           "pv_generation": _generation(generation, year), "regions": []}
    if root is not None and root in tree:
        below = tree.child_under(root)
        for child in [root, *sorted(tree.children.get(root, ()))]:
            part = [g for g in groups if below.get(g.region_code) == child]
            gen_part = generation.filter(pl.col("region_code").replace_strict(
                below, default=None, return_dtype=pl.Utf8) == child)
            if part or gen_part.height:
                out["regions"].append({"region_code": child,
                                       "name": tree.group_name(root, child), **_block(part),
                                       "pv_generation": _generation(gen_part, year)})
    return out
