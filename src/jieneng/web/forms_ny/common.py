"""What the NY202 / NY203 pages share: query parameters, the forms' fields, the list
columns (page, JSON and workbook read the same keys), labels, the default period."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from jieneng.core.forms_ny import DEFAULT_TARGETS, PueTargets, current
from jieneng.core.listing import Column
from jieneng.core.messages import text
from jieneng.web.common import previous_month

ENTRY = "pages/datacentre.html"
SUMMARY = "pages/datacentre_summary.html"
CodeQ = Annotated[str, Query(max_length=18, pattern=r"^[0-9A-Za-z]*$")]
RegionQ = Annotated[str, Query(max_length=12, pattern=r"^[0-9]*$")]
YearQ = Annotated[int | None, Query(ge=2000, le=2100)]
MonthQ = Annotated[int | None, Query(ge=0, le=12)]
TargetQ = Annotated[float | None, Query(gt=0, le=10)]
NY202 = current("NY202")
NY203 = current("NY203")

#: the columns of the rooms list (page, JSON and workbook read the same keys)
ROOM_COLUMNS: tuple[Column, ...] = (
    Column("credit_code", "forms_ny.institution", "code"),
    Column("institution_name", "forms_ny.institution", names=("单位名称", "Institution")),
    Column("room_code", "forms_ny.room_code", "code"),
    Column("room_name", "forms_ny.room_name"),
    Column("status_label", "forms_ny.room_status"),
    Column("elec_total", "forms_ny.elec_total", "number", 0),
    Column("elec_it", "forms_ny.elec_it", "number", 0),
    Column("pue", "forms_ny.pue", "number", 2),
    Column("source_label", "forms_ny.pue_source"),
    Column("target", "forms_ny.target", "number", 2),
    Column("above_label", "forms_ny.above"),
)
#: the summary's rooms list: the kWh its PUE used (the meters' when the PUE is metered,
#: the form's otherwise) and where they come from, so a row's figures agree with its PUE
SUMMARY_ROOM_COLUMNS: tuple[Column, ...] = tuple(
    Column("total_used", "forms_ny.elec_total", "number", 0) if c.key == "elec_total"
    else Column("it_used", "forms_ny.elec_it", "number", 0) if c.key == "elec_it"
    else Column("source_label", "forms_ny.figures_source") if c.key == "source_label"
    else c for c in ROOM_COLUMNS)
HEATING_COLUMNS: tuple[Column, ...] = (
    Column("credit_code", "forms_ny.institution", "code"),
    Column("institution_name", "forms_ny.institution", names=("单位名称", "Institution")),
    Column("heated_area", "forms_ny.heated_area", "number", 0),
    Column("area_independent", "forms_ny.area_independent", "number", 0),
    Column("area_central_by_area", "forms_ny.area_central_by_area", "number", 0),
    Column("area_central_by_heat", "forms_ny.area_central_by_heat", "number", 0),
    Column("heating_energy", "forms_ny.heating_energy", "number", 0),
    Column("energy_per_m2", "forms_ny.heating_per_m2", "number", 2),
)


#: the English of the forms' units (the forms write them in Chinese)
UNITS_EN = {"个": "count", "元": "yuan", "兆瓦": "MW", "千瓦": "kW", "千瓦时": "kWh", "升": "L",
            "吉焦": "GJ", "吨": "t", "吨/小时": "t/h", "吨标准煤": "tce", "天": "days",
            "平方米": "m²", "立方米": "m³"}


def period_of(year: int | None, month: int | None) -> tuple[int, int]:
    last_year, last_month = previous_month()
    return (year or last_year, last_month if month is None else month)


def targets_of(new: float | None, existing: float | None) -> PueTargets:
    return PueTargets(new=new or DEFAULT_TARGETS.new,
                      existing=existing or DEFAULT_TARGETS.existing)


def labelled(lang: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with the status, PUE source and above-target texts of ``lang``."""
    return [{**r,
             "status_label": text(lang, f"forms_ny.status.{r.get('room_status') or 'existing'}"),
             "source_label": (text(lang, f"forms_ny.source.{r['pue_source']}")
                              if r.get("pue_source") else ""),
             "above_label": text(lang, "forms_ny.above") if r.get("above") else ""}
            for r in rows]
