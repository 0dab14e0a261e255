"""The energy section of a round, computed from the statistics (issue 14 §2, 示范单位):
every active institution of a region with its per-area energy (excluding vehicle fuel),
per-capita energy and per-capita water over the 12 months before the evaluation month,
and its province × type peer averages as ratios of sums — a
:class:`~jieneng.core.campaigns.scoring.Population` ready for
:func:`~jieneng.core.campaigns.scoring.score`.

Conventions (docs/campaigns.md §3.2): the peer group is the institutions of the whole
province of the region, same type (统计制度 category); the profile (floor area,
occupants) is the one of the window's last year; an institution without any figure in
the window is missing (scores 0, flagged); flags the statistics do not hold (titles
held, two years' targets met) are left to the round, which adds them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jieneng.core.campaigns.figures import intensity_figures, intensity_peers
from jieneng.core.campaigns.scoring import Population, group_ids, window_before
from jieneng.core.carriers import CARRIER_CODES
from jieneng.core.exceptions import NotFound
from jieneng.core.factors.sets import DEFAULT_FACTOR_SET, factor_set
from jieneng.core.regions import RegionTree
from jieneng.services.database import Reader, reading
from jieneng.storage import campaign_figures, regions


@dataclass(frozen=True)
class RoundFigures:
    """The institutions of a region (``institution_ids``, ``region_codes``,
    ``categories``, ``months`` reported in the window) and their population."""

    institution_ids: np.ndarray
    region_codes: np.ndarray
    categories: np.ndarray
    months: np.ndarray
    window: tuple[tuple[int, int], tuple[int, int]]
    population: Population


def energy_figures(db: Reader, region_code: str, year: int, month: int, *,
                   factor_set_name: str = DEFAULT_FACTOR_SET) -> RoundFigures:
    """The figures of every active institution of ``region_code`` (and below) for an
    evaluation in (``year``, ``month``); NotFound for an unknown region."""
    factors = factor_set(factor_set_name)
    first, last = window_before(year, month)
    with reading(db) as conn:
        tree = RegionTree(regions.load_regions(conn))
        if region_code not in tree:
            raise NotFound.of("campaign_region_not_found", region=region_code)
        province = tree.lineage(region_code)[-1]
        frame = campaign_figures.window_sums(conn, tree.subtree(province), first, last,
                                             last[0])
    area = frame["floor_area_m2"].fill_null(0.0).to_numpy()
    occupants = frame["occupants"].fill_null(0.0).to_numpy()
    reported = frame["months"].to_numpy() > 0
    quantities = {c: frame[f"q_{c}"].to_numpy() for c in CARRIER_CODES}
    categories = frame["category"].to_numpy().astype(str)
    groups = group_ids(categories)
    figures = intensity_figures(quantities, area, occupants, reported, factors)
    peers = intensity_peers(quantities, area, occupants, reported, groups, factors)
    inside = np.isin(frame["region_code"].to_numpy().astype(str),
                     np.array(tree.subtree(region_code)))
    population = Population(
        int(inside.sum()), figures={k: v[inside] for k, v in figures.items()},
        peers={k: v[inside] for k, v in peers.items()}, categories=categories[inside])
    return RoundFigures(frame["institution_id"].to_numpy()[inside],
                        frame["region_code"].to_numpy().astype(str)[inside],
                        categories[inside], frame["months"].to_numpy()[inside],
                        (first, last), population)
