"""Bulk registration of energy-saving projects: file → checked project specs.

One row = one project. xlsx or csv (UTF-8 or GBK); headers in Chinese or English, in
any order; a unit in brackets is ignored, except ``万元`` on a money column, which
scales the figures ×10,000 to 元:

==================== ===================================================== ========
field                headers                                               required
==================== ===================================================== ========
``code``             项目编号, 项目代码, code                                 yes
``name``             项目名称, name                                          yes
``type``             项目类型, 类型, type (节能改造 / 合同能源管理 / …)           yes
``subtype``          合同类型, 子类型, 合同模式, subtype (托管型 / 分享型 / 保证型) EPC, 合同节水
``owners``           业主单位信用代码, 业主单位, 统一社会信用代码, owners          yes
                     (several separated by ; ， 、 or spaces: a packaged project)
``region_code``      统计地区代码, 地区代码, region_code
``year``             年度, 项目年度, year (default: the planned start's year)
``esco_name``        节能服务公司, 服务公司, esco_name
``esco_credit_code`` 服务公司信用代码, esco_credit_code
``funding_source``   资金来源, funding_source
``ipmvp_option``     IPMVP选项, 测量验证选项, ipmvp_option (A–D)
``area_m2``          改造面积, area_m2 [m²]
``pv_kwp``           光伏装机容量, 装机容量, pv_kwp [kWp]
``heat_pumps``       热泵台数, heat_pumps
``heat_pump_kw``     热泵容量, heat_pump_kw [kW]
``investment_yuan``  投资额, 总投资, investment_yuan [元 or 万元]
``expected_tce``     预计节能量, expected_tce [tce/year]
``expected_yuan``    预计节约费用, 预计节能效益, expected_yuan [元 or 万元 / year]
``planned_start``    计划开始日期, 开工日期, planned_start (YYYY-MM-DD)
``planned_end``      计划完成日期, 竣工日期, planned_end
``description``      项目说明, 备注, description
==================== ===================================================== ========

Each value is checked by the domain (:func:`jieneng.core.projects.spec.project_spec`);
what needs the database (owners exist and are in scope, the code is new, the region
holds the owners) by :mod:`jieneng.services.projects.imports`. Each problem names file,
row and column in zh and en. A registry file holds hundreds of projects, so rows are
checked one by one, as :mod:`.meters` does.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from jieneng.core.codes import make_credit_code
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.projects.spec import ProjectSpec, project_spec

from .issues import make_issue
from .numbers import parse_number
from .reader import DEFAULT_MAX_BYTES, ROW
from .table_rows import TableRows, open_rows

COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("项目编号", "项目代码", "code"),
    "name": ("项目名称", "name"),
    "type": ("项目类型", "类型", "type"),
    "subtype": ("合同类型", "子类型", "合同模式", "subtype"),
    "owners": ("业主单位信用代码", "业主单位", "统一社会信用代码", "owners"),
    "region_code": ("统计地区代码", "地区代码", "region_code"),
    "year": ("年度", "项目年度", "year"),
    "esco_name": ("节能服务公司", "服务公司", "esco_name"),
    "esco_credit_code": ("服务公司信用代码", "esco_credit_code"),
    "funding_source": ("资金来源", "funding_source"),
    "ipmvp_option": ("IPMVP选项", "测量验证选项", "ipmvp_option"),
    "area_m2": ("改造面积", "area_m2"),
    "pv_kwp": ("光伏装机容量", "装机容量", "pv_kwp"),
    "heat_pumps": ("热泵台数", "heat_pumps"),
    "heat_pump_kw": ("热泵容量", "heat_pump_kw"),
    "investment_yuan": ("投资额", "总投资", "investment_yuan"),
    "expected_tce": ("预计节能量", "expected_tce"),
    "expected_yuan": ("预计节约费用", "预计节能效益", "expected_yuan"),
    "planned_start": ("计划开始日期", "开工日期", "planned_start"),
    "planned_end": ("计划完成日期", "竣工日期", "planned_end"),
    "description": ("项目说明", "备注", "description"),
}
REQUIRED: tuple[str, ...] = ("code", "name", "type", "owners")
NUMBERS: tuple[str, ...] = ("year", "area_m2", "pv_kwp", "heat_pumps", "heat_pump_kw",
                            "investment_yuan", "expected_tce", "expected_yuan")
_MONEY = ("investment_yuan", "expected_yuan")
_TEXTS = ("esco_name", "esco_credit_code", "funding_source", "region_code", "description")
_SPLIT = re.compile(r"[;；,，、\s]+")
#: refusal code → the field it concerns (when its details do not say)
_FIELD_OF = {"project_type_unknown": "type", "project_subtype_not_allowed": "subtype",
             "project_subtype_required": "subtype", "project_subtype_unknown": "subtype",
             "project_ipmvp_unknown": "ipmvp_option", "project_code_invalid": "code",
             "project_dates_order": "planned_end", "project_year_invalid": "year"}


@dataclass
class ProjectRows(TableRows):
    """The parsed file: one checked spec per valid row (``rows``: row number → spec),
    every issue, and the header of each field as written."""

    rows: dict[int, ProjectSpec] = field(default_factory=dict)


def parse_projects(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ProjectRows:
    """The rows of a projects file and the issues found without the database."""
    out, table = open_rows(ProjectRows, path, COLUMNS, REQUIRED, max_bytes=max_bytes)
    if table is None:
        return out
    frame = table.frame.with_columns(
        (parse_number(pl.col(out.columns[f])) * (10_000 if f in _MONEY
                                                 and "万元" in out.columns[f] else 1))
        .alias(f"__{f}") for f in NUMBERS if f in out.columns)
    out.rows_read = frame.height
    for record in frame.iter_rows(named=True):  # a registry file: hundreds of rows
        _row(out, record)
    _duplicates(out)
    if not out.rows and not out.errors:
        out.issues.append(make_issue("import.empty", file=out.file, sheet=out.sheet))
    return out


def _row(out: ProjectRows, record: dict[str, Any]) -> None:
    row = int(record[ROW])
    cell = {f: out.cell(record, f) for f in COLUMNS}
    if all(cell[f] is None for f in REQUIRED):
        return  # an empty line
    before = len(out.issues)
    for fld in REQUIRED:
        if cell[fld] is None:
            out.issues.append(make_issue("import.missing_value", file=out.file,
                                         sheet=out.sheet, row=row, column=out.columns[fld]))
    numbers: dict[str, Any] = {}
    for f in NUMBERS:
        if cell[f] is None:
            continue
        numbers[f] = record.get(f"__{f}")
        if numbers[f] is None:
            out.issues.append(make_issue("import.not_a_number", file=out.file, sheet=out.sheet,
                                         row=row, column=out.columns[f], value=cell[f]))
    dates = {f: _date(out, row, f, cell[f]) for f in ("planned_start", "planned_end")}
    if len(out.issues) > before:
        return
    year = numbers.pop("year", None)
    try:
        spec = project_spec(
            code=cell["code"] or "", name=cell["name"] or "", type_text=cell["type"] or "",
            owners=_SPLIT.split(cell["owners"] or ""), subtype_text=cell["subtype"],
            ipmvp_text=cell["ipmvp_option"], year=None if year is None else int(year),
            **numbers, **dates, **{f: cell[f] for f in _TEXTS})
    except ValidationFailed as err:
        fld = str(err.details.get("field") or _FIELD_OF.get(err.code, ""))
        out.issues.append(out.issue(row, fld or None, cell.get(fld), err))
        return
    out.rows[row] = spec


def _date(out: ProjectRows, row: int, fld: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.replace("/", "-").split(" ")[0].split("T")[0])
    except ValueError:
        out.issues.append(out.issue(row, fld, text, ValidationFailed.of(
            "project_date_invalid", field=fld, value=text)))
        return None


def _duplicates(out: ProjectRows) -> None:
    """A project code twice in the file."""
    first: dict[str, int] = {}
    for row, spec in sorted(out.rows.items()):
        seen = first.setdefault(spec.code, row)
        if seen != row:
            out.issues.append(make_issue("import.duplicate_key", file=out.file,
                                         sheet=out.sheet, row=row,
                                         column=out.columns.get("code"), first_row=seen,
                                         key=spec.code))
    bad = {i.row for i in out.errors}
    out.rows = {r: s for r, s in out.rows.items() if r not in bad}


TEMPLATE_HEADERS: tuple[str, ...] = (
    "项目编号", "项目名称", "项目类型", "合同类型", "业主单位信用代码", "统计地区代码", "年度",
    "节能服务公司", "资金来源", "IPMVP选项", "改造面积（平方米）", "光伏装机容量（kWp）",
    "热泵台数", "热泵容量（kW）", "投资额（元）", "预计节能量（吨标准煤）", "预计节约费用（元）",
    "计划开始日期", "计划完成日期", "项目说明")
_ORGAN = make_credit_code("11", "450300", 1)
_SCHOOL = make_credit_code("12", "450321", 2)
TEMPLATE_EXAMPLES: tuple[tuple[str, ...], ...] = (
    ("TG-2026-001", "某中学能源费用托管", "合同能源管理", "能源费用托管型", _SCHOOL, "", "2026",
     "某节能服务有限公司", "节能服务公司投资", "C", "20000", "", "", "", "3500000", "350",
     "600000", "2026-03-01", "2031-02-28", "空调、照明、供热系统托管"),
    ("PV-2026-001", "机关院区屋顶分布式光伏（打捆）", "分布式光伏", "", f"{_ORGAN}；{_SCHOOL}",
     "450300", "2026", "", "财政资金", "B", "", "300", "", "", "1200000", "", "", "2026-04-01",
     "2026-09-30", ""),
)


def template_csv() -> bytes:
    """The projects file's template: UTF-8 CSV (with BOM, for Excel), the header and two
    example rows (a trusteeship project; a packaged PV project of two owners)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(TEMPLATE_HEADERS)
    writer.writerows(TEMPLATE_EXAMPLES)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
