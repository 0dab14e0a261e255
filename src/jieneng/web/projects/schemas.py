"""Response models of the project pages' JSON twins (``/api/v1/projects…``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class RegionRef(BaseModel):
    code: str | None
    name: str | None


class OwnerOut(BaseModel):
    credit_code: str
    name: str


class ProjectRow(BaseModel):
    code: str
    name: str
    type: str = Field(description="项目类型 code")
    subtype: str | None = Field(description="合同类型 code (EPC, 合同节水)")
    kind_label: str
    subtype_label: str
    state: str
    state_label: str
    region_code: str
    region_name: str | None
    owners: list[OwnerOut]
    owners_text: str
    esco: str | None
    year: str
    investment: float | None = Field(description="投资 [万元]")
    investment_yuan: float | None = Field(description="投资 [元]")
    expected_tce: float | None = Field(description="预计年节能量 [tce/年]")
    area_m2: float | None = None
    pv_kwp: float | None = None
    heat_pumps: int | None = None


class CountOut(BaseModel):
    key: str
    label: str
    value: float | None
    unit: str
    digits: int


class MapProject(BaseModel):
    code: str
    name: str
    kind: str
    state: str
    value: float = Field(description="the tile's size: 投资 [万元], or 1 without one")
    color: str


class MapRegion(BaseModel):
    code: str
    name: str
    count: int
    value: float
    projects: list[MapProject]


class MapOut(BaseModel):
    regions: list[MapRegion]


class ProjectList(BaseModel):
    region: RegionRef
    items: list[ProjectRow]
    total: int
    page: int
    per_page: int
    counts: list[CountOut] = Field(description="what the notices count, over the filter")
    map: MapOut


class MoveOut(BaseModel):
    target: str
    label: str
    capability: str
    needs_reason: bool


class StepOut(BaseModel):
    code: str
    label: str
    done: bool
    current: bool


class EventOut(BaseModel):
    from_state: str | None
    to_state: str
    from_label: str | None
    to_label: str
    actor: str
    at: Any = Field(description="UTC")
    reason: str | None


class LifecycleOut(BaseModel):
    state: str
    state_label: str
    final: bool
    steps: list[StepOut]
    moves: list[MoveOut] = Field(description="the moves the caller may make now")
    history: list[EventOut]


class ProjectDetail(BaseModel):
    project: dict[str, Any]
    lifecycle: LifecycleOut
    contract: dict[str, Any] | None
    boundary: list[dict[str, Any]]
    measures: list[dict[str, Any]]
    savings: dict[str, Any] = Field(description="to date, the model, the monthly chart")
    statements: list[dict[str, Any]]
    settlements: list[dict[str, Any]]
    adjustments: list[dict[str, Any]]


class MoveIn(BaseModel):
    target: str = Field(max_length=16, description="the state to move to")
    reason: str | None = Field(default=None, max_length=2000)


class MovedOut(BaseModel):
    code: str
    state: str
    state_label: str


class CreatedOut(BaseModel):
    code: str
    state: str
    url: str
