"""Response models and bodies of the year grid, the 上报 from the form and the
基本信息 (NY101) twins."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from jieneng.web.schemas import StoredBriefOut


class CellOut(StoredBriefOut):
    """A carrier's current figure of a month."""

    source: str = Field(description="manual, file, meter, grid or demo")
    revision: int = Field(description="修订号 revision")


class TotalsOut(BaseModel):
    energy_tce: float | None = Field(description="综合能耗 [tce] (None: no figures)")
    cost_yuan: float | None = Field(description="费用合计 [元]")


class GridTaskOut(BaseModel):
    """The month's 月报 (or the year's 年报) of the institution."""

    id: int
    state: str
    state_zh: str
    state_en: str
    version: int
    kind: str = Field(description="monthly or annual")
    locked: bool = Field(description="submitted or approved: the figures are read-only")
    can_submit: bool = Field(description="上报 is possible now")
    deadline: str | None


class GridMeteredOut(BaseModel):
    """来自计量: a carrier's metered figure of the month (docs/metered-statistics.md)."""

    quantity: float = Field(description="metered quantity in the canonical unit")
    origin: str = Field(description="accounts (户号) or meters (计量表)")
    completeness: float | None
    source_zh: str
    source_en: str
    applied: bool = Field(description="the stored figure is the metered one (read-only)")
    differs: bool
    shown: bool
    override: dict[str, Any] | None = Field(
        description="覆盖: quantity, metered_quantity, reason, by, at — or None")


class GridMonthOut(BaseModel):
    month: int
    values: dict[str, CellOut] = Field(description="carrier → the month's figure")
    last_year: dict[str, CellOut] = Field(description="carrier → the month last year")
    totals: TotalsOut
    last_year_totals: TotalsOut
    locked: bool = Field(description="read-only: its 月报 or the 年报 is submitted/approved")
    locked_state: str | None
    task: GridTaskOut | None
    metered: dict[str, GridMeteredOut] = Field(
        default_factory=dict, description="carrier → the month's metered figure")


class GridCarrierOut(BaseModel):
    carrier: str
    name_zh: str
    name_en: str
    unit: str = Field(description="canonical unit (the grid's quantities)")
    unit_zh: str
    counts_in_energy: bool
    kgce_per_unit: float | None = Field(description="折标准煤系数 [kgce per unit]")


class CarrierTotalOut(BaseModel):
    quantity: float | None
    cost_yuan: float | None
    last_year_quantity: float | None


class GridInstitutionOut(BaseModel):
    credit_code: str
    name: str
    region_code: str
    status: str


class YearGridOut(BaseModel):
    institution: GridInstitutionOut
    year: int
    carriers: list[GridCarrierOut]
    months: list[GridMonthOut] = Field(description="1 … 12")
    annual_task: GridTaskOut | None
    totals: dict[str, CarrierTotalOut] = Field(description="carrier → the year's sums")
    energy_tce: float | None
    cost_yuan: float | None
    last_year_energy_tce: float | None
    last_year_cost_yuan: float | None


class GridLine(BaseModel):
    """One carrier's figure as typed: quantity, unit (default: canonical), cost [元]."""

    carrier: str = Field(max_length=40, examples=["electricity"])
    value: float | str | None = Field(default=None, examples=["12,345"])
    unit: str | None = Field(default=None, max_length=20, examples=["kWh"])
    cost_yuan: float | str | None = Field(default=None, examples=[9800])


class GridMonthIn(BaseModel):
    month: int = Field(ge=1, le=12)
    values: list[GridLine] = Field(max_length=50)


class YearIn(BaseModel):
    months: list[GridMonthIn] = Field(max_length=12)


class GridFindingOut(BaseModel):
    code: str
    field: str
    carrier: str
    message_zh: str
    message_en: str
    # free-form by nature: the figures each finding code quotes (values, limits, units)
    details: dict[str, Any]
    severity: str
    month: int


class YearSavedOut(BaseModel):
    institution: str
    year: int
    months: list[int] = Field(description="the months written")
    user: str
    inserted: int
    revised: int
    unchanged: int
    warnings: list[GridFindingOut]


class SubmitIn(BaseModel):
    version: int | None = Field(default=None, description="the task version read")


class SubmittedOut(BaseModel):
    id: int
    from_state: str
    state: str
    version: int


class ProfileFieldOut(BaseModel):
    name: str
    integer: bool = Field(description="a count (whole number)")
    label: str = Field(description="the catalogue key of its label")


class ProfileValuesOut(BaseModel):
    occupants: int | None = Field(description="用能人数")
    staff_quota: int | None = Field(description="编制人数")
    floor_area_m2: float | None = Field(description="建筑面积 [m²]")
    heated_area_m2: float | None = Field(description="采暖面积 [m²]")
    vehicles_gasoline: int | None = Field(description="汽油车 [辆]")
    vehicles_diesel: int | None = Field(description="柴油车 [辆]")
    vehicles_nev: int | None = Field(description="新能源汽车 [辆]")


class ProfileIn(BaseModel):
    occupants: float | str | None = None
    staff_quota: float | str | None = None
    floor_area_m2: float | str | None = None
    heated_area_m2: float | str | None = None
    vehicles_gasoline: float | str | None = None
    vehicles_diesel: float | str | None = None
    vehicles_nev: float | str | None = None


class ProfileOut(BaseModel):
    institution: GridInstitutionOut
    year: int
    fields: list[ProfileFieldOut]
    values: ProfileValuesOut
    last_year: ProfileValuesOut
    locked: str | None = Field(description="the 年报's state while it locks the record")


class ProfileSavedOut(BaseModel):
    institution: str
    year: int
    values: ProfileValuesOut
    user: str
