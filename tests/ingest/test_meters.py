"""The registry file (户号 and meters): flexible headers, GBK and UTF-8, every problem
a row-level issue naming file, row and column in zh and en."""

from __future__ import annotations

from pathlib import Path

from jieneng.ingest.meters import parse_meters, template_csv
from tests.sample import ORGAN, SCHOOL, write_csv

HEADER = ["统一社会信用代码", "能源品种", "户号", "供电公司", "绑定日期", "表号", "计量表名称",
          "分项编码", "CT变比", "PT变比", "表计类型", "上级表号"]


def test_a_valid_gbk_file_with_chinese_headers(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "户号.csv", HEADER, [
        [ORGAN, "电", "0301", "广西电网", "2026-01-01", "TOTAL", "总表", "01000", "40", "100",
         "累计", ""],
        [ORGAN, "电", "0301", "", "", "AC", "空调", "01b00", "", "", "", "TOTAL"],
        [SCHOOL, "水", "W-9", "桂林水务", "2026/02/01", "", "", "", "", "", "", ""],
    ], encoding="gbk")
    out = parse_meters(path)
    assert out.errors == [] and out.rows_read == 3
    total, ac, water = out.rows
    assert total["meter_spec"].multiplier.value == 4000
    assert ac["meter_spec"].item_code == "01B00" and ac["meter_spec"].parent == "TOTAL"
    assert water["carrier"] == "water" and water["valid_from"].isoformat() == "2026-02-01"
    assert "meter_spec" not in water


def test_english_headers_and_a_multiplier_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", ["credit_code", "carrier", "meter", "multiplier",
                                          "register"],
                     [[ORGAN, "electricity", "M1", "80", "interval"]])
    out = parse_meters(path)
    assert out.errors == []
    assert out.rows[0]["meter_spec"].multiplier.value == 80
    assert out.rows[0]["meter_spec"].register.value == "interval"


def test_every_bad_row_is_named_with_its_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", HEADER, [
        ["123", "电", "1", "", "", "", "", "", "", "", "", ""],              # row 2
        [ORGAN, "煤气罐", "2", "", "", "", "", "", "", "", "", ""],           # row 3
        [ORGAN, "水", "", "", "", "W1", "", "01A00", "", "", "", ""],        # row 4
        [ORGAN, "电", "", "", "", "M1", "", "", "x", "", "", ""],            # row 5
        [ORGAN, "电", "", "", "", "M2", "", "", "0", "", "", ""],            # row 6
        [ORGAN, "电", "", "", "2026-13-01", "M3", "", "", "", "", "", ""],   # row 7
        [ORGAN, "电", "", "", "", "M4", "", "", "", "", "半累计", ""],       # row 8
        [ORGAN, "电", "", "", "", "", "", "", "", "", "", ""],               # row 9
        [ORGAN, "电", "A", "", "", "M5", "", "", "", "", "", ""],            # row 10
        [ORGAN, "电", "", "", "", "M5", "", "", "", "", "", ""],             # row 11
        [SCHOOL, "电", "A", "", "", "", "", "", "", "", "", ""],             # row 12
    ])
    out = parse_meters(path)
    got = {(i.row, i.column, i.code) for i in out.errors}
    assert got == {
        (2, "统一社会信用代码", "codes.credit_code_length"),
        (3, "能源品种", "carriers.unknown_carrier"),
        (4, "分项编码", "metering.item_code_carrier"),
        (5, "CT变比", "import.not_a_number"),
        (6, "CT变比", "metering.invalid_multiplier"),
        (7, "绑定日期", "metering.registry.bad_date"),
        (8, "表计类型", "metering.registry.bad_register"),
        (9, "户号", "import.missing_value"),
        (11, "表号", "import.duplicate_key"),
        (12, "户号", "metering.registry.account_twice"),
    }
    rows = {i.row for i in out.errors}
    assert rows == {2, 3, 4, 5, 6, 7, 8, 9, 11, 12}
    assert all(i.message_zh and i.message_en and i.file == "bad.csv" for i in out.errors)
    assert out.rows == [r for r in out.rows if r["row"] == 10]


def test_a_missing_column_refuses_the_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", ["统一社会信用代码", "户号"], [[ORGAN, "1"]])
    out = parse_meters(path)
    assert [(i.code, i.row) for i in out.errors] == [("import.missing_column", None)]


def test_the_template_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(template_csv())
    out = parse_meters(path)
    assert out.errors == [] and out.rows[0]["meter_spec"].multiplier.value == 4000
