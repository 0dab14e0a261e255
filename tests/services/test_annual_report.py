"""The annual 通报: the document and the workbook say what the pages say."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import Engine
from typer.testing import CliRunner

from jieneng.cli.main import app
from jieneng.core.caller import Actor, User, command_line_user
from jieneng.core.rounding import format_number
from jieneng.reports.annual_report import annual_docx, annual_xlsx
from jieneng.services.accounts.accounts import create_user
from jieneng.services.entry.imports import import_file
from jieneng.services.publishing.annual_report import annual_data
from jieneng.services.statistics.overview import overview
from jieneng.services.targets import targets
from tests.sample import ORGAN, SCHOOL, make_files, write_csv


@pytest.fixture
def admin(engine: Engine, tmp_path: Path) -> User:
    files = make_files(tmp_path)
    for kind, path in (("regions", files.regions), ("institutions", files.institutions),
                       ("profiles", files.profiles)):
        import_file(engine, kind, path)
    rows = [[code, y, m, kwh] for y in (2024, 2025) for m in range(1, 13)
            for code, kwh in ((SCHOOL, 20_000 + m * 100), (ORGAN, 9_000))]
    import_file(engine, "consumption", write_csv(
        tmp_path / "c.csv", ["统一社会信用代码", "年", "月", "电(千瓦时)"], rows))
    user = create_user(engine, Actor.cli(), username="root", password="Pass-Word-123",
                       role="admin")
    targets.set_target(engine, user, region_code="450321", year=2025, metric="energy_tce",
                       value=20.0)
    return user


def _text(docx_bytes: bytes) -> str:
    doc = Document(io.BytesIO(docx_bytes))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)


def test_document_and_workbook_match_the_overview(engine: Engine, admin: User) -> None:
    data = annual_data(engine, admin, region_code="450300", year=2025)
    page = overview(engine, admin.scope, region_code="450300", year=2025)
    blob = annual_docx(data)
    text = _text(blob)
    assert "桂林市2025年度公共机构能源资源消费情况通报" in text
    assert format_number(page["energy_tce"], 2) in text
    assert "阳朔县" in text and "完成" in text          # the county's cap of 20 tce is met
    doc = Document(io.BytesIO(blob))
    assert len(doc.inline_shapes) == 2                  # the trend and the by-region charts
    styles = doc.styles["Normal"].element.xml
    assert 'w:eastAsia="仿宋_GB2312"' in styles     # GB/T 9704 body font (Noto in the font table)
    book = load_workbook(io.BytesIO(annual_xlsx(data)))
    assert {"总体", "分地区", "分类别", "目标完成", "同类排名", "超定额", "上报率",
            "数据质量"} <= set(book.sheetnames)
    first = book["总体"]
    # below the title and the period / basis lines (issue 11 §2): the header, then the lines
    head = next(r[0].row for r in first.iter_rows(max_row=10) if r[0].value == "指标")
    assert first.cell(head + 1, 1).value == "能源消费总量"
    assert first.cell(head + 1, 3).value == pytest.approx(page["energy_tce"], rel=1e-15)
    assert first.cell(head + 1, 3).number_format == "#,##0.00"
    assert first.freeze_panes == f"A{head + 1}"
    headers = {c.value for s in book.worksheets for r in s.iter_rows(max_row=head)
               for c in r if isinstance(c.value, str)}
    assert not headers & {"energy_tce", "water_m3", "co2_t"}  # no internal keys


def test_command_line(engine: Engine, db_url: str, admin: User, tmp_path: Path) -> None:
    out, book = tmp_path / "通报.docx", tmp_path / "通报.xlsx"
    result = CliRunner().invoke(app, ["--db", db_url, "report", "annual", "--region", "450300",
                                      "--year", "2025", "-o", str(out), "--xlsx", str(book)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 10_000 and book.exists()
    result = CliRunner().invoke(app, ["--db", db_url, "alerts", "evaluate", "--region",
                                      "450300", "--year", "2025"])
    assert result.exit_code == 0, result.output
    assert '"evaluated": 1' in result.output
    assert command_line_user().actor == Actor.cli()


def test_the_document_is_a_gongwen_without_internal_keys(engine: Engine, admin: User) -> None:
    from datetime import date

    from tests.reports.docx_checks import internal_keys

    data = annual_data(engine, admin, region_code="450300", year=2025)
    blob = annual_docx(data, issued=date(2026, 2, 1), sequence=3)
    assert internal_keys(blob) == []
    text = _text(blob)
    assert "pi-published" not in text and "全区域" not in text and "+%" not in text
    doc = Document(io.BytesIO(blob))
    assert [p.text for p in doc.paragraphs[:2]] == ["桂林市机关事务管理局", "市机管〔2026〕3号"]
    assert doc.paragraphs[-1].text == "2026年2月1日"
    level2 = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert level2 and all(t.startswith("（") and "可排名" in t for t in level2), level2
    assert abs(doc.sections[0].page_width - 7560000) <= 635          # A4, not US Letter
    english = annual_docx(data, lang="en", issued=date(2026, 2, 1))
    assert internal_keys(english, english=True) == []
