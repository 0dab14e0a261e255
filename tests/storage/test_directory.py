from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import Engine

from jieneng.core.exceptions import NotFound
from jieneng.core.regions import RegionTree
from jieneng.storage.batches import find_batches_by_sha256, get_batch, store_batch
from jieneng.storage.institutions import (
    get_institution,
    institution_lookup,
    upsert_institutions,
    upsert_profiles,
)
from jieneng.storage.meta import all_meta, delete_meta, get_meta, set_meta
from jieneng.storage.regions import load_regions, upsert_regions
from jieneng.storage.results import UpsertCounts

from ._data import REGIONS, code, institutions_frame, load_directory


def test_regions_upsert_load_subtree(engine: Engine) -> None:
    with engine.begin() as conn:
        assert upsert_regions(conn, REGIONS) == UpsertCounts(6, 0)
        assert upsert_regions(conn, REGIONS) == UpsertCounts(0, 0)
        renamed = REGIONS.with_columns(
            pl.when(pl.col("code") == "330106").then(pl.lit("西湖区（新）"))
            .otherwise(pl.col("name")).alias("name"))
        assert upsert_regions(conn, renamed) == UpsertCounts(0, 1)
        regions = load_regions(conn)
    assert [r.code for r in regions] == sorted(REGIONS["code"].to_list())
    assert next(r for r in regions if r.code == "330106").name == "西湖区（新）"
    tree = RegionTree(regions)
    assert tree.subtree("330100") == ["330100", "330102", "330106"]
    assert tree.subtree("330000")[0] == "330000"
    assert len(tree.subtree("330000")) == 6
    assert tree.subtree("330203") == ["330203"]
    assert "110000" not in tree


def test_institutions_upsert_departments_and_counts(engine: Engine) -> None:
    with engine.begin() as conn:
        batch = store_batch(conn, kind="institutions", file_name="a.xlsx", content=b"x", rows=6)
        upsert_regions(conn, REGIONS)
        counts = upsert_institutions(conn, institutions_frame(), import_id=batch)
        assert (counts.inserted, counts.updated) == (6, 0)
        again = upsert_institutions(conn, institutions_frame(), import_id=batch)
        assert (again.inserted, again.updated) == (0, 0)
        edu = get_institution(conn, code(1))
        school = get_institution(conn, code(2))
        assert edu is not None and school is not None
        assert school.department_id == edu.id
        assert school.import_id == batch
        assert get_institution(conn, code(4)).key_energy_user is True  # type: ignore[union-attr]
        assert get_institution(conn, "nope") is None

        changed = institutions_frame().with_columns(
            pl.when(pl.col("credit_code") == code(3)).then(pl.lit("closed"))
            .otherwise(pl.col("status")).alias("status"))
        c = upsert_institutions(conn, changed, import_id=None)
        assert (c.inserted, c.updated) == (0, 1)

        lookup = institution_lookup(conn)
        assert lookup.columns == ["credit_code", "institution_id", "name", "name_key",
                                  "region_code"]
        assert lookup.height == 6


def test_new_department_in_same_frame_and_unknown_department(engine: Engine) -> None:
    with engine.begin() as conn:
        upsert_regions(conn, REGIONS)
        upsert_institutions(conn, institutions_frame().filter(pl.col("credit_code") == code(4)),
                            import_id=None)
        # institution 4 now gets a department that is new in this frame
        frame = institutions_frame().with_columns(
            pl.when(pl.col("credit_code") == code(4)).then(pl.lit(code(1)))
            .otherwise(pl.col("department_credit_code")).alias("department_credit_code"))
        c = upsert_institutions(conn, frame, import_id=None)
        assert (c.inserted, c.updated) == (5, 1)
        hosp, edu = get_institution(conn, code(4)), get_institution(conn, code(1))
        assert hosp is not None and edu is not None and hosp.department_id == edu.id
    with pytest.raises(NotFound) as err, engine.begin() as conn:
        bad = institutions_frame().head(1).with_columns(
            pl.lit(code(99)).alias("department_credit_code"))
        upsert_institutions(conn, bad, import_id=None)
    assert code(99) in err.value.message_en


def test_profiles_upsert(engine: Engine) -> None:
    with engine.begin() as conn:
        ids = load_directory(conn)
        frame = pl.DataFrame({"institution_id": [ids[1], ids[2]], "year": [2024, 2025],
                              "occupants": [101, 7], "floor_area_m2": [5000.0, 1.5]})
        c = upsert_profiles(conn, frame, import_id=None)
        assert (c.inserted, c.updated) == (1, 1)
        c = upsert_profiles(conn, frame, import_id=None)
        assert (c.inserted, c.updated) == (0, 0)


def test_batches_and_meta(engine: Engine) -> None:
    with engine.begin() as conn:
        content = "统一社会信用代码,名称\n".encode() * 100
        bid = store_batch(conn, kind="consumption", file_name="月报.csv", content=content,
                          rows=100)
        b = get_batch(conn, bid)
        assert b is not None
        assert b.content == content and b.size_bytes == len(content) and b.rows == 100
        assert len(b.sha256) == 64 and b.dry_run is False and b.file_name == "月报.csv"
        assert find_batches_by_sha256(conn, b.sha256) == [bid]
        assert get_batch(conn, bid + 1) is None

        assert get_meta(conn, "dataset_label") is None
        assert get_meta(conn, "dataset_label", "x") == "x"
        set_meta(conn, "dataset_label", "演示数据")
        set_meta(conn, "dataset_label", "演示数据2")
        assert get_meta(conn, "dataset_label") == "演示数据2"
        version = get_meta(conn, "data_version")
        assert version is not None  # every meta write renews the data version
        assert all_meta(conn) == {"dataset_label": "演示数据2", "data_version": version}
        delete_meta(conn, "dataset_label")
        assert set(all_meta(conn)) == {"data_version"}
        assert get_meta(conn, "data_version") != version
