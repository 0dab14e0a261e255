"""Data-quality rules over constructed series, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math
import warnings
from datetime import date
from typing import Any

import numpy as np
import polars as pl
import pytest
from sqlalchemy import Connection, Engine, select

from jieneng.core.quality.findings import render
from jieneng.core.quality.stats import robust_spike
from jieneng.core.scope import Filters
from jieneng.storage import tables as t
from jieneng.storage.consumption import write_consumption
from jieneng.storage.institutions import upsert_institutions, upsert_profiles
from jieneng.storage.quality import evaluation, figure_rules, model, settings
from jieneng.storage.quality import findings as finding_store
from tests.storage._data import code, figures, institutions_frame, load_directory

YEAR = 2024
TODAY = date(2025, 6, 1)


def seasonal(month: int, year: int, base: float = 10_000.0) -> float:
    """A regular seasonal series growing 2 % a year (no noise)."""
    return round(base * (1 + 0.3 * math.cos((month - 7) * math.pi / 6))
                 * 1.02 ** (year - 2022), 4)


def build(conn: Connection) -> dict[int, int]:
    ids = load_directory(conn)
    rows: list[tuple[int, int, int, str, float, float | None]] = []
    for n in (1, 2, 3, 4, 5):
        for year in (2022, 2023, 2024):
            for month in range(1, 13):
                value = seasonal(month, year, 10_000.0 * n)
                if n == 1 and year == 2024:
                    value *= 1.5  # +50 % on last year: yoy_change
                if n == 2 and (year, month) == (2024, 3):
                    value = round(value / 10_000, 4)  # 万kWh typed as kWh
                if n == 4 and (year, month) == (2024, 5):
                    value *= 10  # an extra digit: mom_spike
                if n == 5 and (year, month) == (2024, 6):
                    value = 0.0  # unexpected zero
                if n == 3 and (year, month) == (2024, 7):
                    continue  # a missing month (all carriers)
                cost = value * 0.6
                if n == 4 and (year, month) == (2024, 4):
                    cost = value * 5.0  # unit price far above the range
                rows.append((ids[n], year, month, "electricity", value, cost))
                water = 100.0 * n
                if n == 3 and (year, month) == (2024, 2):
                    water = -5.0  # negative
                rows.append((ids[n], year, month, "water", water, None))
    write_consumption(conn, figures(rows), source="manual", import_id=None)
    # last year's profile: institution 2 had 400 occupants (now 500: +25 %)
    profiles = pl.DataFrame({
        "institution_id": [ids[2], ids[4]], "year": [2023, 2023], "occupants": [400, 800],
        "staff_quota": [60, 700], "floor_area_m2": [12000.0, 30000.0],
        "heated_area_m2": [None, None], "vehicles_gasoline": [0, 5], "vehicles_diesel": [0, 1],
        "vehicles_nev": [0, 2]})
    upsert_profiles(conn, profiles, import_id=None)
    # a second 西湖区人民医院 with another credit code: duplicate_institution
    dup = institutions_frame().filter(pl.col("credit_code") == code(4)).with_columns(
        pl.lit(code(99)).alias("credit_code"))
    upsert_institutions(conn, dup, import_id=None)
    conn.execute(t.reference_price.insert().values(
        province_code="330000", carrier="electricity", low=0.3, high=1.5, source="test"))
    return ids


def findings(conn: Connection) -> list[dict[str, Any]]:
    f = t.quality_finding
    return [dict(r._mapping) for r in conn.execute(select(f).order_by(f.c.id))]


def keyed(conn: Connection) -> dict[tuple[int, int, str, str], dict[str, Any]]:
    return {(r["institution_id"], r["month"], r["carrier"], r["rule"]): r
            for r in findings(conn)}


def run(conn: Connection, ids: list[int] | None = None, month: int | None = None) -> model.Counts:
    per = model.period(YEAR, month, today=TODAY)
    if ids is None:
        return evaluation.evaluate(conn, per, Filters(region_codes=[
            "330000", "330100", "330102", "330106", "330200", "330203"]))
    return evaluation.evaluate(conn, per, Filters(institution_ids=ids))


@pytest.fixture
def world(engine: Engine) -> dict[int, int]:
    with engine.begin() as conn:
        return build(conn)


def test_each_rule_fires_on_its_constructed_case(engine: Engine, world: dict[int, int]) -> None:
    ids = world
    with engine.begin() as conn:
        counts = run(conn)
        found = keyed(conn)
    assert counts.institutions == 6  # the closed one is not evaluated
    # negative_value
    neg = found[(ids[3], 2, "water", "negative_value")]
    assert neg["severity"] == "error" and neg["value"] == -5.0
    # missing_month: July, listed per carrier at the year level
    missing = found[(ids[3], 0, "electricity", "missing_month")]
    assert json.loads(missing["params"])["months"] == "7"
    assert (ids[3], 0, "water", "missing_month") in found
    # unexpected_zero
    zero = found[(ids[5], 6, "electricity", "unexpected_zero")]
    assert zero["expected"] == pytest.approx(
        float(np.median([seasonal(m, 2023 + (m >= 6), 50_000.0) for m in
                         [*range(6, 13), *range(1, 6)]])), rel=0.05)
    # unit slip: 万kWh as kWh, with the corrected value suggested
    slip = found[(ids[2], 3, "electricity", "unit_slip_10000")]
    assert slip["suggested"] == pytest.approx(slip["value"] * 10_000)
    assert slip["suggested"] == pytest.approx(seasonal(3, 2024, 20_000.0), rel=1e-4)
    assert slip["severity"] == "warning"
    assert (ids[2], 3, "electricity", "mom_spike") not in found  # one finding, the slip
    # mom_spike: the 10× month, with robust_spike's score and expectation
    spike = found[(ids[4], 5, "electricity", "mom_spike")]
    history: list[float | None] = [seasonal(m, y, 40_000.0) for y in (2022, 2023, 2024)
                                   for m in range(1, 13)]
    value = float(history[28]) * 10  # type: ignore[arg-type]
    reference = robust_spike(history, value, 28)
    assert reference is not None and reference.is_spike
    assert json.loads(spike["params"])["score"] == pytest.approx(reference.score)
    assert spike["expected"] == pytest.approx(reference.expected)
    # yoy_change: the year to date on total energy and per carrier
    assert json.loads(found[(ids[1], 0, "electricity", "yoy_change")]["params"])[
        "change"] == pytest.approx(1.5 * 1.02 - 1)
    assert (ids[1], 0, "", "yoy_change") in found
    assert (ids[2], 0, "electricity", "yoy_change") not in found  # 2 % growth
    # profile_change: occupants 400 → 500
    profile = found[(ids[2], 0, "occupants", "profile_change")]
    assert json.loads(profile["params"])["change"] == pytest.approx(0.25)
    assert (ids[4], 0, "occupants", "profile_change") not in found
    # unit_price_range: 5 元/kWh against 0.3–1.5
    price = found[(ids[4], 4, "electricity", "unit_price_range")]
    assert price["value"] == pytest.approx(5.0)
    # duplicate_institution, both ways
    dup = found[(ids[4], 0, "", "duplicate_institution")]
    assert code(99) in json.loads(dup["params"])["other_institution"]
    # every stored finding renders in both languages
    with engine.connect() as conn:
        stored = findings(conn)
    for row in stored:
        finding = finding_store.finding_of(row)
        assert render(finding, "zh") and render(finding, "en")
    # nothing else fires on the regular series
    rules = {r["rule"] for r in found.values()}
    assert "quota_outlier" not in rules


def test_rerun_keeps_explanations_and_drops_what_no_longer_fires(
    engine: Engine, world: dict[int, int]
) -> None:
    ids = world
    with engine.begin() as conn:
        run(conn)
        before = keyed(conn)
        slip = before[(ids[2], 3, "electricity", "unit_slip_10000")]
        finding_store.explain_finding(conn, slip["id"], "已核实", user_id=None)
        spike = before[(ids[4], 5, "electricity", "mom_spike")]
        finding_store.explain_finding(conn, spike["id"], "新设备", user_id=None)
        run(conn)
        again = keyed(conn)
        assert set(again) == set(before)
        kept = again[(ids[2], 3, "electricity", "unit_slip_10000")]
        assert kept["id"] == slip["id"]
        assert (kept["state"], kept["explanation"]) == ("explained", "已核实")
        # correct the slipped figure (and the spike); re-check that institution's month
        write_consumption(conn, figures([
            (ids[2], 2024, 3, "electricity", seasonal(3, 2024, 20_000.0), None),
            (ids[4], 2024, 5, "electricity", seasonal(5, 2024, 40_000.0), None),
        ]), source="manual", import_id=None)
        evaluation.evaluate(conn, model.period(YEAR, 3, today=TODAY),
                            Filters(institution_ids=[ids[2]]))
        evaluation.evaluate(conn, model.period(YEAR, 5, today=TODAY),
                            Filters(institution_ids=[ids[4]]))
        after = keyed(conn)
    resolved = after[(ids[2], 3, "electricity", "unit_slip_10000")]
    assert resolved["state"] == "resolved"  # explained, then fixed: kept as history
    assert (ids[4], 5, "electricity", "mom_spike") in after
    assert after[(ids[4], 5, "electricity", "mom_spike")]["state"] == "resolved"
    # other institutions' findings are untouched by a one-institution run
    assert (ids[3], 2, "water", "negative_value") in after


def test_open_finding_that_no_longer_fires_is_deleted(engine: Engine,
                                                      world: dict[int, int]) -> None:
    ids = world
    with engine.begin() as conn:
        run(conn, [ids[3]], month=2)
        assert (ids[3], 2, "water", "negative_value") in keyed(conn)
        write_consumption(conn, figures([(ids[3], 2024, 2, "water", 300.0, None)]),
                          source="manual", import_id=None)
        run(conn, [ids[3]], month=2)
        assert (ids[3], 2, "water", "negative_value") not in keyed(conn)


def test_settings_are_inherited_root_to_leaf(engine: Engine, world: dict[int, int]) -> None:
    ids = world
    with engine.begin() as conn:
        settings.upsert_setting(conn, "330000", "yoy_change",
                         json.dumps({"severity": "error", "params": {"threshold": 0.4}}),
                         user_id=None)
        settings.upsert_setting(conn, "330100", "negative_value", json.dumps({"enabled": False}),
                         user_id=None)
        settings.upsert_setting(conn, "330200", "yoy_change",
                         json.dumps({"params": {"threshold": 0.6}}), user_id=None)
        configs = settings.region_configs(conn, ["330102", "330203", "330106"])
        assert configs["330102"]["yoy_change"].params["threshold"] == 0.4
        assert configs["330102"]["yoy_change"].severity.value == "error"
        assert not configs["330102"]["negative_value"].enabled
        assert configs["330203"]["yoy_change"].params["threshold"] == 0.6
        assert configs["330203"]["yoy_change"].severity.value == "error"  # inherited
        assert configs["330203"]["negative_value"].enabled
        run(conn)
        found = keyed(conn)
    # 330102 (under 330100): negative values are not checked there
    assert (ids[3], 2, "water", "negative_value") not in found
    yoy = found[(ids[1], 0, "electricity", "yoy_change")]  # +50 % > 40 %
    assert yoy["severity"] == "error"


def test_peer_outlier_uses_percentiles_of_the_city(engine: Engine) -> None:
    with engine.begin() as conn:
        load_directory(conn)
        extra = pl.DataFrame([{
            "credit_code": code(100 + k), "name": f"学校{k}", "name_key": f"学校{k}",
            "region_code": "330102" if k % 2 else "330106", "category": "021",
            "department_credit_code": None, "key_energy_user": False, "status": "active",
        } for k in range(12)])
        upsert_institutions(conn, extra, import_id=None)
        ids: dict[str, int] = {str(a): int(b) for a, b in conn.execute(
            select(t.institution.c.credit_code, t.institution.c.id))}
        school = [ids[code(100 + k)] for k in range(12)]
        rows: list[tuple[int, int, int, str, float, float | None]] = []
        for k, inst in enumerate(school):
            per_month = 1000.0 * (1 + k / 20) * (30 if k == 11 else 1)
            rows += [(inst, YEAR, m, "electricity", per_month, None) for m in range(1, 13)]
        write_consumption(conn, figures(rows), source="manual", import_id=None)
        upsert_profiles(conn, pl.DataFrame({
            "institution_id": school, "year": [YEAR] * 12, "occupants": [100] * 12,
            "staff_quota": [None] * 12, "floor_area_m2": [1000.0] * 12,
            "heated_area_m2": [None] * 12, "vehicles_gasoline": [None] * 12,
            "vehicles_diesel": [None] * 12, "vehicles_nev": [None] * 12},
            schema_overrides={"staff_quota": pl.Int64, "heated_area_m2": pl.Float64,
                              "vehicles_gasoline": pl.Int64, "vehicles_diesel": pl.Int64,
                              "vehicles_nev": pl.Int64}), import_id=None)
        evaluation.evaluate(conn, model.period(YEAR, today=TODAY),
                            Filters(institution_ids=[school[11]]))
        found = keyed(conn)
    peer = found[(school[11], 0, "energy_per_capita_kgce", "peer_outlier")]
    assert json.loads(peer["params"])["peers"] == 13 or json.loads(peer["params"])["peers"] == 12
    assert peer["severity"] == "notice"
    assert (school[11], 0, "energy_per_area_kgce_m2", "peer_outlier") in found


def test_median_without_matches_numpy() -> None:
    rng = np.random.default_rng(3)
    x = rng.random((50, 36))
    x[rng.random(x.shape) < 0.3] = np.nan
    cols = np.arange(24, 36)
    expected = np.empty((50, 12))
    for j, c in enumerate(cols):
        other = x.copy()
        other[:, c] = np.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected[:, j] = np.nanmedian(other, axis=1)
    assert np.allclose(figure_rules.median_without(x, cols), expected, equal_nan=True)


def test_quota_outlier_against_the_nearest_assigned_quota(
    engine: Engine, world: dict[int, int]
) -> None:
    ids = world
    with engine.begin() as conn:
        std = conn.execute(t.quota_standard.insert().values(
            code="T", title="t", source="test").returning(t.quota_standard.c.id)).scalar_one()
        strict, loose = (conn.execute(t.quota.insert().values(
            standard_id=std, indicator="energy_per_capita_kgce", institution_type=kind,
            climate_zone="", constraint_value=c, benchmark_value=b, guide_value=g,
            unit="kgce/人").returning(t.quota.c.id)).scalar_one()
            for kind, c, b, g in (("strict", 50.0, 40.0, 30.0), ("loose", 1e6, 1e5, 1e4)))
        # the province's loose quota for 卫生, the county's strict one: the county's wins
        conn.execute(t.quota_assignment.insert(), [
            {"quota_id": loose, "region_code": "330000", "category": "02"},
            {"quota_id": strict, "region_code": "330106", "category": "024"}])
        run(conn)
        found = keyed(conn)
    hit = found[(ids[4], 0, "energy_per_capita_kgce", "quota_outlier")]
    assert hit["expected"] == 50.0 and hit["value"] > 50.0
    # the 事业单位 of the province under the loose quota: far below its 引导值 (10,000)
    assert (ids[2], 0, "energy_per_capita_kgce", "quota_outlier") in found
    assert render(finding_store.finding_of(dict(hit)), "zh")
