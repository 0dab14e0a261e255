"""Group roll-ups (decision 0004): after every kind of write the group tables equal a
rebuild from scratch, and the region-level reads equal the institution-level path."""

from __future__ import annotations

import threading
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Connection, Engine, select

from jieneng.core.carriers import CARRIER_CODES
from jieneng.core.scope import Filters
from jieneng.storage import groups
from jieneng.storage import tables as t
from jieneng.storage.consumption import write_consumption
from jieneng.storage.dashboard import latest_year, monthly_sums
from jieneng.storage.indicators import expected_counts, group_sums
from jieneng.storage.institutions import upsert_institutions, upsert_profiles

from ._data import code, figures, institutions_frame, load_directory


def _rows(conn: Connection, table: Any) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    pk = [c.name for c in table.primary_key.columns]
    rest = [c for c in table.c if c.name not in pk]
    return {tuple(r[:len(pk)]): tuple(r[len(pk):])
            for r in conn.execute(select(*(table.c[n] for n in pk), *rest))}


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and a == pytest.approx(b, rel=1e-12, abs=1e-9)
    return bool(a == b)


def assert_groups_exact(conn: Connection) -> None:
    """The maintained group tables equal a rebuild from the institution roll-ups."""
    kept = {tbl.name: _rows(conn, tbl)
            for tbl in (t.consumption_group_year, t.consumption_group_month)}
    groups.rebuild_all(conn)
    for tbl in (t.consumption_group_year, t.consumption_group_month):
        fresh = _rows(conn, tbl)
        assert set(kept[tbl.name]) == set(fresh), tbl.name
        for key, values in fresh.items():
            assert all(_close(a, b) for a, b in zip(kept[tbl.name][key], values, strict=True)), (
                tbl.name, key)


def _scoped(kw: dict[str, Any]) -> tuple[Filters, dict[str, Any]]:
    """The scope parts of ``kw`` as one Filters, and the other arguments."""
    parts = ("region_codes", "department_id", "institution_ids")
    return (Filters(**{k: v for k, v in kw.items() if k in parts}),
            {k: v for k, v in kw.items() if k not in parts})


