from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from jieneng.core.codes import make_credit_code
from jieneng.ingest import parse_consumption

from .conftest import HOSPITAL, LOOKUP, ORGAN, SCHOOL, UNKNOWN, codes, write_csv, write_xlsx

WIDE = ["统一社会信用代码", "单位名称", "年", "月", "电(万千瓦时)", "电费(元)", "水(吨)",
        "水费(元)", "天然气（万立方米）", "天然气费用(元)", "汽油-车辆用油(升)",
        "热力(百万千焦)", "备注"]
LONG = ["统一社会信用代码", "年", "月", "能源品种", "数量", "单位", "费用(元)"]


def test_wide_file(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "w.xlsx", WIDE, [
        [ORGAN, "机关", 2025, 1, 1.5, "7,000", 300, 900, 0.01, 350, 0, None, "0 是有意填写的"],
        [SCHOOL, "学校", 2025.0, "2", "２", None, None, None, None, None, None, "12.5 ", None],
    ], title="2025年能源消费", start_row=2)
    parsed = parse_consumption(path, institutions=LOOKUP)
    assert parsed.ok, parsed.issues
    assert parsed.frame.schema == pl.Schema({
        "institution_id": pl.Int64, "year": pl.Int32, "month": pl.Int32, "carrier": pl.String,
        "quantity": pl.Float64, "cost_yuan": pl.Float64, "entered_value": pl.String,
        "entered_unit": pl.String, "source_row": pl.Int64,
    })
    got = {(r["institution_id"], r["month"], r["carrier"]): r
           for r in parsed.frame.rows(named=True)}
    assert set(got) == {
        (1, 1, "electricity"), (1, 1, "water"), (1, 1, "natural_gas"),
        (1, 1, "gasoline_vehicle"), (2, 2, "electricity"), (2, 2, "heat"),
    }
    elec = got[(1, 1, "electricity")]
    assert elec["quantity"] == pytest.approx(15000.0)
    assert elec["cost_yuan"] == 7000.0
    assert (elec["entered_value"], elec["entered_unit"], elec["source_row"]) == (
        "1.5", "万千瓦时", 4)
    assert got[(1, 1, "water")]["quantity"] == pytest.approx(300.0)  # 吨 of water = m³
    assert got[(1, 1, "natural_gas")]["quantity"] == pytest.approx(100.0)
    assert got[(1, 1, "gasoline_vehicle")]["quantity"] == 0.0  # explicit 0 is a record
    assert got[(2, 2, "electricity")]["quantity"] == pytest.approx(20000.0)
    assert got[(2, 2, "electricity")]["cost_yuan"] is None
    assert got[(2, 2, "heat")]["quantity"] == pytest.approx(12.5)


def test_wide_and_long_are_equivalent(tmp_path: Path) -> None:
    wide = write_csv(tmp_path / "w.csv", ["统一社会信用代码", "年", "月", "电(千瓦时)", "电费(元)",
                                          "天然气(万立方米)", "柴油-其他用油(升)"], [
        [ORGAN, 2025, 1, "10,000", 7000, 0.5, ""],
        [SCHOOL, 2025, 3, 300, "", "", 20],
    ])
    long = write_csv(tmp_path / "l.csv", LONG, [
        [ORGAN, 2025, 1, "电", "10,000", "千瓦时", 7000],
        [ORGAN, 2025, 1, "天然气", "0.5", "万方", ""],
        [SCHOOL, 2025, 3, "电力", 300, "kWh", ""],
        [SCHOOL, 2025, 3, "柴油-其他用油", 20, "L", ""],
    ], encoding="gbk")
    cols = ["institution_id", "year", "month", "carrier", "quantity", "cost_yuan",
            "entered_value"]
    a = parse_consumption(wide, institutions=LOOKUP)
    b = parse_consumption(long, institutions=LOOKUP)
    assert a.ok and b.ok, (a.issues, b.issues)
    key = ["institution_id", "year", "month", "carrier"]
    assert a.frame.select(cols).sort(key).equals(b.frame.select(cols).sort(key))


def test_wide_header_problems_reported_once(tmp_path: Path) -> None:
    header = ["统一社会信用代码", "年", "月", "电(吨)", "煤气(立方米)", "热力", "水(斤)",
              "水(立方米)", "水(万立方米)", "汽油(升)", "电费(吨)", "单位名称"]
    path = write_csv(tmp_path / "w.csv", header, [
        [ORGAN, 2025, 1, 1, 1, 1, 1, 5, "", 1, 1, "机关"],
        [SCHOOL, 2025, 1, 1, 1, 1, 1, 6, "", 1, 1, "学校"],
    ])
    parsed = parse_consumption(path, institutions=LOOKUP)
    assert codes(parsed.issues) == [
        (None, "水(万立方米)", "import.duplicate_column"),
        (None, "水(斤)", "import.unknown_unit"),
        (None, "汽油(升)", "import.unknown_header"),
        (None, "热力", "import.missing_unit"),
        (None, "煤气(立方米)", "import.unknown_header"),
        (None, "电(吨)", "import.unit_mismatch"),
        (None, "电费(吨)", "import.unit_mismatch"),
    ]
    assert "车辆用油" in next(i for i in parsed.issues if i.column == "汽油(升)").message_zh
    # the valid column is still read
    assert parsed.frame["carrier"].to_list() == ["water", "water"]


