"""The 通报 states one basis and counts reporting on it throughout (issue 11 §1 "Figures
that differ say why"): the reports due / submitted / approved and both rates of the
Word document and of the workbook are the 会审 report's (report tasks) — the figures
the /review-report page and its JSON twin show — with reference values."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import Engine

from jieneng.core import chinatime
from jieneng.core.permissions import Role
from jieneng.core.scope import Scope
from jieneng.reports.annual_report import annual_docx, annual_xlsx
from jieneng.services.publishing.annual_report import annual_data
from jieneng.services.quality.review_report import review_report
from tests.services.spot_world import SpotWorld, add_period, add_tasks, load, user

ADMIN = user(Role.ADMIN)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> SpotWorld:
    w = load(engine, tmp_path)
    xiufeng, yangshuo = w.codes("450302"), w.codes("450321")
    jan = add_period(engine, "450300", 2025, 1)
    # 秀峰区 15 tasks: 10 approved, 2 submitted, 3 not started; 阳朔县 8: 4 returned, 4 approved
    states = {w.ids[c]: "approved" for c in xiufeng[:10]}
    states |= {w.ids[c]: "submitted" for c in xiufeng[10:12]}
    states |= {w.ids[c]: "not_started" for c in xiufeng[12:]}
    states |= {w.ids[c]: "returned" for c in yangshuo[:4]}
    states |= {w.ids[c]: "approved" for c in yangshuo[4:]}
    add_tasks(engine, jan, states)
    return w


def _paragraphs(blob: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(blob)).paragraphs]


def _tables(blob: bytes) -> list[list[str]]:
    return [[" | ".join(c.text for c in row.cells) for row in table.rows]
            for table in Document(io.BytesIO(blob)).tables]


def test_one_basis_in_the_document(world: SpotWorld) -> None:
    data = annual_data(world.engine, ADMIN, region_code="450300", year=2025)
    # the 会审 report (page, twin, Word) of the same region and year: 23 due, 16 reported,
    # 14 approved — 16/23 = 69.6 %, 14/23 = 60.9 %
    total = review_report(world.engine, Scope.everything(), region_code="450300",
                          year=2025)["completeness"]["total"]
    assert (total["expected"], total["reported"], total["approved"]) == (23, 16, 14)
    paragraphs = _paragraphs(annual_docx(data))
    overall = next(p for p in paragraphs if p.startswith("2025年，桂林市"))
    assert overall == ("2025年，桂林市公共机构应报送报表23份，已上报16份，上报率69.6%；"
                       "已审核14份，审核率60.9%。")
    basis = paragraphs[paragraphs.index(overall) + 1]
    assert basis == data["basis"]["text_zh"]
    assert basis.startswith("口径说明：") and "报表份数" in basis
    # what the rates count: the tasks due today (docs/statistics.md, one rule)
    assert paragraphs[paragraphs.index(overall) + 2] == (
        f"上报率、审核率按截至 {chinatime.today().isoformat()} 已到期的 23 项任务计算"
        "（报告期已结束且已过截止日期）；尚未到期的 0 项任务不计入。")
    # no second count of another kind (institutions with figures: 23 here too, but 家)
    assert not any("家，已报送" in p or "家次" in p for p in paragraphs)
    rows = [t for t in _tables(annual_docx(data)) if t[0].startswith("地区 | 应报")]
    assert rows == [["地区 | 应报 | 已上报 | 已审核 | 上报率 | 审核率",
                     "秀峰区 | 15 | 12 | 10 | 80.0% | 66.7%",
                     "阳朔县 | 8 | 4 | 4 | 50.0% | 50.0%",
                     "桂林市 | 23 | 16 | 14 | 69.6% | 60.9%"]]
    english = _paragraphs(annual_docx(data, lang="en"))
    assert ("In 2025, the public institutions of 桂林市 had 23 reports due: 16 submitted "
            "(reporting rate 69.6%) and 14 approved (approval rate 60.9%).") in english
    assert data["basis"]["text_en"] in english


def test_one_basis_in_the_workbook(world: SpotWorld) -> None:
    data = annual_data(world.engine, ADMIN, region_code="450300", year=2025)
    book = load_workbook(io.BytesIO(annual_xlsx(data)))
    for sheet in book.worksheets:   # every sheet states the basis above its table
        texts = [c.value for r in sheet.iter_rows(max_row=6) for c in r
                 if isinstance(c.value, str)]
        assert any(data["basis"]["text_zh"] in v for v in texts), sheet.title
    rates = book["上报率"]
    found = [[c.value for c in r] for r in rates.iter_rows() if r[0].value == "桂林市"]
    assert found and found[-1][1:4] == [23, 16, 14]
    assert found[-1][4] == pytest.approx(16 / 23) and found[-1][5] == pytest.approx(14 / 23)
