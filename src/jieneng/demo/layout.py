"""The demo city's input files as written: their column layouts (form NY101 for
profiles, the wide layout of form NY201 for monthly consumption), what was
written (:class:`DemoFiles`) and the problems planted in them for reviewers
(:class:`PlantedError`).

A blank consumption cell means "not reported"; a carrier an institution does not
use is blank, never 0; a month not reported has no row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jieneng.core.carriers import carrier

DEFAULT_SEED = 20261122
DEFAULT_YEARS: tuple[int, ...] = (2023, 2024, 2025)

INSTITUTION_COLUMNS: tuple[str, ...] = (
    "统一社会信用代码", "单位名称", "行政区划代码", "单位类别", "主管部门统一社会信用代码",
    "重点用能单位", "状态",
)  # fmt: skip
PROFILE_COLUMNS: tuple[str, ...] = (
    "统一社会信用代码", "年", "用能人数", "编制人数", "建筑面积(平方米)", "采暖面积(平方米)",
    "汽油车(辆)", "柴油车(辆)", "新能源汽车(辆)",
)  # fmt: skip

#: Carriers of the wide consumption file, in form order (NY201).
CONSUMPTION_CARRIERS: tuple[str, ...] = (
    "electricity", "water", "coal", "natural_gas", "lpg", "gasoline_vehicle", "diesel_vehicle",
    "heat", "other_energy",
)  # fmt: skip
_COST_HEADER = {"electricity": "电费(元)", "water": "水费(元)"}



def quantity_header(code: str) -> str:
    """``电(千瓦时)``, ``汽油-车辆用油(升)`` …: name and unit as on the form."""
    c = carrier(code)
    return f"{c.name_zh}({c.unit_zh})"


def cost_header(code: str) -> str | None:
    """``电费(元)``, ``天然气费用(元)`` …; ``None`` for 其他能源 (no cost on the form)."""
    if code == "other_energy":
        return None
    return _COST_HEADER.get(code, f"{carrier(code).name_zh}费用(元)")


def consumption_columns() -> tuple[str, ...]:
    """Header of a wide consumption file."""
    cols = ["统一社会信用代码", "年", "月"]
    for code in CONSUMPTION_CARRIERS:
        cols.append(quantity_header(code))
        cost = cost_header(code)
        if cost is not None:
            cols.append(cost)
    return tuple(cols)


@dataclass(frozen=True, slots=True)
class PlantedError:
    """One problem planted in the demo files, and what a reviewer should see.

    ``carrier`` is a carrier code (``electricity``) or ``None`` when a whole
    month is missing. ``reported`` is the value in the file (``None``: blank or
    no row); ``typical`` what the institution would have reported.
    """

    credit_code: str
    institution_name: str
    year: int
    month: int
    carrier: str | None
    kind: str  # unit_wan_kwh | spike_10x | missing_month | missing_value | late_report
    reported: float | None
    typical: float | None
    reviewer_sees_zh: str
    reviewer_sees_en: str


@dataclass(frozen=True, slots=True)
class DemoFiles:
    """Paths written by :func:`write_demo_files` and what was planted in them."""

    out_dir: Path
    regions: Path
    institutions: Path
    profiles: Path
    consumption: tuple[Path, ...]  # consumption_<year>.csv, in year order
    planted: tuple[PlantedError, ...]
    closed: tuple[str, ...] = field(default=())  # credit codes of the 撤销 institutions
    seed: int = DEFAULT_SEED
    years: tuple[int, ...] = DEFAULT_YEARS
    institution_count: int = 0

    @property
    def consumption_by_year(self) -> dict[int, Path]:
        """``{year: consumption_<year>.csv}``."""
        return dict(zip(self.years, self.consumption, strict=True))

    def paths(self) -> list[Path]:
        """Every file, in load order (regions, institutions, profiles, consumption)."""
        return [self.regions, self.institutions, self.profiles, *self.consumption]

