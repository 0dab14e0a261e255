"""The year-end target assessment (目标考核) of a region's children and its own units
(本级, the share of its cap a decomposition gave them; first in the table) as a 公文
(GB/T 9704-2012, :mod:`jieneng.reports.documents`): the same builder, letterhead,
落款 and table as the 通报, from the figures of
:func:`jieneng.services.targets.progress.assessment` (the page
``/targets/assessment``, its JSON twin and its workbook show the same).

Every text is a catalogue entry (``assessment_doc.*``, ``tongbao.*``, both
languages); indicator names come from the indicator registry, so no internal key
(``energy_tce``, ``cap``) reaches the page.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from jieneng.core.messages import language, text
from jieneng.reports.annual_document import assessment_lines
from jieneng.reports.documents import WordDoc
from jieneng.reports.gongwen import letterhead


def counts(assessment: dict[str, Any]) -> dict[str, int]:
    """How many regions (本级 not counted as one) and targets were assessed, how many
    targets met and not."""
    targets = [tgt for row in assessment["rows"] for tgt in row["targets"]]
    met = sum(1 for tgt in targets if tgt["met"])
    regions = sum(1 for row in assessment["rows"] if not row.get("own_level"))
    return {"regions": regions, "targets": len(targets), "met": met,
            "unmet": len(targets) - met}


def assessment_docx(assessment: dict[str, Any], *, lang: str = "zh-CN",
                    issued: date | None = None, sequence: int | None = None) -> bytes:
    """The assessment as a 公文 (.docx): 版头 of the region's issuer, 发文字号 with
    ``sequence`` (blank for the 文书 when None), title, the summary and the basis,
    一、the results table, 二、the regions that missed a target; 落款 ``issued``
    (today when None)."""
    lang = language(lang)
    t = partial(text, lang)
    region, year = assessment["region"], assessment["year"]
    doc = WordDoc(letterhead(region["code"], region["name"], issued=issued or date.today(),
                             sequence=sequence))
    doc.heading(t("assessment_doc.title", region=region["name"], year=year), 0)
    doc.para(t("assessment_doc.intro", region=region["name"], year=year))
    rows = assessment_lines(assessment, t, lang)
    if not rows:
        doc.para(t("tongbao.no_targets"))
        return doc.to_bytes()
    own = any(row.get("own_level") for row in assessment["rows"])
    doc.para(t("assessment_doc.summary_own" if own else "assessment_doc.summary",
               **counts(assessment)))
    doc.para(t("assessment_doc.basis"))
    doc.heading(t("assessment_doc.h_results"), 1)
    doc.table([t("tongbao.col_region"), t("tongbao.col_target"), t("tongbao.col_result"),
               t("tongbao.col_outcome")], rows)
    doc.heading(t("assessment_doc.h_unmet"), 1)
    missed = [row["region_name"] for row in assessment["rows"] if not row["all_met"]]
    doc.para(t("assessment_doc.unmet", regions=("、" if lang != "en" else ", ").join(missed))
             if missed else t("assessment_doc.all_met"))
    return doc.to_bytes()


__all__ = ["assessment_docx", "counts"]
