"""The year-end target assessment as a 公文 (issue 11 §2): A4 with GB/T 9704 margins,
the conventional fonts in its styles, letterhead, 文号, title, results, 落款 — and no
internal key — from the figures the page /targets/assessment and its twin show."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Mm
from sqlalchemy import Engine

from jieneng.core.caller import Actor, User
from jieneng.reports.assessment_document import assessment_docx, counts
from jieneng.services.accounts.accounts import create_user
from jieneng.services.entry.imports import import_file
from jieneng.services.targets import progress, targets
from tests.reports.docx_checks import internal_keys
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
    # 阳朔县: a cap of 40 tce (met, 30.45); 秀峰区: a cap of 0.001 tce (missed, 13.27)
    targets.set_target(engine, user, region_code="450321", year=2025, metric="energy_tce",
                       value=40.0)
    targets.set_target(engine, user, region_code="450302", year=2025, metric="energy_tce",
                       value=0.001)
    return user


def test_the_assessment_is_a_gongwen(engine: Engine, admin: User) -> None:
    data = progress.assessment(engine, admin, region_code="450300", year=2025)
    assert counts(data) == {"regions": 2, "targets": 2, "met": 1, "unmet": 1}
    blob = assessment_docx(data, issued=date(2026, 2, 1), sequence=7)
    assert internal_keys(blob) == []
    doc = Document(io.BytesIO(blob))
    section = doc.sections[0]
    assert abs(section.page_width - Mm(210)) <= 635 and abs(section.page_height - Mm(297)) <= 635
    assert abs(section.top_margin - Mm(37)) <= 635 and abs(section.left_margin - Mm(28)) <= 635
    assert 'w:eastAsia="仿宋_GB2312"' in doc.styles["Normal"].element.xml
    assert 'w:eastAsia="方正小标宋简体"' in doc.styles["Title"].element.xml
    assert 'w:eastAsia="黑体"' in doc.styles["Heading 1"].element.xml
    texts = [p.text for p in doc.paragraphs]
    assert texts[:2] == ["桂林市机关事务管理局", "市机管〔2026〕7号"]
    assert "桂林市2025年度公共机构能源资源消费目标考核结果" in texts
    assert "本年度共考核2个地区的2项目标，完成1项，未完成1项。" in texts
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"] == [
        "一、考核结果", "二、未完成目标的地区"]
    assert any(t.startswith("以下地区未完成目标：秀峰区。") for t in texts)
    assert texts[-2:] == ["桂林市机关事务管理局", "2026年2月1日"]
    rows = [[c.text for c in r.cells] for r in doc.tables[0].rows]
    assert rows[0] == ["地区", "目标", "完成值 / 目标值", "结果"]
    assert {(r[0], r[1], r[3]) for r in rows[1:]} == {("秀峰区", "能源消费总量", "未完成"),
                                                      ("阳朔县", "能源消费总量", "完成")}
    footers = section.even_page_footer.paragraphs[0]._p.xml + section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footers
    english = assessment_docx(data, lang="en", issued=date(2026, 2, 1))
    assert internal_keys(english, english=True) == []
    assert "2. Regions that missed a target" in [p.text for p in
                                                 Document(io.BytesIO(english)).paragraphs]


def test_command_line(engine: Engine, db_url: str, admin: User, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from jieneng.cli.main import app

    out, book = tmp_path / "考核.docx", tmp_path / "考核.xlsx"
    result = CliRunner().invoke(app, ["--db", db_url, "report", "assessment", "--region",
                                      "450300", "--year", "2025", "-o", str(out),
                                      "--xlsx", str(book)])
    assert result.exit_code == 0, result.output
    doc = Document(str(out))
    assert "桂林市2025年度公共机构能源资源消费目标考核结果" in [p.text for p in doc.paragraphs]
    assert book.stat().st_size > 1_000
