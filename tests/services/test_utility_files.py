"""Utility files on both databases: daily quantity and bills per 户号 — all or nothing,
dry run, revisions kept and the current value replaced, the registry's checks (unknown,
not bound on the date, outside the caller's scope without naming the owner), the
month figures from daily data or from bills with the region rule switched."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from jieneng.core.exceptions import ImportRejected, NotFound
from jieneng.core.metering.billing import Allocation, BillingPeriod, allocate
from jieneng.core.permissions import Role
from jieneng.services.metering.registry import bind_account, unbind_account
from jieneng.services.metering.utility import (
    account_bills,
    account_days,
    import_bills,
    import_days,
)
from jieneng.services.metering.utility_months import (
    metered_month_figures,
    month_rule,
    set_month_rule,
)
from jieneng.storage import utility_data as u
from tests.sample import ORGAN, SCHOOL, Files, write_csv
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)
TODAY = date(2026, 12, 3)
DAY_HEADER = ["户号", "日期", "电量(千瓦时)", "尖", "峰", "平", "谷"]
BILL_HEADER = ["户号", "账期起", "账期止", "用电量", "电费(元)", "抄表日"]


@pytest.fixture
def ids(engine: Engine, files: Files) -> dict[str, int]:
    found = load(engine, files)
    bind_account(engine, ADMIN, credit_code=ORGAN, carrier_text="电", number="0301",
                 valid_from=date(2026, 1, 1))
    bind_account(engine, ADMIN, credit_code=ORGAN, carrier_text="电", number="0302",
                 valid_from=date(2026, 1, 1))
    bind_account(engine, ADMIN, credit_code=SCHOOL, carrier_text="电", number="0900",
                 valid_from=date(2026, 1, 1))
    bind_account(engine, ADMIN, credit_code=ORGAN, carrier_text="水", number="W-1",
                 valid_from=date(2026, 1, 1))
    return found


def count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def month_days(account: str, year: int, month: int, value: float, *, skip: int = 0
               ) -> list[list[object]]:
    first = date(year, month, 1)
    rows = []
    day = first
    while day.month == month:
        if day.day > skip:
            rows.append([account, day.isoformat(), value, "", "", "", ""])
        day += timedelta(days=1)
    return rows


def test_days_all_or_nothing_dry_run_and_revisions(engine: Engine, ids: dict[str, int],
                                                   tmp_path: Path) -> None:
    good = write_csv(tmp_path / "d.csv", DAY_HEADER, [
        ["0301", "2026-11-01", 100, 10, 30, 40, 20],
        ["0301", "2026-11-02", 110, "", "", "", ""],
        ["0302", "2026-11-01", 50, "", "", "", ""],
    ], encoding="gbk")
    dry = import_days(engine, ADMIN, good, dry_run=True, today=TODAY)
    assert (dry.new, dry.revised, dry.unchanged, dry.dry_run) == (3, 0, 0, True)
    assert count(engine, u.metering_account_day) == 0
    done = import_days(engine, ADMIN, good, today=TODAY)
    assert (done.new, done.revised, done.unchanged) == (3, 0, 0)
    assert done.batch_id is not None
    again = import_days(engine, ADMIN, good, today=TODAY)
    assert (again.new, again.revised, again.unchanged) == (0, 0, 3)
    later = write_csv(tmp_path / "d2.csv", DAY_HEADER, [
        ["0301", "2026-11-01", 101, 10, 31, 40, 20],
        ["0301", "2026-11-03", 90, "", "", "", ""],
    ])
    third = import_days(engine, ADMIN, later, today=TODAY)
    assert (third.new, third.revised, third.unchanged) == (1, 1, 0)
    assert count(engine, u.metering_account_day) == 4
    assert count(engine, u.metering_account_day_history) == 1
    seen = account_days(engine, ADMIN, "电", "0301", first=date(2026, 11, 1),
                        last=date(2026, 11, 30), history=True)
    first = next(d for d in seen["days"] if d["day"] == "2026-11-01")
    assert (first["quantity"], first["revision"], first["peak"]) == (101.0, 2, 31.0)
    assert [(r["quantity"], r["revision"]) for r in seen["revisions"]] == [(100.0, 1)]
    # a bad file stores nothing, even its good rows; one report has the row checks'
    # and the registry's problems
    bad = write_csv(tmp_path / "bad.csv", DAY_HEADER, [
        ["0301", "2026-11-05", 100, "", "", "", ""],
        ["9999", "2026-11-05", 100, "", "", "", ""],
        ["0301", "2026-11-06", -1, "", "", "", ""],
    ])
    with pytest.raises(ImportRejected) as err:
        import_days(engine, ADMIN, bad, today=TODAY)
    assert [(i.row, i.code) for i in err.value.issues] == [
        (3, "utility.unknown_account"), (4, "import.negative")]
    assert err.value.issues[0].column == "户号"
    assert count(engine, u.metering_account_day) == 4


def test_registry_checks_and_scope(engine: Engine, ids: dict[str, int],
                                   tmp_path: Path) -> None:
    unbind_account(engine, ADMIN, carrier_text="电", number="0302", valid_to=date(2026, 6, 1))
    school = user(Role.INSTITUTION, institution_id=ids[SCHOOL], uid=5)
    path = write_csv(tmp_path / "d.csv", DAY_HEADER, [
        ["0900", "2026-11-01", 10, "", "", "", ""],   # the school's own: fine
        ["0301", "2026-11-01", 10, "", "", "", ""],   # the organ's: outside the school's scope
        ["0302", "2026-11-01", 10, "", "", "", ""],   # unbound since June
        ["0900", "2025-11-01", 10, "", "", "", ""],   # before the binding
    ])
    with pytest.raises(ImportRejected) as err:
        import_days(engine, school, path, today=TODAY)
    found = {(i.row, i.code) for i in err.value.issues}
    assert found == {(3, "utility.unknown_account"), (4, "utility.unknown_account"),
                     (5, "utility.not_bound")}
    text = " ".join(i.message_zh + i.message_en for i in err.value.issues)
    assert "秀峰区" not in text and "ORGAN" not in text  # the owner is never named
    with pytest.raises(ImportRejected) as err:
        import_days(engine, ADMIN, path, today=TODAY)
    assert {(i.row, i.code) for i in err.value.issues} == {
        (4, "utility.not_bound"), (5, "utility.not_bound")}
    with pytest.raises(NotFound):
        account_days(engine, school, "电", "0301")
    assert account_days(engine, school, "电", "0900")["days"] == []


def test_bills_revisions_and_overlaps(engine: Engine, ids: dict[str, int],
                                      tmp_path: Path) -> None:
    path = write_csv(tmp_path / "b.csv", BILL_HEADER, [
        ["0301", "2026-09-21", "2026-10-20", 3000, 2100, "2026-10-21"],
        ["0301", "2026-10-21", "2026-11-20", 3100, 2170, ""],
    ])
    done = import_bills(engine, ADMIN, path, today=TODAY)
    assert (done.new, done.revised) == (2, 0)
    revised = write_csv(tmp_path / "b2.csv", BILL_HEADER, [
        ["0301", "2026-10-21", "2026-11-20", 3150, 2205, ""],
    ])
    assert import_bills(engine, ADMIN, revised, today=TODAY).revised == 1
    bills = account_bills(engine, ADMIN, "电", "0301")
    assert [(b["period_start"], b["quantity"], b["revision"]) for b in bills["bills"]] == [
        ("2026-09-21", 3000.0, 1), ("2026-10-21", 3150.0, 2)]
    assert [(b["quantity"], b["revision"]) for b in bills["revisions"]] == [(3100.0, 1)]
    overlap = write_csv(tmp_path / "b3.csv", BILL_HEADER, [
        ["0301", "2026-10-01", "2026-10-31", 1, 1, ""],
    ])
    with pytest.raises(ImportRejected) as err:
        import_bills(engine, ADMIN, overlap, today=TODAY)
    assert [i.code for i in err.value.issues] == ["utility.period_overlap_stored"] * 2
    assert "2026-09-21–2026-10-20" in err.value.issues[0].message_zh + \
        err.value.issues[1].message_zh
    assert count(engine, u.metering_account_bill) == 3


def test_month_figures_daily_vs_bills_and_the_rule(engine: Engine, ids: dict[str, int],
                                                   tmp_path: Path) -> None:
    # 0301: every day of October from the daily file (10 kWh/day) and a bill
    # 09-21..10-20; 0302: bills only, October partly covered
    days = write_csv(tmp_path / "d.csv", DAY_HEADER, month_days("0301", 2026, 10, 10.0))
    import_days(engine, ADMIN, days, today=TODAY)
    bills = write_csv(tmp_path / "b.csv", BILL_HEADER, [
        ["0301", "2026-09-21", "2026-10-20", 600, 420, ""],
        ["0302", "2026-09-21", "2026-10-20", 300, 210, ""],
        ["0302", "2026-10-21", "2026-11-20", 310, 217, ""],
    ])
    import_bills(engine, ADMIN, bills, today=TODAY)
    organ = ids[ORGAN]
    with engine.connect() as conn:
        fig = metered_month_figures(conn, [organ], 2026, 10)
    row = fig.filter(fig["carrier"] == "electricity").to_dicts()[0]
    # 0301 from daily (310); 0302 by days: 300·20/30 + 310·11/31
    expected_0302 = sum(s.quantity for b in (
        BillingPeriod(date(2026, 9, 21), date(2026, 10, 20), 300, 210),
        BillingPeriod(date(2026, 10, 21), date(2026, 11, 20), 310, 217))
        for s in allocate(b, Allocation.DAYS) if s.month == 10)
    assert row["quantity"] == pytest.approx(310 + expected_0302)
    assert row["source"] == "mixed" and row["completeness"] == 1.0 and row["accounts"] == 2
    water = fig.filter(fig["carrier"] == "water").to_dicts()[0]
    assert water["quantity"] is None and water["completeness"] == 0.0
    # bills first, whole bill in the month it ends: 0301 600 (ends 10-20), 0302 300
    set_month_rule(engine, ADMIN, "450300", source_order="bills_first",
                   allocation="end_month")
    assert month_rule(engine, ADMIN.scope, "450302").region_code == "450300"
    with engine.connect() as conn:
        fig = metered_month_figures(conn, [organ], 2026, 10)
    row = fig.filter(fig["carrier"] == "electricity").to_dicts()[0]
    assert row["quantity"] == pytest.approx(900)
    assert row["cost_yuan"] == pytest.approx(630)
    assert row["source"] == "bills"
    # bills first, split by the daily file's shares where it covers the bill: 0301's
    # first bill has daily data (20/day in September, 10/day in October) → 600·200/400;
    # its second one has none for November → by days, 310·11/31
    september = [r for r in month_days("0301", 2026, 9, 20.0) if r[1] >= "2026-09-21"]
    import_days(engine, ADMIN, write_csv(tmp_path / "d9.csv", DAY_HEADER, september),
                today=TODAY)
    import_bills(engine, ADMIN, write_csv(tmp_path / "b2.csv", BILL_HEADER, [
        ["0301", "2026-10-21", "2026-11-20", 310, 217, ""]]), today=TODAY)
    set_month_rule(engine, ADMIN, "450302", source_order="bills_first", allocation="daily")
    with engine.connect() as conn:
        fig = metered_month_figures(conn, [organ], 2026, 10)
    row = fig.filter(fig["carrier"] == "electricity").to_dicts()[0]
    assert row["quantity"] == pytest.approx(300 + 110 + expected_0302)
    assert row["source"] == "bills" and row["completeness"] == 1.0
    # daily first again for the city's county: 0301 from its days
    set_month_rule(engine, ADMIN, "450302", source_order="daily_first", allocation="daily")
    with engine.connect() as conn:
        fig = metered_month_figures(conn, [organ], 2026, 10)
    assert fig.filter(fig["carrier"] == "electricity")["quantity"][0] == pytest.approx(
        310 + expected_0302)


def test_month_figures_follow_the_binding(engine: Engine, ids: dict[str, int],
                                          tmp_path: Path) -> None:
    days = write_csv(tmp_path / "d.csv", DAY_HEADER, month_days("0302", 2026, 5, 2.0))
    import_days(engine, ADMIN, days, today=TODAY)
    unbind_account(engine, ADMIN, carrier_text="电", number="0302", valid_to=date(2026, 5, 16))
    bind_account(engine, ADMIN, credit_code=SCHOOL, carrier_text="电", number="0302",
                 valid_from=date(2026, 5, 16))
    with engine.connect() as conn:
        fig = metered_month_figures(conn, [ids[ORGAN], ids[SCHOOL]], 2026, 5)
    got = {(r["institution_id"], r["carrier"]): r for r in fig.to_dicts()}
    assert got[(ids[ORGAN], "electricity")]["quantity"] == pytest.approx(30.0)
    assert got[(ids[SCHOOL], "electricity")]["quantity"] == pytest.approx(32.0)
    assert got[(ids[SCHOOL], "electricity")]["completeness"] == pytest.approx(16 / 47)