def _by_institution(conn: Connection, **filters: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """group_sums through the institution path, added up per (region, category)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    scope, rest = _scoped(filters)
    for row in group_sums(conn, scope, year=2024, group_by="institution", **rest):
        d = out.setdefault((row["region_code"], row["category"]), {
            "institutions_reported": 0, "occupants": 0.0, "floor_area_m2": 0.0,
            **{f: dict.fromkeys(CARRIER_CODES, 0.0) for f in (
                "quantity", "quantity_with_occupants", "quantity_with_area", "cost_yuan")}})
        for field in ("institutions_reported", "occupants", "floor_area_m2"):
            d[field] += row[field]
        for field in ("quantity", "quantity_with_occupants", "quantity_with_area", "cost_yuan"):
            for c in CARRIER_CODES:
                d[field][c] += row[field][c]
    return out


def assert_reads_agree(conn: Connection, **filters: Any) -> None:
    scope, rest = _scoped(filters)
    rolled = {(r["region_code"], r["category"]): r
              for r in group_sums(conn, scope, year=2024, **rest)}
    direct = _by_institution(conn, **filters)
    assert set(rolled) == set(direct)
    for key, d in direct.items():
        r = rolled[key]
        for field in ("institutions_reported", "occupants", "floor_area_m2"):
            assert r[field] == pytest.approx(d[field])
        for field in ("quantity", "quantity_with_occupants", "quantity_with_area", "cost_yuan"):
            assert r[field] == pytest.approx(d[field])


def _ids(conn: Connection) -> dict[int, int]:
    i = t.institution
    by_code = dict(conn.execute(select(i.c.credit_code, i.c.id)).all())
    return {n: int(by_code[code(n)]) for n in range(1, 7)}


@pytest.fixture
def loaded(engine: Engine) -> dict[int, int]:
    with engine.begin() as conn:
        ids = load_directory(conn)
        write_consumption(conn, figures([
            (ids[2], 2024, 1, "electricity", 1000.0, 600.0),
            (ids[2], 2024, 2, "electricity", 900.0, 540.0),
            (ids[3], 2024, 1, "electricity", 500.0, None),
            (ids[3], 2024, 1, "water", 40.0, 120.0),
            (ids[4], 2024, 3, "natural_gas", 210.5, 700.0),
            (ids[5], 2024, 1, "electricity", 300.0, 180.0),
            (ids[6], 2024, 1, "electricity", 50.0, 30.0),
            (ids[2], 2023, 1, "electricity", 1100.0, 660.0),
        ]), source="manual", import_id=None)
    return ids


def test_first_write_builds_the_groups(engine: Engine, loaded: dict[int, int]) -> None:
    with engine.begin() as conn:
        assert conn.execute(select(t.consumption_group_year)).first() is not None
        assert_groups_exact(conn)
        assert_reads_agree(conn)
        assert_reads_agree(conn, region_codes=["330102", "330106"])
        assert_reads_agree(conn, categories=["021"])


def test_revision_refreshes_the_group(engine: Engine, loaded: dict[int, int]) -> None:
    ids = loaded
    with engine.begin() as conn:
        write_consumption(conn, figures([
            (ids[2], 2024, 1, "electricity", 1234.5, 600.0),   # revised
            (ids[3], 2024, 2, "electricity", 480.0, None),     # new month
        ]), source="manual", import_id=None)
        assert_groups_exact(conn)
        assert_reads_agree(conn)
        year = {r["region_code"]: r
                for r in group_sums(conn, Filters(), year=2024, categories=["021"])}
        assert year["330102"]["quantity"]["electricity"] == pytest.approx(
            1234.5 + 900.0 + 500.0 + 480.0)


def test_moving_an_institution_refreshes_old_and_new_groups(
    engine: Engine, loaded: dict[int, int]
) -> None:
    frame = institutions_frame().with_columns(
        region_code=pl.when(pl.col("credit_code") == code(2)).then(pl.lit("330106"))
        .otherwise(pl.col("region_code")),
        category=pl.when(pl.col("credit_code") == code(3)).then(pl.lit("022"))
        .otherwise(pl.col("category")),
    )
    with engine.begin() as conn:
        upsert_institutions(conn, frame, import_id=None)
        assert_groups_exact(conn)
        assert_reads_agree(conn)
        keys = {(r["region_code"], r["category"]) for r in group_sums(conn, Filters(), year=2024)}
        assert ("330106", "021") in keys and ("330102", "022") in keys
        assert ("330102", "021") not in keys


def test_profile_change_moves_an_institution_between_flags(
    engine: Engine, loaded: dict[int, int]
) -> None:
    ids = loaded
    with engine.begin() as conn:
        before = {r["region_code"]: r
                  for r in group_sums(conn, Filters(), year=2024, categories=["021"])}
        assert before["330102"]["occupants"] == 500  # institution 3 has none
        upsert_profiles(conn, pl.DataFrame({
            "institution_id": [ids[3]], "year": [2024], "occupants": [50],
            "floor_area_m2": [8000.0]}), import_id=None)
        assert_groups_exact(conn)
        after = {r["region_code"]: r
                 for r in group_sums(conn, Filters(), year=2024, categories=["021"])}
        assert after["330102"]["occupants"] == 550
        assert after["330102"]["quantity_with_occupants"]["water"] == pytest.approx(40.0)


def test_monthly_and_latest_year_agree_with_the_institution_path(
    engine: Engine, loaded: dict[int, int]
) -> None:
    ids = loaded
    every = sorted(ids.values())
    with engine.begin() as conn:
        for regions in (None, ["330102"], ["330203", "330106"]):
            rolled = monthly_sums(conn, Filters(region_codes=regions), years=(2023, 2024))
            # institution_ids forces the institution-level path
            direct = monthly_sums(conn, Filters(region_codes=regions, institution_ids=every),
                                  years=(2023, 2024))
            assert [(r["year"], r["month"], r["institutions_reported"]) for r in rolled] == [
                (r["year"], r["month"], r["institutions_reported"]) for r in direct]
            for a, b in zip(rolled, direct, strict=True):
                assert a["quantity"] == pytest.approx(b["quantity"])
                assert a["cost_yuan"] == pytest.approx(b["cost_yuan"])
            for months in (None, (2, 12), (4, 12)):
                assert latest_year(conn, Filters(region_codes=regions), months=months) == (
                    latest_year(conn, Filters(region_codes=regions, institution_ids=every),
                                months=months))
        assert latest_year(conn, Filters(region_codes=["330102"]), before=2024) == 2023
        assert latest_year(conn, Filters(region_codes=["330106"]), months=(4, 12)) is None


def test_concurrent_writers_of_one_group(engine: Engine, loaded: dict[int, int]) -> None:
    """Two transactions writing figures of the same group at once: both commit (no
    duplicate key), and the group holds both (PostgreSQL: the advisory lock)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    ids = loaded
    first = engine.connect()
    tx = first.begin()
    write_consumption(first, figures([(ids[2], 2024, 5, "electricity", 77.0, None)]),
                      source="manual", import_id=None)
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with engine.begin() as conn:
                write_consumption(conn, figures([(ids[3], 2024, 5, "electricity", 33.0, None)]),
                                  source="manual", import_id=None)
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=1.0)
    assert thread.is_alive(), "the second writer should wait for the first's group refresh"
    tx.commit()
    first.close()
    thread.join(timeout=30)
    assert not errors
    with engine.begin() as conn:
        assert_groups_exact(conn)
        may = [r for r in monthly_sums(conn, Filters(region_codes=["330102"]), years=(2024,))
               if r["month"] == 5]
        assert may[0]["quantity"]["electricity"] == pytest.approx(110.0)
        assert may[0]["institutions_reported"] == 2


