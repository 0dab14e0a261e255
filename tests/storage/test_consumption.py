from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from jieneng.core.carriers import CARRIER_CODES
from jieneng.storage import tables as t
from jieneng.storage.consumption import write_consumption
from jieneng.storage.directory import history, monthly_series
from jieneng.storage.rollups import rebuild_rollups, refresh_rollups

from ._data import figures, load_directory


def _rollups(conn: object) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    from sqlalchemy import Connection

    assert isinstance(conn, Connection)
    m = conn.execute(select(t.consumption_month).order_by(
        t.consumption_month.c.institution_id, t.consumption_month.c.year,
        t.consumption_month.c.month)).all()
    y = conn.execute(select(t.consumption_year).order_by(
        t.consumption_year.c.institution_id, t.consumption_year.c.year)).all()
    return list(m), list(y)


def _assert_same(a: tuple[list[tuple[object, ...]], ...],
                 b: tuple[list[tuple[object, ...]], ...]) -> None:
    for rows_a, rows_b in zip(a, b, strict=True):
        assert len(rows_a) == len(rows_b)
        for ra, rb in zip(rows_a, rows_b, strict=True):
            assert ra == pytest.approx(rb, rel=1e-13)


def test_revision_semantics(engine: Engine) -> None:
    with engine.begin() as conn:
        ids = load_directory(conn)
        a = ids[2]
        first = figures([(a, 2024, 1, "electricity", 1000.0, 800.0),
                         (a, 2024, 1, "water", 50.0, None),
                         (a, 2024, 2, "electricity", 1100.0, 880.0)])
        c = write_consumption(conn, first, source="file", import_id=None)
        assert (c.inserted, c.revised, c.unchanged) == (3, 0, 0)

        # the same figures again: nothing is written (null cost compares equal)
        c = write_consumption(conn, first, source="file", import_id=None)
        assert (c.inserted, c.revised, c.unchanged) == (0, 0, 3)
        assert conn.execute(select(func.count()).select_from(t.consumption_record)).scalar() == 3

        # a correction of January electricity, a cost added to water, a new month
        second = figures([(a, 2024, 1, "electricity", 1200.0, 800.0),
                          (a, 2024, 1, "water", 50.0, 150.0),
                          (a, 2024, 2, "electricity", 1100.0, 880.0),
                          (a, 2024, 3, "electricity", 900.0, None)])
        c = write_consumption(conn, second, source="manual", import_id=None)
        assert (c.inserted, c.revised, c.unchanged) == (1, 2, 1)

        h = history(conn, a, year=2024, carrier="electricity")
        jan = [r for r in h if r["month"] == 1]
        assert [(r["revision"], r["quantity"], r["is_current"], r["source"]) for r in jan] == [
            (2, 1200.0, True, "manual"), (1, 1000.0, False, "file")]
        assert jan[0]["entered_value"] == "1200.0" and jan[0]["entered_unit"] == "kWh"
        assert len(history(conn, a)) == 6
        assert history(conn, a, year=2023) == []

        # a third revision
        c = write_consumption(conn, figures([(a, 2024, 1, "electricity", 1150.0, 800.0)]),
                              source="manual", import_id=None)
        assert (c.inserted, c.revised, c.unchanged) == (0, 1, 0)
        jan = [r for r in history(conn, a, carrier="electricity") if r["month"] == 1]
        assert [r["revision"] for r in jan] == [3, 2, 1]
        assert [r["is_current"] for r in jan] == [True, False, False]

        series = monthly_series(conn, a, [2024])
        assert [(s["year"], s["month"]) for s in series] == [(2024, 1), (2024, 2), (2024, 3)]
        assert series[0]["quantity"]["electricity"] == 1150.0
        assert series[0]["quantity"]["water"] == 50.0
        assert series[0]["cost_yuan"]["water"] == 150.0
        assert series[0]["quantity"]["coal"] is None
        assert series[2]["cost_yuan"]["electricity"] is None

        y = conn.execute(select(t.consumption_year).where(
            t.consumption_year.c.institution_id == a)).mappings().one()
        assert y["months_reported"] == 3
        assert y["q_electricity"] == 1150.0 + 1100.0 + 900.0
        assert y["c_electricity"] == 800.0 + 880.0
        assert y["q_water"] == 50.0


def test_duplicate_key_in_frame_last_wins(engine: Engine) -> None:
    with engine.begin() as conn:
        a = load_directory(conn)[2]
        c = write_consumption(conn, figures([(a, 2024, 1, "electricity", 1.0, None),
                                             (a, 2024, 1, "electricity", 2.0, None)]),
                              source="file", import_id=None)
        assert (c.inserted, c.revised, c.unchanged) == (1, 0, 0)
        assert history(conn, a)[0]["quantity"] == 2.0


