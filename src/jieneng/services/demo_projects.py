"""The demo's energy-saving projects (issue 13): the demo station's synthetic weather
and three projects of the demo city with a baseline, a year and more of statements and
a settlement — written through the ordinary services, once per database
(``demo_projects`` in meta).

1. **Weather**: the station :data:`jieneng.demo.projects.DEMO_STATION` serving the demo
   city (:func:`jieneng.services.weather.add_station`) and its daily means from
   :func:`jieneng.demo.projects.demo_temperatures` — synthetic, stored with source
   ``demo`` (never presented as observed; ``docs/weather.md``).
2. **PV generation** (only while the demo's figures are not locked, i.e. in a fresh
   build before its reporting workflow): the PV owner's monthly 太阳能光电发电量 of the
   reporting years through the ordinary consumption import (source ``demo``).
3. **Projects** (:data:`jieneng.demo.projects.PROJECTS`), each through
   :mod:`jieneng.services.projects`: registered (owners picked from the demo's figures
   by :func:`jieneng.demo.projects.pick_owners`), moved 申报 → 审批 → 采购, its baseline
   fitted on the owners' NY201 months of 2023 against the station's degree days
   (``mv_runs.fit_baseline``, method ``monthly``), the contract entered (the
   trusteeship's fee base = the baseline year's electricity cost), moved on to 合同签订
   → 基准确认 → 实施 → 运行监测 — every move with its stated date of the project's
   invented 2023–2024 history (``lifecycle.date_registration`` / dated
   ``move_project``; the entry time kept in ``recorded_at``) —, a system boundary, the
   PV roof's reported monthly generation (self-consumed / exported), then every
   statement due through 2025 (monthly, quarterly, annual: ``statements.issue_due``)
   and the 2024 settlement (``settlement.settle``, a draft) for the contract types
   that settle.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Engine

from jieneng.core.caller import User, command_line_user
from jieneng.core.exceptions import DomainError, NotFound
from jieneng.core.mv.data import DateRange
from jieneng.core.names import name_key
from jieneng.core.projects.contracts import Contract
from jieneng.core.projects.spec import project_spec
from jieneng.core.scope import Scope
from jieneng.demo import projects as plan
from jieneng.services import weather
from jieneng.services.entry.imports import import_file
from jieneng.services.projects import (
    boundary,
    contracts,
    generation,
    lifecycle,
    mv_runs,
    registry,
    statements,
)
from jieneng.services.projects import settlement as settling
from jieneng.services.scope import scoped_filters
from jieneng.storage import demo as demo_store
from jieneng.storage import meta
from jieneng.storage import weather as weather_store
from jieneng.storage.directory import search_institutions
from jieneng.storage.indicators import institution_inputs

log = logging.getLogger(__name__)
VERSION = "projects-1"
YEARS = (2023, 2024, 2025)
WEATHER_FROM = date(2022, 1, 1)


def seed(engine: Engine, region_code: str, files_dir: Path, *,
         figures: bool = True) -> dict[str, int]:
    """Weather and projects once per database (module docstring); ``figures`` writes
    the PV generation (a fresh build, before its workflow locks the months). Returns
    counts (weather days, projects, statements, settlements)."""
    with engine.connect() as conn:
        if meta.get_meta(conn, "demo_projects") == VERSION:
            return {}
    who = command_line_user()
    counts = {"weather_days": seed_weather(engine, who, region_code)}
    owners = _owners(engine, region_code)
    if figures:
        counts["pv_months"] = _pv_figures(engine, owners["GL-PV-2024-03"], files_dir)
    made = [_project(engine, who, p, owners[p.code]) for p in plan.PROJECTS]
    counts["projects"] = len(made)
    counts["statements"] = sum(m["statements"] for m in made)
    counts["settlements"] = sum(m["settlements"] for m in made)
    with engine.begin() as conn:
        meta.set_meta(conn, "demo_projects", VERSION)
    return counts


def seed_weather(engine: Engine, who: User, region_code: str) -> int:
    """The demo station serving ``region_code`` and its synthetic days (idempotent)."""
    weather.add_station(engine, who, code=plan.DEMO_STATION, name=plan.STATION_NAME,
                        regions_served=[region_code], latitude=25.27, longitude=110.29)
    days, celsius = plan.demo_temperatures(WEATHER_FROM, date(YEARS[-1], 12, 31))
    frame = pl.DataFrame({"day": days, "temperature_c": celsius}).with_columns(
        pl.lit("demo").alias("source"), pl.lit(1.0).alias("coverage"),
        pl.lit(None, pl.Int16).alias("hours"))
    with engine.begin() as conn:
        found = weather_store.station_by_code(conn, plan.DEMO_STATION)
        assert found is not None
        weather_store.write_days(conn, int(found.id), frame, None)
    return frame.height


# ---------------------------------------------------------------- owners

def _owners(engine: Engine, region_code: str) -> dict[str, list[dict[str, Any]]]:
    """project code → its owners (credit_code, name, floor area, 2023 electricity
    cost), picked from the demo's monthly electricity."""
    out: dict[str, list[dict[str, Any]]] = {}
    taken: set[int] = set()
    with engine.connect() as conn:
        filters = scoped_filters(conn, Scope.region(region_code))
        for p in plan.PROJECTS:
            category, pattern = p.candidates
            found, _n = search_institutions(
                conn, filters, categories=[category], status="active", limit=1000,
                name_key_fragment=name_key(pattern.strip("%")) if pattern != "%" else None)
            ids = np.array([e["institution_id"] for e in found], dtype=np.int64)
            monthly = _monthly(conn, ids)
            picked = plan.pick_owners(ids, monthly, p.owners, taken, rank=p.rank)
            taken.update(picked)
            base = {r["institution_id"]: r for r in institution_inputs(
                conn, filters, year=YEARS[0], categories=[category])}
            drop = dict(zip(ids.tolist(), plan.yearly_drop(monthly).tolist(), strict=True))
            out[p.code] = [{"id": i, "credit_code": base[i]["credit_code"],
                            "name": base[i]["name"], "area": base[i]["floor_area_m2"],
                            "cost": (base[i]["cost_yuan"] or {}).get("electricity"),
                            "drop_kwh": drop[i]} for i in picked]
    return out


