"""PV generation of projects (issue 13 §1 "PV capacity and generation"; §4 statements).

- :func:`report_generation` — a reported monthly figure for a PV project (generation,
  and self-consumed / exported when known) with its stated source, for months no
  generation meter of the boundary measures; ``manage_projects``; audited.
- :func:`project_generation` — a project's generation per month and per year, each
  month from the first source present: the boundary's generation meters (carrier
  ``solar_pv``), the reported figure, the owners' NY201 太阳能光电发电量
  (:mod:`jieneng.storage.project_generation`; ``docs/projects.md`` §11).
- :func:`period_generation` — the figures a PV project's statement shows: generation,
  self-consumed / exported when every month has them, and the avoided grid electricity
  (= the generation, the platform's convention) in tce and tCO₂ through the factor set's
  electricity coefficients (no coefficient of its own).
- :func:`region_generation` — Σ generation of the PV projects inside a scope in a
  calendar year, in total, by source and per region (for the counts).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, Select, select

from jieneng.core.caller import User
from jieneng.core.carriers import carrier
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.factors.sets import FactorSet
from jieneng.core.permissions import Capability, require
from jieneng.core.projects.lifecycle import State
from jieneng.core.projects.types import ProjectType
from jieneng.core.scope import Filters
from jieneng.services.accounts import audit
from jieneng.storage import project_generation as store
from jieneng.storage.projects import project, visible_condition

from .registry import find_project

KG_PER_T = 1000.0
_FIELDS = ("generation_kwh", "self_consumed_kwh", "exported_kwh")


def _key(month: str) -> int:
    """``2025-03`` → year × 12 + month − 1."""
    try:
        year, mm = (int(x) for x in month.split("-"))
        date(year, mm, 1)
    except ValueError as err:
        raise ValidationFailed.of("project_generation_future", month=month) from err
    return year * 12 + mm - 1


def _label(key: int) -> str:
    return f"{key // 12:04d}-{key % 12 + 1:02d}"


def _check(code: str, month: str, values: dict[str, float | None], source: str) -> None:
    today = datetime.now(UTC).date()
    if _key(month) >= today.year * 12 + today.month - 1:
        raise ValidationFailed.of("project_generation_future", month=month)
    for name, value in values.items():
        if value is not None and value < 0:
            raise ValidationFailed.of("project_generation_negative", field=name, value=value)
    parts = (values["self_consumed_kwh"] or 0.0) + (values["exported_kwh"] or 0.0)
    kwh = float(values["generation_kwh"] or 0.0)
    if parts > kwh * (1 + 1e-9) + 1e-6:
        raise ValidationFailed.of("project_generation_split", code=code, month=month,
                                  parts=round(parts, 3), kwh=round(kwh, 3))
    if not source.strip():
        raise ValidationFailed.of("project_generation_no_source", code=code, month=month)


def report_generation(engine: Engine, user: User, code: str, month: str,
                      generation_kwh: float, *, source: str,
                      self_consumed_kwh: float | None = None,
                      exported_kwh: float | None = None) -> dict[str, Any]:
    """Store (or replace) the reported generation of ``month`` (``2025-03``) of the PV
    project ``code``."""
    require(user, Capability.MANAGE_PROJECTS)
    values = {"generation_kwh": generation_kwh, "self_consumed_kwh": self_consumed_kwh,
              "exported_kwh": exported_kwh}
    _check(code, month, values, source)
    key = _key(month)
    with engine.begin() as conn:
        row = find_project(conn, user.scope, code, lock=True)
        if row.type != ProjectType.PV.value:
            raise ValidationFailed.of("project_generation_not_pv", code=row.code)
        stored = {"project_id": int(row.id), "month": date(key // 12, key % 12 + 1, 1),
                  **values, "source": source.strip(), "entered_by": user.username,
                  "entered_at": datetime.now(UTC)}
        store.write_reported(conn, [stored])
        audit.record(conn, user.actor, "projects.generation", "project", int(row.id),
                     after={"month": month, **values, "source": source.strip()})
    return {"project": row.code, "month": month, **values, "source": source.strip(),
            "entered_by": user.username}


def _one(project_id: int) -> Select[Any]:
    return select(project.c.id).where(project.c.id == project_id)


def _sum(frame: pl.DataFrame, name: str) -> float | None:
    """Σ of a column, None unless every row has it."""
    column = frame[name]
    if frame.height == 0 or column.null_count() > 0:
        return None
    return float(column.sum())


def _month_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [{"label": _label(int(r["key"])), **{f: r[f] for f in _FIELDS},
             "coverage": r["coverage"], "source": r["source"]}
            for r in frame.iter_rows(named=True)]


def project_generation(engine: Engine, user: User, code: str, *, first: str = "2000-01",
                       last: str = "2099-12") -> dict[str, Any]:
    """The generation of the project ``code`` per month and per year (months
    ``first``..``last``)."""
    with engine.connect() as conn:
        row = find_project(conn, user.scope, code)
        frame = store.monthly(conn, _one(int(row.id)), _key(first), _key(last))
    years = (frame.with_columns(year=pl.col("key") // 12).group_by("year").agg(
        pl.col("generation_kwh").sum(), pl.len().alias("months"),
        *(pl.when(pl.col(f).null_count() == 0).then(pl.col(f).sum()).otherwise(None)
          .alias(f) for f in _FIELDS[1:])).sort("year"))
    return {"project": row.code, "type": row.type, "pv_kwp": row.pv_kwp,
            "months": _month_rows(frame),
            "years": [{"year": int(y["year"]), "months": int(y["months"]),
                       **{f: y[f] for f in _FIELDS}} for y in years.iter_rows(named=True)],
            "sources": list(store.SOURCES)}


def avoided(kwh: float, fs: FactorSet, *, year: int, province_code: str | None
            ) -> tuple[float | None, float | None]:
    """(tce, tCO₂) of ``kwh`` of grid electricity through the factor set's electricity
    coefficients (GB/T 2589-2020 and the MEE/NBS factor of the year and province)."""
    c = carrier("electricity")
    kgce = fs.kgce_per_unit(c)
    co2 = fs.co2_kg_per_unit(c, year=year, province_code=province_code).value
    return (None if kgce is None else kwh * kgce / KG_PER_T,
            None if co2 is None else kwh * co2 / KG_PER_T)


def period_generation(conn: Connection, project_row: dict[str, Any], first: date,
                      last: date, fs: FactorSet, *, year: int) -> dict[str, Any] | None:
    """The generation figures of a PV project's statement for the months of
    [``first``, ``last``]; None for a project of another type."""
    if project_row["type"] != ProjectType.PV.value:
        return None
    frame = store.monthly(conn, _one(int(project_row["id"])),
                          first.year * 12 + first.month - 1, last.year * 12 + last.month - 1)
    kwh = float(frame["generation_kwh"].sum()) if frame.height else 0.0
    province = str(project_row["region_code"])[:2] + "0000"
    tce, tco2 = avoided(kwh, fs, year=year, province_code=province)
    months = (last.year * 12 + last.month) - (first.year * 12 + first.month) + 1
    return {"generation_kwh": kwh, "self_consumed_kwh": _sum(frame, "self_consumed_kwh"),
            "exported_kwh": _sum(frame, "exported_kwh"), "avoided_grid_kwh": kwh,
            "avoided_tce": tce, "avoided_tco2": tco2, "months_with_figures": frame.height,
            "months": months, "sources": sorted(set(frame["source"].to_list())),
            "lines": _month_rows(frame)}


def region_generation(conn: Connection, filters: Filters, *, year: int | None
                      ) -> pl.DataFrame:
    """Per (project_id, region_code, source): Σ generation [kWh] of the PV projects
    (not terminated) inside ``filters``, in calendar ``year`` (all years when None)."""
    ids = select(project.c.id).where(project.c.type == ProjectType.PV.value,
                                     project.c.state != State.TERMINATED.value)
    cond = visible_condition(conn, filters)
    if cond is not None:
        ids = ids.where(cond)
    first, last = (year * 12, year * 12 + 11) if year is not None else (1970 * 12, 2200 * 12)
    frame = store.monthly(conn, ids, first, last)
    return frame.group_by("project_id", "region_code", "source").agg(
        pl.col("generation_kwh").sum())
