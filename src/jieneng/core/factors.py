"""Named, versioned factor sets: standard-coal coefficients and CO₂ factors.

A factor set is a choice, not a constant: the published public-institution
totals use 1.33 kgce/m³ for natural gas where the GB/T 2589 statistical single
value is 1.2143, so both are offered and every result names the set it used.
All values are data in ``jieneng/data/factors/*.csv``, each row with its status
and source; this module only reads them (lazily, cached) and converts them to
the canonical unit of each carrier.

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
  §1.2); 1 kgce = 29 307.6 kJ (cl. 6.2 of the 2008 edition).
- Chongqing 13th FYP public-institution plan, 2015 totals (``reference-data.md`` §1.3):
  the coefficients the public-institution statistics apply.
- 生态环境部、国家统计局《关于发布2021/2022/2023年电力二氧化碳排放因子的公告》
  (``reference-data.md`` §3.1).
- 生态环境部 2019 补充数据表: purchased heat 0.11 tCO₂/GJ (§3.2).
- IPCC 2006 Guidelines Vol. 2 Ch. 1 Table 1.4 (§3.3).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from .carriers import CARRIERS, Carrier, Dimension, Fuel, carrier
from .exceptions import NotFound, ValidationFailed
from .units import parse_unit

#: The default factor set: the public-institution statistics convention.
DEFAULT_FACTOR_SET = "pi-published"


class ElectricityCO2Scope(StrEnum):
    """Which MEE/NBS electricity CO₂ factor applies."""

    NATIONAL = "national"  # 全国电力平均二氧化碳排放因子
    REGIONAL = "regional"  # 区域电力平均 (the province's grid region)
    PROVINCIAL = "provincial"  # 省级电力平均 (where a row exists)


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


@dataclass(frozen=True, slots=True)
class _ElectricityRow:
    scope: str
    area: str
    area_name: str
    year: int
    value: float
    status: str
    source: str


@dataclass(frozen=True, slots=True)
class _FuelCO2Row:
    fuel: Fuel
    method: str  # ipcc_ncv | direct | zero | none
    value: float | None
    unit: str
    mj_per_kgce: float | None
    oxidation: float | None
    status: str
    source: str
    notes: str


# --------------------------------------------------------------------------- loading


def _read(name: str) -> list[dict[str, str]]:
    path = resources.files("jieneng") / "data" / "factors" / name
    text = path.read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _float(text: str) -> float | None:
    return float(text) if text.strip() else None


def _split_rate(unit: str) -> tuple[str, str]:
    """``kgce/kg`` → (``kgce``, ``kg``)."""
    numerator, _, denominator = unit.partition("/")
    return numerator.strip(), denominator.strip()


def _per_canonical(value: float, unit: str, density: float | None, target: Carrier) -> float:
    """Express ``value`` [kgce per ``unit``'s denominator] per ``target.canonical_unit``.

    Same dimension: plain unit ratio. Mass-based coefficient for a carrier
    reported in litres: through ``density`` [kg/L].
    """
    _, per = _split_rate(unit)
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
    raise ValidationFailed(
        f"系数单位“{unit}”无法换算到{target.name_zh}的单位{target.canonical_unit}",
        f"coefficient unit {unit!r} cannot be converted to {target.canonical_unit} "
        f"for {target.name_en}",
    )


@cache
def _coefficients() -> dict[str, dict[Fuel, Coefficient]]:
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
def _electricity_rows() -> tuple[_ElectricityRow, ...]:
    return tuple(
        _ElectricityRow(
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
def _grid_regions() -> dict[str, tuple[str, str]]:
    """Province prefix → (province name, grid region or '')."""
    return {
        r["province_code"]: (r["province_name"], r["grid_region"])
        for r in _read("grid_regions.csv")
    }


@cache
def _fuel_co2() -> dict[Fuel, _FuelCO2Row]:
    return {
        Fuel(r["fuel"]): _FuelCO2Row(
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
def _set_rows() -> dict[str, dict[str, str]]:
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
    entry = _grid_regions().get(province_code[:2])
    return (entry[1] or None) if entry else None


# --------------------------------------------------------------------------- the set


def _carrier(value: Carrier | str) -> Carrier:
    return value if isinstance(value, Carrier) else carrier(value)


@dataclass(frozen=True)
class FactorSet:
    """A named, versioned factor set.

    Attributes
    ----------
    name : str
        ``pi-published`` or ``gbt2589-statistical``.
    title_zh, title_en : str
        Display titles.
    edition : str
        Edition of the coefficients (which source, which table).
    source_notes : tuple of str
        Sources and notes from ``factor_sets.csv``.
    electricity_co2_scope : ElectricityCO2Scope
        Which electricity CO₂ factor ``co2_kg_per_unit`` applies.
    """

    name: str
    title_zh: str
    title_en: str
    edition: str
    source_notes: tuple[str, ...]
    electricity_co2_scope: ElectricityCO2Scope = ElectricityCO2Scope.NATIONAL
    _coefficients: Mapping[Fuel, Coefficient] = field(
        default_factory=dict, repr=False, compare=False
    )

    # ---- standard coal

    def coefficient(self, carrier_: Carrier | str) -> Coefficient | None:
        """The coefficient row for the carrier's fuel, or None (water, solar PV)."""
        return self._coefficients.get(_carrier(carrier_).fuel)

    def kgce_per_unit(self, carrier_: Carrier | str) -> float | None:
        """Standard-coal coefficient [kgce per canonical unit of the carrier].

        ``None`` for carriers never converted (水, 太阳能光电发电量).

        Parameters
        ----------
        carrier_ : Carrier or str
            The carrier or its code.

        Returns
        -------
        float or None
            e.g. 0.1229 [kgce/kWh], 714.3 [kgce/t] for coal, 1.074122 [kgce/L]
            for gasoline (1.4714 kgce/kg × 0.73 kg/L).

        References
        ----------
        GB/T 2589-2020 Table A.1 (as reproduced); densities derived from the
        Chongqing 2015 public-institution totals (``reference-data.md`` §1.3).
        """
        c = _carrier(carrier_)
        coefficient = self._coefficients.get(c.fuel)
        return None if coefficient is None else coefficient.kgce_per_canonical[c.code]

    # ---- CO2

    def co2_kg_per_unit(
        self, carrier_: Carrier | str, *, year: int, province_code: str | None = None
    ) -> FactorValue:
        """CO₂ factor [kgCO₂ per canonical unit of the carrier] for a data year.

        Electricity: the MEE/NBS 电力二氧化碳排放因子 of ``year`` in this set's
        scope (national; the grid region of ``province_code``; the province where
        a row exists). A year without a published factor uses the latest earlier
        year; a year before the first uses the earliest; a missing province or
        region falls back to the next wider scope. Each fallback is stated in
        ``note``.

        Heat: 0.11 tCO₂/GJ (MEE 2019). Coal, gas, LPG, gasoline, diesel: IPCC
        2006 default rate [kgCO₂/TJ] × NCV, where NCV = this set's kgce
        coefficient × 29.3076 MJ/kgce, 100 % oxidation (derived, not an official
        Chinese factor). Water and solar PV: 0. 其他能源: no factor
        (``value=None``).

        References
        ----------
        MEE/NBS electricity CO₂ notices 2024-04-12 (2021 data), 2024-12-20
        (2022), 2026-01 (2023); MEE 2019 补充数据表; IPCC 2006 Vol. 2 Table 1.4;
        ``reference-data.md`` §3.
        """
        c = _carrier(carrier_)
        if c.fuel == Fuel.ELECTRICITY:
            return self._electricity_co2(year, province_code)
        row = _fuel_co2().get(c.fuel)
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
            mass, per = _split_rate(row.unit)
            kg = parse_unit(mass.removesuffix("CO2")).to_base
            value = row.value * kg * parse_unit(c.canonical_unit).to_base / parse_unit(per).to_base
            return FactorValue(value, row.source, row.status, unit=unit)
        kgce = self.kgce_per_unit(c)
        if (
            row.method == "ipcc_ncv"
            and kgce is not None
            and row.value is not None
            and row.mj_per_kgce is not None
        ):
            tj_per_mj = parse_unit("MJ").to_base / parse_unit("TJ").to_base
            value = kgce * row.mj_per_kgce * tj_per_mj * row.value * (row.oxidation or 1.0)
            return FactorValue(value, row.source, "derived", unit=unit)
        raise ValidationFailed(
            f"二氧化碳因子表中{c.name_zh}的计算方法“{row.method}”无法使用",
            f"CO₂ factor row for {c.name_en} has an unusable method {row.method!r}",
        )

    def _electricity_co2(self, year: int, province_code: str | None) -> FactorValue:
        rows = _electricity_rows()
        notes: list[tuple[str, str]] = []
        scope = self.electricity_co2_scope
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
                name = _grid_regions().get(area, (area, ""))[0]
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
        candidates = sorted(
            (r for r in rows if r.scope == scope.value and r.area == area), key=lambda r: r.year
        )
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
        else:
            chosen = candidates[0]
            notes.append(
                (
                    f"{year}年早于首个发布的电力二氧化碳排放因子，采用{chosen.year}年因子",
                    f"{year} is before the first published electricity CO₂ factor: "
                    f"the {chosen.year} factor is used",
                )
            )
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

    # ---- description

    def describe(self) -> dict[str, Any]:
        """JSON-able description of the set for results and the API.

        Lists every carrier with its coefficient per canonical unit (None when
        not converted), the value as in the source, status and source.
        """
        coefficients = []
        for c in CARRIERS:
            row = self.coefficient(c)
            coefficients.append(
                {
                    "carrier": c.code,
                    "fuel": c.fuel.value,
                    "kgce_per_unit": self.kgce_per_unit(c),
                    "unit": f"kgce/{c.canonical_unit}",
                    "source_value": row.value if row else None,
                    "source_unit": row.unit if row else None,
                    "density_kg_per_l": row.density_kg_per_l if row else None,
                    "status": row.status if row else "not_applicable",
                    "source": row.source if row else None,
                    "notes": row.notes if row else None,
                }
            )
        return {
            "name": self.name,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "edition": self.edition,
            "default": self.name == DEFAULT_FACTOR_SET,
            "electricity_co2_scope": self.electricity_co2_scope.value,
            "source_notes": list(self.source_notes),
            "coefficients": coefficients,
        }


@cache
def _load_set(name: str) -> FactorSet:
    rows = _set_rows()
    if name not in rows:
        known = ", ".join(rows)
        raise NotFound(
            f"未知的系数集“{name}”，可用：{known}",
            f"unknown factor set {name!r}; known: {known}",
            name=name,
        )
    row = rows[name]
    return FactorSet(
        name=name,
        title_zh=row["title_zh"],
        title_en=row["title_en"],
        edition=row["edition"],
        source_notes=tuple(x for x in (row["source"], row["notes"]) if x),
        electricity_co2_scope=ElectricityCO2Scope(row["electricity_co2_scope"]),
        _coefficients=MappingProxyType(_coefficients().get(name, {})),
    )


def factor_set(
    name: str = DEFAULT_FACTOR_SET,
    *,
    electricity_co2_scope: ElectricityCO2Scope | str | None = None,
) -> FactorSet:
    """The factor set called ``name``, optionally with another electricity CO₂ scope.

    Raises
    ------
    NotFound
        For an unknown name, listing the known ones.
    ValidationFailed
        For an unknown scope.
    """
    loaded = _load_set(name)
    if electricity_co2_scope is None:
        return loaded
    try:
        scope = ElectricityCO2Scope(electricity_co2_scope)
    except ValueError:
        known = ", ".join(s.value for s in ElectricityCO2Scope)
        raise ValidationFailed(
            f"未知的电力排放因子范围“{electricity_co2_scope}”，可用：{known}",
            f"unknown electricity CO₂ scope {electricity_co2_scope!r}; known: {known}",
        ) from None
    return dataclasses.replace(loaded, electricity_co2_scope=scope)


#: Names of the shipped factor sets.
FACTOR_SET_NAMES: tuple[str, ...] = ("pi-published", "gbt2589-statistical")
