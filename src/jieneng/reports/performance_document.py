"""A performance assessment (绩效考核) run as a workbook and as a 公文
(GB/T 9704-2012 via :mod:`jieneng.reports.documents`): the ranking with every block's
score, the total, the grade and the ★ veto; the items of every subject with the
figure, the score and the hand scorer's note. From the one result of
:func:`jieneng.services.assessments.runs.result` (the page ``/assessments/{id}``, its
JSON twin, ``.xlsx`` and ``.docx`` show the same numbers).

Different from :mod:`jieneng.reports.assessment_document` (目标考核: targets met or not
per child region). Every text is a catalogue entry (``assessments.doc.*``,
``assessments.col.*``); values are written by
:func:`jieneng.reports.spreadsheet.write_cell` (never a formula).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from functools import partial
from typing import Any

from jieneng.core.messages import language, text
from jieneng.reports.documents import WordDoc
from jieneng.reports.gongwen import letterhead
from jieneng.reports.spreadsheet import new_workbook, write_cell, write_row


def _name(obj: dict[str, Any], lang: str) -> str:
    return str(obj["name_en"] if lang == "en" and obj.get("name_en") else obj["name_zh"])


def grade_names(result: dict[str, Any], lang: str) -> dict[str, str]:
    return {g["code"]: _name(g, lang) for g in result["grades"]}


def ranking_rows(result: dict[str, Any], lang: str) -> list[list[Any]]:
    """One line per subject: rank, name, block scores, total, grade, ★ veto."""
    grades = grade_names(result, lang)
    veto = text(lang, "assessments.web.vetoed")
    return [[r["rank"], r["name"], *[r["blocks"][b["code"]] for b in result["blocks"]],
             r["total"], grades.get(r["grade"], ""), veto if r["vetoed"] else ""]
            for r in result["rows"]]


def _write_table(book: Any, name: str, title: str, notes: Sequence[str],
                 header: Sequence[str], rows: Any, formats: Sequence[Any]) -> None:
    """A sheet: title, notes, header, then the rows — cell by cell through
    :func:`write_cell` (numbers as numbers, text never a formula); a province's units
    are tens of thousands of rows, so no per-cell width or format lookups."""
    ws = book.add_worksheet(name[:31])
    bold = book.add_format({"bold": True, "font_size": 14})
    head = book.add_format({"bold": True, "bg_color": "#EEF3EF", "border": 1,
                            "text_wrap": True, "valign": "top"})
    write_cell(ws, 0, 0, title, bold)
    for at, line in enumerate(notes, start=1):
        write_cell(ws, at, 0, line)
    top = len(notes) + 1
    write_row(ws, top, header, head)
    for r, values in enumerate(rows, start=top + 1):
        for c, value in enumerate(values):
            write_cell(ws, r, c, value, formats[c])
    ws.freeze_panes(top + 1, 2)
    ws.set_column(0, 0, 8)
    ws.set_column(1, 1, 24)
    ws.set_column(2, max(len(header) - 1, 2), 12)


def _item_rows(result: dict[str, Any], lang: str) -> tuple[list[str], list[list[Any]]]:
    """One line per subject: its name, every item's score, the figures, the notes."""
    items = result["items"]
    measured = [i for i in items if i["measure"]]
    hand = [i for i in items if i["hand"]]
    figure, note = text(lang, "assessments.col.figure"), text(lang, "assessments.col.note")
    header = [text(lang, "assessments.col.rank"), text(lang, "assessments.col.subject"),
              *[f"{_name(i, lang)} ({i['points']:g})" for i in items],
              *[f"{_name(i, lang)} · {figure}" for i in measured],
              *[f"{_name(i, lang)} · {note}" for i in hand]]
    rows = [[r["rank"], r["name"], *[None if r["items"][i["code"]]["missing"]
                                     else r["items"][i["code"]]["score"] for i in items],
             *[r["items"][i["code"]]["figure"] for i in measured],
             *[r["items"][i["code"]]["note"] or "" for i in hand]] for r in result["rows"]]
    return header, rows


