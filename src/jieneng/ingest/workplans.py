"""A work plan (工作安排) from a spreadsheet: file → checked items.

One row per item; headers in Chinese or English, any order, units in brackets ignored;
.xlsx or .csv through :func:`jieneng.ingest.reader.read_table`:

================ ============================================== ========
field            headers                                        required
================ ============================================== ========
item_no          序号, 编号, 事项编号, item_no                     yes
parent_no        上级序号, 上级编号, parent_no                     (the item it is assigned from)
section          栏目, 章节, 类别, section
text             事项, 工作事项, 任务, 内容, text                   yes
responsible      责任地区, 地区代码, responsible_region              (default: the plan's region)
department       责任部门, 牵头部门, responsible_department
institution      责任单位, 责任单位代码, institution (credit code)
deadline         完成时限, 截止日期, 完成时间, deadline              yes (2024-03-26, 2024/3/26,
                                                                2024年3月26日, 2024-12)
indicator        指标, 指标代码, indicator (code or name, ``data/workplans/indicators.csv``)
indicator_param  指标范围, 指标参数, indicator_param (e.g. ``scheme=conservation_organ``)
comparison       比较, 比较方式, comparison (≥ ≤ > < 不低于 以内 超 …; default the indicator's)
target           目标值, 目标, target (a number; ``18万`` = 180000; ``85%``)
unit             单位, 计量单位, unit (the indicator's, or 万 + it)
source_quote     依据原文, 原文, 依据, source_quote
================ ============================================== ========

Checked here without the database: required cells, item numbers unique, a parent
number naming an item of the file (no cycles), indicator known, target a number with an
indicator and a unit matching it, deadline a date inside the plan's year. The regions
and institutions are checked by :mod:`jieneng.services.workplans.imports`. Each
problem is an :class:`ImportIssue` naming file, row and column in zh and en.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from jieneng.core.workplans import parse_comparison, resolve_indicator, unit_factor

from .issues import make_issue
from .reader import DEFAULT_MAX_BYTES, ROW
from .table_rows import TableRows, open_rows

COLUMNS: dict[str, tuple[str, ...]] = {
    "item_no": ("序号", "编号", "事项编号", "item_no"),
    "parent_no": ("上级序号", "上级编号", "parent_no"),
    "section": ("栏目", "章节", "类别", "section"),
    "text": ("事项", "工作事项", "任务", "内容", "text"),
    "responsible_region": ("责任地区", "地区代码", "行政区划代码", "responsible_region"),
    "responsible_department": ("责任部门", "牵头部门", "responsible_department"),
    "institution": ("责任单位", "责任单位代码", "institution"),
    "deadline": ("完成时限", "截止日期", "完成时间", "deadline"),
    "indicator": ("指标", "指标代码", "indicator"),
    "indicator_param": ("指标范围", "指标参数", "indicator_param"),
    "comparison": ("比较", "比较方式", "comparison"),
    "target": ("目标值", "目标", "target"),
    "unit": ("单位", "计量单位", "unit"),
    "source_quote": ("依据原文", "原文", "依据", "source_quote"),
}
REQUIRED: tuple[str, ...] = ("item_no", "text", "deadline")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?)?\s*月?$")
_MONTH_END = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass
class PlanRows(TableRows):
    """The parsed sheet: ``rows`` in storage shape (plus ``row``, ``parent_no``,
    ``institution_code``) in an order where a parent comes before its children."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    #: (row, item number, parent number) of every row, with errors or not
    numbers: list[tuple[int, str, str | None]] = field(default_factory=list)

    def add(self, row: int | None, fld: str | None, value: object, problem: str,
            **params: object) -> None:
        self.issues.append(self.issue(row, fld, value, f"workplans.import.{problem}",
                                      **params))


def parse_date(text: str) -> date | None:
    """``2024-03-26``, ``2024/3/26``, ``2024年3月26日``, or a month (``2024-12``, the
    month's last day); None when not a date."""
    text = text.strip().split(" ")[0].split("T")[0]
    match = _DATE.match(text)
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        return None
    last = _MONTH_END[month - 1] if month != 2 or year % 4 == 0 else 28
    day = int(match.group(3)) if match.group(3) else last
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_target(text: str) -> tuple[float, str | None] | None:
    """A target as written → (number, unit written after it or None); ``18万`` →
    (180000, None), ``85%`` → (85, '%'); None when not a number."""
    cleaned = text.strip().replace(",", "").replace("，", "").replace(" ", "")
    match = re.match(r"^([-+]?\d+(?:\.\d+)?)(万)?(.*)$", cleaned)
    if match is None:
        return None
    number = float(match.group(1)) * (10_000.0 if match.group(2) else 1.0)
    rest = match.group(3) or None
    return number, rest


def parse_plan(path: Path, *, year: int, max_bytes: int = DEFAULT_MAX_BYTES) -> PlanRows:
    """The items of a plan sheet for ``year`` and every issue found without the
    database."""
    out, table = open_rows(PlanRows, path, COLUMNS, REQUIRED, max_bytes=max_bytes)
    if table is None:
        return out
    out.rows_read = table.frame.height
    for record in table.frame.iter_rows(named=True):  # a plan: tens of items
        parsed = _row(out, record, year)
        if parsed is not None:
            out.rows.append(parsed)
    _numbers(out)
    if not out.rows and not out.errors:
        out.issues.append(make_issue("import.empty", file=out.file, sheet=out.sheet))
    return out


