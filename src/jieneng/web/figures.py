"""Response models of the statistics figures shared by the JSON API: the headline
figures of a selection (:class:`jieneng.core.indicators.IndicatorResult`), their
previous year and year-on-year change, the factor set used, the per-carrier detail
and the basis of the computation — the shapes of
:func:`jieneng.services.statistics.indicators.compute`, the overview, the explanation and the
public screen.

The headline figures are those of the indicator registry
(:data:`jieneng.core.indicator_registry.HEADLINE`); a test checks the models name
exactly those. Units as in the registry: ``energy_tce`` [tce], ``water_m3`` [m³],
``co2_t`` [tCO₂], per capita [kgce/人, m³/人], per area [kgce/m², kgCO₂/m²]; a
ratio is None when its denominator is 0.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class RegionRefOut(BaseModel):
    code: str | None = Field(description="行政区划代码 region code (None: the whole scope)")
    name: str | None = Field(description="区域名称 region name")


class HeadlineChangeOut(BaseModel):
    """One value per headline figure: a change (同比, fraction; None without a base)
    or a figure itself (None when not computable or not published)."""

    energy_tce: float | None = Field(description="能源消费总量 energy use [tce]")
    water_m3: float | None = Field(description="用水总量 water [m³]")
    co2_t: float | None = Field(description="碳排放总量 CO₂ [t]")
    energy_per_capita_kgce: float | None = Field(description="人均综合能耗 [kgce/人]")
    energy_per_area_kgce_m2: float | None = Field(description="单位建筑面积能耗 [kgce/m²]")
    water_per_capita_m3: float | None = Field(description="人均用水量 [m³/人]")
    co2_per_area_kg_m2: float | None = Field(description="单位建筑面积碳排放 [kgCO₂/m²]")


class HeadlineOut(BaseModel):
    """The headline figures of a group and the counts behind them."""

    energy_tce: float = Field(description="能源消费总量 energy use [tce]")
    water_m3: float = Field(description="用水总量 water [m³]")
    co2_t: float = Field(description="碳排放总量 CO₂ [t]")
    energy_per_capita_kgce: float | None = Field(description="人均综合能耗 [kgce/人]")
    energy_per_area_kgce_m2: float | None = Field(description="单位建筑面积能耗 [kgce/m²]")
    water_per_capita_m3: float | None = Field(description="人均用水量 [m³/人]")
    co2_per_area_kg_m2: float | None = Field(description="单位建筑面积碳排放 [kgCO₂/m²]")
    institutions_expected: int = Field(description="应报单位数 institutions expected")
    institutions_reported: int = Field(description="已报单位数 institutions that reported")


class HeadlineYoyOut(HeadlineOut):
    """Headline figures with the previous year's and the year-on-year change."""

    previous_year: HeadlineOut = Field(description="上年同期 the same months a year before")
    yoy: HeadlineChangeOut = Field(description="同比 change, a fraction (0.05 = +5 %)")


class CoefficientOut(BaseModel):
    """A carrier's standard-coal coefficient in a factor set."""

    carrier: str
    fuel: str
    kgce_per_unit: float | None = Field(description="折标准煤系数 per canonical unit")
    unit: str = Field(examples=["kgce/kWh"])
    source_value: float | None = Field(description="the value as in the source")
    source_unit: str | None
    density_kg_per_l: float | None
    status: str = Field(description="official, derived, … or not_applicable")
    source: str | None
    notes: str | None


class Co2FactorOut(BaseModel):
    """The electricity CO₂ factor applied (:class:`jieneng.core.factors.co2.FactorValue`)."""

    value: float | None = Field(description="kgCO₂ per kWh; None: no factor")
    source: str
    status: str
    year_used: int | None = Field(description="data year of the factor actually applied")
    note: str | None = Field(description="why it differs from what was asked (zh / en)")
    scope: str | None = Field(description="national, regional or provincial")
    area: str | None
    unit: str


class FactorSetUsedOut(BaseModel):
    """The factor set of a computation (:meth:`FactorSet.describe`)."""

    name: str
    title_zh: str
    title_en: str
    edition: str
    default: bool = Field(description="the platform's default set")
    electricity_co2_scope: str
    source_notes: list[str]
    coefficients: list[CoefficientOut]
    electricity_co2: Co2FactorOut | None = Field(description="电力排放因子 applied")


class CarrierFigureOut(BaseModel):
    """One carrier's share of a group's figures."""

    carrier: str
    name_zh: str
    name_en: str
    quantity: float = Field(description="quantity in the canonical unit")
    unit: str
    cost_yuan: float = Field(description="费用 cost [元]")
    kgce_per_unit: float | None = Field(description="None: not counted in energy use")
    energy_tce: float | None
    co2_kg_per_unit: float | None = Field(description="None: no CO₂ factor")
    co2_t: float | None


class BasisOut(BaseModel):
    """The rules a computation applied."""

    ratios: str = Field(description="ratio_of_sums: intensities are Σ numerator / Σ denominator")
    energy_carriers: list[str]
    not_in_energy: list[str]
    co2_excluded: list[str] = Field(description="carriers with figures but no CO₂ factor")
    area_excludes_vehicle_fuel: bool
    area_excluded_carriers: list[str]
    per_capita_denominator: str
    per_area_denominator: str
    year: int
    province_code: str | None
    references: list[str]


class IndicatorResultOut(HeadlineYoyOut):
    """A group's figures with how they were computed."""

    factor_set: FactorSetUsedOut
    by_carrier: list[CarrierFigureOut]
    basis: BasisOut
    notes: list[str] = Field(description="notes on the computation, zh / en")


class ExplainKeyOut(BaseModel):
    """The query of ``/api/v1/explain`` that shows how a figure is made."""

    region_code: str | None
    year: int
    months: list[int] | None = Field(description="[first, last]; None: the whole year")
    category: str | None
    institution_code: str | None
    own_level: bool = Field(description="本级: the region's own institutions only")


class CategoryNameOut(BaseModel):
    code: str
    name_zh: str
    name_en: str


class IndicatorGroupOut(IndicatorResultOut):
    """One group's figures (a child region, a category or an institution)."""

    code: str = Field(description="the group's code: region, category or credit code")
    name: str


class IndicatorsOut(IndicatorResultOut):
    """Headline indicators of a selection (``/api/v1/indicators``,
    :func:`jieneng.services.statistics.indicators.compute`)."""

    region: RegionRefOut
    year: int
    months: list[int] = Field(description="[first, last] month")
    dataset_label: str | None = Field(description="数据集标签, e.g. 演示数据")
    groups: list[IndicatorGroupOut] | None = Field(
        default=None, description="with ``group_by`` only (absent otherwise)")
