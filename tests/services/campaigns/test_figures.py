"""The 示范单位 energy section from the statistics on both databases: the 12 months
before the evaluation, per-area energy without vehicle fuel, province × type peers as
ratios of sums, an institution without figures missing, then scored."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Engine

from jieneng.core.campaigns.scoring import score
from jieneng.core.campaigns.shipped import shipped
from jieneng.core.exceptions import NotFound
from jieneng.core.factors.sets import factor_set
from jieneng.services.campaigns.figures import energy_figures
from jieneng.services.entry.imports import import_file
from tests.sample import ORGAN, SCHOOL, SILENT, Files
from tests.services.metering_world import load


@pytest.fixture
def world(engine: Engine, files: Files) -> dict[str, int]:
    ids = load(engine, files)
    import_file(engine, "profiles", files.profiles)
    import_file(engine, "consumption", files.consumption)
    return ids


def test_figures_peers_and_scores(engine: Engine, world: dict[str, int]) -> None:
    got = energy_figures(engine, "450300", 2025, 2)
    assert got.window == ((2024, 2), (2025, 1))
    order = {int(i): k for k, i in enumerate(got.institution_ids)}
    organ, school, silent = (order[world[c]] for c in (ORGAN, SCHOOL, SILENT))
    k = factor_set()
    building = 10_000 * k.kgce_per_unit("electricity") + 100 * k.kgce_per_unit("natural_gas")
    vehicle = 200 * k.kgce_per_unit("gasoline_vehicle")
    fig = got.population.figures
    assert fig["energy_per_area_kgce_m2"][organ] == pytest.approx(building / 2000)
    assert fig["energy_per_capita_kgce"][organ] == pytest.approx((building + vehicle) / 50)
    assert fig["water_per_capita_m3"][school] == pytest.approx(1000 / 1000)
    assert np.isnan(fig["energy_per_area_kgce_m2"][silent])
    # the silent school reported nothing: left out of its group's sums
    assert got.population.peers["water_per_capita_m3"][silent] == pytest.approx(1.0)
    assert got.months.tolist()[organ] == 1
    scored = score(shipped("demonstration_unit"), got.population)
    per_area = scored.items[:, scored.codes.index("energy.per_area")]
    assert per_area[organ] == 6 and per_area[school] == 6 and per_area[silent] == 0
    assert scored.missing[silent, scored.codes.index("energy.per_area")]


def test_a_county_is_scored_against_its_province(engine: Engine,
                                                 world: dict[str, int]) -> None:
    county = energy_figures(engine, "450321", 2025, 2)
    assert sorted(county.institution_ids.tolist()) == sorted([world[SCHOOL], world[SILENT]])
    later = energy_figures(engine, "450321", 2026, 3)  # the window misses January 2025
    assert not np.isfinite(later.population.figures["energy_per_area_kgce_m2"]).any()
    with pytest.raises(NotFound):
        energy_figures(engine, "999999", 2025, 2)
