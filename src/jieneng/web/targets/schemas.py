"""Response models of the targets JSON twins (``/api/v1/targets…``, ``/api/v1/quotas/positions``):
targets (双控目标), their progress and year-end assessment, a cap's decomposition and the
institution targets of the quota rule — the shapes of :mod:`jieneng.services.targets`.

Progress comes in two shapes, told apart by the fields (a cap target — ``kind`` ``cap`` —
has the pace of the year, a reduction target the change achieved); see
:func:`jieneng.services.targets.progress.region_progress`. Changes and reductions are
fractions (0.011 = −1.1 %).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from jieneng.web.figures import RegionRefOut


class TargetOut(BaseModel):
    """A stored target of a region (or, with ``institution_id``, of an institution)."""

    id: int
    region_code: str
    region_name: str
    institution_id: int | None
    year: int
    metric: str = Field(description="the indicator's code (indicator registry)")
    kind: str = Field(description="cap (a total's ceiling) or reduction (of an intensity)")
    value: float = Field(description="a cap in the metric's unit, or a reduction fraction")
    base_year: int | None
    source: str = Field(description="set, import, decomposed, …")
    parent_id: int | None = Field(description="the target it was decomposed from")
    set_at: str | None


class ProgressHeadOut(BaseModel):
    """What every progress item says of its target."""

    region_code: str
    region_name: str
    year: int
    metric: str
    metric_zh: str
    metric_en: str
    kind: str
    value: float = Field(description="the target: a cap, or a reduction fraction")
    target_id: int = Field(description="the target; of a 本级 share, the region's cap it "
                                       "was decomposed from")
    source: str = Field(description="as the target's; inherited: a reduction target of a "
                                    "region above; own_level: the 本级 share of a cap")
    own_level: bool = Field(description="the region's own units (本级): the share of its cap "
                                        "the last decomposition gave them")
    months: int = Field(description="months elapsed (to the last month with a figure)")


class CapProgressOut(ProgressHeadOut):
    """A cap's pace: actual to date, the seasonal allowance, the projection and its range."""

    limit: float = Field(description="the cap")
    actual: float = Field(description="year to date")
    allowance: float = Field(description="the share of the cap the months elapsed may use")
    projected: float | None = Field(description="the year's projected total")
    low: float | None
    high: float | None
    status: str = Field(description="on_track, at_risk, over, …")
    ratio: float | None = Field(description="actual ÷ limit (None for a zero cap)")
    profile_years: int = Field(description="complete past years behind the seasonal profile")


class ReductionProgressOut(ProgressHeadOut):
    """A reduction's progress: the change achieved against the base year's same months."""

    base_year: int
    indicator_value: float | None
    base_value: float | None
    achieved_change: float | None = Field(description="None without a base value")
    required_change: float = Field(description="−value")
    status: str = Field(description="met, not_met (year complete), on_track or at_risk")


Progress = CapProgressOut | ReductionProgressOut


class DecompositionChildOut(BaseModel):
    code: str = Field(description="a child region's code, or the region's own (本级)")
    name: str
    own_level: bool


class TargetsOut(BaseModel):
    """The targets of a region and of its direct children for a year, with progress."""

    region: RegionRefOut
    year: int
    locked_by: str | None = Field(description="the region whose lock covers the year")
    items: list[TargetOut]
    progress: list[Progress]
    children: list[DecompositionChildOut] = Field(
        description="what a decomposition shares among: 本级 (the region's own code) first, "
                    "then the child regions")
    own_level: dict[str, float] = Field(
        description="metric → the 本级 share saved by the last decomposition")


class CapMetOut(CapProgressOut):
    met: bool


class ReductionMetOut(ReductionProgressOut):
    met: bool


class AssessmentRowOut(BaseModel):
    region_code: str
    region_name: str
    own_level: bool = Field(description="the region's own units (本级), first")
    targets: list[CapMetOut | ReductionMetOut]
    all_met: bool


class AssessmentOut(BaseModel):
    """The year-end assessment (目标绩效考核) of the region's children and 本级."""

    region: RegionRefOut
    year: int
    items: None = Field(description="always null (the progress items are in ``rows``)")
    rows: list[AssessmentRowOut]
    sort: str = Field(description="region, met or unmet")


class InstitutionProgressOut(BaseModel):
    """An institution target's change achieved so far against its base year."""

    target_id: int
    institution_id: int
    region_code: str
    region_name: str
    year: int
    metric: str
    months: int
    value: float = Field(description="the reduction required, a fraction")
    base_year: int
    indicator_value: float | None
    base_value: float | None
    achieved_change: float | None
    required_change: float
    status: str = Field(description="met, not_met (year complete), on_track or at_risk")


class InstitutionTargetsOut(BaseModel):
    region_code: str
    items: list[TargetOut]
    progress: list[InstitutionProgressOut]


class AllocationOut(BaseModel):
    """A child region's share of the cap."""

    code: str
    name: str
    base: float = Field(description="the child's base-year figure (with category factors)")
    factor: float
    amount: float = Field(description="its cap")
    overridden: bool = Field(description="the amount was given")
    own_level: bool = Field(description="the region's own units (本级), under its own code")


class DecompositionOut(BaseModel):
    """A cap decomposed among the child regions (saved with ``save``)."""

    region: RegionRefOut
    year: int
    metric: str
    base_year: int
    parent_cap: float
    parent_id: int
    own_level_base: float = Field(description="the region's own units' (本级) base; they are "
                                  "one of the children, under the region's own code")
    category_factors: dict[str, float] = Field(description="category → factor, as given")
    allocated: float
    unallocated: float
    children: list[AllocationOut]


class QuotaTargetOut(BaseModel):
    """An institution's target by the quota rule."""

    institution_id: int
    credit_code: str
    name: str
    region_code: str
    indicator: str
    base_year: int
    base_value: float
    position: str = Field(description="where the base value stands against the quota")
    change: float = Field(description="the rule's change, a fraction")
    target_value: float
    reduction: float = Field(description="stored reduction (a permitted rise is negative)")


class QuotaPlanOut(BaseModel):
    region: RegionRefOut
    year: int
    items: list[QuotaTargetOut]
    saved: bool


class QuotaPositionOut(BaseModel):
    """An institution's value against an assigned quota (定额)."""

    institution_id: int
    credit_code: str
    name: str
    region_code: str
    category: str
    indicator: str
    indicator_name: str
    value: float | None = Field(description="None: no figure")
    computed: bool = Field(description="computed by the platform (else stored)")
    constraint_value: float = Field(description="约束值")
    benchmark_value: float = Field(description="基准值")
    guide_value: float = Field(description="引导值")
    unit: str
    quota_id: int
    position: str | None = Field(description="below_guide … above_constraint; None: no value")
    position_zh: str | None
    position_en: str | None


class QuotaPositionsOut(BaseModel):
    region: RegionRefOut
    year: int
    counts: dict[str, int] = Field(description="position → institutions")
    items: list[QuotaPositionOut]
