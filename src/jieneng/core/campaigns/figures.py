"""The figures of the energy section of a scheme, per institution, from window sums
(issue 14 §2: 示范单位 — per-area energy excluding vehicle fuel, per-capita energy and
per-capita water over the 12 months before the evaluation, 当量 coefficients).

:func:`intensity_figures` turns each institution's carrier quantities summed over the
window [canonical units], its floor area [m²] and occupants into the registry's
intensities, and :func:`intensity_peers` gives each institution its peer group's
averages as ratios of sums (:func:`jieneng.core.campaigns.scoring.peer_average`) — the
same arithmetic as :func:`jieneng.core.indicators.compute_indicators` (GB/T 2589-2020
Σ quantity × coefficient; per-area excludes 车辆用油, DB11/T 1958-2022), one numpy
expression per carrier.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from jieneng.core.carriers import CARRIERS
from jieneng.core.factors.sets import FactorSet

from .scoring import peer_average

#: the measures :func:`intensity_figures` computes
MEASURES: tuple[str, ...] = ("energy_per_area_kgce_m2", "energy_per_capita_kgce",
                             "water_per_capita_m3", "energy_tce")


def energy_sums(quantities: Mapping[str, np.ndarray], factors: FactorSet,
                size: int) -> tuple[np.ndarray, np.ndarray]:
    """Energy [kgce] of every institution, and the same without vehicle fuel."""
    energy = np.zeros(size)
    building = np.zeros(size)
    for c in CARRIERS:
        k = factors.kgce_per_unit(c) if c.counts_in_energy else None
        q = quantities.get(c.code)
        if k is None or q is None:
            continue
        part = np.nan_to_num(np.asarray(q, dtype=np.float64)) * k
        energy += part
        if not c.vehicle:
            building += part
    return energy, building


def intensity_figures(quantities: Mapping[str, np.ndarray], area: np.ndarray,
                      occupants: np.ndarray, reported: np.ndarray,
                      factors: FactorSet) -> dict[str, np.ndarray]:
    """Each institution's intensities (NaN where it reported nothing in the window or
    lacks the denominator)."""
    n = area.shape[0]
    energy, building = energy_sums(quantities, factors, n)
    water = np.nan_to_num(np.asarray(quantities.get("water", np.zeros(n)), dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        has_area = reported & (area > 0)
        has_occ = reported & (occupants > 0)
        return {
            "energy_per_area_kgce_m2": np.where(has_area, building / np.where(has_area, area,
                                                                              1.0), np.nan),
            "energy_per_capita_kgce": np.where(has_occ, energy / np.where(has_occ, occupants,
                                                                          1.0), np.nan),
            "water_per_capita_m3": np.where(has_occ, water / np.where(has_occ, occupants, 1.0),
                                            np.nan),
            "energy_tce": np.where(reported, energy / 1000.0, np.nan),
        }


def intensity_peers(quantities: Mapping[str, np.ndarray], area: np.ndarray,
                    occupants: np.ndarray, reported: np.ndarray, groups: np.ndarray,
                    factors: FactorSet) -> dict[str, np.ndarray]:
    """Each institution's peer-group average of the three intensities (Σ / Σ over the
    group's reporting institutions with the denominator)."""
    n = area.shape[0]
    energy, building = energy_sums(quantities, factors, n)
    water = np.nan_to_num(np.asarray(quantities.get("water", np.zeros(n)), dtype=np.float64))
    keep = np.where(reported, 1.0, np.nan)
    return {"energy_per_area_kgce_m2": peer_average(building * keep, area, groups),
            "energy_per_capita_kgce": peer_average(energy * keep, occupants, groups),
            "water_per_capita_m3": peer_average(water * keep, occupants, groups)}
