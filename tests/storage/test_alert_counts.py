"""storage.alerts.count_alerts: the workbench's alert counts are one SQL count with the
list's own conditions — for every scope, the same number per level as list_alerts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from jieneng.core.scope import Filters
from jieneng.storage import alerts as store
from jieneng.storage import tables as t
from tests.storage._data import load_directory

OPEN = list(store.OPEN_STATES)


def test_counts_equal_the_list_in_every_scope(engine: Engine) -> None:
    at = datetime(2025, 6, 1, tzinfo=UTC)
    with engine.begin() as conn:
        ids = load_directory(conn)
        rows = [  # (subject, region, institution, level, state)
            ("target:1", "330100", None, "over", "open"),
            ("target:2", "330102", None, "warning", "acknowledged"),
            ("target:3", "330203", None, "over", "open"),
            ("quota:1:2", "330102", ids[2], "notice", "open"),
            ("quota:1:3", "330102", ids[3], "over", "closed"),
            ("quota:1:4", "330106", ids[4], "over", "open"),
            ("quota:1:5", "330203", ids[5], "warning", "open"),
        ]
        conn.execute(t.alert.insert(), [
            {"subject": s, "region_code": r, "institution_id": i, "year": 2025, "level": lv,
             "state": st, "opened_at": at + timedelta(hours=n)}
            for n, (s, r, i, lv, st) in enumerate(rows)])
        scopes = {
            "all": Filters(),
            "杭州市": Filters(["330100", "330102", "330106"]),
            "上城区": Filters(["330102"]),
            "教育局 (department)": Filters(None, ids[1]),
            "西湖区人民医院 (institution)": Filters(None, None, [ids[4]]),
        }
        expected = {"all": {"over": 3, "warning": 2, "notice": 1},
                    "杭州市": {"over": 2, "warning": 1, "notice": 1},
                    "上城区": {"warning": 1, "notice": 1},
                    "教育局 (department)": {"notice": 1},
                    "西湖区人民医院 (institution)": {"over": 1}}
        for name, filters in scopes.items():
            listed = store.list_alerts(conn, filters, year=None, states=OPEN)
            counted = store.count_alerts(conn, filters, year=None, states=OPEN)
            assert counted == dict(Counter(r["level"] for r in listed)), name
            assert counted == expected[name], name
        assert store.count_alerts(conn, Filters(), year=2024, states=OPEN) == {}
        assert store.count_alerts(conn, Filters(), year=2025, states=None)["over"] == 4
        newest = store.list_alerts(conn, Filters(), year=None, states=OPEN, limit=2)
        assert [r["subject"] for r in newest] == ["quota:1:5", "quota:1:4"]
        assert [r["subject"] for r in store.list_alerts(
            conn, Filters(), year=None, states=OPEN, level="warning")] == [
            "quota:1:5", "target:2"]


@pytest.mark.parametrize("states", [None, ["closed"]])
def test_counts_with_other_states(engine: Engine, states: list[str] | None) -> None:
    with engine.begin() as conn:
        assert store.count_alerts(conn, Filters(), year=None, states=states) == {}