def _row(out: PlanRows, record: dict[str, Any], year: int) -> dict[str, Any] | None:
    row = int(record[ROW])
    if not any(v is not None and str(v).strip() for k, v in record.items() if k != ROW):
        return None  # a blank line
    before = len(out.issues)
    cell = {fld: out.cell(record, fld) for fld in COLUMNS}
    if cell["item_no"] is not None:
        out.numbers.append((row, cell["item_no"], cell["parent_no"]))
    for fld in REQUIRED:
        if cell[fld] is None:
            out.issues.append(make_issue("import.missing_value", file=out.file,
                                         sheet=out.sheet, row=row, column=out.columns[fld]))
    values: dict[str, Any] = {
        "row": row, "item_no": cell["item_no"], "parent_no": cell["parent_no"],
        "section": cell["section"], "text": cell["text"],
        "responsible_region": cell["responsible_region"],
        "responsible_department": cell["responsible_department"],
        "institution_code": cell["institution"], "indicator_param": cell["indicator_param"],
        "source_quote": cell["source_quote"], "indicator_code": None, "comparison": None,
        "target_value": None, "target_unit": None}
    _deadline(out, row, cell["deadline"], year, values)
    _target(out, row, cell, values)
    return values if len(out.issues) == before else None


def _deadline(out: PlanRows, row: int, text: str | None, year: int,
              values: dict[str, Any]) -> None:
    if text is None:
        return
    when = parse_date(text)
    if when is None:
        out.add(row, "deadline", text, "bad_date")
    elif when.year != year:
        out.add(row, "deadline", text, "deadline_outside_year", year=year)
    else:
        values["deadline"] = when


def _target(out: PlanRows, row: int, cell: dict[str, str | None],
            values: dict[str, Any]) -> None:
    name = cell["indicator"]
    found = resolve_indicator(name) if name else None
    if name and found is None:
        out.add(row, "indicator", name, "unknown_indicator")
        return
    if cell["target"] is None:
        if found is not None:
            values["indicator_code"], values["target_unit"] = found.code, found.unit
        return
    if found is None:
        out.add(row, "target", cell["target"], "target_without_indicator")
        return
    parsed = parse_target(cell["target"])
    if parsed is None:
        out.add(row, "target", cell["target"], "target_not_number")
        return
    number, written_unit = parsed
    unit = cell["unit"] or written_unit
    factor = unit_factor(found.unit, unit)
    if factor is None:
        out.add(row, "unit", unit, "unit_mismatch", unit=found.unit)
        return
    comparison = found.direction
    if cell["comparison"] is not None:
        parsed_cmp = parse_comparison(cell["comparison"])
        if parsed_cmp is None:
            out.add(row, "comparison", cell["comparison"], "bad_comparison")
            return
        comparison = parsed_cmp
    values.update(indicator_code=found.code, comparison=comparison,
                  target_value=number * factor, target_unit=found.unit)


def _numbers(out: PlanRows) -> None:
    """Item numbers unique; a parent number names an item of the file; no cycle (over
    every row, refused or not); the rows reordered parents first."""
    seen: dict[str, int] = {}
    parents: dict[str, str | None] = {}
    for row, no, parent in out.numbers:
        if no in seen:
            out.add(row, "item_no", no, "duplicate_item", first=seen[no])
        else:
            seen[no], parents[no] = row, parent
    for row, no, parent in out.numbers:
        if parent is None:
            continue
        if parent not in parents:
            out.add(row, "parent_no", parent, "parent_missing")
        elif _cycle(parents, no):
            out.add(row, "parent_no", parent, "parent_cycle")
    if out.errors:
        return
    out.rows = _parents_first(out.rows)


def _cycle(parents: dict[str, str | None], start: str) -> bool:
    seen, current = {start}, parents[start]
    while current is not None and current in parents:
        if current in seen:
            return True
        seen.add(current)
        current = parents[current]
    return False


def _parents_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """File order, except that a child listed before its parent follows it."""
    children: dict[str | None, list[dict[str, Any]]] = {}
    for r in rows:
        children.setdefault(r["parent_no"], []).append(r)
    out: list[dict[str, Any]] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        r = stack.pop()
        out.append(r)
        stack.extend(reversed(children.get(r["item_no"], [])))
    return out


def parse_item(cells: dict[str, str | None], *, year: int, file: str = "form") -> PlanRows:
    """One item typed in a form (field → text), checked as a sheet row is (row 1;
    columns named by their field)."""
    out = PlanRows(file, None)
    out.columns = {fld: fld for fld in COLUMNS}
    record: dict[str, Any] = {ROW: 1, **{fld: cells.get(fld) for fld in COLUMNS}}
    parsed = _row(out, record, year)
    if parsed is not None:
        out.rows.append(parsed)
    return out
