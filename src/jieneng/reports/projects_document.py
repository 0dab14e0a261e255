"""The documents of an energy-saving project (issue 13 §5): the M&V report (节能量测量与
验证报告) and the settlement statement (结算单) as 公文 (GB/T 9704-2012, through
:class:`jieneng.reports.documents.WordDoc` and the region's letterhead of
:func:`jieneng.reports.gongwen.letterhead`), and the Excel exports of the project list
and of a project's statements (through :func:`jieneng.reports.tables.table_xlsx`:
number formats, frozen header, print setup, formula-safe cells).

Everything is handed in (the services gather it, scope-checked): this module reads no
database and no settings. Domain labels (a project type, a state, a model) arrive as
the caller's display text; every other text is a catalogue entry
(``projects.web.doc.*``, both languages). Figures are rounded for display by GB/T 8170
(:mod:`jieneng.core.rounding`); a saving's share is a fraction shown as a percentage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

from jieneng.core.listing import Column
from jieneng.core.messages import language, text
from jieneng.core.rounding import format_number
from jieneng.reports.charts import line_chart
from jieneng.reports.documents import WordDoc
from jieneng.reports.gongwen import letterhead
from jieneng.reports.tables import Sheet, table_xlsx


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    """Who and what a document is about (labels already in the document's language)."""

    code: str
    name: str
    kind: str
    state: str
    region_code: str
    region_name: str
    owners: Sequence[str] = ()
    esco: str | None = None
    contract: str | None = None  # the contract type, e.g. 能源费用托管型
    term: str | None = None  # e.g. 2025-01-01 至 2029-12-31
    option: str | None = None  # IPMVP option, e.g. C


@dataclass(frozen=True, slots=True)
class Metric:
    """A goodness-of-fit figure: ``value`` and ``limit`` as fractions when ``percent``
    (CV(RMSE) 0.12 ≤ 0.15), ``passed`` None when no limit applies."""

    name: str
    value: float | None
    limit: float | None = None
    percent: bool = False
    passed: bool | None = None


@dataclass(frozen=True, slots=True)
class ModelFit:
    """The baseline model as fitted: method, periods, balance points, coefficients,
    metrics, qualification and the reasons a fit does not qualify."""

    method: str
    baseline: str
    reporting: str
    balance_points: str | None = None
    coefficients: Sequence[tuple[str, float | None]] = ()
    metrics: Sequence[Metric] = ()
    qualified: bool = True
    reasons: Sequence[str] = ()
    sufficiency: float | None = None  # share of the baseline's days with data


@dataclass(frozen=True, slots=True)
class SavingsRow:
    """One reporting period: baseline predicted, adjusted baseline (after the approved
    non-routine adjustments), observed, savings and their share of the adjusted
    baseline (a fraction)."""

    period: str
    baseline: float | None
    adjusted: float | None
    actual: float | None
    savings: float | None
    share: float | None


@dataclass(frozen=True, slots=True)
class AdjustmentLine:
    """A non-routine adjustment as recorded (its state already a label)."""

    kind: str
    period: str
    amount: float | None
    reason: str
    state: str


@dataclass(frozen=True)
class MVReport:
    """What the M&V report states; ``unit`` is the energy unit of every figure
    (kWh, m³, tce); ``uncertainty`` the savings' absolute uncertainty (± ``unit``)
    at ``confidence`` (a fraction, e.g. 0.9)."""

    project: ProjectInfo
    unit: str
    rows: Sequence[SavingsRow]
    model: ModelFit | None = None
    adjustments: Sequence[AdjustmentLine] = ()
    uncertainty: float | None = None
    confidence: float | None = None


@dataclass(frozen=True, slots=True)
class SettlementLine:
    """One line of a settlement: a label, the amount, its unit and its basis (the
    formula or clause it follows, as text)."""

    label: str
    value: float | None
    unit: str
    basis: str = ""


@dataclass(frozen=True)
class Settlement:
    """A settlement statement: the period, its lines, the amount payable and to whom
    (``payee``, a label); ``owner`` and ``esco`` sign it."""

    project: ProjectInfo
    period: str
    lines: Sequence[SettlementLine]
    payable: float | None = None
    payee: str | None = None
    owner: str = ""
    esco: str = ""
    notes: Sequence[str] = field(default_factory=tuple)


def num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else format_number(value, digits)


def share(value: float | None, digits: int = 1) -> str:
    """A fraction as an unsigned percentage (``0.123`` → ``12.3%``)."""
    return "—" if value is None else f"{format_number(value * 100, digits, thousands=False)}%"


def _doc(project: ProjectInfo, issued: date | None, sequence: int | None) -> WordDoc:
    return WordDoc(letterhead(project.region_code, project.region_name,
                              issued=issued or date.today(), sequence=sequence))


def _overview(doc: WordDoc, p: ProjectInfo, t: Any, sep: str) -> None:
    """一、项目概况: the project's facts as a two-column table."""
    doc.heading(t("projects.web.doc.h_overview"), 1)
    facts = [(t("projects.web.doc.code"), p.code), (t("projects.web.doc.kind"), p.kind),
             (t("projects.web.doc.state"), p.state),
             (t("projects.web.doc.owners"), sep.join(p.owners) or "—"),
             (t("projects.web.doc.esco"), p.esco or "—"),
             (t("projects.web.doc.contract"), p.contract or "—"),
             (t("projects.web.doc.term"), p.term or "—"),
             (t("projects.web.doc.option"), p.option or "—")]
    doc.table([t("projects.web.doc.item"), t("projects.web.doc.content")],
              [[k, v] for k, v in facts])


def _metric_row(m: Metric, t: Any) -> list[str]:
    shown = share if m.percent else partial(num, digits=3)
    verdict = ("—" if m.passed is None else
               t("projects.web.doc.pass") if m.passed else t("projects.web.doc.fail"))
    return [m.name, shown(m.value), "—" if m.limit is None else shown(m.limit), verdict]


def _model(doc: WordDoc, fit: ModelFit | None, t: Any, sep: str) -> None:
    """二、基准期与基准模型: method, periods, balance points, coefficients, metrics,
    qualification with the failed rules."""
    doc.heading(t("projects.web.doc.h_model"), 1)
    if fit is None:
        doc.para(t("projects.web.doc.no_model"))
        return
    doc.para(t("projects.web.doc.model_line", method=fit.method, baseline=fit.baseline,
               reporting=fit.reporting))
    if fit.balance_points:
        doc.para(t("projects.web.doc.balance_points", points=fit.balance_points))
    if fit.sufficiency is not None:
        doc.para(t("projects.web.doc.sufficiency", share=share(fit.sufficiency)))
    if fit.coefficients:
        doc.table([t("projects.web.doc.coefficient"), t("projects.web.doc.value")],
                  [[name, num(value, 4)] for name, value in fit.coefficients])
    if fit.metrics:
        doc.table([t("projects.web.doc.metric"), t("projects.web.doc.value"),
                   t("projects.web.doc.limit"), t("projects.web.doc.verdict")],
                  [_metric_row(m, t) for m in fit.metrics])
    doc.para(t("projects.web.doc.qualified") if fit.qualified else
             t("projects.web.doc.not_qualified", reasons=sep.join(fit.reasons) or "—"))


def _adjustments(doc: WordDoc, lines: Sequence[AdjustmentLine], unit: str, t: Any) -> None:
    """三、非常规调整."""
    doc.heading(t("projects.web.doc.h_adjustments"), 1)
    if not lines:
        doc.para(t("projects.web.doc.no_adjustments"))
        return
    doc.table([t("projects.web.doc.adj_kind"), t("projects.web.doc.period"),
               t("projects.web.doc.amount", unit=unit), t("projects.web.doc.reason"),
               t("projects.web.doc.state")],
              [[a.kind, a.period, num(a.amount), a.reason, a.state] for a in lines])


def totals(rows: Sequence[SavingsRow]) -> SavingsRow:
    """The sum over the periods (None where no period has a figure); the share of the
    total savings in the total adjusted baseline."""
    def add(name: str) -> float | None:
        values = [getattr(r, name) for r in rows if getattr(r, name) is not None]
        return sum(values) if values else None

    adjusted, savings = add("adjusted"), add("savings")
    return SavingsRow("", add("baseline"), adjusted, add("actual"), savings,
                      savings / adjusted if savings is not None and adjusted else None)


def _savings(doc: WordDoc, report: MVReport, t: Any) -> None:
    """四、节能量: per period and in total, the chart of adjusted baseline vs actual."""
    doc.heading(t("projects.web.doc.h_savings"), 1)
    if not report.rows:
        doc.para(t("projects.web.doc.no_savings"))
        return
    total = totals(report.rows)
    u = report.unit
    body = [[r.period, num(r.baseline), num(r.adjusted), num(r.actual), num(r.savings),
             share(r.share)] for r in report.rows]
    body.append([t("projects.web.doc.total"), num(total.baseline), num(total.adjusted),
                 num(total.actual), num(total.savings), share(total.share)])
    header = [t("projects.web.doc.period"), t("projects.web.doc.baseline", unit=u),
              t("projects.web.doc.adjusted", unit=u), t("projects.web.doc.actual", unit=u),
              t("projects.web.doc.savings", unit=u), t("projects.web.doc.share")]
    if total.baseline is None:  # the baseline before adjustments not handed in: no column
        header.pop(1)
        body = [row[:1] + row[2:] for row in body]
    doc.table(header, body)
    doc.para(t("projects.web.doc.total_line", savings=num(total.savings), unit=u,
               share=share(total.share)))
    if report.uncertainty is not None:
        doc.para(t("projects.web.doc.uncertainty", value=num(report.uncertainty), unit=u,
                   confidence=share(report.confidence, 0)))
    doc.picture(line_chart([r.period for r in report.rows], {
        t("projects.web.doc.adjusted_series"): [r.adjusted for r in report.rows],
        t("projects.web.doc.actual_series"): [r.actual for r in report.rows]},
        title=t("projects.web.doc.chart_title"), unit=u))


def mv_report_docx(report: MVReport, *, lang: str = "zh-CN", issued: date | None = None,
                   sequence: int | None = None) -> bytes:
    """The M&V report as a 公文 (.docx): title, 一、项目概况, 二、基准模型 (fit, metrics
    against ASHRAE Guideline 14's limits as handed in, the failed rules), 三、非常规调整,
    四、节能量 (table, total, uncertainty, chart), 五、结论; 落款 ``issued``."""
    lang = language(lang)
    t = partial(text, lang)
    sep = ", " if lang == "en" else "、"
    p = report.project
    doc = _doc(p, issued, sequence)
    doc.heading(t("projects.web.doc.mv_title", name=p.name), 0)
    doc.para(t("projects.web.doc.mv_intro", name=p.name, region=p.region_name))
    _overview(doc, p, t, sep)
    _model(doc, report.model, t, sep)
    _adjustments(doc, report.adjustments, report.unit, t)
    _savings(doc, report, t)
    doc.heading(t("projects.web.doc.h_conclusion"), 1)
    total = totals(report.rows)
    if report.model is not None and not report.model.qualified:
        doc.para(t("projects.web.doc.conclusion_unqualified"))
    elif total.savings is None:
        doc.para(t("projects.web.doc.no_savings"))
    else:
        doc.para(t("projects.web.doc.conclusion", savings=num(total.savings),
                   unit=report.unit, share=share(total.share)))
    return doc.to_bytes()


def settlement_docx(statement: Settlement, *, lang: str = "zh-CN",
                    issued: date | None = None, sequence: int | None = None) -> bytes:
    """The settlement statement as a 公文 (.docx): title, the project's facts, the lines
    with their basis, the amount payable and to whom, the notes, the parties' signature
    lines; 落款 ``issued``."""
    lang = language(lang)
    t = partial(text, lang)
    sep = ", " if lang == "en" else "、"
    p = statement.project
    doc = _doc(p, issued, sequence)
    doc.heading(t("projects.web.doc.settlement_title", name=p.name, period=statement.period),
                0)
    doc.para(t("projects.web.doc.settlement_intro", name=p.name, period=statement.period))
    _overview(doc, p, t, sep)
    doc.heading(t("projects.web.doc.h_settlement"), 1)
    doc.table([t("projects.web.doc.line"), t("projects.web.doc.value"),
               t("projects.web.doc.unit"), t("projects.web.doc.basis")],
              [[ln.label, num(ln.value), ln.unit, ln.basis or "—"] for ln in statement.lines])
    if statement.payable is not None:
        doc.para(t("projects.web.doc.payable", amount=num(statement.payable),
                   payee=statement.payee or "—"))
    for note in statement.notes:
        doc.para(note)
    doc.heading(t("projects.web.doc.h_parties"), 1)
    doc.para(t("projects.web.doc.owner_sign", owner=statement.owner or sep.join(p.owners)))
    doc.para(t("projects.web.doc.esco_sign", esco=statement.esco or p.esco or "—"))
    return doc.to_bytes()


#: the project list's columns: the page (pages/_columns.html), its twin's fields and
#: the workbook /projects.xlsx
PROJECT_COLUMNS: tuple[Column, ...] = (
    Column("code", "projects.web.col.code", "code"),
    Column("name", "projects.web.col.name"),
    Column("kind_label", "projects.web.col.kind"),
    Column("state_label", "projects.web.col.state"),
    Column("region_name", "projects.web.col.region"),
    Column("owners_text", "projects.web.col.owners"),
    Column("esco", "projects.web.col.esco"),
    Column("year", "projects.web.col.year", "code"),
    Column("investment", kind="number", names=("投资（万元）", "Investment (10k yuan)")),
    Column("expected_tce", "projects.web.col.expected_tce", "number", 2, "tce"),
)

#: a project's statements (monthly monitoring, quarterly, annual)
STATEMENT_COLUMNS: tuple[Column, ...] = (
    Column("period", "projects.web.col.period", "code"),
    Column("kind_label", "projects.web.col.statement_kind"),
    Column("adjusted_baseline", "projects.web.col.adjusted_baseline", "number"),
    Column("actual", "projects.web.col.actual", "number"),
    Column("savings", "projects.web.col.savings", "number"),
    Column("savings_share", "projects.web.col.savings_share", "percent"),
    Column("savings_tce", "projects.web.col.savings_tce", "number", 3, "tce"),
    Column("savings_co2", "projects.web.col.savings_co2", "number", 3, "tCO₂"),
    Column("savings_yuan", "projects.web.col.savings_yuan", "number", 2, "元"),
)


def projects_xlsx(rows: Sequence[Mapping[str, Any]], *, lang: str = "zh-CN",
                  notes: Sequence[str] = ()) -> bytes:
    """The project list as a workbook (the page's columns, its rows as built for it)."""
    title = text(lang, "projects.web.list_title")
    return table_xlsx([Sheet(title, title, PROJECT_COLUMNS, rows, notes=notes)], lang)


def statements_xlsx(project: ProjectInfo, rows: Sequence[Mapping[str, Any]], *, unit: str,
                    lang: str = "zh-CN", notes: Sequence[str] = ()) -> bytes:
    """A project's statements as a workbook; ``unit`` heads the energy columns."""
    title = text(lang, "projects.web.statements_title", name=project.name)
    columns = tuple(Column(c.key, c.label, c.kind, c.decimals, unit)
                    if c.key in ("adjusted_baseline", "actual", "savings") else c
                    for c in STATEMENT_COLUMNS)
    name = text(lang, "projects.web.statements")
    return table_xlsx([Sheet(name, title, columns, rows, notes=(
        text(lang, "projects.web.doc.project_line", code=project.code, name=project.name),
        *notes))], lang)


__all__ = ["PROJECT_COLUMNS", "STATEMENT_COLUMNS", "AdjustmentLine", "MVReport", "Metric",
           "ModelFit", "ProjectInfo", "SavingsRow", "Settlement", "SettlementLine",
           "mv_report_docx", "projects_xlsx", "settlement_docx", "statements_xlsx", "totals"]
