"""The response and request models of the NY202 / NY203 JSON twins."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RoomOut(BaseModel):
    room_id: int
    institution_id: int
    room_code: str
    room_name: str
    room_status: str = Field(description="new / existing (the platform's convention)")
    year: int | None = None
    month: int | None = Field(default=None, description="0 = annual report")
    area: float | None = None
    cabinets: int | None = None
    cabinets_reserved: int | None = None
    power_total: float | None = None
    power_it: float | None = None
    power_cooling: float | None = None
    power_distribution: float | None = None
    elec_total: float | None = Field(default=None, description="240 机房总用电量 kWh")
    elec_it: float | None = Field(default=None, description="2401 IT设备用电量 kWh")
    elec_cooling: float | None = None
    elec_distribution: float | None = None
    source: str | None = None
    revision: int | None = None
    pue_form: float | None = None
    pue_meter: float | None = None
    pue: float | None = Field(default=None, description="null when IT electricity is 0")
    pue_source: str | None = Field(default=None, description="meter / form")
    target: float | None = None
    above: bool | None = None
    meters: dict[str, str | None] = Field(default_factory=dict, description="role → meter")


class HeatingOut(BaseModel):
    institution_id: int
    year: int
    month: int
    heated_area: float | None = None
    area_independent: float | None = None
    area_central_by_area: float | None = None
    area_central_by_heat: float | None = None
    heating_days: int | None = None
    heating_energy: float | None = None
    energy_per_m2: float | None = None


class InstitutionRef(BaseModel):
    id: int
    credit_code: str
    name: str


class Period(BaseModel):
    year: int
    month: int


class InstitutionFormsOut(BaseModel):
    institution: InstitutionRef
    period: Period
    rooms: list[RoomOut]
    heating: HeatingOut | None


class SummaryRoomOut(RoomOut):
    credit_code: str
    institution_name: str
    region_code: str
    total_used: float | None = Field(default=None, description="机房总用电量 kWh its PUE "
                                     "used: the meters' when pue_source is meter, else 240")
    it_used: float | None = Field(default=None, description="IT设备用电量 kWh its PUE used")


class TotalsOut(BaseModel):
    rooms: int
    elec_total: float
    elec_it: float
    pue_rooms: int = Field(description="rooms whose PUE is defined")
    pue_total: float
    pue_it: float
    pue: float | None = Field(description="Σ total ÷ Σ IT over pue_rooms")


class TargetsOut(BaseModel):
    new: float
    existing: float
    source_new: str
    source_existing: str


class HeatingTotalsOut(BaseModel):
    institutions: int
    heated_area: float
    area_independent: float
    area_central_by_area: float
    area_central_by_heat: float
    heating_energy: float
    energy_per_m2: float | None


class SummaryHeatingOut(HeatingOut):
    credit_code: str
    institution_name: str


class SummaryOut(BaseModel):
    period: Period
    region_code: str | None
    targets: TargetsOut
    rooms: list[SummaryRoomOut]
    totals: TotalsOut
    above: list[SummaryRoomOut]
    heating: HeatingTotalsOut
    heating_rows: list[SummaryHeatingOut]


class RoomFiguresIn(BaseModel):
    credit_code: str = Field(max_length=18)
    room_code: str = Field(max_length=32)
    year: int = Field(ge=2000, le=2100)
    month: int = Field(ge=0, le=12, description="0 = annual report")
    values: dict[str, float | None] = Field(description="field key → value (NY202)")


class CountsOut(BaseModel):
    inserted: int
    revised: int
    unchanged: int