def test_bad_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "w.csv", ["统一社会信用代码", "年", "月", "电(千瓦时)", "电费(元)",
                                          "水(立方米)"], [
        [ORGAN, 2025, 1, 100, 70, 5],           # 2 ok
        [UNKNOWN, 2025, 1, 100, "", ""],        # 3 unknown institution
        [ORGAN, 2025, 13, 100, "", ""],         # 4 bad month
        [ORGAN, 1999, 2, 100, "", ""],          # 5 bad year
        [ORGAN, 2025, 3, "12abc", "", ""],      # 6 not a number
        [ORGAN, 2025, 4, -1, "-2", ""],         # 7 negative quantity and cost
        [ORGAN, 2025, 5, "", 10, ""],           # 8 cost without quantity
        [ORGAN, 2025, 1, "", "", 6],            # 9 duplicate water of row 2
        ["", 2025, 6, 1, "", ""],               # 10 missing credit code
        [HOSPITAL, 2025, "1.5", 1, "", ""],     # 11 bad month
    ])
    parsed = parse_consumption(path, institutions=LOOKUP)
    assert codes(parsed.issues) == [
        (3, "统一社会信用代码", "import.unknown_institution"),
        (4, "月", "import.bad_month"),
        (5, "年", "import.bad_year"),
        (6, "电(千瓦时)", "import.not_a_number"),
        (7, "电(千瓦时)", "import.negative"),
        (7, "电费(元)", "import.negative"),
        (8, "电费(元)", "import.cost_without_quantity"),
        (9, "水(立方米)", "import.duplicate_key"),
        (10, "统一社会信用代码", "import.missing_value"),
        (11, "月", "import.bad_month"),
    ]
    by = {(i.row, i.column): i for i in parsed.issues}
    assert by[(6, "电(千瓦时)")].value == "12abc"
    assert "12abc" in by[(6, "电(千瓦时)")].message_zh
    assert "第 2 行" in by[(9, "水(立方米)")].message_zh
    assert all(i.severity == "error" for i in parsed.issues)
    assert sorted(parsed.frame["source_row"].unique().to_list()) == [2]


def test_long_layout_errors(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", LONG, [
        [ORGAN, 2025, 1, "电", 1, "千瓦时", ""],      # 2 ok
        [ORGAN, 2025, 2, "电", 1, "吨", ""],          # 3 unit mismatch
        [ORGAN, 2025, 3, "水", 1, "桶", ""],          # 4 unknown unit
        [ORGAN, 2025, 4, "汽油", 1, "升", ""],        # 5 unknown carrier (must be split)
        [ORGAN, 2025, 1, "电", 2, "kWh", ""],         # 6 duplicate of row 2
        [ORGAN, 2025, 5, "水", 3, "", ""],            # 7 missing unit
        [ORGAN, 2025, 6, "水", "", "立方米", 50],     # 8 cost without quantity
    ])
    parsed = parse_consumption(path, institutions=LOOKUP)
    assert codes(parsed.issues) == [
        (3, "单位", "import.unit_mismatch"),
        (4, "单位", "import.unknown_unit"),
        (5, "能源品种", "import.unknown_carrier"),
        (6, "数量", "import.duplicate_key"),
        (7, "单位", "import.missing_value"),
        (8, "费用(元)", "import.cost_without_quantity"),
    ]
    assert "电" in parsed.issues[0].message_zh


def test_ten_thousand_rows_parse_clean(tmp_path: Path) -> None:
    insts = [make_credit_code("12", "450321", n) for n in range(10)]
    lookup = pl.DataFrame({"credit_code": insts, "institution_id": range(10)})
    rows: list[list[object]] = []
    for i in range(10_000):
        j = i // 10  # each (institution, year, month) once
        rows.append([insts[i % 10], 2000 + j // 12, j % 12 + 1, f"{1000 + i:,}", 700.5, 30, ""])
    path = write_xlsx(tmp_path / "big.xlsx", ["统一社会信用代码", "年", "月", "电(千瓦时)",
                                              "电费(元)", "水(立方米)", "热力(吉焦)"], rows)
    parsed = parse_consumption(path, institutions=lookup)
    assert parsed.rows_read == 10_000
    assert parsed.ok, parsed.issues[:5]
    assert parsed.frame.height == 20_000
    assert parsed.frame.filter(pl.col("carrier") == "electricity")["quantity"].sum() == (
        sum(1000 + i for i in range(10_000))
    )


def test_no_carrier_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "w.csv", ["统一社会信用代码", "年", "月", "备注"],
                     [[ORGAN, 2025, 1, "x"]])
    parsed = parse_consumption(path, institutions=LOOKUP)
    assert codes(parsed.issues) == [(None, None, "import.no_carrier_columns")]
