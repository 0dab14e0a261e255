"""The utility-file parsers: GBK and UTF-8 CSV, .xlsx templates, flexible headers and
units, every bad-row kind with its file, row, column and message in zh and en."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from jieneng.ingest.templates import UTILITY_TEMPLATE_KINDS, write_template
from jieneng.ingest.utility_files import check_accounts, parse_bills, parse_daily
from tests.sample import write_csv

TODAY = date(2026, 12, 3)


def issues(rows: object) -> set[tuple[int | None, str | None, str]]:
    return {(i.row, i.column, i.code) for i in rows.chk.issues}  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", UTILITY_TEMPLATE_KINDS)
def test_templates_round_trip(tmp_path: Path, kind: str) -> None:
    path = write_template(kind, tmp_path / f"{kind}.xlsx")
    parse = parse_daily if kind == "daily-kwh" else parse_bills
    rows = parse(path, today=TODAY)
    assert rows.ok and rows.chk is not None and rows.chk.issues == []
    assert rows.frame.height == 2 and rows.sheet == "数据"
    assert rows.frame["account"].to_list() == ["0301234567"] * 2


def test_gbk_file_with_a_title_row_english_headers_and_units(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes("桂林供电局 日电量\n"
                     "Account,Date,Quantity(万千瓦时),Tip,Peak,Flat,Valley,能源品种\n"
                     "0301,2026/11/1,0.01,0,50,30,20,电\n"
                     "W-1,20261102,12.5,,,,,水\n".encode("gbk"))
    rows = parse_daily(path, today=TODAY)
    assert rows.ok, rows.chk.issues if rows.chk else rows.failed
    got = rows.frame.select("carrier", "account", "day", "quantity").rows()
    assert got == [("electricity", "0301", date(2026, 11, 1), 100.0),
                   ("water", "W-1", date(2026, 11, 2), 125000.0)]
    # each column in its own unit: 尖峰平谷 here in kWh, the total in 万千瓦时
    assert rows.frame["peak"].to_list() == [50.0, None]


def test_every_bad_daily_row_is_named(tmp_path: Path) -> None:
    header = ["户号", "日期", "电量", "尖", "峰", "平", "谷", "品种"]
    path = write_csv(tmp_path / "bad.csv", header, [
        ["0301", "2026-11-01", 100, 10, 30, 40, 20, "电"],       # 2 fine
        ["0301", "2026-11-31", 100, "", "", "", "", ""],          # 3 bad date
        ["0302", "2026-11-01", "十", "", "", "", "", ""],         # 4 not a number
        ["0303", "2026-11-01", -1, "", "", "", "", ""],           # 5 negative
        ["0304", "2026-11-01", 100, 10, 30, 40, 30, ""],          # 6 尖峰平谷 ≠ total
        ["0305", "2026-12-04", 1, "", "", "", "", ""],            # 7 future
        ["0301", "2026-11-01", 100, 10, 30, 40, 20, ""],          # 8 identical repeat
        ["0301", "2026-11-01", 99, "", "", "", "", ""],           # 9 repeat, other value
        ["", "2026-11-01", 1, "", "", "", "", ""],                # 10 no account
        ["0306", "2026-11-01", 1, "", "", "", "", "煤炭"],          # 11 not a utility carrier
    ], encoding="gbk")
    rows = parse_daily(path, today=TODAY)
    assert not rows.ok
    assert issues(rows) == {
        (3, "日期", "utility.bad_date"), (4, "电量", "import.not_a_number"),
        (5, "电量", "import.negative"), (6, "电量", "utility.tou_mismatch"),
        (7, "日期", "utility.future_date"), (8, "户号", "utility.duplicate_same"),
        (9, "户号", "utility.duplicate_conflict"), (10, "户号", "import.missing_value"),
        (11, "品种", "utility.bad_carrier")}
    by_row = {i.row: i for i in rows.chk.issues}  # type: ignore[union-attr]
    assert "尖峰平谷" in by_row[6].message_zh and "110" in by_row[6].message_zh
    assert "does not match the total 100" in by_row[6].message_en
    assert "第 2 行" in by_row[9].message_zh and "row 2" in by_row[9].message_en
    assert by_row[8].severity == "warning"
    assert str(by_row[3]).startswith("bad.csv 第3行 “日期”列：")
    err = rows.rejection()
    assert getattr(err, "report", None) is not None and err.report.height == 9  # type: ignore[attr-defined]


def test_every_bad_bill_row_is_named(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "b.csv", ["户号", "账期起", "账期止", "用电量", "电费(万元)"], [
        ["0301", "2026-09-21", "2026-10-20", 3000, 0.21],    # 2 fine
        ["0301", "2026-10-15", "2026-11-20", 3000, 0.21],    # 3 overlaps row 2
        ["0302", "2026-10-21", "2026-10-01", 10, 1],         # 4 end before start
        ["0303", "2026-11-21", "2026-12-20", 10, 1],         # 5 ends in the future
        ["0304", "2026-10-01", "2026-10-31", "x", -1],       # 6 not a number, negative
        ["0305", "2026-10-01", "2026-10-31", 10, 1],         # 7
        ["0305", "2026-10-01", "2026-10-31", 11, 1],         # 8 repeat, other value
    ])
    rows = parse_bills(path, today=TODAY)
    assert issues(rows) == {
        (3, "账期起", "utility.period_overlap"), (4, "账期止", "utility.period_order"),
        (5, "账期止", "utility.future_date"), (6, "用电量", "import.not_a_number"),
        (6, "电费(万元)", "import.negative"), (8, "户号", "utility.duplicate_conflict")}
    good = parse_bills(write_csv(tmp_path / "g.csv", ["户号", "账期起", "账期止", "用电量",
                                                      "电费(万元)"],
                                 [["0301", "2026-09-21", "2026-10-20", 3000, 0.21]]),
                       today=TODAY)
    assert good.ok and good.frame["cost_yuan"].to_list() == [pytest.approx(2100.0)]


def test_missing_column_and_registry_checks(tmp_path: Path) -> None:
    missing = parse_daily(write_csv(tmp_path / "m.csv", ["户号", "电量"], [["1", 2]]),
                          today=TODAY)
    assert not missing.ok
    rows = parse_daily(write_csv(tmp_path / "d.csv", ["户号", "日期", "电量"], [
        ["A", "2026-11-01", 1], ["B", "2026-11-01", 1], ["C", "2026-11-01", 1],
        ["D", "2026-11-01", 1]]), today=TODAY)
    bindings = pl.DataFrame({
        "account_id": [1, 2, 3], "carrier": ["electricity"] * 3, "number": ["A", "B", "C"],
        "institution_id": [10, 10, 20],
        "valid_from": [date(2026, 1, 1), date(2026, 11, 2), date(2026, 1, 1)],
        "valid_to": [None, None, None]}, schema_overrides={"valid_to": pl.Date})
    frame = check_accounts(rows, bindings, visible={10})
    assert frame["account_id"].to_list() == [1]
    assert issues(rows) == {(3, "户号", "utility.not_bound"),
                            (4, "户号", "utility.unknown_account"),
                            (5, "户号", "utility.unknown_account")}
