"""The fields of forms NY202 (数据中心机房, one record per room) and NY203 (采暖), as data.

Codes and units: ``docs/datacentre-heating.md`` and ``reference/cn-platform.md`` §2.2
(codes from the national platform's migration scripts, labels and units from the
Yunnan client forms ``AddIDC.vue`` / ``AddWarm.vue``). Revisions that removed
fields: 国管节能〔2022〕301号 removed NY202 250 其他能源; the 2025-11 revision
removed NY202 230 UPS装机容量 (https://ecpi.ggj.gov.cn/tzgg/202511/t20251119_48732.htm).
A removed field stays listed here with the revision that removed it, so documents
and old files can name it; it is neither stored nor entered (:func:`current`).

NY203's cost fields: the form gives each quantity "a 元 cost field"; their codes
are not in the sources. The platform's convention (as NY201's "code + 1"): the
cost of quantity code ``3x0`` is ``3x1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a field's value is typed."""

    NUMBER = "number"
    COUNT = "count"  # a whole number


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a form: ``key`` is the storage column and the English header.

    ``low``/``high``: the bounds a value must keep [unit of the field]; ``removed``:
    the revision that removed the field (None while current)."""

    form: str
    code: str
    key: str
    name_zh: str
    name_en: str
    unit: str
    kind: Kind = Kind.NUMBER
    required: bool = False
    low: float = 0.0
    high: float | None = None
    removed: str | None = None
    #: the quantity field this cost belongs to (NY203)
    cost_of: str | None = None

    @property
    def header(self) -> str:
        """The header of the import template, ``名称(单位)``."""
        return f"{self.name_zh}({self.unit})" if self.unit else self.name_zh


_N, _C = Kind.NUMBER, Kind.COUNT
REMOVED_2022 = "国管节能〔2022〕301号"
REMOVED_2025 = "2025-11 统计调查制度修订"

#: NY202, per 机房 (room) and period.
NY202_FIELDS: tuple[Field, ...] = (
    Field("NY202", "201", "area", "机房建筑面积", "room floor area", "平方米", required=True),
    Field("NY202", "210", "cabinets", "机柜总数", "cabinets", "个", _C),
    Field("NY202", "2101", "cabinets_reserved", "预留机柜数", "reserved cabinets", "个", _C),
    Field("NY202", "220", "power_total", "设备总功率", "equipment power", "千瓦"),
    Field("NY202", "2201", "power_it", "IT设备功率", "IT equipment power", "千瓦"),
    Field("NY202", "2202", "power_cooling", "空调设备功率", "cooling equipment power", "千瓦"),
    Field("NY202", "2203", "power_distribution", "配电及附属设备功率",
          "power distribution and auxiliary equipment power", "千瓦"),
    Field("NY202", "230", "ups_kva", "UPS装机容量", "UPS capacity", "千伏安",
          removed=REMOVED_2025),
    Field("NY202", "240", "elec_total", "机房总用电量", "room electricity", "千瓦时",
          required=True),
    Field("NY202", "2401", "elec_it", "IT设备用电量", "IT equipment electricity", "千瓦时",
          required=True),
    Field("NY202", "2402", "elec_cooling", "空调用电量", "cooling electricity", "千瓦时"),
    Field("NY202", "2403", "elec_distribution", "配电及附属设备用电量",
          "power distribution and auxiliary electricity", "千瓦时"),
    Field("NY202", "250", "other_energy", "其他能源", "other energy", "吨标准煤",
          removed=REMOVED_2022),
)


def _pair(code: str, key: str, zh: str, en: str, unit: str) -> tuple[Field, Field]:
    """A NY203 quantity and its cost (code + 1, the platform's convention)."""
    cost_code = code[:-1] + "1"
    return (Field("NY203", code, key, zh, en, unit),
            Field("NY203", cost_code, f"{key}_cost", f"{zh}费用", f"{en} cost", "元",
                  cost_of=key))


#: NY203, per institution and period (采暖).
NY203_FIELDS: tuple[Field, ...] = (
    Field("NY203", "301", "heated_area", "采暖面积", "heated area", "平方米", required=True),
    Field("NY203", "3011", "area_independent", "独立供暖面积", "independently heated area",
          "平方米"),
    Field("NY203", "3012", "area_central_by_area", "按面积收费集中供暖面积",
          "district-heated area, billed by area", "平方米"),
    Field("NY203", "3013", "area_central_by_heat", "按热量收费集中供暖面积",
          "district-heated area, billed by heat", "平方米"),
    Field("NY203", "302", "heating_days", "采暖天数", "heating days", "天", _C, high=366),
    Field("NY203", "303", "hot_water_boiler_mw", "热水锅炉热功率", "hot-water boiler output",
          "兆瓦"),
    Field("NY203", "304", "steam_boiler_th", "蒸汽锅炉蒸发量", "steam boiler capacity", "吨/小时"),
    *_pair("310", "water", "水", "water", "立方米"),
    *_pair("320", "electricity", "电", "electricity", "千瓦时"),
    *_pair("330", "coal", "煤炭", "coal", "吨"),
    *_pair("340", "natural_gas", "天然气", "natural gas", "立方米"),
    *_pair("350", "diesel", "柴油", "diesel", "升"),
    # 2025: 热力 became "热力消费量(按热量收费)" (heat billed by metered heat)
    *_pair("360", "heat", "热力消费量", "heat (billed by heat)", "吉焦"),
    *_pair("370", "other", "其他能源", "other energy", "吨标准煤"),
    Field("NY203", "380", "central_fee_by_area", "按面积收费集中供暖费用",
          "district-heating fee billed by area", "元"),
)

FORMS: dict[str, tuple[Field, ...]] = {"NY202": NY202_FIELDS, "NY203": NY203_FIELDS}


def current(form: str) -> tuple[Field, ...]:
    """The fields of ``form`` the current revision asks for (removed ones left out)."""
    return tuple(f for f in FORMS[form] if f.removed is None)


def removed(form: str) -> tuple[Field, ...]:
    """The fields a revision removed from ``form``."""
    return tuple(f for f in FORMS[form] if f.removed is not None)


def field_of(form: str, key: str) -> Field:
    """The current field ``key`` of ``form`` (KeyError when there is none)."""
    found = {f.key: f for f in current(form)}
    return found[key]


#: A room's status, for its PUE target. The forms carry none; the platform's
#: convention: a room is "existing" (既有) unless its unit records it as "new" (新建).
ROOM_STATUSES: dict[str, tuple[str, str]] = {
    "new": ("新建", "new"),
    "existing": ("既有", "existing"),
}
#: spellings of a status in a file → the stored value
ROOM_STATUS_NAMES: dict[str, str] = {
    "新建": "new", "新": "new", "NEW": "new",
    "既有": "existing", "存量": "existing", "已有": "existing", "EXISTING": "existing",
}

#: a period's month: 1–12 a monthly report (月报), 0 the annual report (年报) — the
#: national platform's ``periodId`` convention (month ``00`` = 年报).
ANNUAL = 0
