"""CO₂ factors [kgCO₂ per canonical unit of a carrier]: the MEE/NBS electricity
factor by scope (national, regional grid, province) and data year with its
fallbacks, and the factors of the other fuels (direct, zero, or IPCC rate × NCV).

References
----------
- 生态环境部、国家统计局《关于发布2021/2022/2023年电力二氧化碳排放因子的公告》
  (``reference-data.md`` §3.1).
- 生态环境部 2019 补充数据表: purchased heat 0.11 tCO₂/GJ (§3.2).
- IPCC 2006 Guidelines Vol. 2 Ch. 1 Table 1.4 (§3.3).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..carriers import Carrier
from ..exceptions import ValidationFailed
from ..units import parse_unit
from .data import (
    ElectricityRow,
    electricity_rows,
    fuel_co2_rows,
    grid_region,
    grid_regions,
    split_rate,
)


class ElectricityCO2Scope(StrEnum):
    """Which MEE/NBS electricity CO₂ factor applies."""

    NATIONAL = "national"  # 全国电力平均二氧化碳排放因子
    REGIONAL = "regional"  # 区域电力平均 (the province's grid region)
    PROVINCIAL = "provincial"  # 省级电力平均 (where a row exists)


@dataclass(frozen=True, slots=True)
class FactorValue:
    """A CO₂ factor as used: ``value`` [kgCO₂ per canonical unit of the carrier].

    ``value`` is ``None`` when there is no factor (其他能源). ``year_used`` is the
    data year of the electricity factor actually applied; ``note`` says, in
    Chinese and English, why it differs from what was asked (fallback year,
    fallback scope) or why there is no factor.
    """

    value: float | None
    source: str
    status: str
    year_used: int | None = None
    note: str | None = None
    scope: str | None = None
    area: str | None = None
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

def fuel_co2(c: Carrier, kgce: float | None) -> FactorValue:
    """CO₂ factor of a carrier other than electricity; ``kgce`` is its standard-coal
    coefficient in the factor set (the NCV of the IPCC method is derived from it).

    Heat: 0.11 tCO₂/GJ (MEE 2019). Coal, gas, LPG, gasoline, diesel: IPCC 2006
    default rate [kgCO₂/TJ] × NCV, where NCV = ``kgce`` × 29.3076 MJ/kgce, 100 %
    oxidation (derived, not an official Chinese factor). Water and solar PV: 0.
    其他能源: no factor (``value=None``).
    """
    row = fuel_co2_rows().get(c.fuel)
    if row is None or row.method == "none":
        return FactorValue(
            value=None,
            source=row.source if row else "",
            status=row.status if row else "not_found",
            note=(
                f"{c.name_zh}无二氧化碳排放因子（品种不明），不计入碳排放 / "
                f"no CO₂ factor for {c.name_en} (kind of fuel unknown): excluded from CO₂"
            ),
            unit=f"kgCO2/{c.canonical_unit}",
        )
    unit = f"kgCO2/{c.canonical_unit}"
    if row.method == "zero":
        return FactorValue(0.0, row.source, row.status, unit=unit)
    if row.method == "direct" and row.value is not None:
        mass, per = split_rate(row.unit)
        kg = parse_unit(mass.removesuffix("CO2")).to_base
        value = row.value * kg * parse_unit(c.canonical_unit).to_base / parse_unit(per).to_base
        return FactorValue(value, row.source, row.status, unit=unit)
    if (
        row.method == "ipcc_ncv"
        and kgce is not None
        and row.value is not None
        and row.mj_per_kgce is not None
    ):
        tj_per_mj = parse_unit("MJ").to_base / parse_unit("TJ").to_base
        value = kgce * row.mj_per_kgce * tj_per_mj * row.value * (row.oxidation or 1.0)
        return FactorValue(value, row.source, "derived", unit=unit)
    raise ValidationFailed.of(
        "factors.co2_method_unusable", method=row.method,
        values={"name_zh": c.name_zh, "name_en": c.name_en},
    )


def electricity_co2(
    scope: ElectricityCO2Scope, year: int, province_code: str | None
) -> FactorValue:
    """The MEE/NBS electricity CO₂ factor of ``year`` in ``scope`` [kgCO₂/kWh].

    National; the grid region of ``province_code``; the province where a row
    exists. A year without a published factor uses the latest earlier year; a
    year before the first uses the earliest; a missing province or region falls
    back to the next wider scope. Each fallback is stated in ``note``.
    """
    rows = electricity_rows()
    notes: list[tuple[str, str]] = []
    scope, area = _resolve_area(scope, province_code, rows, notes)
    candidates = sorted(
        (r for r in rows if r.scope == scope.value and r.area == area), key=lambda r: r.year
    )
    chosen = _choose_year(candidates, year, notes)
    note = (
        "；".join(zh for zh, _ in notes) + " / " + "; ".join(en for _, en in notes)
        if notes
        else None
    )
    return FactorValue(
        value=chosen.value,
        source=chosen.source,
        status=chosen.status,
        year_used=chosen.year,
        note=note,
        scope=chosen.scope,
        area=chosen.area_name,
        unit="kgCO2/kWh",
    )


def _resolve_area(
    scope: ElectricityCO2Scope,
    province_code: str | None,
    rows: tuple[ElectricityRow, ...],
    notes: list[tuple[str, str]],
) -> tuple[ElectricityCO2Scope, str]:
    """The scope and area whose factors apply, falling back to wider scopes where
    no row exists (each fallback appended to ``notes`` as (zh, en))."""
    area = "national"
    if scope != ElectricityCO2Scope.NATIONAL and not province_code:
        notes.append(
            (
                "未指定省份，电力排放因子采用全国平均",
                "no province given: the national electricity factor is used",
            )
        )
        scope = ElectricityCO2Scope.NATIONAL
    if scope == ElectricityCO2Scope.PROVINCIAL and province_code:
        area = province_code[:2]
        if not any(r.scope == "provincial" and r.area == area for r in rows):
            name = grid_regions().get(area, (area, ""))[0]
            notes.append(
                (
                    f"{name}无省级电力排放因子，采用区域电网因子",
                    f"no provincial electricity factor for {name}: "
                    "the regional grid factor is used",
                )
            )
            scope = ElectricityCO2Scope.REGIONAL
    if scope == ElectricityCO2Scope.REGIONAL and province_code:
        region = grid_region(province_code)
        if region is None or not any(r.scope == "regional" and r.area == region for r in rows):
            notes.append(
                (
                    f"省级代码{province_code[:2]}不属于区域电网，采用全国平均",
                    f"province {province_code[:2]} is in no regional grid: "
                    "the national factor is used",
                )
            )
            scope = ElectricityCO2Scope.NATIONAL
        else:
            area = region
    if scope == ElectricityCO2Scope.NATIONAL:
        area = "national"
    return scope, area


def _choose_year(
    candidates: list[ElectricityRow], year: int, notes: list[tuple[str, str]]
) -> ElectricityRow:
    """The factor of ``year``, else of the latest earlier year, else the earliest
    (``candidates`` sorted by year; a fallback appended to ``notes``)."""
    earlier = [r for r in candidates if r.year <= year]
    if earlier:
        chosen = earlier[-1]
        if chosen.year != year:
            notes.append(
                (
                    f"{year}年电力二氧化碳排放因子未发布，采用{chosen.year}年因子",
                    f"no electricity CO₂ factor published for {year}: "
                    f"the {chosen.year} factor is used",
                )
            )
        return chosen
    chosen = candidates[0]
    notes.append(
        (
            f"{year}年早于首个发布的电力二氧化碳排放因子，采用{chosen.year}年因子",
            f"{year} is before the first published electricity CO₂ factor: "
            f"the {chosen.year} factor is used",
        )
    )
    return chosen
