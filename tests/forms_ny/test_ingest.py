"""NY202 / NY203 files without a database: templates round-trip, GBK CSV and English
headers, units in headers, the annual period, bad rows named by row and column."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from jieneng.ingest.forms_ny import parse_form
from jieneng.ingest.templates import EXAMPLE_ORGAN, FORM_TEMPLATE_KINDS, write_template
from tests.sample import write_csv

LOOKUP = pl.DataFrame({"credit_code": [EXAMPLE_ORGAN], "institution_id": [7]})


@pytest.mark.parametrize("kind", FORM_TEMPLATE_KINDS)
def test_template_round_trips(kind: str, tmp_path: Path) -> None:
    path = write_template(kind, tmp_path / f"{kind}.xlsx")
    parsed = parse_form(kind, path, institutions=LOOKUP)
    assert parsed.ok and not parsed.issues and parsed.frame.height == 1
    assert parsed.frame["month"].to_list() == [0]


def test_gbk_csv_with_english_headers_and_units(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dc.csv", [
        "credit_code", "year", "month", "room_code", "room_name", "room_status", "area",
        "elec_total(万千瓦时)", "2401"],
        [[EXAMPLE_ORGAN, 2025, "年报", "R1", "主机房", "新建", 80, 150, 1_000_000]],
        encoding="gbk")
    parsed = parse_form("datacentre", path, institutions=LOOKUP)
    assert parsed.ok, [str(i) for i in parsed.issues]
    row = parsed.frame.row(0, named=True)
    assert (row["month"], row["room_status"], row["elec_total"], row["elec_it"]) == (
        0, "new", 1_500_000.0, 1_000_000.0)


def test_heating_rows_refused_with_row_column_and_both_languages(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "heat.csv", [
        "统一社会信用代码", "年", "月", "采暖面积(平方米)", "独立供暖面积(平方米)",
        "按面积收费集中供暖面积(平方米)", "采暖天数(天)", "热力消费量(吉焦)"],
        [[EXAMPLE_ORGAN, 2025, 0, 1000, 400, 700, 120, 300],
         [EXAMPLE_ORGAN, 2025, 1, 1000, 400, 600, 40, 30],
         ["UNKNOWN", 2025, 2, "", "", "", "", ""]])
    parsed = parse_form("heating", path, institutions=LOOKUP)
    found = {(i.row, i.column, i.code) for i in parsed.errors}
    assert found == {
        (2, "采暖面积(平方米)", "import.form_check"),
        (3, "采暖天数(天)", "import.out_of_bounds"),
        (4, "统一社会信用代码", "import.unknown_institution"),
        (4, "采暖面积(平方米)", "import.missing_value"),
    }
    days = next(i for i in parsed.errors if i.code == "import.out_of_bounds")
    assert "31" in days.message_zh and "31" in days.message_en