def _monthly(conn: Any, ids: np.ndarray) -> np.ndarray:
    """institutions × 36 months of electricity (NaN where not reported)."""
    out = np.full((ids.size, 12 * len(YEARS)), np.nan)
    row = {int(i): k for k, i in enumerate(ids)}
    for y, year in enumerate(YEARS):
        for month in range(1, 13):
            got = demo_store.month_quantities(conn, ids.tolist(), year, month)
            for (inst, carrier), value in got.items():
                if carrier == "electricity":
                    out[row[inst], y * 12 + month - 1] = value
    return out


def _pv_figures(engine: Engine, owners: list[dict[str, Any]], files_dir: Path) -> int:
    """The PV owner's monthly generation of the reporting years (NY201 太阳能光电发电量),
    imported as a demo file; 0 when a month is already locked (an older demo)."""
    if not owners:
        return 0
    kwp = plan.pv_size(owners[0]["drop_kwh"])
    years = YEARS[1:]
    kwh = plan.pv_generation(kwp, 12 * len(years))
    path = files_dir / "演示光伏发电量.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"统一社会信用代码": [owners[0]["credit_code"]] * kwh.size,
                  "年": [y for y in years for _m in range(12)],
                  "月": [m for _y in years for m in range(1, 13)],
                  "太阳能光电发电量(千瓦时)": kwh}).write_csv(path)
    try:
        return import_file(engine, "consumption", path, source="demo").records
    except DomainError as err:  # a month already reported and locked
        log.warning("demo PV generation not written: %s", err)
        return 0


# ---------------------------------------------------------------- projects

