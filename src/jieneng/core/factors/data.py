"""The factor data files of ``jieneng/data/factors/`` read (lazily, cached) into
rows, with the standard-coal coefficients expressed per canonical unit of each
carrier.

Files
-----
``factor_sets.csv``       one row per set (name, titles, edition, default scope)
``coefficients.csv``      kgce per physical unit, by set and fuel (+ density for litres)
``electricity_co2.csv``   MEE/NBS 电力二氧化碳排放因子 by scope, area and data year
``grid_regions.csv``      GB/T 2260 province prefix → regional grid
``co2_fuels.csv``         CO₂ of the other fuels: IPCC rate × NCV, direct, zero or none

References
----------
- GB/T 2589-2020 《综合能耗计算通则》 Table A.1 (as reproduced; ``reference-data.md``
  §1.2).
- Chongqing 13th FYP public-institution plan, 2015 totals (``reference-data.md`` §1.3):
  densities for litres.
- Regional grid definitions of the MEE/NBS electricity CO₂ notices (§3.1).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..carriers import CARRIERS, Carrier, Dimension, Fuel
from ..exceptions import ValidationFailed
from ..units import parse_unit


@dataclass(frozen=True, slots=True)
class Coefficient:
    """A standard-coal coefficient as stated in the source, and per canonical unit."""

    fuel: Fuel
    value: float  # as in the source, e.g. 1.4714
    unit: str  # as in the source, e.g. "kgce/kg"
    kgce_per_canonical: dict[str, float]  # carrier code → kgce per its canonical unit
    density_kg_per_l: float | None
    basis: str
    status: str
    source: str
    edition: str
    notes: str


@dataclass(frozen=True, slots=True)
class ElectricityRow:
    """One row of ``electricity_co2.csv``: a published factor [kgCO₂/kWh]."""

    scope: str
    area: str
    area_name: str
    year: int
    value: float
    status: str
    source: str


@dataclass(frozen=True, slots=True)
class FuelCO2Row:
    """One row of ``co2_fuels.csv``: how the CO₂ factor of a fuel is obtained."""

    fuel: Fuel
    method: str  # ipcc_ncv | direct | zero | none
    value: float | None
    unit: str
    mj_per_kgce: float | None
    oxidation: float | None
    status: str
    source: str
    notes: str


def _read(name: str) -> list[dict[str, str]]:
    path = resources.files("jieneng") / "data" / "factors" / name
    text = path.read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _float(text: str) -> float | None:
    return float(text) if text.strip() else None


def split_rate(unit: str) -> tuple[str, str]:
    """``kgce/kg`` → (``kgce``, ``kg``)."""
    numerator, _, denominator = unit.partition("/")
    return numerator.strip(), denominator.strip()


def _per_canonical(value: float, unit: str, density: float | None, target: Carrier) -> float:
    """Express ``value`` [kgce per ``unit``'s denominator] per ``target.canonical_unit``.

    Same dimension: plain unit ratio. Mass-based coefficient for a carrier
    reported in litres: through ``density`` [kg/L].
    """
    _, per = split_rate(unit)
    source_unit = parse_unit(per)
    canonical = parse_unit(target.canonical_unit)
    if source_unit.dimension == canonical.dimension:
        return value * canonical.to_base / source_unit.to_base
    if (
        source_unit.dimension == Dimension.MASS
        and canonical.dimension == Dimension.VOLUME
        and density is not None
    ):
        litres = canonical.to_base / parse_unit("L").to_base
        kilograms = density * litres
        return value * kilograms / source_unit.to_base
    raise ValidationFailed.of(
        "factors.coefficient_unit", unit=unit, canonical_unit=target.canonical_unit,
        values={"name_zh": target.name_zh, "name_en": target.name_en},
    )


@cache
def coefficients_by_set() -> dict[str, dict[Fuel, Coefficient]]:
    """Factor set name → fuel → its standard-coal coefficient."""
    table: dict[str, dict[Fuel, Coefficient]] = {}
    for row in _read("coefficients.csv"):
        value = _float(row["value"])
        if value is None:
            continue  # water, solar_pv: never converted
        fuel = Fuel(row["fuel"])
        density = _float(row["density_kg_per_l"])
        per_carrier = {
            c.code: _per_canonical(value, row["unit"], density, c)
            for c in CARRIERS
            if c.fuel == fuel
        }
        table.setdefault(row["factor_set"], {})[fuel] = Coefficient(
            fuel=fuel,
            value=value,
            unit=row["unit"],
            kgce_per_canonical=per_carrier,
            density_kg_per_l=density,
            basis=row["basis"],
            status=row["status"],
            source=row["source"],
            edition=row["edition"],
            notes=row["notes"],
        )
    return table


@cache
def electricity_rows() -> tuple[ElectricityRow, ...]:
    """Every published electricity CO₂ factor."""
    return tuple(
        ElectricityRow(
            scope=r["scope"],
            area=r["area"],
            area_name=r["area_name"],
            year=int(r["data_year"]),
            value=float(r["value"]),
            status=r["status"],
            source=r["source"],
        )
        for r in _read("electricity_co2.csv")
    )


@cache
def grid_regions() -> dict[str, tuple[str, str]]:
    """Province prefix → (province name, grid region or '')."""
    return {
        r["province_code"]: (r["province_name"], r["grid_region"])
        for r in _read("grid_regions.csv")
    }


@cache
def fuel_co2_rows() -> dict[Fuel, FuelCO2Row]:
    """Fuel → how its CO₂ factor is obtained."""
    return {
        Fuel(r["fuel"]): FuelCO2Row(
            fuel=Fuel(r["fuel"]),
            method=r["method"],
            value=_float(r["value"]),
            unit=r["unit"],
            mj_per_kgce=_float(r["mj_per_kgce"]),
            oxidation=_float(r["oxidation"]),
            status=r["status"],
            source=r["source"],
            notes=r["notes"],
        )
        for r in _read("co2_fuels.csv")
    }


@cache
def set_rows() -> dict[str, dict[str, str]]:
    """Factor set name → its row of ``factor_sets.csv``."""
    return {r["name"]: r for r in _read("factor_sets.csv")}


def grid_region(province_code: str) -> str | None:
    """Regional grid (华北, 东北 …) of a region code's province; None if not covered.

    ``province_code`` may be any GB/T 2260 code; its first two digits are used.
    内蒙古 (15) is mapped to 华北 at province level (蒙东 belongs to 东北).

    References
    ----------
    Regional grid definitions of the MEE/NBS electricity CO₂ notices
    (``grid_regions.csv``, status ``secondary``).
    """
    entry = grid_regions().get(province_code[:2])
    return (entry[1] or None) if entry else None

