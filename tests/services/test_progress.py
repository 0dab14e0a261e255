"""Progress of targets on a constructed seasonal series, and the year-end assessment."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import Engine

from jieneng.core.caller import Actor, User
from jieneng.services.accounts.accounts import create_user
from jieneng.services.targets import progress, targets
from jieneng.storage.consumption import write_consumption
from jieneng.storage.institutions import upsert_profiles
from tests.storage._data import figures, load_directory

#: kWh per month: a heating-dominated shape.
SHAPE = [14, 12, 9, 7, 6, 6, 7, 7, 6, 7, 9, 10]
KWH = 10_000.0
KGCE = 0.1229  # per kWh (pi-published)


def _rows(inst: int, year: int, scale: float, months: int = 12
          ) -> list[tuple[int, int, int, str, float, float | None]]:
    return [(inst, year, m + 1, "electricity", SHAPE[m] * KWH * scale, None)
            for m in range(months)]


@pytest.fixture
def admin(engine: Engine) -> User:
    with engine.begin() as conn:
        ids = load_directory(conn)
        rows = []
        for year in (2021, 2022, 2023):
            rows += _rows(ids[2], year, 1.0) + _rows(ids[5], year, 1.0)
        rows += _rows(ids[2], 2024, 1.1, months=3)    # 杭州 (330102): 10 % above its pace
        rows += _rows(ids[5], 2024, 0.9, months=12)   # 宁波 (330203): a full, lower year
        write_consumption(conn, figures(rows), source="manual", import_id=None)
        upsert_profiles(conn, pl.DataFrame({
            "institution_id": [ids[5]], "year": [2023], "occupants": [20]}), import_id=None)
    return create_user(engine, Actor.cli(), username="root", password="Pass-Word-123",
                       role="admin")


def _tce(scale: float) -> float:
    return sum(SHAPE) * KWH * scale * KGCE / 1000.0


def _item(out: dict[str, object], region: str, metric: str) -> dict[str, object]:
    items = out["items"]
    assert isinstance(items, list)
    return next(i for i in items if i["region_code"] == region and i["metric"] == metric)


def test_cap_pace_follows_the_season(engine: Engine, admin: User) -> None:
    year_tce = _tce(1.0)
    targets.set_target(engine, admin, region_code="330100", year=2024, metric="energy_tce",
                       value=year_tce * 1.05)
    targets.set_target(engine, admin, region_code="330200", year=2024, metric="energy_tce",
                       value=year_tce * 0.8)
    out = progress.region_progress(engine, admin, region_code="330000", year=2024)
    hz = _item(out, "330100", "energy_tce")
    assert hz["months"] == 3 and hz["profile_years"] == 3
    assert hz["actual"] == pytest.approx(_tce(1.1) * (14 + 12 + 9) / sum(SHAPE))
    # the allowance follows the season: Jan–Mar are 35 % of the year, not 3/12
    assert hz["allowance"] == pytest.approx(year_tce * 1.05 * 35 / sum(SHAPE))
    assert hz["projected"] == pytest.approx(_tce(1.1))
    assert hz["status"] == "at_risk"          # projected 1.10 × > cap 1.05 ×
    nb = _item(out, "330200", "energy_tce")
    assert nb["months"] == 12 and nb["status"] == "over"   # 0.9 × > cap 0.8 ×


def test_reduction_and_assessment(engine: Engine, admin: User) -> None:
    # 宁波's per-capita energy fell 10 % (0.9 × with the same 20 people): a 5 % cut is
    # met, a 20 % cut is not
    targets.set_target(engine, admin, region_code="330200", year=2024,
                       metric="energy_per_capita_kgce", value=0.05)
    targets.set_target(engine, admin, region_code="330100", year=2024, metric="energy_tce",
                       value=_tce(2.0))
    targets.set_target(engine, admin, region_code="330200", year=2024, metric="energy_tce",
                       value=_tce(1.0))
    out = progress.region_progress(engine, admin, region_code="330000", year=2024)
    nb = _item(out, "330200", "energy_per_capita_kgce")
    assert nb["achieved_change"] == pytest.approx(-0.1)
    assert nb["required_change"] == pytest.approx(-0.05)
    assert nb["status"] == "met"
    result = progress.assessment(engine, admin, region_code="330000", year=2024)
    rows = {r["region_code"]: r for r in result["rows"]}
    assert rows["330200"]["all_met"] is True
    assert rows["330100"]["all_met"] is True   # 杭州's cap of 2 × is not reached
    targets.set_target(engine, admin, region_code="330200", year=2024,
                       metric="energy_per_capita_kgce", value=0.2)
    result = progress.assessment(engine, admin, region_code="330000", year=2024)
    rows = {r["region_code"]: r for r in result["rows"]}
    assert rows["330200"]["all_met"] is False


def test_children_inherit_reduction_targets(engine: Engine, admin: User) -> None:
    targets.set_target(engine, admin, region_code="330000", year=2024,
                       metric="energy_per_capita_kgce", value=0.05)
    out = progress.region_progress(engine, admin, region_code="330000", year=2024)
    nb = _item(out, "330200", "energy_per_capita_kgce")
    assert nb["source"] == "inherited" and nb["status"] == "met"   # −10 % ≥ the 5 % asked
    own = _item(out, "330000", "energy_per_capita_kgce")
    assert own["source"] == "manual"
