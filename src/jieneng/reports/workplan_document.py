"""A work plan's progress (工作安排推进情况) as a workbook and as a 公文 (issue 14 §1):
the mid-year (年中督促) and year-end (年底检查) summary of a region's plan — 渠县's
"年初布置、年中督促、年底检查" — with the same figures as the review page
``/workplans/{plan_id}/review`` and its JSON twin (both call :func:`counts` on the
same :class:`ItemLine` rows the page shows).

The document (GB/T 9704-2012, :mod:`jieneng.reports.documents`): the 版头 of the
region's issuer (:func:`jieneng.reports.gongwen.letterhead`), the title, the 主送
(7.3.2: flush left under the title), the body by section — 一、总体进展 (the
counts), 二、量化指标完成情况 (a table: item, target, value, state, share complete),
三、逾期未完成事项, then one section per part of the plan with its items, and
the stage's closing paragraph (mid-year: 督促; year-end: 检查 and 目标绩效考核) —,
the 落款 and the date.

Every text is a catalogue entry (``workplans.doc.*``, both languages). Standard
library, ``core`` and the sibling report builders only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from jieneng.core.listing import Column
from jieneng.core.messages import language, text
from jieneng.core.rounding import format_number
from jieneng.core.workplans import tally
from jieneng.reports.documents import WordDoc
from jieneng.reports.gongwen import chinese_ordinal, letterhead
from jieneng.reports.tables import Sheet, table_xlsx

#: the review's stages: 年中督促 and 年底检查
STAGES: tuple[str, ...] = ("mid", "end")
#: stage → the catalogue keys of its title, opening sentence and closing paragraph
STAGE_KEYS: dict[str, tuple[str, str, str]] = {
    "mid": ("workplans.doc.title_mid", "workplans.doc.intro_mid", "workplans.doc.next_mid"),
    "end": ("workplans.doc.title_end", "workplans.doc.intro_end", "workplans.doc.next_end"),
}


@dataclass(frozen=True)
class ItemLine:
    """One item of the plan as the progress page, its workbook and the summary show
    it (texts already in the page's language; ``share`` a fraction 0–1 or None;
    ``state`` the worked-out state — done / in_progress / not_started — with
    ``overdue`` the mark on top)."""

    number: str
    section: str
    text: str
    responsible: str
    deadline: str | None
    target: str
    value: str
    state: str
    state_label: str
    share: float | None
    overdue: bool
    done: bool


@dataclass(frozen=True)
class PlanSummary:
    """What the summary document needs: the plan, the stage, the date the figures
    stand at and the items."""

    region_code: str
    region_name: str
    year: int
    title: str
    stage: str
    as_of: date
    addressees: str
    items: tuple[ItemLine, ...]


def counts(items: Sequence[ItemLine]) -> dict[str, Any]:
    """The review's figures: items, done, in progress, not started (by each item's
    worked-out state, adding up to the items), overdue (a mark on top — an overdue
    item is counted in its state too; :func:`jieneng.core.workplans.tally`), with a
    target, and the mean share complete (a fraction; an item without one counts 0;
    None without items)."""
    figures: dict[str, Any] = dict(tally((i.state, i.overdue) for i in items))
    total = len(items)
    shares = [min(max(i.share or 0.0, 0.0), 1.0) for i in items]
    return {**figures, "quantified": sum(1 for i in items if i.target),
            "share": sum(shares) / total if total else None}


def share_text(value: float | None) -> str:
    """A share complete: ``62.5%`` (``—`` for none)."""
    return "—" if value is None else f"{format_number(value * 100, 1, thousands=False)}%"


#: the progress list's columns: the page, its twin's fields and the workbook
ITEM_COLUMNS: tuple[Column, ...] = (
    Column("number", "workplans.web.col.number", "code"),
    Column("section", "workplans.web.col.section"),
    Column("text", "workplans.web.col.text"),
    Column("responsible", "workplans.web.col.responsible"),
    Column("deadline", "workplans.web.col.deadline", "code"),
    Column("target", "workplans.web.col.target"),
    Column("value", "workplans.web.col.value"),
    Column("source_label", "workplans.web.col.source"),
    Column("state_label", "workplans.web.col.state"),
    Column("share", "workplans.web.col.share", "percent"),
    Column("overdue", "workplans.web.col.overdue", "bool"),
)


def plan_xlsx(title: str, rows: Sequence[Mapping[str, Any]], *, lang: str = "zh-CN",
              notes: Sequence[str] = ()) -> bytes:
    """The plan's items as a workbook (the page's columns, its rows as built for it)."""
    name = text(lang, "workplans.web.items")
    return table_xlsx([Sheet(name, title, ITEM_COLUMNS, rows, notes=notes)], lang)


def _sep(lang: str) -> str:
    return ", " if lang == "en" else "、"


def _overview(doc: WordDoc, summary: PlanSummary, figures: Mapping[str, Any], t: Any) -> None:
    doc.heading(t("workplans.doc.h_overview", n=chinese_ordinal(1)), 1)
    doc.para(t("workplans.doc.overview", items=figures["items"], done=figures["done"],
               in_progress=figures["in_progress"], not_started=figures["not_started"],
               overdue=figures["overdue"], share=share_text(figures["share"])))


def _figures(doc: WordDoc, items: Sequence[ItemLine], t: Any) -> None:
    doc.heading(t("workplans.doc.h_figures", n=chinese_ordinal(2)), 1)
    quantified = [i for i in items if i.target]
    if not quantified:
        doc.para(t("workplans.doc.no_figures"))
        return
    doc.table([t("workplans.web.col.number"), t("workplans.web.col.text"),
               t("workplans.web.col.target"), t("workplans.web.col.value"),
               t("workplans.web.col.state"), t("workplans.web.col.share")],
              [[i.number, _short(i.text), i.target, i.value, i.state_label,
                share_text(i.share)] for i in quantified])


def _short(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[:limit - 1] + "…"


def _overdue(doc: WordDoc, items: Sequence[ItemLine], lang: str, t: Any) -> None:
    doc.heading(t("workplans.doc.h_overdue", n=chinese_ordinal(3)), 1)
    late = [i for i in items if i.overdue]
    if not late:
        doc.para(t("workplans.doc.none_overdue"))
        return
    for i in late:
        doc.para(t("workplans.doc.overdue_line", number=i.number, text=_short(i.text, 60),
                   responsible=i.responsible, deadline=i.deadline or "—"))


def _sections(doc: WordDoc, items: Sequence[ItemLine], t: Any, first: int) -> int:
    """One heading per part of the plan, one paragraph per item; the next number."""
    n = first
    order: list[str] = []
    for i in items:
        if i.section not in order:
            order.append(i.section)
    for section in order:
        doc.heading(t("workplans.doc.h_section", n=chinese_ordinal(n),
                      section=section or t("workplans.doc.other")), 1)
        for i in (x for x in items if x.section == section):
            doc.para(t("workplans.doc.item_line", number=i.number, text=i.text,
                       responsible=i.responsible, deadline=i.deadline or "—",
                       target=i.target or "—", value=i.value or "—", state=i.state_label,
                       share=share_text(i.share)))
        n += 1
    return n


def summary_docx(summary: PlanSummary, *, lang: str = "zh-CN", issued: date | None = None,
                 sequence: int | None = None) -> bytes:
    """The stage's summary as a 公文 (.docx); see the module docstring."""
    lang = language(lang)
    t = partial(text, lang)
    stage = summary.stage if summary.stage in STAGES else "mid"
    doc = WordDoc(letterhead(summary.region_code, summary.region_name,
                             issued=issued or date.today(), sequence=sequence))
    title, intro, closing = STAGE_KEYS[stage]
    doc.heading(t(title, region=summary.region_name, year=summary.year), 0)
    doc.para(summary.addressees)
    doc.doc.paragraphs[-1].paragraph_format.first_line_indent = 0  # 主送: flush left
    doc.para(t(intro, plan=summary.title, year=summary.year,
               as_of=summary.as_of.isoformat()))
    figures = counts(summary.items)
    _overview(doc, summary, figures, t)
    _figures(doc, summary.items, t)
    _overdue(doc, summary.items, lang, t)
    n = _sections(doc, summary.items, t, 4)
    doc.heading(t("workplans.doc.h_next", n=chinese_ordinal(n)), 1)
    doc.para(t(closing))
    return doc.to_bytes()


__all__ = ["ITEM_COLUMNS", "STAGES", "STAGE_KEYS", "ItemLine", "PlanSummary", "counts", "plan_xlsx",
           "share_text", "summary_docx"]
