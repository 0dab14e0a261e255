"""The figures of the demo city, before anything is written: institutions with
their codes and competent departments, sizes, vehicles, the carriers they use and
their monthly quantities and costs — vectorised over institutions × years × months
from one :class:`numpy.random.Generator` (the same seed gives the same figures).

How the figures are made (per institution *i*, year *y*, month *m*):

- building energy [kgce] = 建筑面积 × intensity × 0.985^(y − first year) × noise,
  the intensity by kind (:data:`jieneng.demo.kinds.KINDS`, Guangdong 2021
  same-type averages) with a per-institution spread (log-normal, σ 0.15); split
  over electricity (dominant), natural gas or LPG (canteens, boilers), and for a
  handful coal, purchased heat or 其他能源; converted with
  :data:`jieneng.demo.kinds.KGCE_PER_UNIT` (the ``pi-published`` factor set);
- vehicle fuel from the number of cars (汽油 1 200–2 200 L, 柴油 2 000–4 000 L
  per car and year); water from 用能人数 × m³ per person (20–60 by kind);
- prices per institution: 电 0.60–0.90 元/kWh, 水 2.5–4.0 元/m³, 天然气
  3.0–4.0 元/m³, 液化石油气 7–9 元/kg, 汽油 7.5–8.5 元/L, 柴油 7.0–8.0 元/L.

The random draws are made in one fixed order (the stages below run in sequence),
so a change of order changes every figure of the demo.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources

import numpy as np
import numpy.typing as npt

from jieneng.core.codes import make_credit_code

from .catalogue import CITY_CODE, Seat, seats
from .kinds import (
    KEY_ENERGY_USER_TCE,
    KGCE_PER_UNIT,
    KINDS,
    SHAPE_HEAT,
    SHAPE_NAMES,
    SHAPES_ELECTRICITY,
    SHAPES_GAS,
    SHAPES_WATER,
    Kind,
    shape_matrix,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_REGISTRATION = {"01": "11", "03": "51"}  # else 12 事业单位
#: region codes counted as urban (piped gas more likely): the city and its districts
_URBAN = (CITY_CODE, "450302", "450303", "450304", "450305", "450312")


@dataclass
class Model:
    """Every figure of the demo city; arrays are (institutions,) or (…, years[, 12])."""

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


@dataclass(frozen=True, slots=True)
class _Mix:
    """Which carriers each institution uses and their shares of building energy."""

    uses_gas: BoolArray
    uses_lpg: BoolArray
    uses_coal: BoolArray
    uses_heat: BoolArray
    uses_other: BoolArray
    share_el: FloatArray
    share_gas: FloatArray
    share_lpg: FloatArray
    share_coal: FloatArray
    share_heat: FloatArray
    share_other: FloatArray
    heated_share: FloatArray


def guilin_csv_bytes() -> bytes:
    """The shipped ``regions/guilin.csv`` (广西, 桂林市 and its divisions)."""
    return (resources.files("jieneng") / "data" / "regions" / "guilin.csv").read_bytes()


def _guilin_regions() -> list[tuple[str, str]]:
    rows = list(csv.reader(io.StringIO(guilin_csv_bytes().decode("utf-8"))))[1:]
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


def _of(kinds: list[Kind], pick: str, index: int | None = None) -> FloatArray:
    """One parameter of every institution's kind, as a vector."""
    values = [getattr(k, pick) if index is None else getattr(k, pick)[index] for k in kinds]
    out: FloatArray = np.array(values)
    return out


