from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from python_calamine import CalamineWorkbook

from jieneng.core.codes import make_credit_code
from jieneng.ingest import (
    Parsed,
    parse_consumption,
    parse_institutions,
    parse_profiles,
    parse_regions,
)
from jieneng.ingest.templates import (
    EXAMPLE_ORGAN,
    EXAMPLE_REGIONS,
    EXAMPLE_SCHOOL,
    TEMPLATE_KINDS,
    write_template,
)

LOOKUP = pl.DataFrame({"credit_code": [EXAMPLE_ORGAN, EXAMPLE_SCHOOL], "institution_id": [1, 2]})


def _parse(kind: str, path: Path) -> Parsed:
    if kind == "regions":
        return parse_regions(path, known_regions=set())
    if kind == "institutions":
        return parse_institutions(path, known_regions=set(EXAMPLE_REGIONS), existing=None)
    if kind == "profiles":
        return parse_profiles(path, institutions=LOOKUP)
    return parse_consumption(path, institutions=LOOKUP)


@pytest.mark.parametrize("kind", TEMPLATE_KINDS)
def test_template_round_trips(tmp_path: Path, kind: str) -> None:
    path = write_template(kind, tmp_path / f"{kind}.xlsx")
    parsed = _parse(kind, path)
    assert parsed.issues == []
    assert parsed.sheet == "数据"
    assert 2 <= parsed.rows_read <= 3
    assert parsed.frame.height >= parsed.rows_read
    workbook = CalamineWorkbook.from_path(str(path))
    assert workbook.sheet_names == ["数据", "说明"]
    notes = workbook.get_sheet_by_name("说明").to_python()
    header = [str(h) for h in workbook.get_sheet_by_name("数据").to_python()[0]]
    described = {str(r[0]) for r in notes[1:]}
    for column in header:
        assert column in described or column.endswith("(元)"), column
    assert all(r[1] and r[2] for r in notes[1:])  # bilingual meaning


def test_long_and_wide_templates_describe_the_same_kind_of_records(tmp_path: Path) -> None:
    wide = _parse("consumption", write_template("consumption", tmp_path / "w.xlsx"))
    long = _parse("consumption-long", write_template("consumption-long", tmp_path / "l.xlsx"))
    assert set(long.frame["carrier"]) <= set(wide.frame["carrier"]) | {"natural_gas"}


def test_unknown_template_kind(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown template kind"):
        write_template("nope", tmp_path / "x.xlsx")


_A = (make_credit_code("12", "450321", 7001), "甲校")
_B = (make_credit_code("11", "450302", 7002), "乙局")


@pytest.mark.parametrize("units", [[_A], [_A, _B]])
@pytest.mark.parametrize("kind", ["profiles", "consumption", "consumption-long"])
def test_examples_name_the_downloaders_own_units(kind: str, units: list[tuple[str, str]],
                                                 tmp_path: Path) -> None:
    from openpyxl import load_workbook
    path = write_template(kind, tmp_path / f"{kind}.xlsx", units=units)
    book = load_workbook(path, read_only=True)  # read-only keeps the file open: close it
    try:
        cells = {str(c) for row in book["数据"].iter_rows(min_row=2, values_only=True)
                 for c in row}
    finally:
        book.close()
    assert EXAMPLE_ORGAN not in cells and EXAMPLE_SCHOOL not in cells
    assert {code for code, _ in units} <= cells
    lookup = pl.DataFrame({"credit_code": [c for c, _ in units],
                           "institution_id": list(range(1, len(units) + 1))})
    parsed = (parse_profiles(path, institutions=lookup) if kind == "profiles"
              else parse_consumption(path, institutions=lookup))
    assert parsed.issues == []
    assert parsed.rows_read == (1 if kind == "profiles" and len(units) == 1 else parsed.rows_read)


def test_wide_template_has_every_carrier_of_ny201(tmp_path: Path) -> None:
    from openpyxl import load_workbook
    book = load_workbook(write_template("consumption", tmp_path / "w.xlsx"), read_only=True)
    try:
        headers = next(book["数据"].iter_rows(max_row=1, values_only=True))
    finally:
        book.close()
    for name in ("柴油-车辆用油(升)", "煤炭(吨)", "液化石油气(千克)", "柴油-车辆用油费用(元)"):
        assert name in headers
