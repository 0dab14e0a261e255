"""The project documents (issue 13 §5): the M&V report and the settlement statement are
公文 (A4, the styles' fonts, the 版头 and 落款) stating the figures handed in, rounded
for display, with no internal key; a fit that does not qualify says why; the list and
statement workbooks are formatted and formula-safe."""

from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document
from docx.shared import Mm
from openpyxl import load_workbook

from jieneng.reports.projects_document import (
    PROJECT_COLUMNS,
    AdjustmentLine,
    Metric,
    ModelFit,
    MVReport,
    ProjectInfo,
    SavingsRow,
    Settlement,
    SettlementLine,
    mv_report_docx,
    projects_xlsx,
    settlement_docx,
    statements_xlsx,
    totals,
)
from tests.reports.docx_checks import internal_keys, run_texts

PROJECT = ProjectInfo(
    code="P-450321-001", name="阳朔县第一中学能源费用托管", kind="合同能源管理（能源费用托管型）",
    state="运行监测", region_code="450300", region_name="桂林市",
    owners=("阳朔县演示第一中学", "阳朔县演示第二中学"), esco="桂林绿能节能服务有限公司",
    contract="能源费用托管型", term="2025-01-01 至 2029-12-31", option="C")

ROWS = [SavingsRow("2025-01", 10_000.0, 10_500.0, 9_000.0, 1_500.0, 1_500 / 10_500),
        SavingsRow("2025-02", 9_000.0, 9_000.0, 8_100.0, 900.0, 0.1)]


def _report(qualified: bool = True) -> MVReport:
    fit = ModelFit(
        method="月度回归（采暖度日、空调度日）", baseline="2024-01 至 2024-12",
        reporting="2025-01 至 2025-02", balance_points="采暖 15 °C，空调 22 °C",
        coefficients=(("截距", 310.2), ("采暖度日系数", 12.345678)),
        metrics=(Metric("R²", 0.91), Metric("CV(RMSE)", 0.118, 0.15, True, True),
                 Metric("NMBE", 0.001, 0.005, True, True)),
        qualified=qualified, reasons=() if qualified else ("基准期数据充足率低于90%",),
        sufficiency=0.97)
    return MVReport(PROJECT, "kWh", ROWS, fit,
                    (AdjustmentLine("建筑面积增加", "2025-01", 500.0, "新建宿舍楼投入使用",
                                    "已批准"),),
                    uncertainty=123.4, confidence=0.9)


def test_mv_report_is_a_gongwen_with_the_figures() -> None:
    docx = mv_report_docx(_report(), issued=date(2026, 1, 5), sequence=3)
    doc = Document(io.BytesIO(docx))
    sec = doc.sections[0]
    assert sec.page_width is not None and sec.page_height is not None
    assert abs(sec.page_width - Mm(210)) < 1000 and abs(sec.page_height - Mm(297)) < 1000
    lines = run_texts(docx)
    joined = "\n".join(lines)
    assert "阳朔县第一中学能源费用托管节能量测量与验证报告" in joined
    assert "2026年1月5日" in joined                       # 落款
    assert "2,400.00" in joined                             # total savings 1,500 + 900
    assert "节能率12.3%" in joined                          # 2,400 / 19,500
    assert "±123.40 kWh" in joined and "90%" in joined
    assert "11.8%" in joined and "15.0%" in joined          # CV(RMSE) and its limit
    assert "12.3457" in joined                              # a coefficient, 4 decimals
    assert "新建宿舍楼投入使用" in joined
    assert "满足适用条件" in joined
    assert internal_keys(docx) == []
    assert len(doc.inline_shapes) == 1                      # the chart


def test_a_fit_that_does_not_qualify_says_which_rule_failed() -> None:
    joined = "\n".join(run_texts(mv_report_docx(_report(qualified=False))))
    assert "不满足适用条件（基准期数据充足率低于90%）" in joined
    assert "仅供参考" in joined


def test_mv_report_in_english_has_no_chinese_frame() -> None:
    docx = mv_report_docx(_report(), lang="en")
    joined = "\n".join(run_texts(docx))
    assert "Measurement and verification report" in joined
    assert "4. Savings" in joined
    assert internal_keys(docx, english=True) == []


def test_an_empty_report_says_so() -> None:
    joined = "\n".join(run_texts(mv_report_docx(MVReport(PROJECT, "kWh", []))))
    assert "尚未拟合基准模型" in joined and "尚无节能量结果" in joined


def test_settlement_statement() -> None:
    st = Settlement(PROJECT, "2025年第一季度", (
        SettlementLine("托管费用", 123_456.789, "元", "调整后基准 × 基期价格"),
        SettlementLine("实际能源费用", 100_000.0, "元"),
        SettlementLine("节能服务公司收益", 23_456.789, "元", "托管费用 − 实际能源费用")),
        payable=123_456.79, payee="桂林绿能节能服务有限公司")
    docx = settlement_docx(st, issued=date(2026, 4, 2))
    joined = "\n".join(run_texts(docx))
    assert "阳朔县第一中学能源费用托管结算单（2025年第一季度）" in joined
    assert "123,456.79" in joined and "23,456.79" in joined
    assert "收款方：桂林绿能节能服务有限公司" in joined
    assert "业主单位（盖章）：阳朔县演示第一中学、阳朔县演示第二中学" in joined
    assert internal_keys(docx) == []


def test_totals_leave_missing_figures_out() -> None:
    got = totals([SavingsRow("a", None, 100.0, None, 10.0, 0.1),
                  SavingsRow("b", None, None, None, None, None)])
    assert got.baseline is None and got.adjusted == 100.0 and got.share == pytest.approx(0.1)


def test_list_workbook_is_formatted_and_formula_safe() -> None:
    rows = [{"code": "P-1", "name": "=HYPERLINK(\"http://x\")", "kind_label": "分布式光伏",
             "state_label": "实施", "region_name": "阳朔县", "owners_text": "甲、乙",
             "esco": None, "year": "2025", "investment": 1234.5, "expected_tce": 12.3456}]
    book = load_workbook(io.BytesIO(projects_xlsx(rows, notes=("范围：桂林市",))))
    sheet = book.active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header = values[2]
    assert header[0] == "项目编号" and "投资（万元）" in header
    data = values[3]
    assert not str(data[1]).startswith("=")                 # text, never a formula
    cell = sheet.cell(row=4, column=len(PROJECT_COLUMNS))
    assert cell.value == pytest.approx(12.3456) and cell.number_format == "#,##0.00"
    assert sheet.freeze_panes == "A4"


def test_statements_workbook_heads_the_energy_unit() -> None:
    rows = [{"period": "2025-01", "kind_label": "月度监测", "adjusted_baseline": 10_500.0,
             "actual": 9_000.0, "savings": 1_500.0, "savings_share": 0.142857,
             "savings_tce": 0.184, "savings_co2": 0.8, "savings_yuan": 900.0,
             "state_label": "已确认"}]
    book = load_workbook(io.BytesIO(statements_xlsx(PROJECT, rows, unit="kWh")))
    sheet = book.active
    assert sheet is not None
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "调整后基准（kWh）" in texts and "节能率" in texts
    share_cell = next(c for row in sheet.iter_rows() for c in row if c.value == 0.142857)
    assert share_cell.number_format == "0.0%"
