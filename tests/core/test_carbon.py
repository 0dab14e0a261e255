"""The pure carbon arithmetic (issue 14 §6): every data row carries a source and a status
of found / partial / convention; a mode without a factor has an empty value and is
refused; E = Σ quantity × factor; 碳中和 when offsets ≥ emissions (指南 第三条); points
capped per day, CO₂ only where sourced."""

from __future__ import annotations

import numpy as np
import pytest

from jieneng.core.carbon import events, points
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.factors.sets import factor_set


def test_every_row_has_a_source_and_a_status() -> None:
    for m in events.modes():
        assert m.source and m.status in ("found", "partial", "convention"), m.code
        assert m.method in ("factor_set", "none")
        assert (m.method == "none") == (m.status == "convention"), m.code
    for r in points.rules():
        assert r.source and r.status in ("found", "partial", "convention"), r.action
        assert r.co2_method in ("factor_set", "none")


def test_factor_set_modes_reuse_the_platform_factors() -> None:
    fs = factor_set()
    got = events.resolve(fs, year=2022, province_code="450300", overrides={})
    assert got["venue_electricity"].value == fs.co2_kg_per_unit(
        "electricity", year=2022, province_code="450300").value == pytest.approx(0.5366)
    assert got["venue_heat"].value == pytest.approx(110.0)  # 0.11 tCO2/GJ
    assert got["travel_hsr"].value is None and got["catering_meal"].value is None
    set_by = events.resolve(fs, year=2022, province_code=None,
                            overrides={"travel_hsr": (0.04, "a guideline", "admin")})
    assert set_by["travel_hsr"].value == 0.04 and set_by["travel_hsr"].set_by == "admin"


def test_compute_and_neutrality() -> None:
    factors = events.resolve(factor_set(), year=2023, province_code=None, overrides={})
    lines, by_cat, total = events.compute({"venue_electricity": 1000.0,
                                           "venue_heat": 10.0}, factors)
    assert total == pytest.approx((1000 * 0.5306 + 10 * 110) / 1000)
    assert by_cat["travel"] == 0 and [x.code for x in lines] == ["venue_electricity",
                                                                 "venue_heat"]
    assert events.neutrality(total, [total])["neutral"] is True
    assert events.neutrality(total, [total - 0.001])["neutral"] is False
    assert events.neutrality(0.0, [])["neutral"] is False
    with pytest.raises(ValidationFailed, match="travel_air_long"):
        events.compute({"travel_air_long": 1.0}, factors)
    with pytest.raises(ValidationFailed) as err:
        events.compute({"venue_electricity": -1.0}, factors)
    assert err.value.code == "carbon_quantity_invalid"
    with pytest.raises(ValidationFailed, match="known"):
        events.mode("teleport")


def test_points_capped_per_day_and_co2_only_where_sourced() -> None:
    counted, pts, co2 = points.score(np.array(["clean_plate", "office_electricity_saved"]),
                                     np.array([5.0, 100.0]), {"office_electricity_saved": 0.5})
    assert list(counted) == [3.0, 50.0] and list(pts) == [3.0, 5.0]
    assert list(co2) == [0.0, 25.0]
    assert points.rule("光盘行动").action == "clean_plate"
    with pytest.raises(ValidationFailed):
        points.rule("dancing")
