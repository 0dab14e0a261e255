"""Vehicles, charging spaces and coal (issue 14 §5): pure rules over counts.

- **Fuel kinds** (``jieneng/data/fleet/fuel_kinds.csv``): 汽油, 柴油, 油电混合, 纯电动,
  插电混动, 增程式, 燃料电池, 天然气, 液化石油气, 其他 — codes stable, labels, aliases
  and whether a kind is a 新能源汽车 (NEV) are data with their source. NEV per
  《新能源汽车生产企业及产品准入管理规定》(工信部令第39号, 2017) 第三条: 插电式混合动力
  (含增程式), 纯电动 and 燃料电池 vehicles; a hybrid that cannot be charged is not one.
- **Targets** (``jieneng/data/fleet/targets.csv``): NEV share of the year's new and
  renewed vehicles ≥ 30 % (国管局/中直管理局 2024; 财政部办公厅 2024-12-30) and the
  charging-space share of existing parking ≥ 8 % (渠县 2023; local, configurable per
  region).
- **Shares** are ratios of sums: NEV vehicles ÷ vehicles, charging spaces ÷ parking
  spaces, over the institutions of a region [-]; no average of ratios.
- **煤炭消费动态清零**: an institution is *not cleared* in a year when its NY201
  figures of that year hold coal (the carriers of fuel ``coal``, :data:`COAL_CARRIERS`:
  form line 130 煤炭 [t]) above zero, or when coal-fired equipment of it is registered
  and not removed by the end of that year (platform convention, ``docs/fleet.md``).

Standard library only (a ``core`` module).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .carriers import CARRIERS, Fuel, normalise_label
from .exceptions import ValidationFailed

#: the NY201 carriers that are coal (form line 130 煤炭, t)
COAL_CARRIERS: tuple[str, ...] = tuple(c.code for c in CARRIERS if c.fuel is Fuel.COAL)

VEHICLE_STATUSES: tuple[str, ...] = ("in_service", "disposed")
EQUIPMENT_STATUSES: tuple[str, ...] = ("in_use", "standby", "removed")

_STATUS_NAMES: dict[str, dict[str, str]] = {
    "vehicle": {"在用": "in_service", "使用": "in_service", "in_service": "in_service",
                "已处置": "disposed", "处置": "disposed", "报废": "disposed",
                "已报废": "disposed", "disposed": "disposed"},
    "equipment": {"在用": "in_use", "使用": "in_use", "in_use": "in_use",
                  "备用": "standby", "停用": "standby", "standby": "standby",
                  "已拆除": "removed", "拆除": "removed", "已改造": "removed",
                  "removed": "removed"},
}


@dataclass(frozen=True, slots=True)
class FuelKind:
    """One fuel kind of a vehicle; ``nev`` — counted as 新能源汽车 (see ``source``)."""

    code: str
    name_zh: str
    name_en: str
    aliases: tuple[str, ...]
    nev: bool
    source: str


@dataclass(frozen=True, slots=True)
class Target:
    """A share the notices ask for, with its source; ``status`` national or local."""

    code: str
    value: float
    name_zh: str
    name_en: str
    status: str
    source: str
    source_url: str


@dataclass(frozen=True, slots=True)
class EquipmentKind:
    code: str
    name_zh: str
    name_en: str
    aliases: tuple[str, ...]
    source: str


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("jieneng.data.fleet").joinpath(name).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def fuel_kinds() -> tuple[FuelKind, ...]:
    """Every fuel kind, in file order."""
    return tuple(FuelKind(r["code"], r["name_zh"], r["name_en"],
                          tuple(a for a in r["aliases"].split("|") if a),
                          r["nev"].strip().lower() == "true", r["source"])
                 for r in _rows("fuel_kinds.csv"))


@cache
def equipment_kinds() -> tuple[EquipmentKind, ...]:
    """Every kind of coal-fired equipment, in file order."""
    return tuple(EquipmentKind(r["code"], r["name_zh"], r["name_en"],
                               tuple(a for a in r["aliases"].split("|") if a), r["source"])
                 for r in _rows("coal_equipment_kinds.csv"))


@cache
def targets() -> dict[str, Target]:
    """The shipped targets by code."""
    return {r["code"]: Target(r["code"], float(r["value"]), r["name_zh"], r["name_en"],
                              r["status"], r["source"], r["source_url"])
            for r in _rows("targets.csv")}


def target(code: str) -> Target:
    """The shipped target ``code`` (``nev_purchase_share``, ``charging_space_share``)."""
    return targets()[code]


def nev_codes() -> tuple[str, ...]:
    """The fuel-kind codes counted as 新能源汽车."""
    return tuple(k.code for k in fuel_kinds() if k.nev)


@cache
def _fuel_index() -> dict[str, FuelKind]:
    return {normalise_label(n): k for k in fuel_kinds()
            for n in (k.code, k.name_zh, k.name_en, *k.aliases)}


@cache
def _equipment_index() -> dict[str, EquipmentKind]:
    return {normalise_label(n): k for k in equipment_kinds()
            for n in (k.code, k.name_zh, k.name_en, *k.aliases)}


def fuel_kind(name: str) -> FuelKind:
    """The fuel kind written as ``name`` (code, Chinese or English name, alias);
    refuses an unknown one naming the known kinds."""
    found = _fuel_index().get(normalise_label(name))
    if found is None:
        raise ValidationFailed.of("fleet_unknown_fuel", name=name,
                                  names="、".join(k.name_zh for k in fuel_kinds()))
    return found


def equipment_kind(name: str) -> EquipmentKind:
    """The coal-fired equipment kind written as ``name``."""
    found = _equipment_index().get(normalise_label(name))
    if found is None:
        raise ValidationFailed.of("fleet_unknown_equipment_kind", name=name,
                                  names="、".join(k.name_zh for k in equipment_kinds()))
    return found


def status(kind: str, name: str) -> str:
    """A vehicle's (``kind`` ``vehicle``) or an equipment's (``equipment``) status code
    from its written name (在用 / 已处置 …)."""
    found = _STATUS_NAMES[kind].get(normalise_label(name))
    if found is None:
        raise ValidationFailed.of("fleet_unknown_status", name=name,
                                  names="、".join(k for k in _STATUS_NAMES[kind]
                                                 if not k.isascii()))
    return found


def share(part: float, whole: float) -> float | None:
    """``part / whole`` [-], None when there is no whole (no vehicles, no spaces)."""
    return part / whole if whole > 0 else None


def meets(value: float | None, goal: float) -> bool | None:
    """Whether a share reaches its target (≥); None when there is no share."""
    return None if value is None else value >= goal - 1e-12


def check_charging(parking: float, charging: float) -> None:
    """Charging spaces are parking spaces: 0 ≤ charging ≤ parking."""
    if parking < 0 or charging < 0 or charging > parking:
        raise ValidationFailed.of("fleet_charging_over_parking", parking=f"{parking:g}",
                                  charging=f"{charging:g}")


def check_target(value: float) -> float:
    """A share target lies in [0, 1]."""
    if not 0.0 <= value <= 1.0:
        raise ValidationFailed.of("fleet_bad_target", value=f"{value:g}")
    return value


def coal_cleared(coal_quantity: float | None, equipment_in_use: int) -> bool:
    """煤炭消费动态清零 for one institution-year: no coal in the figures and no coal-fired
    equipment left (platform convention, see the module docstring)."""
    return (coal_quantity or 0.0) <= 0.0 and equipment_in_use == 0