def performance_xlsx(result: dict[str, Any], lang: str = "zh-CN", *,
                     notes: Sequence[str] = ()) -> bytes:
    """The ranking and the items (one line per subject) as a workbook, values unrounded;
    a missing figure or an item not scored is a blank cell."""
    lang = language(lang)
    run, sheet = result["run"], result["sheet"]
    heading = f"{run['region_name']} {run['year']} {_name(sheet, lang)}"
    lines = [*notes, text(lang, "assessments.doc.version", code=sheet["code"],
                          version=sheet["version"], total=f"{sheet['total']:g}")]
    buffer = io.BytesIO()
    book = new_workbook(buffer)
    score_fmt, figure_fmt = book.add_format({"num_format": "0.0"}), book.add_format(
        {"num_format": "0.0000"})
    blocks = result["blocks"]
    header = [text(lang, "assessments.col.rank"), text(lang, "assessments.col.subject"),
              *[f"{_name(b, lang)} ({b['points']:g})" for b in blocks],
              text(lang, "assessments.col.total"), text(lang, "assessments.col.grade"),
              text(lang, "assessments.col.veto")]
    _write_table(book, text(lang, "assessments.web.ranking"), heading, lines, header,
                 ranking_rows(result, lang),
                 [None, None, *[score_fmt] * (len(blocks) + 1), None, None])
    items_header, rows = _item_rows(result, lang)
    n_items = len(result["items"])
    n_measured = sum(1 for i in result["items"] if i["measure"])
    _write_table(book, text(lang, "assessments.web.items"), heading, lines, items_header,
                 rows, [None, None, *[score_fmt] * n_items, *[figure_fmt] * n_measured,
                        *[None] * (len(items_header) - 2 - n_items - n_measured)])
    book.close()
    return buffer.getvalue()


def performance_docx(result: dict[str, Any], *, lang: str = "zh-CN",
                     issued: date | None = None, sequence: int | None = None) -> bytes:
    """The run as a 公文: 版头, title, summary with the grade counts, 一、the ranking
    table, 二、the subjects vetoed (★), 落款."""
    lang = language(lang)
    t = partial(text, lang)
    run, sheet = result["run"], result["sheet"]
    doc = WordDoc(letterhead(run["region_code"], run["region_name"],
                             issued=issued or date.today(), sequence=sequence))
    doc.heading(t("assessments.doc.title", region=run["region_name"], year=run["year"],
                  sheet=_name(sheet, lang)), 0)
    sep = ", " if lang == "en" else "，"
    counts = sep.join(f"{_name(g, lang)} {g['count']}" for g in result["grades"])
    doc.para(t("assessments.doc.intro", region=run["region_name"], year=run["year"],
               sheet=_name(sheet, lang), count=len(result["rows"]), grades=counts))
    doc.para(t("assessments.doc.basis", code=sheet["code"], version=sheet["version"],
               total=f"{sheet['total']:g}"))
    doc.heading(t("assessments.doc.h_results"), 1)
    grades = grade_names(result, lang)
    doc.table([t("assessments.col.rank"), t("assessments.col.subject"),
               t("assessments.col.total"), t("assessments.col.grade")],
              [[str(r["rank"]), r["name"], f"{r['total']:.1f}",
                grades.get(r["grade"], "") + (" ★" if r["vetoed"] else "")]
               for r in result["rows"]])
    doc.heading(t("assessments.doc.h_veto"), 1)
    vetoed = [r["name"] for r in result["rows"] if r["vetoed"]]
    doc.para(t("assessments.doc.vetoed", names=("、" if lang != "en" else ", ").join(vetoed))
             if vetoed else t("assessments.doc.none_vetoed"))
    return doc.to_bytes()


__all__ = ["performance_docx", "performance_xlsx", "ranking_rows"]
