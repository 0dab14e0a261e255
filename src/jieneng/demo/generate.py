"""Input files of the demo city 桂林市 (演示数据): directory, profiles, monthly consumption.

:func:`write_demo_files` writes, for about 600 fictional public institutions
spread over the 17 county-level divisions of 桂林市 and the city level itself:

- ``regions.csv`` — 广西 450000, 桂林市 450300 and its 17 county-level divisions;
- ``institutions.xlsx`` — the directory (名录);
- ``profiles.csv`` — the yearly basic information (NY101: 用能人数, 建筑面积 …);
- ``consumption_<year>.csv`` — monthly figures of form NY201 in the wide layout,
  one row per institution and month, a quantity and a cost column per carrier.
  A blank cell means "not reported"; a carrier an institution does not use is
  blank, never 0; a month not reported has no row.

Everything is fictional and labelled 演示 (every name contains it); the
generation is deterministic for a seed (one :class:`numpy.random.Generator`)
and vectorised over institutions × years × months.

How the figures are made (per institution *i*, year *y*, month *m*):

- building energy [kgce] = 建筑面积 × intensity × 0.985^(y − first year) × noise,
  the intensity [kgce/m²·a] by kind from the Guangdong 2021 same-type averages
  (``shared/reference/reference-data-public-institution-benchmarks.csv``: organs
  11.02–12.49, hospitals 15.88, 中小学 3.28, 高等学校 4.77, 场馆 9.87), with a
  per-institution spread (log-normal, σ 0.15); split over electricity (dominant),
  natural gas or LPG (canteens, boilers), and for a handful coal, purchased heat
  or 其他能源; converted at 0.1229 kgce/kWh, 1.33 kgce/m³ (gas), 1.7143 kgce/kg
  (LPG), 714.3 kgce/t (coal), 34.12 kgce/GJ (heat) — the ``pi-published`` factor
  set of ``jieneng/data/factors/coefficients.csv``;
- a Guilin seasonal shape: summer cooling peak in July–August, a smaller winter
  bump, schools low in February and July–August;
- vehicle fuel from the number of cars (汽油 1 200–2 200 L, 柴油 2 000–4 000 L
  per car and year); water from 用能人数 × m³ per person (20–60 by kind);
- prices per institution: 电 0.60–0.90 元/kWh, 水 2.5–4.0 元/m³, 天然气
  3.0–4.0 元/m³, 液化石油气 7–9 元/kg, 汽油 7.5–8.5 元/L, 柴油 7.0–8.0 元/L.

Planted problems for reviewers (see :class:`PlantedError`, ``DemoFiles.planted``):
electricity typed in 万kWh into the kWh column, a 10× value in one month, a
missing month, a blank electricity cell, late reports (the last 1–2 months of the
last year missing). Two institutions are closed (撤销) after the second-to-last
year and report nothing afterwards.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
import xlsxwriter

from jieneng.core.carriers import carrier
from jieneng.core.codes import make_credit_code

from .catalogue import CITY_CODE, Seat, seats

DEFAULT_SEED = 20261122
DEFAULT_YEARS: tuple[int, ...] = (2023, 2024, 2025)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

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

#: kgce per unit of the form (``pi-published`` factor set).
KGCE_PER_UNIT: dict[str, float] = {
    "electricity": 0.1229,
    "coal": 714.3,
    "natural_gas": 1.33,
    "lpg": 1.7143,
    "gasoline_vehicle": 1.4714 * 0.73,
    "diesel_vehicle": 1.4571 * 0.85,
    "heat": 34.12,
    "other_energy": 1000.0,
}
#: Carriers that count in per-area energy (vehicle fuel excluded).
BUILDING_CARRIERS: tuple[str, ...] = (
    "electricity", "coal", "natural_gas", "lpg", "heat", "other_energy",
)  # fmt: skip


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


# --------------------------------------------------------------------------- kinds


@dataclass(frozen=True, slots=True)
class Kind:
    """Size and use parameters of one kind of institution."""

    people: tuple[float, float]
    area: tuple[float, float]  # bounds of 建筑面积 [m²]
    m2_per_person: tuple[float, float]  # 建筑面积 / 用能人数 before the bounds
    intensity: float  # building energy [kgce/m²·a]
    water_pp: float  # [m³/person·a]
    staff_ratio: tuple[float, float]  # 编制人数 / 用能人数
    gasoline_cars: tuple[int, int]
    diesel_cars: tuple[int, int]
    nev: tuple[int, int]
    shape: str  # office | school | college | hospital | venue
    gas_share: float  # share of building energy from gas/LPG when used
    p_gas: float  # probability of piped gas (urban) …
    p_lpg: float  # … else of LPG


# fmt: off
#: Parameters by kind: people, area bounds, m²/person, kgce/m²·a, water m³/person·a, staff
#: ratio, gasoline / diesel / NEV cars, monthly shape, gas share, P(piped gas), P(LPG).
KINDS: dict[str, Kind] = {
    "organ_city":      Kind((40, 400), (3_000, 25_000), (30, 55), 11.8, 38, (0.6, 0.85),
                       (1, 6), (0, 1), (0, 4), "office", 0.08, 0.5, 0.2),
    "organ_county":    Kind((20, 200), (1_500, 12_000), (30, 55), 11.0, 35, (0.6, 0.85),
                       (1, 4), (0, 1), (0, 3), "office", 0.08, 0.35, 0.3),
    "police_city":     Kind((200, 700), (10_000, 30_000), (30, 50), 13.0, 40, (0.5, 0.7),
                       (25, 60), (2, 6), (3, 10), "office", 0.08, 0.8, 0.2),
    "police_county":   Kind((60, 300), (3_000, 12_000), (30, 50), 12.5, 38, (0.5, 0.7),
                       (8, 25), (1, 3), (1, 5), "office", 0.08, 0.4, 0.4),
    "township":        Kind((25, 80), (1_500, 4_500), (35, 60), 9.5, 30, (0.6, 0.8),
                       (1, 3), (0, 0), (0, 2), "office", 0.06, 0.1, 0.6),
    "college":         Kind((8_000, 18_000), (150_000, 380_000), (15, 25), 4.8, 40, (0.06, 0.09),
                       (3, 8), (1, 3), (1, 5), "college", 0.15, 1.0, 0.0),
    "vocational":      Kind((1_500, 4_000), (30_000, 80_000), (18, 28), 4.2, 30, (0.06, 0.09),
                       (1, 3), (0, 2), (0, 1), "school", 0.12, 0.6, 0.4),
    "middle":          Kind((800, 3_000), (15_000, 60_000), (15, 25), 3.4, 25, (0.07, 0.1),
                       (0, 2), (0, 2), (0, 1), "school", 0.12, 0.45, 0.45),
    "primary":         Kind((400, 2_200), (6_000, 25_000), (10, 18), 3.1, 20, (0.05, 0.07),
                       (0, 1), (0, 0), (0, 0), "school", 0.1, 0.4, 0.4),
    "kindergarten":    Kind((150, 500), (2_000, 7_000), (10, 16), 3.3, 20, (0.1, 0.15),
                       (0, 0), (0, 0), (0, 0), "school", 0.12, 0.5, 0.5),
    "hospital_city":   Kind((600, 3_000), (30_000, 150_000), (28, 45), 16.5, 60, (0.4, 0.6),
                       (4, 12), (1, 4), (0, 4), "hospital", 0.2, 1.0, 0.0),
    "hospital_county": Kind((300, 1_200), (12_000, 60_000), (28, 45), 15.5, 55, (0.4, 0.6),
                       (3, 8), (0, 2), (0, 2), "hospital", 0.18, 0.6, 0.4),
    "hospital_small":  Kind((120, 500), (5_000, 20_000), (28, 45), 13.5, 50, (0.45, 0.65),
                       (1, 4), (0, 1), (0, 1), "hospital", 0.15, 0.6, 0.4),
    "cdc":             Kind((40, 150), (2_500, 9_000), (30, 55), 12.0, 35, (0.6, 0.8),
                       (2, 5), (0, 1), (0, 1), "office", 0.06, 0.5, 0.2),
    "clinic":          Kind((30, 120), (1_500, 6_000), (25, 45), 10.5, 40, (0.5, 0.7),
                       (1, 2), (0, 1), (0, 0), "hospital", 0.12, 0.2, 0.7),
    "venue":           Kind((100, 1_200), (2_000, 30_000), (8, 20), 9.9, 11, (0.3, 0.6),
                       (0, 2), (0, 0), (0, 1), "venue", 0.05, 0.3, 0.1),
    "science":         Kind((30, 150), (2_000, 10_000), (35, 60), 11.5, 30, (0.6, 0.85),
                       (1, 3), (0, 1), (0, 1), "office", 0.05, 0.4, 0.2),
    "other":           Kind((20, 150), (1_500, 9_000), (30, 55), 10.0, 30, (0.6, 0.85),
                       (1, 3), (0, 1), (0, 1), "office", 0.05, 0.3, 0.3),
    "group":           Kind((10, 50), (600, 3_000), (30, 50), 10.0, 30, (0.5, 0.8),
                       (0, 2), (0, 0), (0, 1), "office", 0.05, 0.3, 0.2),
}
# fmt: on

# Monthly shapes (Jan … Dec), normalised to mean 1 below.
_SHAPES_ELECTRICITY: dict[str, tuple[float, ...]] = {
    "office": (1.02, 0.82, 0.86, 0.86, 0.95, 1.15, 1.35, 1.35, 1.18, 0.93, 0.88, 1.00),
    "school": (0.95, 0.45, 1.00, 1.00, 1.10, 1.25, 0.60, 0.45, 1.25, 1.05, 1.00, 1.05),
    "college": (0.90, 0.50, 1.05, 1.05, 1.15, 1.30, 0.75, 0.55, 1.30, 1.10, 1.05, 1.00),
    "hospital": (1.02, 0.95, 0.90, 0.90, 1.00, 1.15, 1.30, 1.30, 1.15, 0.95, 0.90, 1.00),
    "venue": (0.95, 0.90, 0.90, 0.90, 1.00, 1.15, 1.35, 1.35, 1.10, 1.05, 0.90, 0.95),
}
_SHAPES_GAS: dict[str, tuple[float, ...]] = {
    "office": (1.15, 0.85, 1.05, 1.00, 0.95, 0.90, 0.85, 0.85, 0.90, 0.95, 1.05, 1.15),
    "school": (1.10, 0.30, 1.20, 1.15, 1.10, 1.05, 0.40, 0.25, 1.10, 1.10, 1.20, 1.25),
    "college": (1.05, 0.40, 1.20, 1.15, 1.10, 1.05, 0.50, 0.35, 1.10, 1.10, 1.15, 1.20),
    "hospital": (1.20, 1.10, 1.05, 1.00, 0.95, 0.90, 0.85, 0.85, 0.90, 0.95, 1.05, 1.20),
    "venue": (1.10, 0.90, 1.00, 1.00, 1.00, 0.95, 0.95, 0.95, 1.00, 1.00, 1.05, 1.10),
}
_SHAPES_WATER: dict[str, tuple[float, ...]] = {
    "office": (0.90, 0.80, 0.90, 0.95, 1.05, 1.15, 1.20, 1.20, 1.10, 1.00, 0.90, 0.85),
    "school": (0.90, 0.40, 1.05, 1.05, 1.15, 1.25, 0.60, 0.45, 1.20, 1.05, 0.95, 0.90),
    "college": (0.90, 0.50, 1.05, 1.05, 1.15, 1.25, 0.70, 0.55, 1.20, 1.05, 0.95, 0.90),
    "hospital": (0.95, 0.90, 0.95, 0.95, 1.00, 1.05, 1.10, 1.10, 1.05, 1.00, 0.95, 0.95),
    "venue": (0.90, 0.85, 0.90, 0.95, 1.05, 1.15, 1.25, 1.25, 1.10, 1.00, 0.85, 0.85),
}
_SHAPE_HEAT = (1.6, 1.4, 1.1, 0.8, 0.7, 0.6, 0.6, 0.6, 0.7, 0.8, 1.1, 1.5)
_SHAPE_NAMES = ("office", "school", "college", "hospital", "venue")

#: Demo rule (not a standard): 重点用能单位 = 综合能耗 of the first year ≥ 500 tce.
KEY_ENERGY_USER_TCE = 500.0


def _shape_matrix(shapes: dict[str, tuple[float, ...]]) -> FloatArray:
    m = np.array([shapes[n] for n in _SHAPE_NAMES], dtype=np.float64)
    out: FloatArray = m / m.mean(axis=1, keepdims=True)
    return out


# --------------------------------------------------------------------------- helpers


def _guilin_csv_bytes() -> bytes:
    return (resources.files("jieneng") / "data" / "regions" / "guilin.csv").read_bytes()


def _guilin_regions() -> list[tuple[str, str]]:
    rows = list(csv.reader(io.StringIO(_guilin_csv_bytes().decode("utf-8"))))[1:]
    return [(code, name) for code, name, _parent in rows if code.startswith("4503")]


def _loguniform(lo: FloatArray, hi: FloatArray, u: FloatArray) -> FloatArray:
    """Log-uniform between ``lo`` and ``hi`` at quantile ``u``."""
    out: FloatArray = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
    return out


def _int_range(rng: np.random.Generator, bounds: npt.NDArray[np.int64]) -> IntArray:
    """Uniform integers in [lo, hi] per row of ``bounds`` (shape (n, 2))."""
    out: IntArray = rng.integers(bounds[:, 0], bounds[:, 1] + 1)
    return out


def _unique_serials(rng: np.random.Generator, n: int) -> list[int]:
    seen: dict[int, None] = {}
    while len(seen) < n:
        for value in rng.integers(10_000_000, 99_999_999, size=n).tolist():
            seen.setdefault(int(value), None)
    return list(seen)[:n]


_REGISTRATION = {"01": "11", "03": "51"}  # else 12 事业单位


# --------------------------------------------------------------------------- model


@dataclass
class _Model:
    seats: list[Seat]
    codes: list[str]
    department: list[str]
    key_user: BoolArray
    closed: BoolArray
    active: BoolArray  # (n, y)
    people: IntArray  # (n, y)
    staff: IntArray
    area: FloatArray
    heated: FloatArray
    cars_gasoline: IntArray
    cars_diesel: IntArray
    cars_nev: IntArray
    quantity: dict[str, FloatArray]  # carrier → (n, y, 12), NaN = blank
    cost: dict[str, FloatArray]


def _build_model(rng: np.random.Generator, years: tuple[int, ...]) -> _Model:
    regions = _guilin_regions()
    seat_list = seats(regions, rng)
    n, ny = len(seat_list), len(years)

    # ---- codes and competent departments
    serials = _unique_serials(rng, n)
    codes = [
        make_credit_code(_REGISTRATION.get(s.category, "12"), s.region_code, serial)
        for s, serial in zip(seat_list, serials, strict=True)
    ]
    by_role = {
        (s.region_code, s.role): code for s, code in zip(seat_list, codes, strict=True) if s.role
    }
    department = [
        by_role.get((s.region_code, s.department_role))
        or by_role.get((CITY_CODE, s.department_role), "")
        if s.department_role
        else ""
        for s in seat_list
    ]

    # ---- per-kind parameter vectors
    kinds = [KINDS[s.kind] for s in seat_list]
    people_lo = np.array([k.people[0] for k in kinds])
    people_hi = np.array([k.people[1] for k in kinds])
    area_lo = np.array([k.area[0] for k in kinds])
    area_hi = np.array([k.area[1] for k in kinds])
    intensity = np.array([k.intensity for k in kinds])
    water_pp = np.array([k.water_pp for k in kinds])
    staff_lo = np.array([k.staff_ratio[0] for k in kinds])
    staff_hi = np.array([k.staff_ratio[1] for k in kinds])
    gas_cars = np.array([k.gasoline_cars for k in kinds], dtype=np.int64)
    diesel_cars = np.array([k.diesel_cars for k in kinds], dtype=np.int64)
    nev_cars = np.array([k.nev for k in kinds], dtype=np.int64)
    shape_idx = np.array([_SHAPE_NAMES.index(k.shape) for k in kinds])
    gas_share = np.array([k.gas_share for k in kinds])
    p_gas = np.array([k.p_gas for k in kinds])
    p_lpg = np.array([k.p_lpg for k in kinds])
    urban = np.array(
        [
            s.region_code in (CITY_CODE, "450302", "450303", "450304", "450305", "450312")
            for s in seat_list
        ]
    )

    # ---- sizes: area from head-count × m² per person, within the kind's bounds
    people0 = _loguniform(people_lo, people_hi, rng.random(n))
    m2pp = rng.uniform(
        np.array([k.m2_per_person[0] for k in kinds]), np.array([k.m2_per_person[1] for k in kinds])
    )
    area0 = np.round(np.clip(people0 * m2pp, area_lo, area_hi), -1)
    drift = np.cumprod(1.0 + rng.normal(0.0, 0.025, (n, ny)), axis=1)
    drift[:, 0] = 1.0
    people = np.maximum(np.rint(people0[:, None] * drift), 5).astype(np.int64)
    staff_ratio = rng.uniform(staff_lo, staff_hi)
    staff = np.maximum(np.rint(people * staff_ratio[:, None]), 1).astype(np.int64)
    # a few extensions (new wing, +10–30 %) in a later year: real review triggers (>10 %)
    area: FloatArray = np.repeat(area0[:, None], ny, axis=1).astype(np.float64)
    if ny > 1:
        grows = rng.random(n) < 0.02
        when = rng.integers(1, ny, size=n)
        factor = 1.0 + rng.uniform(0.1, 0.3, size=n)
        later = np.arange(ny)[None, :] >= when[:, None]
        grown = np.round(area * factor[:, None], -1)
        area = np.where(grows[:, None] & later, grown, area).astype(np.float64)

    # ---- vehicles: one gasoline car replaced by an NEV with probability 0.2 a year
    g0 = _int_range(rng, gas_cars)
    d0 = _int_range(rng, diesel_cars)
    e0 = _int_range(rng, nev_cars)
    swaps = np.cumsum(rng.random((n, ny)) < 0.2, axis=1)
    swaps[:, 0] = 0
    swaps = np.minimum(swaps, g0[:, None])
    cars_gasoline = (g0[:, None] - swaps).astype(np.int64)
    cars_nev = (e0[:, None] + swaps).astype(np.int64)
    cars_diesel = np.repeat(d0[:, None], ny, axis=1).astype(np.int64)

    # ---- which carriers each institution uses
    r = rng.random(n)
    uses_gas = r < np.where(urban, p_gas, p_gas * 0.3)
    uses_lpg = ~uses_gas & (r < np.where(urban, p_gas, p_gas * 0.3) + p_lpg)
    kind_names = np.array([s.kind for s in seat_list])
    eligible_coal = np.flatnonzero(np.isin(kind_names, ["middle", "clinic", "township"]) & ~urban)
    eligible_heat = np.flatnonzero(np.isin(kind_names, ["hospital_city", "college"]))
    eligible_other = np.flatnonzero(np.isin(kind_names, ["middle", "vocational", "venue"]))
    uses_coal = np.zeros(n, dtype=bool)
    uses_heat = np.zeros(n, dtype=bool)
    uses_other = np.zeros(n, dtype=bool)
    uses_coal[rng.choice(eligible_coal, size=min(4, eligible_coal.size), replace=False)] = True
    uses_heat[rng.choice(eligible_heat, size=min(2, eligible_heat.size), replace=False)] = True
    uses_other[rng.choice(eligible_other, size=min(3, eligible_other.size), replace=False)] = True

    share_gas = np.where(uses_gas, gas_share * rng.uniform(0.6, 1.4, n), 0.0)
    share_lpg = np.where(uses_lpg, gas_share * rng.uniform(0.4, 1.0, n), 0.0)
    share_coal = np.where(uses_coal, rng.uniform(0.05, 0.12, n), 0.0)
    share_heat = np.where(uses_heat, rng.uniform(0.06, 0.12, n), 0.0)
    share_other = np.where(uses_other, rng.uniform(0.02, 0.05, n), 0.0)
    share_el = 1.0 - share_gas - share_lpg - share_coal - share_heat - share_other
    heated_share = np.where(uses_heat, rng.uniform(0.2, 0.4, n), 0.0)
    heated: FloatArray = np.round(area * heated_share[:, None], -1).astype(np.float64)

    # ---- building energy [kgce] per institution and year, then months
    year_idx = np.arange(ny)
    trend = (1.0 - 0.015) ** year_idx
    inst_intensity = intensity * rng.lognormal(0.0, 0.15, n)
    annual = area * inst_intensity[:, None] * trend[None, :] * rng.lognormal(0.0, 0.04, (n, ny))
    shape_el = _shape_matrix(_SHAPES_ELECTRICITY)[shape_idx][:, None, :]
    shape_gas = _shape_matrix(_SHAPES_GAS)[shape_idx][:, None, :]
    shape_water = _shape_matrix(_SHAPES_WATER)[shape_idx][:, None, :]
    shape_heat = (np.array(_SHAPE_HEAT) / np.mean(_SHAPE_HEAT))[None, None, :]
    monthly = annual[:, :, None] / 12.0

    def noisy(sigma: float) -> FloatArray:
        out: FloatArray = rng.lognormal(0.0, sigma, (n, ny, 12))
        return out

    def blank_unless(mask: npt.NDArray[np.bool_], values: FloatArray) -> FloatArray:
        out: FloatArray = np.where(mask, values, np.nan)
        return out

    q: dict[str, FloatArray] = {}
    q["electricity"] = np.rint(
        monthly * share_el[:, None, None] * shape_el * noisy(0.05) / KGCE_PER_UNIT["electricity"]
    )
    q["water"] = np.rint(
        people[:, :, None] * water_pp[:, None, None] / 12.0 * shape_water * noisy(0.08)
    )
    q["coal"] = blank_unless(
        uses_coal[:, None, None],
        np.round(
            monthly * share_coal[:, None, None] * shape_gas * noisy(0.1) / KGCE_PER_UNIT["coal"], 2
        ),
    )
    q["natural_gas"] = blank_unless(
        uses_gas[:, None, None],
        np.rint(
            monthly
            * share_gas[:, None, None]
            * shape_gas
            * noisy(0.08)
            / KGCE_PER_UNIT["natural_gas"]
        ),
    )
    lpg_kg = monthly * share_lpg[:, None, None] * shape_gas * noisy(0.1) / KGCE_PER_UNIT["lpg"]
    q["lpg"] = blank_unless(uses_lpg[:, None, None], np.maximum(np.rint(lpg_kg / 15.0), 1) * 15)
    per_car_g = rng.uniform(1_200, 2_200, n)[:, None, None] / 12.0
    per_car_d = rng.uniform(2_000, 4_000, n)[:, None, None] / 12.0
    q["gasoline_vehicle"] = blank_unless(
        cars_gasoline[:, :, None] > 0,
        np.round(cars_gasoline[:, :, None] * per_car_g * noisy(0.15), 2),
    )
    q["diesel_vehicle"] = blank_unless(
        cars_diesel[:, :, None] > 0, np.round(cars_diesel[:, :, None] * per_car_d * noisy(0.15), 2)
    )
    q["heat"] = blank_unless(
        uses_heat[:, None, None],
        np.round(
            monthly * share_heat[:, None, None] * shape_heat * noisy(0.08) / KGCE_PER_UNIT["heat"],
            1,
        ),
    )
    q["other_energy"] = blank_unless(
        uses_other[:, None, None],
        np.round(
            monthly * share_other[:, None, None] * noisy(0.15) / KGCE_PER_UNIT["other_energy"], 3
        ),
    )

    # ---- prices and costs
    month_wave = np.sin(np.linspace(0, 2 * np.pi * ny, ny * 12, endpoint=False)).reshape(ny, 12)
    prices: dict[str, FloatArray] = {
        "electricity": rng.uniform(0.60, 0.90, n)[:, None, None] * noisy(0.015),
        "water": rng.uniform(2.5, 4.0, n)[:, None, None] * np.ones((1, ny, 12)),
        "coal": rng.uniform(900, 1_300, n)[:, None, None] * noisy(0.03),
        "natural_gas": rng.uniform(3.0, 4.0, n)[:, None, None]
        * (1.0 + 0.02 * year_idx)[None, :, None]
        * np.ones((1, 1, 12)),
        "lpg": rng.uniform(7.0, 9.0, n)[:, None, None] * noisy(0.04),
        "gasoline_vehicle": np.clip(
            8.0 + 0.35 * month_wave[None, :, :] + rng.normal(0, 0.05, (n, 1, 1)), 7.5, 8.5
        ),
        "diesel_vehicle": np.clip(
            7.5 + 0.35 * month_wave[None, :, :] + rng.normal(0, 0.05, (n, 1, 1)), 7.0, 8.0
        ),
        "heat": rng.uniform(60, 90, n)[:, None, None] * np.ones((1, ny, 12)),
    }
    cost = {code: np.round(q[code] * price, 2) for code, price in prices.items()}

    # ---- directory flags
    first_year_tce = (
        sum(np.nansum(q[c][:, 0, :], axis=1) * f for c, f in KGCE_PER_UNIT.items()) / 1000.0
    )
    key_user = np.asarray(first_year_tce >= KEY_ENERGY_USER_TCE)
    closed = np.zeros(n, dtype=bool)
    for kind in ("primary", "clinic"):
        candidates = np.flatnonzero(kind_names == kind)
        closed[rng.choice(candidates)] = True
    active = np.ones((n, ny), dtype=bool)
    if ny > 1:
        active[closed, ny - 1] = False
    else:
        active[closed, :] = False

    return _Model(
        seat_list,
        codes,
        department,
        key_user,
        closed,
        active,
        people,
        staff,
        area,
        heated,
        cars_gasoline,
        cars_diesel,
        cars_nev,
        q,
        cost,
    )


# --------------------------------------------------------------------------- planting


def _plant(
    model: _Model, rng: np.random.Generator, years: tuple[int, ...]
) -> tuple[BoolArray, list[PlantedError]]:
    """Alter ``model`` in place; return the reported-month mask (n, y, 12) and the list."""
    ny = model.active.shape[1]
    reported = np.repeat(model.active[:, :, None], 12, axis=2)
    kinds = np.array([s.kind for s in model.seats])
    ordinary = np.flatnonzero(
        np.isin(kinds, ["organ_county", "organ_city", "middle", "primary", "other", "cdc"])
        & ~model.key_user
        & ~model.closed
    )
    picks = [int(i) for i in rng.choice(ordinary, size=11, replace=False)]
    last = ny - 1
    mid = ny // 2
    planted: list[PlantedError] = []
    el, water = model.quantity["electricity"], model.quantity["water"]

    def add(
        i: int,
        yi: int,
        month: int,
        code: str | None,
        kind: str,
        reported_value: float | None,
        typical: float | None,
        zh: str,
        en: str,
    ) -> None:
        planted.append(
            PlantedError(
                model.codes[i],
                model.seats[i].name,
                years[yi],
                month,
                code,
                kind,
                reported_value,
                typical,
                zh,
                en,
            )
        )

    # 1–2: electricity typed in 万kWh into the kWh column (cost left as billed)
    for i, yi, month in ((picks[0], min(1, last), 4), (picks[1], last, 9)):
        typical = float(el[i, yi, month - 1])
        el[i, yi, month - 1] = round(typical / 10_000.0, 2)
        price = model.cost["electricity"][i, yi, month - 1] / el[i, yi, month - 1]
        add(
            i,
            yi,
            month,
            "electricity",
            "unit_wan_kwh",
            float(el[i, yi, month - 1]),
            typical,
            f"用电量约为正常值的万分之一（疑按万千瓦时填报），折算单价约{price:,.0f}元/千瓦时",
            "electricity about 1/10 000 of normal (entered in 万kWh?); implied unit price "
            f"about {price:,.0f} yuan/kWh",
        )
    # 3–4: one value 10× (an extra digit); the cost is the true bill
    for i, yi, month, code, arr in (
        (picks[2], last, 5, "electricity", el),
        (picks[3], 0, 10, "water", water),
    ):
        typical = float(arr[i, yi, month - 1])
        arr[i, yi, month - 1] = typical * 10.0
        name = carrier(code).name_zh
        add(
            i,
            yi,
            month,
            code,
            "spike_10x",
            float(arr[i, yi, month - 1]),
            typical,
            f"{name}当月用量为上下月的约10倍（多输一位？），单价仅约正常的十分之一",
            f"{code} about 10x the neighbouring months (an extra digit?); unit price about "
            "a tenth of normal",
        )
    # 5: a whole month missing mid-year
    i = picks[4]
    reported[i, mid, 5] = False
    add(
        i,
        mid,
        6,
        None,
        "missing_month",
        None,
        float(el[i, mid, 5]),
        "当年6月无任何数据，前后月份均已填报",
        "no figures for June; the months around it are filled",
    )
    # 6: electricity cell blank in one month (other carriers present)
    i = picks[5]
    typical = float(el[i, last, 2])
    el[i, last, 2] = np.nan
    model.cost["electricity"][i, last, 2] = np.nan
    add(
        i,
        last,
        3,
        "electricity",
        "missing_value",
        None,
        typical,
        "3月用电量为空（其他品种已填），应补报",
        "March electricity blank (other carriers filled)",
    )
    # 7–11: late reports — nothing for the last one or two months of the last year
    for k, i in enumerate(picks[6:11]):
        months = 2 if k < 2 else 1
        for month in range(13 - months, 13):
            reported[i, last, month - 1] = False
            add(
                i,
                last,
                month,
                None,
                "late_report",
                None,
                float(el[i, last, month - 1]),
                f"{years[last]}年{month}月尚未报送",
                f"{years[last]}-{month:02d} not yet reported",
            )
    return reported, planted


# --------------------------------------------------------------------------- writers


def _write_institutions(model: _Model, path: Path) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    workbook.set_properties(
        {
            "title": "公共机构名录（演示数据）",
            "subject": "jieneng 演示数据 — 桂林市（虚构单位）",
            "author": "jieneng demo",
            "created": dt.datetime(2026, 1, 1),
        }
    )
    head = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    sheet = workbook.add_worksheet("公共机构名录")
    sheet.write_row(0, 0, INSTITUTION_COLUMNS, head)
    for row, (seat, code) in enumerate(zip(model.seats, model.codes, strict=True), start=1):
        i = row - 1
        sheet.write_string(row, 0, code, text)
        sheet.write_string(row, 1, seat.name)
        sheet.write_string(row, 2, seat.region_code, text)
        sheet.write_string(row, 3, seat.category, text)
        sheet.write_string(row, 4, model.department[i], text)
        sheet.write_string(row, 5, "是" if model.key_user[i] else "否")
        sheet.write_string(row, 6, "撤销" if model.closed[i] else "在用")
    for col, width in enumerate((22, 34, 12, 10, 26, 12, 8)):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    notes = workbook.add_worksheet("说明")
    for row, line in enumerate(
        (
            "演示数据：本文件中的单位、代码和数字均为虚构，仅供 jieneng 演示与测试使用。",
            "Demo data: every institution, code and figure in this file is fictional.",
            "单位类别：01 国家机关；021 教育；022 科技；023 文化；024 卫生；025 体育；"
            "026 其他事业单位；03 团体组织。",
        )
    ):
        notes.write_string(row, 0, line)
    notes.set_column(0, 0, 100)
    workbook.close()


def _write_profiles(model: _Model, years: tuple[int, ...], path: Path) -> None:
    n, ny = model.active.shape
    mask = model.active.ravel()
    frame = pl.DataFrame(
        {
            PROFILE_COLUMNS[0]: np.repeat(np.array(model.codes), ny)[mask],
            PROFILE_COLUMNS[1]: np.tile(np.array(years, dtype=np.int64), n)[mask],
            PROFILE_COLUMNS[2]: model.people.ravel()[mask],
            PROFILE_COLUMNS[3]: model.staff.ravel()[mask],
            PROFILE_COLUMNS[4]: model.area.ravel()[mask].astype(np.int64),
            PROFILE_COLUMNS[5]: model.heated.ravel()[mask].astype(np.int64),
            PROFILE_COLUMNS[6]: model.cars_gasoline.ravel()[mask],
            PROFILE_COLUMNS[7]: model.cars_diesel.ravel()[mask],
            PROFILE_COLUMNS[8]: model.cars_nev.ravel()[mask],
        }
    )
    frame.write_csv(path)


def _write_consumption(model: _Model, reported: BoolArray, yi: int, year: int, path: Path) -> None:
    n = len(model.codes)
    mask = reported[:, yi, :].ravel()  # institution-major, then month
    columns: dict[str, pl.Series] = {
        "统一社会信用代码": pl.Series(np.repeat(np.array(model.codes), 12)[mask]),
        "年": pl.Series(np.full(int(mask.sum()), year, dtype=np.int64)),
        "月": pl.Series(np.tile(np.arange(1, 13, dtype=np.int64), n)[mask]),
    }
    for code in CONSUMPTION_CARRIERS:
        columns[quantity_header(code)] = pl.Series(model.quantity[code][:, yi, :].ravel()[mask])
        cost = cost_header(code)
        if cost is not None:
            columns[cost] = pl.Series(model.cost[code][:, yi, :].ravel()[mask])
    frame = pl.DataFrame(columns)
    numbers = frame.columns[3:]
    frame = frame.with_columns(pl.col(numbers).fill_nan(None)).with_columns(
        # as a person types them: 60610, 798.8 (never 60610.0); blank = not reported
        pl.when(pl.col(c) == pl.col(c).round(0))
        .then(pl.col(c).cast(pl.Int64).cast(pl.String))
        .otherwise(pl.col(c).cast(pl.String))
        .alias(c)
        for c in numbers
    )
    frame.write_csv(path)


# --------------------------------------------------------------------------- API


def write_demo_files(
    out_dir: Path, *, seed: int = DEFAULT_SEED, years: Sequence[int] = DEFAULT_YEARS
) -> DemoFiles:
    """Write the demo city's input files into ``out_dir`` (created if needed).

    Parameters
    ----------
    out_dir : Path
        Target directory; existing files of the same names are overwritten.
    seed : int
        Seed of the :class:`numpy.random.Generator`; the same seed and years
        give byte-identical files.
    years : sequence of int
        Calendar years of consumption (sorted, distinct), e.g. ``(2023, 2024, 2025)``.

    Returns
    -------
    DemoFiles
        The paths written and the planted problems.
    """
    years_t = tuple(sorted({int(y) for y in years}))
    if not years_t:
        raise ValueError("years must not be empty")
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    model = _build_model(rng, years_t)
    reported, planted = _plant(model, rng, years_t)

    regions = out_dir / "regions.csv"
    regions.write_bytes(_guilin_csv_bytes())
    institutions = out_dir / "institutions.xlsx"
    _write_institutions(model, institutions)
    profiles = out_dir / "profiles.csv"
    _write_profiles(model, years_t, profiles)
    consumption = tuple(out_dir / f"consumption_{year}.csv" for year in years_t)
    for yi, (year, path) in enumerate(zip(years_t, consumption, strict=True)):
        _write_consumption(model, reported, yi, year, path)
    closed = tuple(c for c, flag in zip(model.codes, model.closed, strict=True) if flag)
    return DemoFiles(
        out_dir,
        regions,
        institutions,
        profiles,
        consumption,
        tuple(planted),
        closed,
        seed,
        years_t,
        len(model.codes),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m jieneng.demo.generate OUT_DIR``: write the files, list the planted errors."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m jieneng.demo.generate OUT_DIR")
        return 2
    files = write_demo_files(Path(args[0]))
    for path in files.paths():
        print(f"{path}  {path.stat().st_size:,} B")
    for p in files.planted:
        print(
            f"{p.kind:14} {p.credit_code} {p.year}-{p.month:02d} {p.carrier or '-':12} "
            f"{p.institution_name}: {p.reviewer_sees_zh}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = [
    "CONSUMPTION_CARRIERS", "DEFAULT_SEED", "DEFAULT_YEARS", "INSTITUTION_COLUMNS", "KINDS",
    "PROFILE_COLUMNS", "DemoFiles", "PlantedError", "consumption_columns", "cost_header",
    "quantity_header", "write_demo_files",
]  # fmt: skip
