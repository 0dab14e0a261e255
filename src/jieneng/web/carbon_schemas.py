"""Response models of the carbon pages' JSON twins (:mod:`jieneng.web.carbon`,
:mod:`jieneng.web.carbon_points`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class FactorOut(BaseModel):
    code: str
    value: float | None = Field(description="[kgCO₂ per unit]; null: no factor (refused)")
    unit: str
    status: str
    source: str
    note: str | None = None
    set_by: str | None = None


class ModeOut(FactorOut):
    category: str
    label: str
    unit_label: str
    method: str = Field(description="factor_set | none")


class EventRowOut(BaseModel):
    id: int
    name: str
    place: str | None
    start_date: date
    end_date: date
    attendees: int
    year: int
    credit_code: str
    institution_name: str
    region_code: str
    by_category: dict[str, float] = Field(description="[tCO₂] per source")
    total_t: float = Field(description="emissions [tCO₂]")
    offsets_t: float
    net_t: float
    neutral: bool


class WithdrawnOut(BaseModel):
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None
    withdrawn_reason: str | None = None


class WithdrawnEventOut(WithdrawnOut):
    id: int
    name: str
    start_date: date
    credit_code: str
    institution_name: str


class EventListOut(BaseModel):
    items: list[EventRowOut]
    total: int
    factors: list[ModeOut] = Field(description="the modes and their factors for the "
                                   "caller's region this year")
    withdrawn: list[WithdrawnEventOut] = Field(default_factory=list, description=(
        "withdrawn events (kept, out of every total): who, when, why"))


class LineOut(BaseModel):
    code: str
    category: str
    quantity: float
    unit: str
    kg: float = Field(description="[kgCO₂]")
    t: float = Field(description="[tCO₂]")
    factor: FactorOut


class OffsetOut(WithdrawnOut):
    id: int
    kind: str
    quantity_t: float
    description: str | None = None
    file_name: str | None = None
    content_type: str | None = None
    sha256: str | None = None
    size_bytes: int | None = None
    recorded_by: str | None = None
    recorded_at: datetime | None = None


class EventDetailOut(BaseModel):
    event: dict[str, Any]
    factor_set: str
    lines: list[LineOut]
    by_category: dict[str, float]
    total_t: float
    per_attendee_kg: float
    offsets: list[OffsetOut]
    withdrawn_offsets: list[OffsetOut] = Field(default_factory=list, description=(
        "withdrawn offsets (kept with their evidence, out of Σ offsets)"))
    emissions_t: float
    offsets_t: float
    net_t: float
    neutral: bool = Field(description="碳中和: offsets ≥ emissions (指南 第三条)")


class CreatedOut(BaseModel):
    id: int
    url: str
    total_t: float
    neutral: bool


class OffsetCreatedOut(BaseModel):
    id: int
    event_id: int
    kind: str
    quantity_t: float
    description: str | None = None
    file_name: str | None = None
    sha256: str | None = None
    size_bytes: int | None = None


class FactorSetOut(BaseModel):
    mode: str
    value: float | None
    source: str | None


class StaffOut(BaseModel):
    rank: int
    staff_code: str
    display_name: str
    credit_code: str
    institution_name: str
    points: float
    co2_kg: float
    entries: int


class UnitOut(BaseModel):
    credit_code: str
    name: str
    region_code: str
    staff: int
    points: float
    co2_kg: float
    per_capita: float | None
    rank_total: int
    rank_per_capita: int


class MonthOut(BaseModel):
    month: str
    points: float
    co2_kg: float
    entries: int


class RuleOut(BaseModel):
    action: str
    label: str
    unit: str
    unit_label: str
    points_per_unit: float
    co2_method: str
    carrier: str
    daily_cap: float | None
    status: str
    source: str
    notes: str


class RuleSetOut(BaseModel):
    version: int
    name: str
    sha256: str
    loaded_by: str
    loaded_at: datetime | None


class PointsOut(BaseModel):
    period: dict[str, str]
    staff: list[StaffOut]
    staff_total: int
    institutions: list[UnitOut]
    months: list[MonthOut]
    totals: dict[str, float]
    rules: list[RuleOut]
    rule_version: int = Field(0, description="the version of the rules in force (0: the "
                              "shipped data/carbon/point_rules.csv)")
    rule_sets: list[RuleSetOut] = Field(default_factory=list)


class PointsImportOut(BaseModel):
    file: str
    rows: int
    added: int
    skipped: int
    staff_added: int
    points: float
    co2_kg: float
    dry_run: bool
    rule_version: int = Field(0, description="the rules version that scored the entries")


class EntryOut(WithdrawnOut):
    id: int
    entry_date: date
    action: str
    #: the action's label in the rule version that scored the entry
    action_zh: str
    action_en: str
    quantity: float
    counted: float
    points: float
    co2_kg: float
    rule_version: int
    staff_code: str
    display_name: str
    credit_code: str
    institution_name: str
    recorded_by: str


class EntriesOut(BaseModel):
    period: dict[str, str]
    items: list[EntryOut]
    total: int
    limit: int


class EntryCorrectedOut(BaseModel):
    id: int
    quantity: float
    counted: float
    points: float
    co2_kg: float
    rule_version: int


class WithdrawnDoneOut(WithdrawnOut):
    id: int
    withdrawn: bool
    event_id: int | None = None


class OffsetCorrectedOut(BaseModel):
    id: int
    event_id: int
    kind: str
    quantity_t: float
    description: str | None = None


class RulesLoadOut(BaseModel):
    file: str
    rules: int
    version: int
    unchanged: bool
    added: list[str]
    removed: list[str]
    changed: list[str]
    dry_run: bool
