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

from collections.abc import Sequence
from datetime import date
from functools import partial
from typing import Any

from jieneng.core.listing import Column
from jieneng.core.messages import language, text
from jieneng.reports.documents import WordDoc
from jieneng.reports.gongwen import letterhead
from jieneng.reports.tables import Sheet, table_xlsx


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


def _ranking_columns(result: dict[str, Any]) -> list[Column]:
    return [Column("rank", "assessments.col.rank", "int"),
            Column("subject", "assessments.col.subject"),
            *[Column(f"b_{b['code']}", names=(f"{b['name_zh']}（{b['points']:g}）",
                                              f"{b['name_en'] or b['name_zh']} "
                                              f"({b['points']:g})"), kind="number",
                     decimals=1) for b in result["blocks"]],
            Column("total", "assessments.col.total", "number", decimals=1),
            Column("grade", "assessments.col.grade"),
            Column("veto", "assessments.col.veto")]


def _item_rows(result: dict[str, Any], lang: str) -> list[list[Any]]:
    out: list[list[Any]] = []
    for r in result["rows"]:
        for item in result["items"]:
            got = r["items"][item["code"]]
            out.append([r["name"], item["code"], _name(item, lang), item["points"],
                        got["figure"], got["score"],
                        text(lang, "assessments.web.missing") if got["missing"] else "",
                        got["note"] or ""])
    return out


_ITEM_COLUMNS = (
    Column("subject", "assessments.col.subject"), Column("code", "assessments.col.code"),
    Column("item", "assessments.col.item"),
    Column("points", "assessments.col.points", "number", decimals=1),
    Column("figure", "assessments.col.figure", "number", decimals=4),
    Column("score", "assessments.col.score", "number", decimals=1),
    Column("missing", "assessments.col.missing"), Column("note", "assessments.col.note"))


def performance_xlsx(result: dict[str, Any], lang: str = "zh-CN", *,
                     notes: Sequence[str] = ()) -> bytes:
    """The ranking and the items as a workbook (two sheets), values unrounded."""
    lang = language(lang)
    run, sheet = result["run"], result["sheet"]
    heading = f"{run['region_name']} {run['year']} {_name(sheet, lang)}"
    lines = [*notes, text(lang, "assessments.doc.version", code=sheet["code"],
                          version=sheet["version"], total=f"{sheet['total']:g}")]
    return table_xlsx([
        Sheet(text(lang, "assessments.web.ranking"), heading, _ranking_columns(result),
              ranking_rows(result, lang), notes=lines),
        Sheet(text(lang, "assessments.web.items"), heading, _ITEM_COLUMNS,
              _item_rows(result, lang), notes=lines)], lang)


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
