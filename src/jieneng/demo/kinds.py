"""Parameters of the demo institutions by kind (sizes, energy intensity, water,
vehicles, monthly shapes, fuel mix) and the conversion factors the figures use.

- building-energy intensity [kgce/m²·a] by kind from the Guangdong 2021 same-type
  averages (``shared/reference/reference-data-public-institution-benchmarks.csv``:
  organs 11.02–12.49, hospitals 15.88, 中小学 3.28, 高等学校 4.77, 场馆 9.87);
- conversion at 0.1229 kgce/kWh, 1.33 kgce/m³ (gas), 1.7143 kgce/kg (LPG),
  714.3 kgce/t (coal), 34.12 kgce/GJ (heat) — the ``pi-published`` factor set of
  ``jieneng/data/factors/coefficients.csv``;
- a Guilin seasonal shape: summer cooling peak in July–August, a smaller winter
  bump, schools low in February and July–August.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

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
SHAPES_ELECTRICITY: dict[str, tuple[float, ...]] = {
    "office": (1.02, 0.82, 0.86, 0.86, 0.95, 1.15, 1.35, 1.35, 1.18, 0.93, 0.88, 1.00),
    "school": (0.95, 0.45, 1.00, 1.00, 1.10, 1.25, 0.60, 0.45, 1.25, 1.05, 1.00, 1.05),
    "college": (0.90, 0.50, 1.05, 1.05, 1.15, 1.30, 0.75, 0.55, 1.30, 1.10, 1.05, 1.00),
    "hospital": (1.02, 0.95, 0.90, 0.90, 1.00, 1.15, 1.30, 1.30, 1.15, 0.95, 0.90, 1.00),
    "venue": (0.95, 0.90, 0.90, 0.90, 1.00, 1.15, 1.35, 1.35, 1.10, 1.05, 0.90, 0.95),
}
SHAPES_GAS: dict[str, tuple[float, ...]] = {
    "office": (1.15, 0.85, 1.05, 1.00, 0.95, 0.90, 0.85, 0.85, 0.90, 0.95, 1.05, 1.15),
    "school": (1.10, 0.30, 1.20, 1.15, 1.10, 1.05, 0.40, 0.25, 1.10, 1.10, 1.20, 1.25),
    "college": (1.05, 0.40, 1.20, 1.15, 1.10, 1.05, 0.50, 0.35, 1.10, 1.10, 1.15, 1.20),
    "hospital": (1.20, 1.10, 1.05, 1.00, 0.95, 0.90, 0.85, 0.85, 0.90, 0.95, 1.05, 1.20),
    "venue": (1.10, 0.90, 1.00, 1.00, 1.00, 0.95, 0.95, 0.95, 1.00, 1.00, 1.05, 1.10),
}
SHAPES_WATER: dict[str, tuple[float, ...]] = {
    "office": (0.90, 0.80, 0.90, 0.95, 1.05, 1.15, 1.20, 1.20, 1.10, 1.00, 0.90, 0.85),
    "school": (0.90, 0.40, 1.05, 1.05, 1.15, 1.25, 0.60, 0.45, 1.20, 1.05, 0.95, 0.90),
    "college": (0.90, 0.50, 1.05, 1.05, 1.15, 1.25, 0.70, 0.55, 1.20, 1.05, 0.95, 0.90),
    "hospital": (0.95, 0.90, 0.95, 0.95, 1.00, 1.05, 1.10, 1.10, 1.05, 1.00, 0.95, 0.95),
    "venue": (0.90, 0.85, 0.90, 0.95, 1.05, 1.15, 1.25, 1.25, 1.10, 1.00, 0.85, 0.85),
}
SHAPE_HEAT = (1.6, 1.4, 1.1, 0.8, 0.7, 0.6, 0.6, 0.6, 0.7, 0.8, 1.1, 1.5)
SHAPE_NAMES = ("office", "school", "college", "hospital", "venue")

#: Demo rule (not a standard): 重点用能单位 = 综合能耗 of the first year ≥ 500 tce.
KEY_ENERGY_USER_TCE = 500.0


def shape_matrix(shapes: dict[str, tuple[float, ...]]) -> FloatArray:
    m = np.array([shapes[n] for n in SHAPE_NAMES], dtype=np.float64)
    out: FloatArray = m / m.mean(axis=1, keepdims=True)
    return out