def build_model(rng: np.random.Generator, years: tuple[int, ...]) -> Model:
    """The demo city's institutions and figures for ``years``."""
    seat_list = seats(_guilin_regions(), rng)
    ny = len(years)
    codes, department = _identities(rng, seat_list)
    kinds = [KINDS[s.kind] for s in seat_list]
    people, staff, area = _sizes(rng, kinds, ny)
    cars_gasoline, cars_diesel, cars_nev = _vehicles(rng, kinds, ny)
    kind_names = np.array([s.kind for s in seat_list])
    urban = np.array([s.region_code in _URBAN for s in seat_list])
    mix = _carrier_mix(rng, kinds, kind_names, urban)
    heated: FloatArray = np.round(area * mix.heated_share[:, None], -1).astype(np.float64)
    q = _quantities(rng, kinds, mix, area, people, cars_gasoline, cars_diesel)
    cost = _costs(rng, q, ny)
    key_user, closed, active = _flags(rng, q, kind_names, ny)
    return Model(
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


def _identities(rng: np.random.Generator, seat_list: list[Seat]) -> tuple[list[str], list[str]]:
    """Credit codes (GB 32100) and each institution's competent department's code."""
    serials = _unique_serials(rng, len(seat_list))
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
    return codes, department


def _sizes(
    rng: np.random.Generator, kinds: list[Kind], ny: int
) -> tuple[IntArray, IntArray, FloatArray]:
    """用能人数, 编制人数 and 建筑面积 per institution and year: area from head-count
    × m² per person within the kind's bounds; a few extensions in a later year."""
    n = len(kinds)
    people0 = _loguniform(_of(kinds, "people", 0), _of(kinds, "people", 1), rng.random(n))
    m2pp = rng.uniform(_of(kinds, "m2_per_person", 0), _of(kinds, "m2_per_person", 1))
    area0 = np.round(np.clip(people0 * m2pp, _of(kinds, "area", 0), _of(kinds, "area", 1)), -1)
    drift = np.cumprod(1.0 + rng.normal(0.0, 0.025, (n, ny)), axis=1)
    drift[:, 0] = 1.0
    people = np.maximum(np.rint(people0[:, None] * drift), 5).astype(np.int64)
    staff_ratio = rng.uniform(_of(kinds, "staff_ratio", 0), _of(kinds, "staff_ratio", 1))
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
    return people, staff, area


def _vehicles(
    rng: np.random.Generator, kinds: list[Kind], ny: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Gasoline, diesel and new-energy cars per institution and year: one gasoline
    car replaced by an NEV with probability 0.2 a year."""
    n = len(kinds)
    g0 = _int_range(rng, np.array([k.gasoline_cars for k in kinds], dtype=np.int64))
    d0 = _int_range(rng, np.array([k.diesel_cars for k in kinds], dtype=np.int64))
    e0 = _int_range(rng, np.array([k.nev for k in kinds], dtype=np.int64))
    swaps = np.cumsum(rng.random((n, ny)) < 0.2, axis=1)
    swaps[:, 0] = 0
    swaps = np.minimum(swaps, g0[:, None])
    cars_gasoline = (g0[:, None] - swaps).astype(np.int64)
    cars_nev = (e0[:, None] + swaps).astype(np.int64)
    cars_diesel = np.repeat(d0[:, None], ny, axis=1).astype(np.int64)
    return cars_gasoline, cars_diesel, cars_nev


def _carrier_mix(
    rng: np.random.Generator, kinds: list[Kind], kind_names: npt.NDArray[np.str_],
    urban: BoolArray,
) -> _Mix:
    """Piped gas (likelier in town) or LPG by kind; coal for a few rural schools,
    clinics and townships, purchased heat for two large sites, 其他能源 for three."""
    n = len(kinds)
    p_gas, p_lpg, gas_share = _of(kinds, "p_gas"), _of(kinds, "p_lpg"), _of(kinds, "gas_share")
    r = rng.random(n)
    uses_gas = r < np.where(urban, p_gas, p_gas * 0.3)
    uses_lpg = ~uses_gas & (r < np.where(urban, p_gas, p_gas * 0.3) + p_lpg)
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
    return _Mix(uses_gas, uses_lpg, uses_coal, uses_heat, uses_other, share_el, share_gas,
                share_lpg, share_coal, share_heat, share_other, heated_share)


def _quantities(
    rng: np.random.Generator,
    kinds: list[Kind],
    mix: _Mix,
    area: FloatArray,
    people: IntArray,
    cars_gasoline: IntArray,
    cars_diesel: IntArray,
) -> dict[str, FloatArray]:
    """Monthly quantity per carrier [unit of the form], NaN where not used."""
    n, ny = len(kinds), int(area.shape[1])
    shape_idx = np.array([SHAPE_NAMES.index(k.shape) for k in kinds])
    trend = (1.0 - 0.015) ** np.arange(ny)
    inst_intensity = _of(kinds, "intensity") * rng.lognormal(0.0, 0.15, n)
    annual = area * inst_intensity[:, None] * trend[None, :] * rng.lognormal(0.0, 0.04, (n, ny))
    shape_el = shape_matrix(SHAPES_ELECTRICITY)[shape_idx][:, None, :]
    shape_gas = shape_matrix(SHAPES_GAS)[shape_idx][:, None, :]
    shape_water = shape_matrix(SHAPES_WATER)[shape_idx][:, None, :]
    shape_heat = (np.array(SHAPE_HEAT) / np.mean(SHAPE_HEAT))[None, None, :]
    monthly = annual[:, :, None] / 12.0

    def noisy(sigma: float) -> FloatArray:
        out: FloatArray = rng.lognormal(0.0, sigma, (n, ny, 12))
        return out

    def blank_unless(mask: npt.NDArray[np.bool_], values: FloatArray) -> FloatArray:
        out: FloatArray = np.where(mask, values, np.nan)
        return out

    def building(
        share: FloatArray, shape: FloatArray | float, sigma: float, code: str
    ) -> FloatArray:
        """This carrier's part of the building energy, in its unit."""
        out: FloatArray = (
            monthly * share[:, None, None] * shape * noisy(sigma) / KGCE_PER_UNIT[code]
        )
        return out

    q: dict[str, FloatArray] = {}
    q["electricity"] = np.rint(building(mix.share_el, shape_el, 0.05, "electricity"))
    q["water"] = np.rint(
        people[:, :, None] * _of(kinds, "water_pp")[:, None, None] / 12.0 * shape_water
        * noisy(0.08)
    )
    q["coal"] = blank_unless(
        mix.uses_coal[:, None, None], np.round(building(mix.share_coal, shape_gas, 0.1, "coal"), 2)
    )
    q["natural_gas"] = blank_unless(
        mix.uses_gas[:, None, None],
        np.rint(building(mix.share_gas, shape_gas, 0.08, "natural_gas")),
    )
    lpg_kg = building(mix.share_lpg, shape_gas, 0.1, "lpg")
    q["lpg"] = blank_unless(mix.uses_lpg[:, None, None], np.maximum(np.rint(lpg_kg / 15.0), 1) * 15)
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
        mix.uses_heat[:, None, None],
        np.round(building(mix.share_heat, shape_heat, 0.08, "heat"), 1),
    )
    q["other_energy"] = blank_unless(
        mix.uses_other[:, None, None],
        np.round(building(mix.share_other, 1.0, 0.15, "other_energy"), 3),
    )
    return q


def _costs(rng: np.random.Generator, q: dict[str, FloatArray], ny: int) -> dict[str, FloatArray]:
    """Monthly cost per carrier [元] from a price per institution (fuel prices follow
    a yearly wave; gas rises 2 % a year)."""
    n = len(q["electricity"])

    def noisy(sigma: float) -> FloatArray:
        out: FloatArray = rng.lognormal(0.0, sigma, (n, ny, 12))
        return out

    year_idx = np.arange(ny)
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
    return {code: np.round(q[code] * price, 2) for code, price in prices.items()}


def _flags(
    rng: np.random.Generator, q: dict[str, FloatArray], kind_names: npt.NDArray[np.str_], ny: int
) -> tuple[BoolArray, BoolArray, BoolArray]:
    """重点用能单位 (first year ≥ :data:`KEY_ENERGY_USER_TCE`), the two closed (撤销)
    institutions, and which institutions are active in which year."""
    n = len(kind_names)
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
    return key_user, closed, active