def _expected(conn: Connection, **kw: Any) -> dict[tuple[str, str], int]:
    return {(r["region_code"], r["category"]): r["institutions_expected"]
            for r in expected_counts(conn, _scoped(kw)[0], **_scoped(kw)[1])}


def test_expected_counts_agree_and_follow_status_changes(
    engine: Engine, loaded: dict[int, int]
) -> None:
    ids = loaded
    every = sorted(ids.values())
    closing = institutions_frame().with_columns(
        status=pl.when(pl.col("credit_code") == code(5)).then(pl.lit("closed"))
        .otherwise(pl.col("status")))
    with engine.begin() as conn:
        for regions in (None, ["330203"], ["330102", "330106"]):
            for year in (2023, 2024):
                assert _expected(conn, year=year, region_codes=regions) == _expected(
                    conn, year=year, region_codes=regions, institution_ids=every)
        # 6 is closed and reported in 2024: expected in 2024, not in 2023
        assert _expected(conn, year=2024, region_codes=["330203"]) == {
            ("330203", "023"): 1, ("330203", "026"): 1}
        assert _expected(conn, year=2023, region_codes=["330203"]) == {("330203", "023"): 1}
        upsert_institutions(conn, closing, import_id=None)
        assert_groups_exact(conn)
        for year in (2023, 2024):
            assert _expected(conn, year=year) == _expected(conn, year=year,
                                                           institution_ids=every)
        assert _expected(conn, year=2023, region_codes=["330203"]) == {}


def test_region_groups_sum_in_sql(engine: Engine, loaded: dict[int, int]) -> None:
    to_city = {"330100": "330100", "330102": "330100", "330106": "330100",
               "330203": "330200"}
    with engine.begin() as conn:
        for extra in ({}, {"institution_ids": sorted(loaded.values())}):
            plain = group_sums(conn, Filters(**extra), year=2024)
            mapped = group_sums(conn, Filters(**extra), year=2024, region_groups=to_city)
            want: dict[tuple[str, str], float] = {}
            for r in plain:
                key = (to_city[r["region_code"]], r["category"])
                want[key] = want.get(key, 0.0) + r["quantity"]["electricity"]
            assert {(r["region_code"], r["category"]): r["quantity"]["electricity"]
                    for r in mapped} == pytest.approx(want)
            counts = _expected(conn, year=2024, region_groups=to_city, **extra)
            assert counts[("330100", "021")] == 2 and counts[("330200", "026")] == 1
