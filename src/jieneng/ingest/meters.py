"""Bulk binding of utility accounts (户号) and meters: file → validated rows.

One row binds an account to an institution, registers a meter, or both (a meter
billed under the account). Headers in Chinese or English (any order; units in
brackets ignored):

======================== ==================================================== =========
field                    headers                                              required
======================== ==================================================== =========
``credit_code``          统一社会信用代码, 信用代码, 单位代码, credit_code          yes
``carrier``              能源品种, 品种, 能源类型, carrier (电 / 水 / 天然气 / code) yes
``account``              户号, 用户编号, 客户编号, account                         one of
``meter``                表号, 计量表编号, 计量点编号, meter                        the two
``utility``              供能单位, 供电公司, 供水公司, 供气公司, utility
``valid_from``           绑定日期, 起始日期, valid_from (YYYY-MM-DD; default today)
``meter_name``           计量表名称, 表名称, meter_name
``item_code``            分项编码, 分项, item_code (01A00 …)
``ct`` / ``pt``          CT变比, 电流互感器变比, ct / PT变比, 电压互感器变比, pt
``multiplier``           倍率, multiplier (instead of CT and PT)
``register``             表计类型, 读数类型, register (累计 / 区间)
``unit``                 计量单位, unit
``parent``               上级表号, 上级计量表, parent
======================== ==================================================== =========

Every value is checked here by the domain (:mod:`jieneng.core.codes`,
:mod:`jieneng.core.metering`); what needs the database (the institution exists and is
in scope, the account is free, the parent exists) is checked by
:mod:`jieneng.services.metering.imports`. Each problem is an :class:`ImportIssue`
naming file, row and column in zh and en. Registry files are small (one row per
account or meter of a city: thousands, not millions), so rows are checked one by
one, as :mod:`.prices` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from jieneng.core import chinatime
from jieneng.core.carriers import CARRIER_CODES, carrier, carrier_by_name
from jieneng.core.codes import make_credit_code, validate_credit_code
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.metering import Meter, Multiplier, RegisterKind

from .issues import make_issue
from .numbers import parse_number
from .reader import DEFAULT_MAX_BYTES, ROW
from .table_rows import TableRows, open_rows

#: field → accepted headers (folded as the reader folds them)
COLUMNS: dict[str, tuple[str, ...]] = {
    "credit_code": ("统一社会信用代码", "信用代码", "单位代码", "credit_code"),
    "carrier": ("能源品种", "品种", "能源类型", "carrier"),
    "account": ("户号", "用户编号", "客户编号", "account"),
    "meter": ("表号", "计量表编号", "计量点编号", "meter"),
    "utility": ("供能单位", "供电公司", "供水公司", "供气公司", "utility"),
    "valid_from": ("绑定日期", "起始日期", "valid_from"),
    "meter_name": ("计量表名称", "表名称", "meter_name"),
    "item_code": ("分项编码", "分项", "item_code"),
    "ct": ("CT变比", "电流互感器变比", "ct"),
    "pt": ("PT变比", "电压互感器变比", "pt"),
    "multiplier": ("倍率", "multiplier"),
    "register": ("表计类型", "读数类型", "register"),
    "unit": ("计量单位", "unit"),
    "parent": ("上级表号", "上级计量表", "parent"),
}
_REGISTERS = {"累计": "cumulative", "累计示值": "cumulative", "CUMULATIVE": "cumulative",
              "区间": "interval", "区间用量": "interval", "INTERVAL": "interval"}
_NUMBERS = ("ct", "pt", "multiplier")


@dataclass
class MeterRows(TableRows):
    """The parsed file: ``rows`` (one dict per valid data row, with ``row``) and every
    issue; ``columns`` maps each field to its header as written in the file."""

    rows: list[dict[str, Any]] = field(default_factory=list)


def parse_meters(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
                 today: date | None = None) -> MeterRows:
    """The rows of a registry file and the issues found without the database."""
    out, table = open_rows(MeterRows, path, COLUMNS,
                           ("credit_code", "carrier", ("account", "meter")),
                           max_bytes=max_bytes)
    if table is None:
        return out
    frame = table.frame.with_columns(
        parse_number(pl.col(out.columns[f])).alias(f"__{f}") for f in _NUMBERS
        if f in out.columns)
    out.rows_read = frame.height
    for record in frame.iter_rows(named=True):  # a registry file: thousands of rows
        parsed = _row(out, record, today or chinatime.today())
        if parsed is not None:
            out.rows.append(parsed)
    _duplicates(out)
    if not out.rows and not out.errors:
        out.issues.append(make_issue("import.empty", file=out.file, sheet=out.sheet))
    return out


def _row(out: MeterRows, record: dict[str, Any], today: date) -> dict[str, Any] | None:
    row = int(record[ROW])
    before = len(out.issues)
    cell = {f: out.cell(record, f) for f in COLUMNS}

    def fail(fld: str, err: ValidationFailed) -> None:
        out.issues.append(out.issue(row, fld, cell.get(fld), err))

    def missing(fld: str) -> None:
        out.issues.append(make_issue("import.missing_value", file=out.file, sheet=out.sheet,
                                     row=row, column=out.columns.get(fld, fld)))

    values: dict[str, Any] = {"row": row, **{f: cell[f] for f in (
        "account", "meter", "utility", "meter_name", "unit", "parent")}}
    try:
        values["credit_code"] = validate_credit_code(cell["credit_code"] or "")
    except ValidationFailed as err:
        missing("credit_code") if cell["credit_code"] is None else fail("credit_code", err)
    try:
        name = cell["carrier"] or ""
        values["carrier"] = (carrier(name) if name in CARRIER_CODES else carrier_by_name(name)).code
    except ValidationFailed as err:
        missing("carrier") if cell["carrier"] is None else fail("carrier", err)
    if cell["account"] is None and cell["meter"] is None:
        missing("account" if "account" in out.columns else "meter")
    values["valid_from"] = _date(out, row, cell["valid_from"], today)
    numbers = {f: record.get(f"__{f}") for f in _NUMBERS}
    for f in _NUMBERS:
        if cell[f] is not None and numbers[f] is None:
            out.issues.append(make_issue("import.not_a_number", file=out.file,
                                         sheet=out.sheet, row=row,
                                         column=out.columns[f], value=cell[f]))
    if cell["meter"] is not None and "carrier" in values:
        values["meter_spec"] = _meter(out, row, cell, numbers, values["carrier"], fail)
    return values if len(out.issues) == before else None


def _date(out: MeterRows, row: int, text: str | None, today: date) -> date | None:
    if text is None:
        return today
    try:
        return date.fromisoformat(text.replace("/", "-").split(" ")[0].split("T")[0])
    except ValueError:
        out.issues.append(out.issue(row, "valid_from", text, "metering.registry.bad_date"))
        return None


def _meter(out: MeterRows, row: int, cell: dict[str, str | None],
           numbers: dict[str, float | None], carrier_code: str, fail: Any) -> Meter | None:
    register = _REGISTERS.get((cell["register"] or "累计").upper())
    if register is None:
        fail("register", ValidationFailed.of("metering.registry.bad_register",
                                             value=cell["register"]))
        return None
    multiplier = numbers["multiplier"]
    try:
        ct, pt = numbers["ct"], numbers["pt"]
        ratio = (Multiplier(multiplier) if multiplier is not None and ct is None
                 else Multiplier(1.0 if ct is None else ct, 1.0 if pt is None else pt))
    except ValidationFailed as err:
        fail("multiplier" if multiplier is not None else "ct", err)
        return None
    try:
        return Meter(cell["meter"] or "", carrier_code,
                     (cell["item_code"] or "").upper() or None, ratio, RegisterKind(register),
                     cell["unit"], cell["parent"])
    except ValidationFailed as err:
        where = {"metering.unknown_item_code": "item_code",
                 "metering.item_code_carrier": "item_code", "metering.parent_cycle": "parent"}
        fail(where.get(err.code, "unit"), err)
        return None


def _duplicates(out: MeterRows) -> None:
    """A meter twice for one institution, or an account bound to two institutions in
    the file (one account → one institution at a time)."""
    meters: dict[tuple[str, str], int] = {}
    accounts: dict[tuple[str, str], tuple[int, str]] = {}
    for values in out.rows:
        row = values["row"]
        if values["meter"] is not None:
            key = (values["credit_code"], values["meter"])
            if key in meters:
                out.issues.append(make_issue(
                    "import.duplicate_key", file=out.file, sheet=out.sheet, row=row,
                    column=out.columns.get("meter"), first_row=meters[key],
                    key=" / ".join(key)))
            meters.setdefault(key, row)
        if values["account"] is not None:
            akey = (values["carrier"], values["account"])
            first = accounts.setdefault(akey, (row, values["credit_code"]))
            if first[1] != values["credit_code"]:
                out.issues.append(out.issue(
                    row, "account", values["account"], "metering.registry.account_twice",
                    account=values["account"], first_row=first[0], other=first[1]))
    bad = {i.row for i in out.errors}
    out.rows = [v for v in out.rows if v["row"] not in bad]


#: the template's header (the first name of each field) and one example row
TEMPLATE_FIELDS: tuple[str, ...] = ("credit_code", "carrier", "account", "utility",
                                    "valid_from", "meter", "meter_name", "item_code", "ct",
                                    "pt", "register", "unit", "parent")
TEMPLATE_EXAMPLE: tuple[str, ...] = (make_credit_code("11", "450300", 1), "电", "0301234567",
                                     "广西电网", "2026-01-01", "M-01", "总表", "01000", "40", "100",
                                     "累计", "kWh", "")


def template_csv() -> bytes:
    """The registry file's template: UTF-8 CSV (with BOM, for Excel), the header and an
    example row."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([COLUMNS[f][0] for f in TEMPLATE_FIELDS])
    writer.writerow(TEMPLATE_EXAMPLE)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
