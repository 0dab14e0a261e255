"""Readings storage on both databases: unique per (meter, ts), resends idempotent, a
changed value replaces, monthly partitions on PostgreSQL made on demand and ahead
(and invisible to the schema comparison), derived intervals and roll-ups upserted."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select

from jieneng.storage import meter_readings as r
from jieneng.storage.schema import metadata

JAN = int(datetime(2025, 12, 31, 16, 0, tzinfo=UTC).timestamp())  # 2026-01-01 00:00 China


def frame(meter: int, start: int, values: list[float], step: int = 900) -> pl.DataFrame:
    return pl.DataFrame({"meter_id": [meter] * len(values),
                         "ts": [start + i * step for i in range(len(values))],
                         "value": values})


def test_month_ranges_are_china_months() -> None:
    (name, lo, hi), (name2, lo2, _) = r.month_ranges(JAN, JAN + 31 * 86_400)
    assert (name, lo, hi, name2, lo2) == ("metering_reading_p202601", JAN,
                                          JAN + 31 * 86_400, "metering_reading_p202602",
                                          JAN + 31 * 86_400)
    assert r.month_start(JAN - 1)[:2] == (2025, 12)


def test_resends_are_idempotent_and_a_changed_value_replaces(engine: Engine) -> None:
    with engine.begin() as conn:
        assert r.write_readings(conn, frame(1, JAN, [10.0, 11.0, 12.5])) == 3
        # a batch over the month end: another partition on PostgreSQL
        assert r.write_readings(conn, frame(1, JAN + 31 * 86_400 - 900, [50.0, 51.0])) == 2
    with engine.begin() as conn:
        assert r.write_readings(conn, frame(1, JAN, [10.0, 11.0, 12.5])) == 0
        assert r.write_readings(conn, frame(1, JAN, [10.0, 11.5])) == 1
        # within one batch the last row of a key wins
        dup = pl.concat([frame(2, JAN, [1.0]), frame(2, JAN, [2.0])])
        assert r.write_readings(conn, dup) == 1
    with engine.connect() as conn:
        got = r.read_readings(conn, 1, JAN, JAN + 3600)
        assert got["value"].to_list() == [10.0, 11.5, 12.5]
        assert r.read_readings(conn, 2, JAN, JAN + 1)["value"].to_list() == [2.0]
        total = conn.execute(select(func.count()).select_from(r.metering_reading)).scalar()
        assert total == 6
        if conn.dialect.name == "postgresql":
            parts = r.existing_partitions(conn)
            assert {"metering_reading_p202601", "metering_reading_p202602"} <= parts
            now = datetime.now(UTC)
            assert f"metering_reading_p{now.year:04d}{now.month:02d}" in parts  # ahead
            ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_name": r.include_name})
            assert compare_metadata(ctx, metadata) == []


def test_intervals_and_rollups_are_rewritten_under_their_key(engine: Engine) -> None:
    intervals = pl.DataFrame({"meter_id": [1, 1, 1], "start": [JAN, JAN + 900, JAN + 1800],
                              "energy": [1.0, None, 2.0], "flags": [0, 0, 1]})
    rollup = pl.DataFrame({"meter_id": [1], "level": ["hour"], "start": [JAN],
                           "energy": [3.0], "present": [2], "expected": [4], "flags": [1]})
    with engine.begin() as conn:
        r.write_intervals(conn, intervals)
        r.write_rollups(conn, rollup)
        r.write_intervals(conn, intervals.with_columns(pl.lit(5.0).alias("energy")))
        r.write_rollups(conn, rollup.with_columns(pl.lit(15.0).alias("energy"),
                                                  pl.lit(4).alias("present")))
    with engine.connect() as conn:
        stored = conn.execute(select(r.metering_interval.c.energy)
                              .order_by(r.metering_interval.c.start)).scalars().all()
        assert stored == [5.0, 5.0, 5.0]
        got = r.read_rollups(conn, 1, "hour", JAN, JAN + 3600)
        assert got.select("energy", "present", "expected").rows() == [(15.0, 4, 4)]


def test_writers_of_a_new_month_take_turns_creating_its_partition(engine: Engine) -> None:
    """PostgreSQL: eight transactions writing the first readings of a month at once —
    none fails on the partition another one is creating (an advisory lock)."""
    import threading

    failures: list[str] = []

    def write(k: int) -> None:
        try:
            with engine.begin() as conn:
                r.write_readings(conn, pl.DataFrame(
                    {"meter_id": [k], "ts": [2_000_000_000 + k], "value": [1.0]}),
                    received_at=1)
        except Exception as err:  # recorded for the assertion
            failures.append(type(err).__name__)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(r.metering_reading)).scalar()
    assert stored == 8
