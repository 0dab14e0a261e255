"""The work plan's summary as a 公文 and its workbook (issue 14 §1): the stage's title,
the 主送 flush left, the figures of :func:`counts` (the same the review page shows),
the quantified targets' table, the overdue items, every item by section, the 落款;
no internal key in either language; the workbook formula-safe."""

from __future__ import annotations

import io
from datetime import date

from docx import Document
from openpyxl import load_workbook

from jieneng.reports.workplan_document import (
    ITEM_COLUMNS,
    ItemLine,
    PlanSummary,
    counts,
    plan_xlsx,
    share_text,
    summary_docx,
)
from tests.reports.docx_checks import internal_keys, run_texts


def _line(number: str, section: str, *, target: str = "", value: str = "", state: str,
          share: float | None, overdue: bool = False) -> ItemLine:
    labels = {"done": "已完成", "in_progress": "推进中", "not_started": "未启动",
              "overdue": "逾期"}
    return ItemLine(number=number, section=section, text=f"事项{number}。",
                    responsible="阳朔县", deadline="2024-06-30", target=target, value=value,
                    state=state, state_label=labels[state], share=share, overdue=overdue,
                    done=state == "done")


ITEMS = (
    _line("1", "夯实节能降碳工作基础", target="≥ 85%", value="87.5%", state="done", share=1.0),
    _line("2", "夯实节能降碳工作基础", target="≥ 180,000 m²", value="90,000 m²",
          state="in_progress", share=0.5, overdue=True),
    _line("3", "持续开展绿色生活创建行动", state="in_progress", share=0.25),
    _line("4", "持续开展绿色生活创建行动", state="not_started", share=None),
)


def _summary(stage: str = "mid", items: tuple[ItemLine, ...] = ITEMS) -> PlanSummary:
    return PlanSummary(region_code="450300", region_name="桂林市", year=2024,
                       title="2024年全市公共机构能源资源节约和生态环境保护工作安排",
                       stage=stage, as_of=date(2024, 6, 30),
                       addressees="各县（市、区）机关事务管理部门，各有关单位：", items=items)


def test_counts_are_the_figures_of_page_and_document() -> None:
    got = counts(ITEMS)
    assert got == {"items": 4, "done": 1, "in_progress": 2, "not_started": 1, "overdue": 1,
                   "quantified": 2, "share": (1.0 + 0.5 + 0.25 + 0.0) / 4}
    assert share_text(got["share"]) == "43.8%"
    assert counts(())["share"] is None and share_text(None) == "—"


def test_an_overdue_item_counts_once_in_its_state_and_once_as_overdue() -> None:
    """The one rule (core ``tally``): the states add up to the items, overdue is a mark
    on top — an overdue item under way is in progress + overdue, not 'not started'."""
    late = (_line("1", "s", state="in_progress", share=None, overdue=True),
            _line("2", "s", state="not_started", share=None, overdue=True),
            _line("3", "s", state="done", share=1.0))
    got = counts(late)
    assert (got["done"], got["in_progress"], got["not_started"], got["overdue"]) == (1, 1, 1, 2)
    assert got["done"] + got["in_progress"] + got["not_started"] == got["items"] == 3


def test_mid_year_summary_is_a_gongwen_with_the_figures() -> None:
    content = summary_docx(_summary(), issued=date(2024, 7, 5), sequence=7)
    texts = run_texts(content)
    body = "\n".join(texts)
    assert "桂林市2024年公共机构能源资源节约和生态环境保护工作安排年中推进情况的通报" in body
    assert ("工作安排共4项，已完成1项，推进中2项，尚未启动1项，逾期未完成1项，"
            "平均完成进度43.8%。") in body
    assert "截至2024-06-30" in body
    assert "2024年7月5日" in body and "〔2024〕7号" in body
    doc = Document(io.BytesIO(content))
    addressee = next(p for p in doc.paragraphs if p.text.startswith("各县"))
    assert addressee.paragraph_format.first_line_indent == 0
    table = doc.tables[0]
    assert [c.text for c in table.rows[1].cells] == ["1", "事项1。", "≥ 85%", "87.5%", "已完成",
                                                     "100.0%"]
    assert len(table.rows) == 3                      # header + the two quantified items
    assert any(t.startswith("三、逾期未完成事项") for t in texts)
    assert any("2 事项2。" in t and "2024-06-30" in t for t in texts)
    assert any(t == "四、夯实节能降碳工作基础" for t in texts)
    assert any(t == "五、持续开展绿色生活创建行动" for t in texts)
    assert any(t.startswith("六、下一步工作") for t in texts)
    assert internal_keys(content) == []


def test_year_end_summary_in_english_has_no_internal_key() -> None:
    content = summary_docx(_summary("end"), lang="en", issued=date(2025, 1, 10))
    body = "\n".join(run_texts(content))
    assert "Year-end results of the 2024 work plan" in body
    assert "performance assessment" in body
    assert internal_keys(content, english=True) == []


def test_a_plan_without_targets_or_overdue_items_says_so() -> None:
    items = (_line("1", "", state="done", share=1.0),)
    body = "\n".join(run_texts(summary_docx(_summary(items=items))))
    assert "本工作安排未设量化指标。" in body and "无逾期未完成事项。" in body
    assert "其他事项" in body


def test_workbook_has_the_page_columns_and_is_formula_safe() -> None:
    rows = [{"number": "1", "section": "栏目", "text": "=HYPERLINK(\"x\")", "responsible": "阳朔县",
             "deadline": "2024-06-30", "target": "≥ 85%", "value": "87.5%",
             "source_label": "平台计算", "state_label": "已完成", "share": 1.0,
             "overdue": False}]
    book = load_workbook(io.BytesIO(plan_xlsx("工作安排", rows, notes=["范围：桂林市"])))
    sheet = book.active
    values = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "工作安排" in values
    headers = [c.header("zh-CN") for c in ITEM_COLUMNS]
    assert all(h in values for h in headers)
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