def test_rejects_unknown_source_and_missing_columns(engine: Engine) -> None:
    with engine.begin() as conn:
        with pytest.raises(ValueError, match="source"):
            write_consumption(conn, figures([]), source="fax", import_id=None)
        with pytest.raises(ValueError, match="quantity"):
            write_consumption(conn, pl.DataFrame({"institution_id": [1]}), source="file",
                              import_id=None)
        assert write_consumption(conn, figures([]), source="file", import_id=None).inserted == 0


def _random_frame(ids: list[int], years: list[int], seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    keys = pl.DataFrame({"institution_id": ids}).join(
        pl.DataFrame({"year": years}), how="cross").join(
        pl.DataFrame({"month": list(range(1, 13))}), how="cross").join(
        pl.DataFrame({"carrier": list(CARRIER_CODES)}), how="cross")
    n = keys.height
    return keys.with_columns(
        pl.Series("quantity", rng.gamma(2.0, 500.0, n)),
        pl.Series("cost_yuan", rng.gamma(2.0, 400.0, n)),
        pl.lit(None, dtype=pl.String).alias("entered_value"),
        pl.lit(None, dtype=pl.String).alias("entered_unit"),
    )


def test_rollups_exact_after_revision_and_equal_to_full_rebuild(engine: Engine) -> None:
    with engine.begin() as conn:
        ids = list(load_directory(conn).values())
        frame = _random_frame(ids, [2023, 2024], seed=1)
        c = write_consumption(conn, frame, source="file", import_id=None)
        assert c.inserted == frame.height
        # revise a random tenth, leave the rest identical
        rng = np.random.default_rng(2)
        pick = rng.random(frame.height) < 0.1
        revised = frame.with_columns(
            pl.when(pl.Series(pick)).then(pl.col("quantity") * 1.5)
            .otherwise(pl.col("quantity")).alias("quantity"))
        c = write_consumption(conn, revised, source="file", import_id=None)
        assert c.revised == int(pick.sum())
        assert c.unchanged == frame.height - int(pick.sum())
        incremental = _rollups(conn)

        # roll-ups equal a full rebuild from current records …
        # (equal up to the order in which the database adds the twelve months)
        rebuild_rollups(conn)
        _assert_same(_rollups(conn), incremental)
        # … and an explicit refresh of every key changes nothing either
        refresh_rollups(conn, [(i, y, m) for i in ids for y in (2023, 2024)
                               for m in range(1, 13)])
        _assert_same(_rollups(conn), incremental)

        # year totals equal the sum of current records (exact in sum order of SQL)
        cr = t.consumption_record
        total = conn.execute(select(func.sum(cr.c.quantity)).where(
            cr.c.is_current, cr.c.carrier == "electricity", cr.c.year == 2024)).scalar_one()
        cy = t.consumption_year
        rolled = conn.execute(select(func.sum(cy.c.q_electricity)).where(
            cy.c.year == 2024)).scalar_one()
        expected = revised.filter(pl.col("carrier") == "electricity",
                                  pl.col("year") == 2024)["quantity"].sum()
        assert rolled == pytest.approx(expected, rel=1e-12)
        assert total == pytest.approx(expected, rel=1e-12)


def test_float_values_round_trip_bit_exact(engine: Engine) -> None:
    with engine.begin() as conn:
        a = load_directory(conn)[2]
        values = [0.1 + 0.2, 1 / 3, 1e-300, 123456789.123456789, 5e-324]
        frame = figures([(a, 2024, m + 1, "electricity", v, v) for m, v in enumerate(values)])
        write_consumption(conn, frame, source="file", import_id=None)
        got = [r["quantity"] for r in sorted(history(conn, a), key=lambda r: r["month"])]
        assert got == values
        # written again: recognised as unchanged, bit for bit
        assert write_consumption(conn, frame, source="file", import_id=None).unchanged == 5


@pytest.mark.slow
def test_bulk_write_50k_rows(engine: Engine) -> None:
    with engine.begin() as conn:
        ids = list(load_directory(conn).values())  # 6 institutions
        frame = _random_frame(ids, [2019, 2020, 2021, 2022, 2023, 2024], seed=3)
        # 6 institutions × 6 years × 12 months × 12 carriers = 5,184; repeat over
        # synthetic years to pass 50k rows
        frames = [frame.with_columns((pl.col("year") + 6 * k).alias("year")) for k in range(10)]
        big = pl.concat(frames)
        assert big.height >= 50_000
        c = write_consumption(conn, big, source="file", import_id=None)
        assert c.inserted == big.height
        n_month = conn.execute(select(func.count()).select_from(t.consumption_month)).scalar()
        assert n_month == big.select("institution_id", "year", "month").unique().height
        c = write_consumption(conn, big, source="file", import_id=None)
        assert c.unchanged == big.height
