"""Headline indicators of a group of institutions, from additive sums.

:class:`AggregateInputs` holds sums over the institutions of a group for a period;
sums of groups add up (``a + b``). :func:`compute_indicators` turns them into the
four headline intensities and the totals, each a **ratio of sums** over the
institutions that reported a non-zero denominator — never an average of the
institutions' own ratios.

Rules (stated in every result's ``basis``)
-----------------------------------------
- 能源消费总量 [tce] = Σ quantity × coefficient over carriers counted in energy
  (water and solar PV are not), ÷ 1000.
- 人均综合能耗 [kgce/人] = Σ energy of institutions with 用能人数 > 0 ÷ Σ 用能人数.
- 单位建筑面积能耗 [kgce/m²] = Σ energy of institutions with 建筑面积 > 0 ÷ Σ
  建筑面积, excluding vehicle fuel (汽油/柴油-车辆用油) unless told otherwise.
- 人均用水量 [m³/人] = Σ water of institutions with 用能人数 > 0 ÷ Σ 用能人数.
- 单位建筑面积碳排放 [kgCO₂/m²] = Σ CO₂ of institutions with 建筑面积 > 0 ÷ Σ
  建筑面积, with the same vehicle-fuel exclusion.

References
----------
- 公共机构能源资源消费统计调查制度 indicators 人均综合能耗, 单位建筑面积能耗,
  人均用水量, 单位建筑面积碳排放 (``reference-data.md`` §2.3).
- GB/T 2589-2020 《综合能耗计算通则》 (综合能耗 = Σ quantity × coefficient).
- DB11/T 1958-2022 《党政机关能源消耗定额》: per-area indicators exclude transport
  (and heating for the non-heating indicator); GB/T 51161-2016 《民用建筑能耗标准》
  scope: building energy, not transport (``reference-data.md`` §2.4).
- 建筑面积 and 用能人数 definitions: 2009 form notes; GB/T 40498-2021 Annex A.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from .carriers import CARRIER_CODES, CARRIERS, Carrier
from .exceptions import ValidationFailed
from .factors.sets import FactorSet
from .indicator_registry import HEADLINE, change
from .messages import text

__all__ = ["HEADLINE_FIGURES", "AggregateInputs", "IndicatorResult", "change",
           "compute_indicators", "yoy"]

#: Keys of the headline figures, in display order (:mod:`jieneng.core.indicator_registry`).
HEADLINE_FIGURES: tuple[str, ...] = HEADLINE


def _add(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    out = dict(a)
    for key, value in b.items():
        out[key] = out.get(key, 0.0) + value
    return out


@dataclass(frozen=True, slots=True)
class AggregateInputs:
    """Additive sums over the institutions of a group for a period.

    Attributes
    ----------
    institutions_expected : int
        Active institutions in the group.
    institutions_reported : int
        Those with at least one figure in the period.
    quantity : dict[str, float]
        Carrier code → Σ quantity [canonical unit] over reported institutions.
    quantity_with_occupants : dict[str, float]
        The same over reported institutions whose 用能人数 > 0.
    quantity_with_area : dict[str, float]
        The same over reported institutions whose 建筑面积 > 0.
    cost_yuan : dict[str, float]
        Carrier code → Σ cost [元].
    occupants : float
        Σ 用能人数 [人] over reported institutions with 用能人数 > 0.
    floor_area_m2 : float
        Σ 建筑面积 [m²] over reported institutions with 建筑面积 > 0.
    """

    institutions_expected: int = 0
    institutions_reported: int = 0
    quantity: dict[str, float] = field(default_factory=dict)
    quantity_with_occupants: dict[str, float] = field(default_factory=dict)
    quantity_with_area: dict[str, float] = field(default_factory=dict)
    cost_yuan: dict[str, float] = field(default_factory=dict)
    occupants: float = 0.0
    floor_area_m2: float = 0.0

    @classmethod
    def empty(cls, **values: Any) -> AggregateInputs:
        """Zero sums; keyword arguments set fields (``empty(institutions_expected=3)``)."""
        return cls(**values)

    @classmethod
    def total(cls, parts: Iterable[AggregateInputs]) -> AggregateInputs:
        """Σ of ``parts``: the same floats as ``empty() + p1 + p2 + …`` (the same
        additions in the same order), without building an intermediate per part."""
        expected = reported = 0
        q: dict[str, float] = {}
        q_occ: dict[str, float] = {}
        q_area: dict[str, float] = {}
        cost: dict[str, float] = {}
        occupants = area = 0.0
        for p in parts:
            expected += p.institutions_expected
            reported += p.institutions_reported
            for acc, values in zip((q, q_occ, q_area, cost), (p.quantity, p.quantity_with_occupants,
                                          p.quantity_with_area, p.cost_yuan), strict=True):
                for key, value in values.items():
                    acc[key] = acc.get(key, 0.0) + value
            occupants += p.occupants
            area += p.floor_area_m2
        return cls(expected, reported, q, q_occ, q_area, cost, occupants, area)

    def __add__(self, other: AggregateInputs) -> AggregateInputs:
        if not isinstance(other, AggregateInputs):
            return NotImplemented
        return AggregateInputs(
            institutions_expected=self.institutions_expected + other.institutions_expected,
            institutions_reported=self.institutions_reported + other.institutions_reported,
            quantity=_add(self.quantity, other.quantity),
            quantity_with_occupants=_add(
                self.quantity_with_occupants, other.quantity_with_occupants
            ),
            quantity_with_area=_add(self.quantity_with_area, other.quantity_with_area),
            cost_yuan=_add(self.cost_yuan, other.cost_yuan),
            occupants=self.occupants + other.occupants,
            floor_area_m2=self.floor_area_m2 + other.floor_area_m2,
        )

    def validate(self) -> None:
        """Raise :class:`ValidationFailed` for an unknown carrier code or a
        negative or non-finite sum."""
        for name in ("quantity", "quantity_with_occupants", "quantity_with_area", "cost_yuan"):
            values: dict[str, float] = getattr(self, name)
            for code, value in values.items():
                if code not in CARRIER_CODES:
                    raise ValidationFailed.of(
                        "indicators.unknown_carrier_code", name=name, code=code,
                        known=', '.join(CARRIER_CODES),
                    )
                if not math.isfinite(value) or value < 0:
                    raise ValidationFailed.of(
                        "indicators.carrier_not_finite", name=name, code=code, value=value,
                    )
        for name in ("occupants", "floor_area_m2"):
            number: float = getattr(self, name)
            if not math.isfinite(number) or number < 0:
                raise ValidationFailed.of("indicators.not_finite", name=name, number=number)


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    """Totals and intensities of a group, with how they were computed.

    Units: ``energy_tce`` [tce], ``water_m3`` [m³], ``co2_t`` [tCO₂],
    ``energy_per_capita_kgce`` [kgce/人], ``energy_per_area_kgce_m2`` [kgce/m²],
    ``water_per_capita_m3`` [m³/人], ``co2_per_area_kg_m2`` [kgCO₂/m²]. A ratio is
    None when its denominator is 0.
    """

    energy_tce: float
    water_m3: float
    co2_t: float
    energy_per_capita_kgce: float | None
    energy_per_area_kgce_m2: float | None
    water_per_capita_m3: float | None
    co2_per_area_kg_m2: float | None
    institutions_expected: int
    institutions_reported: int
    factor_set: dict[str, Any]
    by_carrier: list[dict[str, Any]]
    basis: dict[str, Any]
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict with the keys of the fields (full precision)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def compute_indicators(
    inputs: AggregateInputs,
    factor_set: FactorSet,
    *,
    year: int,
    province_code: str | None,
    area_excludes_vehicle_fuel: bool = True,
) -> IndicatorResult:
    """Headline indicators of a group from its additive sums.

    Parameters
    ----------
    inputs : AggregateInputs
        Sums over the group [canonical units, 元, 人, m²].
    factor_set : FactorSet
        Standard-coal coefficients and CO₂ factors (see :mod:`jieneng.core.factors`).
    year : int
        Data year; selects the electricity CO₂ factor.
    province_code : str or None
        A GB/T 2260 code (first two digits used) for regional/provincial
        electricity factors; None → national.
    area_excludes_vehicle_fuel : bool, default True
        Leave 车辆用油 out of the per-area figures (energy and CO₂).

    Returns
    -------
    IndicatorResult
        ``energy_tce`` [tce], ``water_m3`` [m³], ``co2_t`` [t], per-capita
        [kgce/人, m³/人] and per-area [kgce/m², kgCO₂/m²] ratios of sums, the
        factor set used (with the electricity factor, its year and any fallback
        note), per-carrier detail, the rules applied and notes.

    Raises
    ------
    ValidationFailed
        For an unknown carrier code or a negative sum in ``inputs``.

    References
    ----------
    公共机构能源资源消费统计调查制度 indicators (``reference-data.md`` §2.3);
    GB/T 2589-2020; DB11/T 1958-2022 and GB/T 51161-2016 (per-area scope excludes
    transport energy, ``reference-data.md`` §2.4).
    """
    inputs.validate()
    sums = _sum_carriers(inputs, factor_set, year, province_code, area_excludes_vehicle_fuel)
    notes = sums.notes + _coverage_notes(inputs, area_excludes_vehicle_fuel)
    described = factor_set.describe()
    described["electricity_co2"] = sums.electricity_factor
    return IndicatorResult(
        energy_tce=sums.energy / 1000.0,
        water_m3=inputs.quantity.get("water", 0.0),
        co2_t=sums.co2 / 1000.0,
        energy_per_capita_kgce=_ratio(sums.energy_occ, inputs.occupants),
        energy_per_area_kgce_m2=_ratio(sums.energy_area, inputs.floor_area_m2),
        water_per_capita_m3=_ratio(
            inputs.quantity_with_occupants.get("water", 0.0), inputs.occupants
        ),
        co2_per_area_kg_m2=_ratio(sums.co2_area, inputs.floor_area_m2),
        institutions_expected=inputs.institutions_expected,
        institutions_reported=inputs.institutions_reported,
        factor_set=described,
        by_carrier=sums.by_carrier,
        basis=_basis(sums.co2_excluded, area_excludes_vehicle_fuel, year, province_code),
        notes=notes,
    )


@dataclass
class _Sums:
    """Energy [kgce] and CO₂ [kgCO₂] of a group summed over the carriers, with the
    per-carrier detail and the notes of the factors used."""

    energy: float = 0.0
    energy_occ: float = 0.0  # of institutions with 用能人数 > 0
    energy_area: float = 0.0  # of institutions with 建筑面积 > 0, in the per-area scope
    co2: float = 0.0
    co2_area: float = 0.0
    by_carrier: list[dict[str, Any]] = field(default_factory=list)
    electricity_factor: dict[str, Any] | None = None
    co2_excluded: list[Carrier] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _sum_carriers(
    inputs: AggregateInputs,
    factor_set: FactorSet,
    year: int,
    province_code: str | None,
    area_excludes_vehicle_fuel: bool,
) -> _Sums:
    """Σ quantity × coefficient (GB/T 2589) and Σ quantity × CO₂ factor over the
    carriers, in form order; vehicle fuel out of the per-area sums when asked."""
    s = _Sums()
    for c in CARRIERS:
        in_area = not (area_excludes_vehicle_fuel and c.vehicle)
        q = inputs.quantity.get(c.code, 0.0)
        q_area = inputs.quantity_with_area.get(c.code, 0.0)
        k = factor_set.kgce_per_unit(c) if c.counts_in_energy else None
        carrier_energy: float | None = None
        if k is not None:
            carrier_energy = q * k
            s.energy += carrier_energy
            s.energy_occ += inputs.quantity_with_occupants.get(c.code, 0.0) * k
            if in_area:
                s.energy_area += q_area * k
        factor = factor_set.co2_kg_per_unit(c, year=year, province_code=province_code)
        if c.code == "electricity":
            s.electricity_factor = factor.to_dict()
            if factor.note:
                s.notes.append(factor.note)
        carrier_co2: float | None = None
        if factor.value is None:
            if q > 0:
                s.co2_excluded.append(c)
                if factor.note:
                    s.notes.append(factor.note)
        else:
            carrier_co2 = q * factor.value
            s.co2 += carrier_co2
            if in_area:
                s.co2_area += q_area * factor.value
        s.by_carrier.append(
            {
                "carrier": c.code,
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "quantity": q,
                "unit": c.canonical_unit,
                "cost_yuan": inputs.cost_yuan.get(c.code, 0.0),
                "kgce_per_unit": k,
                "energy_tce": None if carrier_energy is None else carrier_energy / 1000.0,
                "co2_kg_per_unit": factor.value,
                "co2_t": None if carrier_co2 is None else carrier_co2 / 1000.0,
            }
        )
    return s


def _note(key: str, **values: object) -> str:
    """The catalogue's note ``key``, Chinese / English (a result's notes carry both)."""
    return f"{text('zh-CN', key, **values)} / {text('en', key, **values)}"


def _coverage_notes(inputs: AggregateInputs, area_excludes_vehicle_fuel: bool) -> list[str]:
    """What the reader of the figures should know: the per-area scope, missing
    denominators, institutions not yet reported (``indicators.note.*``)."""
    notes: list[str] = []
    if area_excludes_vehicle_fuel:
        notes.append(_note("indicators.note.area_without_vehicle_fuel"))
    if inputs.occupants <= 0:
        notes.append(_note("indicators.note.no_occupants"))
    if inputs.floor_area_m2 <= 0:
        notes.append(_note("indicators.note.no_floor_area"))
    if inputs.institutions_reported < inputs.institutions_expected:
        notes.append(_note("indicators.note.not_all_reported",
                           expected=inputs.institutions_expected,
                           reported=inputs.institutions_reported))
    return notes


def _basis(
    co2_excluded: list[Carrier],
    area_excludes_vehicle_fuel: bool,
    year: int,
    province_code: str | None,
) -> dict[str, Any]:
    """The rules the figures were computed by, with their references."""
    vehicle_codes = [c.code for c in CARRIERS if c.vehicle]
    return {
        "ratios": "ratio_of_sums",
        "energy_carriers": [c.code for c in CARRIERS if c.counts_in_energy],
        "not_in_energy": [c.code for c in CARRIERS if not c.counts_in_energy],
        "co2_excluded": [c.code for c in co2_excluded],
        "area_excludes_vehicle_fuel": area_excludes_vehicle_fuel,
        "area_excluded_carriers": vehicle_codes if area_excludes_vehicle_fuel else [],
        "per_capita_denominator": "Σ 用能人数 of reported institutions with 用能人数 > 0",
        "per_area_denominator": "Σ 建筑面积 of reported institutions with 建筑面积 > 0",
        "year": year,
        "province_code": province_code,
        "references": [
            "公共机构能源资源消费统计调查制度 (人均综合能耗, 单位建筑面积能耗, 人均用水量, "
            "单位建筑面积碳排放)",
            "GB/T 2589-2020 综合能耗计算通则",
            "DB11/T 1958-2022; GB/T 51161-2016 (per-area scope excludes transport energy)",
        ],
    }


def yoy(current: IndicatorResult, previous: IndicatorResult) -> dict[str, float | None]:
    """Relative change (fraction, 0.05 = +5 %) of every headline figure.

    :func:`~jieneng.core.indicator_registry.change`: ``(current − previous) /
    previous``; None when either is None or the previous value is ≤ 0.

    References
    ----------
    同比 review (``reference-data.md`` §2.6: year-on-year change > 10 % is flagged).
    """
    return {key: change(getattr(current, key), getattr(previous, key)) for key in HEADLINE}
