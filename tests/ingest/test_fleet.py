"""ingest.fleet: the three kinds told from their headers (zh or en), UTF-8 and GBK, plates
hashed, every problem named by file, row, column and code in zh and en."""

from __future__ import annotations

from pathlib import Path

from jieneng.core.codes import make_credit_code
from jieneng.ingest.fleet import parse_fleet, plate_key, template_csv
from tests.sample import write_csv

A = make_credit_code("11", "450302", 1001)
B = make_credit_code("12", "450321", 2001)


def test_vehicles_in_chinese_headers_with_a_plate_hashed(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "车辆.csv",
                     ["统一社会信用代码", "车牌号", "燃料类型", "购置年份", "状态", "处置年份"],
                     [[A, "桂C·12345", "纯电动", 2024, "在用", ""],
                      [A, "桂C·54321", "汽油", 2015, "已处置", 2024],
                      [B, "桂C·11111", "插电混动", "2024", "", ""]])
    parsed = parse_fleet(path)
    assert parsed.kind == "vehicles" and not parsed.issues
    first = parsed.rows[0]
    assert first["vehicle_no"] == plate_key("桂C·12345") and "12345" not in first["vehicle_no"]
    assert [r["fuel"] for r in parsed.rows] == ["bev", "gasoline", "phev"]
    assert parsed.rows[1]["status"] == "disposed" and parsed.rows[1]["disposed_year"] == 2024
    assert parsed.rows[2]["status"] == "in_service"


def test_parking_in_english_headers_and_gbk(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "parking.csv",
                     ["credit_code", "year", "parking_spaces", "charging_spaces"],
                     [[A, 2024, 100, 8], [B, 2024, 50, 0]], encoding="gbk")
    parsed = parse_fleet(path)
    assert parsed.kind == "parking" and not parsed.issues
    assert parsed.rows[0]["parking_spaces"] == 100 and parsed.rows[0]["charging_spaces"] == 8


def test_coal_equipment(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "coal.csv",
                     ["统一社会信用代码", "设备编号", "设备类型", "额定容量", "容量单位", "状态",
                      "拆除日期"],
                     [[A, "B-01", "燃煤锅炉", 2, "t/h", "已拆除", "2023-10-31"],
                      [B, "S-01", "燃煤灶具", "", "", "在用", ""]], encoding="gbk")
    parsed = parse_fleet(path)
    assert parsed.kind == "coal_equipment" and not parsed.issues
    assert parsed.rows[0]["kind"] == "boiler" and parsed.rows[0]["status"] == "removed"
    assert str(parsed.rows[0]["removed_on"]) == "2023-10-31"
    assert parsed.rows[1]["status"] == "in_use" and parsed.rows[1]["capacity"] is None


def test_every_problem_is_named_by_row_and_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv",
                     ["统一社会信用代码", "车辆编号", "燃料类型", "购置年份", "处置年份"],
                     [["123", "V1", "纯电动", 2024, ""],
                      [A, "V2", "蒸汽", 2024, ""],
                      [A, "V3", "汽油", "二〇二四", ""],
                      [A, "V4", "汽油", 2020, 2019],
                      [A, "V3", "汽油", 2020, ""],
                      [A, "V5", "柴油", "", ""]])
    parsed = parse_fleet(path)
    found = {(i.row, i.column, i.code) for i in parsed.errors}
    assert (2, "统一社会信用代码", "codes.credit_code_length") in found
    assert (3, "燃料类型", "fleet_unknown_fuel") in found
    assert (4, "购置年份", "fleet.import.bad_integer") in found
    assert (5, "处置年份", "fleet.import.disposed_before_purchase") in found
    assert (6, "车辆编号", "fleet.import.duplicate") not in found  # row 4 (V3) was refused
    assert len({i.row for i in parsed.errors}) == 5
    assert (7, "购置年份", "import.missing_value") in found
    bad_fuel = next(i for i in parsed.errors if i.row == 3)
    assert "蒸汽" in bad_fuel.message_zh and "unknown fuel kind" in bad_fuel.message_en
    assert "bad.csv" in str(bad_fuel) and "第3行" in str(bad_fuel)


def test_charging_over_parking_and_removed_without_date(tmp_path: Path) -> None:
    parking = write_csv(tmp_path / "p.csv", ["统一社会信用代码", "年度", "停车位数", "充电车位数"],
                        [[A, 2024, 10, 12]])
    issue = parse_fleet(parking).errors[0]
    assert (issue.row, issue.column, issue.code) == (2, "充电车位数",
                                                     "fleet_charging_over_parking")
    coal = write_csv(tmp_path / "c.csv", ["统一社会信用代码", "设备编号", "设备类型", "状态"],
                     [[A, "B-1", "锅炉", "已拆除"]])
    assert parse_fleet(coal).errors[0].code == "fleet.import.removed_no_date"


def test_unknown_kind_and_missing_columns(tmp_path: Path) -> None:
    odd = write_csv(tmp_path / "odd.csv", ["统一社会信用代码", "年度"], [[A, 2024]])
    assert [i.code for i in parse_fleet(odd).errors] == ["fleet.import.unknown_kind"]
    no_year = write_csv(tmp_path / "v.csv", ["统一社会信用代码", "车辆编号", "燃料类型"],
                        [[A, "V1", "汽油"]])
    errors = parse_fleet(no_year).errors
    assert [(i.code, i.column) for i in errors] == [("import.missing_column", "购置年份")]


def test_templates_parse_to_their_kind(tmp_path: Path) -> None:
    for kind in ("vehicles", "parking", "coal_equipment"):
        path = tmp_path / f"{kind}.csv"
        path.write_text(template_csv(kind).replace("91450300MA5K000000", A), "utf-8-sig")
        parsed = parse_fleet(path)
        assert parsed.kind == kind and not parsed.errors, parsed.errors


def test_a_key_twice_in_one_file_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", ["统一社会信用代码", "年度", "停车位数", "充电车位数"],
                     [[A, 2024, 10, 1], [B, 2024, 10, 1], [A, 2024, 12, 2]])
    issue = parse_fleet(path).errors[0]
    assert (issue.row, issue.column, issue.code) == (4, "年度", "fleet.import.duplicate")
    assert "第 2 行" in issue.message_zh and "row 2" in issue.message_en
