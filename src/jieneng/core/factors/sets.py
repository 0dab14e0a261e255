"""Factor sets: :class:`FactorSet` (a named, versioned choice of standard-coal
coefficients and electricity CO₂ scope) and :func:`factor_set` to load one.

A factor set is a choice, not a constant: the published public-institution
totals use 1.33 kgce/m³ for natural gas where the GB/T 2589 statistical single
value is 1.2143, so both are offered and every result names the set it used.

References
----------
- GB/T 2589-2020 《综合能耗计算通则》 Table A.1 (as reproduced; ``reference-data.md``
  §1.2); 1 kgce = 29 307.6 kJ (cl. 6.2 of the 2008 edition).
- Chongqing 13th FYP public-institution plan, 2015 totals (``reference-data.md`` §1.3):
  the coefficients the public-institution statistics apply.
- CO₂ factors: see :mod:`.co2` (``reference-data.md`` §3).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

from ..carriers import CARRIERS, Carrier, Fuel, carrier
from ..exceptions import NotFound, ValidationFailed
from .co2 import ElectricityCO2Scope, FactorValue, electricity_co2, fuel_co2
from .data import Coefficient, coefficients_by_set, set_rows

#: The default factor set: the public-institution statistics convention.
DEFAULT_FACTOR_SET = "pi-published"


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
            return electricity_co2(self.electricity_co2_scope, year, province_code)
        return fuel_co2(c, self.kgce_per_unit(c))

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
    rows = set_rows()
    if name not in rows:
        known = ", ".join(rows)
        raise NotFound.of("factors.unknown_factor_set", known=known, name=name)
    row = rows[name]
    return FactorSet(
        name=name,
        title_zh=row["title_zh"],
        title_en=row["title_en"],
        edition=row["edition"],
        source_notes=tuple(x for x in (row["source"], row["notes"]) if x),
        electricity_co2_scope=ElectricityCO2Scope(row["electricity_co2_scope"]),
        _coefficients=MappingProxyType(coefficients_by_set().get(name, {})),
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
        raise ValidationFailed.of(
            "factors.unknown_co2_scope", electricity_co2_scope=electricity_co2_scope,
            known=known,
        ) from None
    return dataclasses.replace(loaded, electricity_co2_scope=scope)


#: Names of the shipped factor sets.
FACTOR_SET_NAMES: tuple[str, ...] = ("pi-published", "gbt2589-statistical")
