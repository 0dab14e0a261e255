"""The region map of a grouped read (:func:`jieneng.storage.indicators.group_sums`,
``region_groups=``) is loaded into its temporary table once per transaction: a second
read of the same map in the same transaction reuses it; another map, a new transaction,
a savepoint or a rolled-back transaction loads it again — every read answers as if
loaded afresh."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, event, func, select

from jieneng.core.scope import Filters
from jieneng.storage.consumption import write_consumption
from jieneng.storage.indicators import _region_map, expected_counts, group_sums

from ._data import figures, load_directory

TO_CITY = {"330100": "330100", "330102": "330100", "330106": "330100", "330203": "330200"}
ALL_IN_ONE = dict.fromkeys(TO_CITY, "330000")


def _load(engine: Engine) -> None:
    with engine.begin() as conn:
        ids = load_directory(conn)
        write_consumption(conn, figures([
            (ids[2], 2024, 1, "electricity", 1000.0, 600.0),
            (ids[3], 2024, 1, "electricity", 500.0, None),
            (ids[5], 2024, 1, "electricity", 300.0, 180.0),
            (ids[6], 2024, 1, "electricity", 50.0, 30.0),
        ]), source="manual", import_id=None)


def _sums(conn: Connection, groups: dict[str, str]) -> dict[tuple[str, str], Any]:
    return {(r["region_code"], r["category"]): r["quantity"]["electricity"]
            for r in group_sums(conn, Filters(), year=2024, region_groups=groups)}


def _expected(conn: Connection, groups: dict[str, str]) -> dict[tuple[str, str], int]:
    return {(r["region_code"], r["category"]): r["institutions_expected"]
            for r in expected_counts(conn, Filters(), year=2024, region_groups=groups)}


def _inserts(engine: Engine) -> list[int]:
    seen: list[int] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO _jn_region_map"):
            seen.append(1)

    return seen


def test_loaded_once_per_transaction_and_answers_alike(engine: Engine) -> None:
    _load(engine)
    with engine.connect() as conn:
        city, one = _sums(conn, TO_CITY), _sums(conn, ALL_IN_ONE)
        city_n, one_n = _expected(conn, TO_CITY), _expected(conn, ALL_IN_ONE)
    assert {k[0] for k in city} == {"330100", "330200"} and {k[0] for k in one} == {"330000"}
    assert sum(city.values()) == sum(one.values()) == 1850.0
    inserts = _inserts(engine)
    with engine.connect() as conn:
        assert _sums(conn, TO_CITY) == city
        assert _expected(conn, TO_CITY) == city_n
        assert _sums(conn, TO_CITY) == city
        assert len(inserts) == 1  # the same map in the same transaction: loaded once
        assert _sums(conn, ALL_IN_ONE) == one  # another map: loaded again
        assert _expected(conn, ALL_IN_ONE) == one_n
        assert _sums(conn, TO_CITY) == city
        assert len(inserts) == 3
        conn.commit()
        assert _sums(conn, TO_CITY) == city  # a new transaction: loaded again
        assert len(inserts) == 4
        conn.rollback()
        assert _sums(conn, TO_CITY) == city
        assert len(inserts) == 5


def test_savepoint_and_rollback_never_leave_a_stale_map(engine: Engine) -> None:
    _load(engine)
    with engine.connect() as conn:
        city, one = _sums(conn, TO_CITY), _sums(conn, ALL_IN_ONE)
    with engine.connect() as conn:
        nested = conn.begin_nested()
        assert _sums(conn, TO_CITY) == city
        nested.rollback()  # takes the rows loaded inside it
        assert _sums(conn, TO_CITY) == city
        assert conn.execute(select(func.count()).select_from(_region_map)).scalar() == len(
            TO_CITY)
        assert _sums(conn, ALL_IN_ONE) == one
    with engine.connect() as conn:  # a pooled connection whose last map was another
        assert _sums(conn, TO_CITY) == city
        assert _sums(conn, ALL_IN_ONE) == one
