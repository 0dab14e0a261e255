from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, Engine

from jieneng.core.scope import Filters
from jieneng.storage.consumption import write_consumption
from jieneng.storage.indicators import expected_counts, group_sums, institution_inputs

from ._data import code, figures, load_directory


def _load(conn: Connection) -> dict[int, int]:
    ids = load_directory(conn)
    rows: list[tuple[int, int, int, str, float, float | None]] = []
    rows += [(ids[1], 2024, m, "electricity", 100.0, 80.0) for m in range(1, 13)]
    rows += [(ids[2], 2024, m, "electricity", 200.0, None) for m in range(1, 7)]
    rows += [(ids[2], 2024, 1, "water", 30.0, 90.0)]
    rows += [(ids[3], 2024, 1, "electricity", 500.0, None),
             (ids[3], 2024, 7, "electricity", 300.0, None)]
    rows += [(ids[5], 2024, 3, "electricity", 50.0, None),
             (ids[5], 2024, 3, "gasoline_vehicle", 40.0, 300.0)]
    rows += [(ids[6], 2024, 1, "electricity", 10.0, None)]
    # another year that must not leak into 2024
    rows += [(ids[4], 2023, 1, "electricity", 9999.0, None)]
    write_consumption(conn, figures(rows), source="file", import_id=None)
    return ids


def _by_key(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["region_code"], r["category"]): r for r in rows}


def test_whole_year_group_sums(engine: Engine) -> None:
    with engine.begin() as conn:
        _load(conn)
        g = _by_key(group_sums(conn, Filters(), year=2024))
        also = _by_key(group_sums(conn, Filters(), year=2024, months=(1, 12)))
    assert g == also
    assert set(g) == {("330100", "01"), ("330102", "021"), ("330203", "023"),
                      ("330203", "026")}
    edu = g[("330100", "01")]
    assert edu["institutions_reported"] == 1
    assert edu["quantity"]["electricity"] == 1200.0
    assert edu["cost_yuan"]["electricity"] == 960.0
    assert edu["quantity_with_occupants"]["electricity"] == 1200.0
    assert edu["quantity_with_area"]["electricity"] == 1200.0
    assert (edu["occupants"], edu["floor_area_m2"]) == (100.0, 5000.0)

    schools = g[("330102", "021")]
    assert schools["institutions_reported"] == 2
    assert schools["quantity"]["electricity"] == 2000.0
    # school 3 has 用能人数 0: out of the per-capita sums, in the per-area ones
    assert schools["quantity_with_occupants"]["electricity"] == 1200.0
    assert schools["quantity_with_area"]["electricity"] == 2000.0
    assert schools["quantity"]["water"] == 30.0
    assert schools["cost_yuan"]["water"] == 90.0
    assert schools["cost_yuan"]["electricity"] == 0.0
    assert (schools["occupants"], schools["floor_area_m2"]) == (500.0, 20000.0)

    museum = g[("330203", "023")]
    assert museum["quantity"]["gasoline_vehicle"] == 40.0
    assert museum["quantity_with_area"]["electricity"] == 0.0  # no floor area
    assert (museum["occupants"], museum["floor_area_m2"]) == (20.0, 0.0)

    closed = g[("330203", "026")]  # closed but reported: counted as reported
    assert closed["institutions_reported"] == 1
    assert (closed["occupants"], closed["floor_area_m2"]) == (0.0, 0.0)


def test_month_range_sums(engine: Engine) -> None:
    with engine.begin() as conn:
        _load(conn)
        h1 = _by_key(group_sums(conn, Filters(), year=2024, months=(1, 6)))
        h2 = _by_key(group_sums(conn, Filters(), year=2024, months=(7, 12)))
        whole = _by_key(group_sums(conn, Filters(), year=2024))
        with pytest.raises(ValueError):
            group_sums(conn, Filters(), year=2024, months=(7, 6))
    assert h1[("330100", "01")]["quantity"]["electricity"] == 600.0
    assert h1[("330102", "021")]["quantity"]["electricity"] == 1700.0
    assert h1[("330102", "021")]["quantity_with_occupants"]["electricity"] == 1200.0
    assert h1[("330102", "021")]["institutions_reported"] == 2
    assert set(h2) == {("330100", "01"), ("330102", "021")}
    s2 = h2[("330102", "021")]
    assert s2["institutions_reported"] == 1
    assert s2["quantity"]["electricity"] == 300.0
    assert s2["quantity_with_occupants"]["electricity"] == 0.0
    assert (s2["occupants"], s2["floor_area_m2"]) == (0.0, 8000.0)
    # the two halves add up to the year for every carrier
    for key, w in whole.items():
        for carrier, q in w["quantity"].items():
            a = h1.get(key, {}).get("quantity", {}).get(carrier, 0.0)
            b = h2.get(key, {}).get("quantity", {}).get(carrier, 0.0)
            assert a + b == pytest.approx(q)


