"""Energy carriers and resources of the consumption form (NY201).

Each :class:`Carrier` is one reported line of the form 《能源资源消费状况》 of the
公共机构能源资源消费统计调查制度, in the unit the form asks for (``canonical_unit``).

References
----------
- 公共机构能源资源消费统计调查制度, form NY201 (fields 110–181; 2022 revision
  国管节能〔2022〕301号 added 太阳能光电系统发电量). Field list and units as in
  ``shared/reference/cn-platform.md`` §2.2 and ``reference-data.md`` §2.2.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from .exceptions import ValidationFailed


class Dimension(StrEnum):
    """Physical dimension of a unit; conversion only happens inside one."""

    ELECTRICITY = "electricity"  # base kWh
    HEAT = "heat"  # base GJ
    VOLUME = "volume"  # base m3
    MASS = "mass"  # base kg
    COAL_EQUIVALENT = "coal_equivalent"  # base kgce


class Fuel(StrEnum):
    """What a carrier is physically; factor sets are keyed by fuel."""

    ELECTRICITY = "electricity"
    WATER = "water"
    COAL = "coal"
    NATURAL_GAS = "natural_gas"
    LPG = "lpg"
    GASOLINE = "gasoline"
    DIESEL = "diesel"
    HEAT = "heat"
    OTHER_ENERGY = "other_energy"
    SOLAR_PV = "solar_pv"


@dataclass(frozen=True, slots=True)
class Carrier:
    """One line of the consumption form.

    ``code`` is the stable English identifier used in the database, the API and
    JSON output; ``names_zh`` are the names accepted in files (the first is the
    display name); ``canonical_unit`` is the unit stored, as on the form.
    """

    code: str
    names_zh: tuple[str, ...]
    name_en: str
    fuel: Fuel
    canonical_unit: str
    unit_zh: str
    dimension: Dimension
    form_field: str
    vehicle: bool = False
    counts_in_energy: bool = True
    extra_units: tuple[tuple[str, float], ...] = ()

    @property
    def name_zh(self) -> str:
        return self.names_zh[0]


#: Every carrier of form NY201, in form order.
CARRIERS: tuple[Carrier, ...] = (
    Carrier("electricity", ("电", "电力", "用电量", "电量"), "electricity", Fuel.ELECTRICITY,
            "kWh", "千瓦时", Dimension.ELECTRICITY, "110"),
    Carrier("water", ("水", "用水量", "水量"), "water", Fuel.WATER, "m3", "立方米",
            Dimension.VOLUME, "120", counts_in_energy=False,
            # Water bills in China are often in 吨; 1 t of water is taken as 1 m³.
            extra_units=(("mass", 1.0 / 1000.0),)),
    Carrier("coal", ("煤炭", "原煤", "煤"), "coal", Fuel.COAL, "t", "吨", Dimension.MASS, "130"),
    Carrier("natural_gas", ("天然气",), "natural gas", Fuel.NATURAL_GAS, "m3", "立方米",
            Dimension.VOLUME, "140"),
    Carrier("lpg", ("液化石油气",), "liquefied petroleum gas", Fuel.LPG, "kg", "千克",
            Dimension.MASS, "104"),
    Carrier("gasoline_vehicle", ("汽油-车辆用油", "汽油车辆用油", "车辆用汽油"),
            "gasoline, vehicles", Fuel.GASOLINE, "L", "升", Dimension.VOLUME, "1501",
            vehicle=True),
    Carrier("gasoline_other", ("汽油-其他用油", "汽油其他用油", "其他用汽油"),
            "gasoline, other uses", Fuel.GASOLINE, "L", "升", Dimension.VOLUME, "1502"),
    Carrier("diesel_vehicle", ("柴油-车辆用油", "柴油车辆用油", "车辆用柴油"),
            "diesel, vehicles", Fuel.DIESEL, "L", "升", Dimension.VOLUME, "1601", vehicle=True),
    Carrier("diesel_other", ("柴油-其他用油", "柴油其他用油", "其他用柴油"),
            "diesel, other uses", Fuel.DIESEL, "L", "升", Dimension.VOLUME, "1602"),
    Carrier("heat", ("热力", "热量", "外购热力"), "heat", Fuel.HEAT, "GJ", "吉焦",
            Dimension.HEAT, "170"),
    Carrier("other_energy", ("其他能源",), "other energy", Fuel.OTHER_ENERGY, "tce",
            "吨标准煤", Dimension.COAL_EQUIVALENT, "180"),
    # 太阳能光电系统发电量 (added by 国管节能〔2022〕301号) is reported for information;
    # it is self-generated renewable electricity and is not added to 综合能耗.
    Carrier("solar_pv", ("太阳能光电发电量", "太阳能光电系统发电量", "光伏发电量"),
            "solar PV generation", Fuel.SOLAR_PV, "kWh", "千瓦时", Dimension.ELECTRICITY,
            "192", counts_in_energy=False),
)

CARRIER_CODES: tuple[str, ...] = tuple(c.code for c in CARRIERS)
_BY_CODE = {c.code: c for c in CARRIERS}


def normalise_label(text: str) -> str:
    """Fold a header, name or unit for matching: NFKC (full-width → ASCII,
    ``m³`` → ``m3``), no white space, brackets unified, lower case."""
    folded = unicodedata.normalize("NFKC", text)
    folded = "".join(ch for ch in folded if not ch.isspace())
    return folded.replace("（", "(").replace("）", ")").replace("—", "-").replace("－", "-").lower()


_BY_NAME = {normalise_label(n): c for c in CARRIERS for n in (*c.names_zh, c.code, c.name_en)}


def carrier(code: str) -> Carrier:
    """The carrier with this code; raises :class:`ValidationFailed` naming the codes."""
    try:
        return _BY_CODE[code]
    except KeyError:
        raise ValidationFailed.of(
            "carriers.unknown_carrier_code", code=code, known=', '.join(CARRIER_CODES),
        ) from None


def carrier_by_name(name: str) -> Carrier:
    """Resolve a Chinese or English name as written in a file (``电``, ``汽油-车辆用油``).

    A bare 汽油 or 柴油 is refused: the form splits them into 车辆用油 and 其他用油.
    """
    key = normalise_label(name).replace("(", "-").replace(")", "").rstrip("-")
    found = _BY_NAME.get(key) or _BY_NAME.get(key.replace("-", ""))
    if found is not None:
        return found
    if key in {"汽油", "柴油"}:
        raise ValidationFailed.of("carriers.split_oil_use", name=name)
    names = "、".join(c.name_zh for c in CARRIERS)
    raise ValidationFailed.of("carriers.unknown_carrier", name=name, names=names)


def energy_carriers() -> tuple[Carrier, ...]:
    """Carriers added up into 综合能耗 (water and solar PV are not)."""
    return tuple(c for c in CARRIERS if c.counts_in_energy)