def _project(engine: Engine, who: User, p: plan.DemoProject,
             owners: list[dict[str, Any]]) -> dict[str, int]:
    try:
        registry.get_project(engine, who, p.code)
        return {"statements": 0, "settlements": 0}
    except NotFound:
        pass
    area = sum(float(o["area"] or 0.0) for o in owners) or None
    figures: dict[str, float] = {}
    measures = list(p.measures)
    if p.type == "pv":
        figures["pv_kwp"] = kwp = plan.pv_size(owners[0]["drop_kwh"])
        measures = [replace(m, name=f"{m.name} {kwp:.0f} kWp",
                            investment_yuan=(m.investment_yuan or 0.0) * kwp) for m in measures]
    spec = project_spec(
        code=p.code, name=p.name, type_text=p.type, subtype_text=p.subtype,
        owners=[o["credit_code"] for o in owners], year=plan.TERM[0].year,
        ipmvp_text="C",
        esco_name=None if p.type == "pv" else plan.ESCO[0],
        esco_credit_code=None if p.type == "pv" else plan.ESCO[1],
        funding_source=p.funding, area_m2=area, planned_start=plan.TERM[0],
        planned_end=plan.TERM[1], description=p.description,
        investment_yuan=sum(m.investment_yuan or 0.0 for m in measures), **figures)
    spec = replace(spec, measures=tuple(measures))
    registry.create_project(engine, who, spec)
    dated = dict(p.moves)
    lifecycle.date_registration(engine, who, p.code, p.declared)
    for state in ("approval", "procurement"):
        lifecycle.move_project(engine, who, p.code, state, at=dated.get(state))
    run = mv_runs.fit_baseline(engine, who, p.code, carrier="electricity", method="monthly",
                               baseline=DateRange(*plan.BASE),
                               reporting=DateRange(*plan.REPORTING))
    if p.type == "epc":
        contracts.set_contract(engine, who, p.code, _contract(p, owners))
    for owner in owners:
        boundary.add_boundary(engine, who, p.code, kind="system",
                              institution=owner["credit_code"],
                              description="电力系统：空调、照明、动力（演示）")
    if p.type == "pv":
        _pv_reported(engine, who, p.code, float(figures["pv_kwp"]))
    for state in ("contracted", "baseline", "implementation", p.state):
        lifecycle.move_project(engine, who, p.code, state, at=dated.get(state))
    issued = statements.issue_due(engine, who, p.code, through=plan.REPORTING[1])
    settled = 0
    if p.subtype is not None:
        settling.settle(engine, who, p.code, str(plan.REPORTING[0].year),
                        fee_factor=plan.TRUSTEESHIP_FEE_FACTOR if p.subtype == "trusteeship"
                        else 1.0)
        settled = 1
    log.info("demo project %s: run %s, %d statements", p.code, run["id"], len(issued))
    return {"statements": len(issued), "settlements": settled}


def _pv_reported(engine: Engine, who: User, code: str, kwp: float) -> None:
    """The PV roof's monthly generation of the reporting years as reported figures
    (the same synthetic series as the owner's NY201 months) split into self-consumed
    and exported at :data:`jieneng.demo.projects.PV_SELF_CONSUMED_SHARE`."""
    years = YEARS[1:]
    kwh = plan.pv_generation(kwp, 12 * len(years))
    own = np.round(kwh * plan.PV_SELF_CONSUMED_SHARE, 1)
    for k, (total, used) in enumerate(zip(kwh.tolist(), own.tolist(), strict=True)):
        generation.report_generation(
            engine, who, code, f"{years[k // 12]}-{k % 12 + 1:02d}", total,
            source="演示数据（合成，非实测）", self_consumed_kwh=used,
            exported_kwh=round(total - used, 1))


def _contract(p: plan.DemoProject, owners: list[dict[str, Any]]) -> Contract:
    terms = dict(p.contract)
    if p.subtype == "trusteeship":  # the fee base: the baseline year's electricity cost
        terms["fee_base_yuan"] = round(sum(float(o["cost"] or 0.0) for o in owners), 2)
    return Contract(term_start=plan.TERM[0], term_end=plan.TERM[1], base_start=plan.BASE[0],
                    base_end=plan.BASE[1], **terms)