def test_filters_and_institution_grouping(engine: Engine) -> None:
    with engine.begin() as conn:
        ids = _load(conn)
        only_021 = group_sums(conn, Filters(region_codes=["330102", "330106"]), year=2024)
        assert [(r["region_code"], r["category"]) for r in only_021] == [("330102", "021")]
        cats = group_sums(conn, Filters(), year=2024, categories=["023", "026"])
        assert {r["category"] for r in cats} == {"023", "026"}
        dept = group_sums(conn, Filters(department_id=ids[1]), year=2024)
        assert {(r["region_code"], r["category"]) for r in dept} == {
            ("330100", "01"), ("330102", "021")}
        one = group_sums(conn, Filters(institution_ids=[ids[5]]), year=2024, group_by="institution")
        assert len(one) == 1
        assert one[0]["institution_id"] == ids[5] and one[0]["credit_code"] == code(5)
        assert one[0]["name"] == "海曙区博物馆"
        per_inst = group_sums(conn, Filters(), year=2024, group_by="institution")
        assert len(per_inst) == 5
        # many codes: through a temporary table, same answer
        many = [f"{n:06d}" for n in range(100000, 100700)] + ["330102", "330106"]
        assert group_sums(conn, Filters(region_codes=many), year=2024) == only_021
        many_ids = [*range(100_000, 100_600), ids[5]]
        assert group_sums(conn, Filters(institution_ids=many_ids), year=2024,
                          group_by="institution") == one
        with pytest.raises(ValueError):
            group_sums(conn, Filters(), year=2024, group_by="city")  # type: ignore[arg-type]


def test_groups_add_up(engine: Engine) -> None:
    with engine.begin() as conn:
        _load(conn)
        groups = group_sums(conn, Filters(), year=2024)
        insts = group_sums(conn, Filters(), year=2024, group_by="institution")
    for field in ("quantity", "quantity_with_occupants", "quantity_with_area", "cost_yuan"):
        for carrier in groups[0][field]:
            assert sum(g[field][carrier] for g in groups) == pytest.approx(
                sum(i[field][carrier] for i in insts))
    assert sum(g["institutions_reported"] for g in groups) == len(insts) == 5
    assert sum(g["occupants"] for g in groups) == sum(i["occupants"] for i in insts) == 620.0


def test_expected_counts_and_institution_inputs(engine: Engine) -> None:
    with engine.begin() as conn:
        ids = _load(conn)
        exp = expected_counts(conn, Filters(), year=2024)
        # the closed archive reported in 2024, so it was expected in 2024 (reported ≤ expected)
        assert exp == [
            {"region_code": "330100", "category": "01", "institutions_expected": 1},
            {"region_code": "330102", "category": "021", "institutions_expected": 2},
            {"region_code": "330106", "category": "024", "institutions_expected": 1},
            {"region_code": "330203", "category": "023", "institutions_expected": 1},
            {"region_code": "330203", "category": "026", "institutions_expected": 1},
        ]
        assert expected_counts(conn, Filters(), year=2025) == exp[:4]
        assert expected_counts(conn, Filters(department_id=ids[1]), year=2024,
                               categories=["021"]) == [
            {"region_code": "330102", "category": "021", "institutions_expected": 2}]
        inputs = institution_inputs(conn, Filters(), year=2024)
        by_id = {r["institution_id"]: r for r in inputs}
        assert set(by_id) == set(ids.values())
        assert by_id[ids[4]]["reported"] is False  # only 2023 figures
        assert by_id[ids[4]]["quantity"]["electricity"] is None
        assert by_id[ids[3]]["months_reported"] == 2
        assert by_id[ids[3]]["occupants"] == 0.0
        assert by_id[ids[5]]["floor_area_m2"] is None
        assert by_id[ids[6]]["status"] == "closed" and by_id[ids[6]]["reported"] is True
        h2 = institution_inputs(conn, Filters(region_codes=["330102"]), year=2024, months=(7, 12))
        assert [(r["institution_id"], r["reported"]) for r in h2] == [
            (ids[2], False), (ids[3], True)]
        assert h2[1]["quantity"]["electricity"] == 300.0
