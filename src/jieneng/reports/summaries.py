"""A summary table (:func:`jieneng.services.publishing.summaries.summary`) as an .xlsx
workbook in the layout of the statistics system's summary forms (NY301 综合表).

The form's shape: the columns 甲 名称 · 乙 代码 · 丙 指标名称 · 丁 计量单位, then the
categories numbered 1 … 10 — 合计, 国家机关, 事业单位 (小计, 教育, 科技, 文化, 卫生,
体育, 其他: one header merged over its seven columns) and 团体组织; one line per
(row, indicator); under the table the signature line 单位负责人 · 统计负责人 ·
填表人 · 报出日期. Counts are written as integers, figures at full precision
in the registry's decimals (:mod:`jieneng.core.indicator_registry`), through
the one list builder :func:`jieneng.reports.tables.table_xlsx`.

Reference: 公共机构能源资源消费统计调查制度 — 综合表 (部门汇总, 行政区域汇总, 分类汇总);
summary columns S001–S010 (``cn-platform.md`` §1.2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jieneng.core.indicator_registry import BY_CODE
from jieneng.core.listing import Column
from jieneng.core.messages import text
from jieneng.reports.tables import Cell, Group, Sheet, table_xlsx

#: The lettered columns of a statistics form (甲 乙 丙 丁)
LETTERS = ("甲", "乙", "丙", "丁")
#: The key of the 事业单位 subtotal column and of the columns it sums
PUBLIC_SERVICE = "02"


def summary_xlsx(data: Mapping[str, Any], lang: str = "zh-CN", *,
                 notes: Iterable[str] = ()) -> bytes:
    """The summary as a workbook in the form's layout (``lang``: the headers)."""
    return table_xlsx([summary_sheet(data, lang, notes=notes)], lang)


def summary_sheet(data: Mapping[str, Any], lang: str = "zh-CN", *,
                  notes: Iterable[str] = ()) -> Sheet:
    """The summary's :class:`~jieneng.reports.tables.Sheet` (title, form header,
    lines, signature line)."""
    en = lang == "en"
    columns = [Column("name", "pages.summaries.row"), Column("code", "export.col.code", "code"),
               Column("measure", "pages.summaries.measure"),
               Column("unit", "pages.summaries.unit")]
    first_public = last_public = -1
    for c in data["columns"]:
        if c["key"] == PUBLIC_SERVICE:
            key = "export.summary.subtotal"
            names = (text("zh-CN", key), text("en", key))
            first_public = len(columns)
        else:
            names = (c["name_zh"], c["name_en"])
        if c["key"] in (PUBLIC_SERVICE, *_public_service_leaves(data)):
            last_public = len(columns)
        columns.append(Column(c["key"], kind="number", names=names))
    groups: tuple[Group, ...] = ()
    if first_public >= 0:
        groups = (Group(text(lang, "pages.summaries.public_service"), first_public, last_public),)
    kind = data["kind_name_en"] if en else data["kind_name_zh"]
    months = data["months"]
    period = text(lang, "export.summary.period", year=data["year"]) + (
        text(lang, "export.summary.months", first=months[0], last=months[1]) if months else "")
    head = [text(lang, "export.summary.unit", name=data["region_name"]),
            text(lang, "export.period", period=period),
            text(lang, "export.basis", basis=text(lang, "pages.summaries.basis")),
            text(lang, "export.summary.factor_set", name=data["factor_set"]), *notes]
    return Sheet(
        name=kind, title=text(lang, "export.summary.title", kind=kind), columns=columns,
        rows=list(_lines(data, lang)), notes=head, groups=groups,
        numbering=(*LETTERS, *(str(n) for n in range(1, len(data["columns"]) + 1))),
        footer=(text(lang, "export.summary.signatures"),))


def _public_service_leaves(data: Mapping[str, Any]) -> list[str]:
    return [c["key"] for c in data["columns"] if c["key"].startswith(PUBLIC_SERVICE)]


def measure_format(key: str, lang: str = "zh-CN") -> tuple[Column, str]:
    """How the figures of a measure are written, in the workbook and on the page: a
    count of institutions (``int``) or a registry figure in the registry's decimals,
    with the unit shown beside it in ``lang``."""
    found = BY_CODE.get(key)
    if found is None:  # the count of institutions
        return (Column(key, "export.summary.count_unit", "int", decimals=0),
                text(lang, "export.summary.count_unit"))
    return (Column(key, kind="number", decimals=found.decimals,
                   names=(found.name_zh, found.name_en)),
            found.unit_en if lang == "en" else found.unit_zh)


def _lines(data: Mapping[str, Any], lang: str) -> Iterable[list[Any]]:
    en = lang == "en"
    for row in data["rows"]:
        bold = bool(row.get("total"))
        for measure in data["measures"]:
            column, unit = measure_format(measure["key"], lang)
            kind, decimals = column.kind, column.decimals
            name = measure["name_en"] if en else measure["name_zh"]
            yield [Cell(row["name"], bold=bold), row["code"] or "", name, unit,
                   *(Cell(row["cells"][c["key"]][measure["key"]], kind=kind, decimals=decimals,
                          bold=bold) for c in data["columns"])]
