"""Scheme spreadsheets: the template loads; Chinese or English headers, xlsx or GBK csv;
a sheet whose points do not add up or whose pass rule names a missing item is refused
with file, row and column in both languages, nothing returned (all or nothing)."""

from __future__ import annotations

from pathlib import Path

from jieneng.core.campaigns.shipped import rows_of, shipped, shipped_text
from jieneng.ingest.campaign_schemes import (
    TEMPLATE_EXAMPLES,
    TEMPLATE_HEADERS,
    parse_scheme,
    template_csv,
)
from tests.ingest.conftest import write_csv, write_xlsx


def test_the_template_loads(tmp_path: Path) -> None:
    path = tmp_path / "scheme.csv"
    path.write_bytes(template_csv())
    parsed = parse_scheme(path)
    assert parsed.ok, [str(i) for i in parsed.issues]
    assert parsed.scheme is not None and parsed.scheme.code == "local_demo_unit"
    assert parsed.scheme.node("energy.per_area").veto
    assert len(parsed.sha256) == 64 and parsed.canonical.startswith("kind,code,parent")


def test_xlsx_with_a_title_row_and_gbk_csv(tmp_path: Path) -> None:
    xlsx = write_xlsx(tmp_path / "s.xlsx", TEMPLATE_HEADERS, TEMPLATE_EXAMPLES,
                      title="某市示范单位评分表", start_row=2)
    assert parse_scheme(xlsx).ok
    gbk = write_csv(tmp_path / "s.csv", TEMPLATE_HEADERS, TEMPLATE_EXAMPLES, encoding="gbk")
    assert parse_scheme(gbk).ok


def test_a_shipped_scheme_file_loads_as_a_local_variant(tmp_path: Path) -> None:
    path = tmp_path / "demonstration_unit.csv"
    path.write_text(shipped_text("demonstration_unit"), encoding="utf-8")
    parsed = parse_scheme(path)
    assert parsed.ok and parsed.scheme is not None
    assert parsed.scheme.to_rows() == shipped("demonstration_unit").to_rows()
    assert len(rows_of(parsed.canonical)) == len(rows_of(shipped_text("demonstration_unit")))


def test_points_that_do_not_add_up_name_file_row_and_column(tmp_path: Path) -> None:
    rows = [list(r) for r in TEMPLATE_EXAMPLES]
    rows[2][5] = "15"  # the block 能源资源消耗指标 says 15, its items 14
    path = write_csv(tmp_path / "bad.csv", TEMPLATE_HEADERS, rows)
    parsed = parse_scheme(path)
    assert not parsed.ok and parsed.scheme is None
    issue = next(i for i in parsed.errors if i.code == "campaign_points_mismatch")
    assert (issue.row, issue.column, issue.value) == (4, "分值", "15")
    assert "bad.csv 第4行 “分值”列" in str(issue)
    assert "row 4" in str(issue) and "add up to 14" in issue.message_en
    assert "campaign_total_mismatch" in {i.code for i in parsed.errors}
    refusal = parsed.rejection()
    assert refusal.code == "imports.file_has_errors"


def test_a_pass_rule_naming_a_missing_item(tmp_path: Path) -> None:
    rows = [*TEMPLATE_EXAMPLES, ("通过规则", "必达", "nowhere", *[""] * 17)]
    parsed = parse_scheme(write_csv(tmp_path / "bad.csv", TEMPLATE_HEADERS, rows))
    assert [(i.row, i.column, i.code) for i in parsed.errors] == [
        (15, "上级编号", "campaign_pass_target_missing")]
    assert "nowhere" in parsed.errors[0].message_zh


def test_a_missing_required_column(tmp_path: Path) -> None:
    header = [h for h in TEMPLATE_HEADERS if h != "分值"]
    rows = [tuple(c for k, c in enumerate(r) if k != 5) for r in TEMPLATE_EXAMPLES]
    parsed = parse_scheme(write_csv(tmp_path / "bad.csv", header, rows))
    assert [i.code for i in parsed.errors] == ["import.missing_column"]
