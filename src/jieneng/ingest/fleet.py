"""Vehicles, parking and coal-fired equipment from a spreadsheet: file → checked rows.

The kind of a file is read from its headers (a fuel column: vehicles; a parking-spaces
column: parking; an equipment-kind column: coal-fired equipment) or given. Headers in
Chinese or English, any order, units in brackets ignored; .xlsx or .csv (UTF-8, BOM,
GBK/GB18030) through :func:`jieneng.ingest.reader.read_table`:

============== ========================================================== =========
kind / field   headers                                                    required
============== ========================================================== =========
every kind     统一社会信用代码, 信用代码, 单位代码, credit_code               yes
vehicles       车辆编号, 内部编号, vehicle_no — or 车牌号, 号牌号码, plate      one of
               燃料类型, 动力类型, 能源类型, fuel (汽油 / 纯电动 / 插电混动 …)   yes
               购置年份, 购置年度, purchase_year                              yes
               状态, 车辆状态, status (在用 / 已处置; default 在用)
               处置年份, 报废年份, disposed_year
parking        年份, 年度, year; 停车位数, 停车位, parking_spaces;              yes
               充电车位数, 充电车位, charging_spaces
coal_equipment 设备编号, equipment_no; 设备类型, 设备种类, kind                 yes
               额定容量, 容量, capacity; 容量单位, capacity_unit;
               状态, 设备状态, status (在用 / 备用 / 已拆除; default 在用);
               拆除日期, removed_on (YYYY-MM-DD)
============== ========================================================== =========

A plate number is never stored: it becomes ``plate:`` + the first 32 hex digits of its
SHA-256 (no personal data; the same plate gives the same key). Every value is checked
here by the domain (:mod:`jieneng.core.fleet`); the institution (exists, in scope) is
checked by :mod:`jieneng.services.fleet`. Each problem is an :class:`ImportIssue`
naming file, row and column in zh and en. Registers of vehicles and equipment are a
city's thousands of rows, so rows are checked one by one, as :mod:`.meters` does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from jieneng.core import fleet
from jieneng.core.carriers import normalise_label
from jieneng.core.codes import validate_credit_code
from jieneng.core.exceptions import ValidationFailed

from .issues import make_issue
from .reader import DEFAULT_MAX_BYTES, ROW
from .table_rows import TableRows, read_rows

KINDS: tuple[str, ...] = ("vehicles", "parking", "coal_equipment")

_CODE = ("统一社会信用代码", "信用代码", "单位代码", "credit_code")
#: kind → field → accepted headers
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "vehicles": {
        "credit_code": _CODE,
        "vehicle_no": ("车辆编号", "内部编号", "车辆内部编号", "vehicle_no"),
        "plate": ("车牌号", "车牌号码", "号牌号码", "plate"),
        "fuel": ("燃料类型", "动力类型", "能源类型", "fuel"),
        "purchase_year": ("购置年份", "购置年度", "购买年份", "purchase_year"),
        "status": ("状态", "车辆状态", "status"),
        "disposed_year": ("处置年份", "报废年份", "disposed_year"),
    },
    "parking": {
        "credit_code": _CODE,
        "year": ("年份", "年度", "year"),
        "parking_spaces": ("停车位数", "停车位", "车位数", "parking_spaces"),
        "charging_spaces": ("充电车位数", "充电车位", "充电桩车位数", "charging_spaces"),
    },
    "coal_equipment": {
        "credit_code": _CODE,
        "equipment_no": ("设备编号", "equipment_no"),
        "kind": ("设备类型", "设备种类", "kind"),
        "capacity": ("额定容量", "容量", "capacity"),
        "capacity_unit": ("容量单位", "capacity_unit"),
        "status": ("状态", "设备状态", "status"),
        "removed_on": ("拆除日期", "拆除时间", "removed_on"),
    },
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "vehicles": ("credit_code", "fuel", "purchase_year"),
    "parking": ("credit_code", "year", "parking_spaces", "charging_spaces"),
    "coal_equipment": ("credit_code", "equipment_no", "kind"),
}
#: the header that tells a kind from the others
_MARK = {"vehicles": "fuel", "parking": "parking_spaces", "coal_equipment": "kind"}
_YEARS = (1950, 2100)


@dataclass
class FleetRows(TableRows):
    """The parsed file: its ``kind``, ``rows`` (storage shape plus ``row`` and
    ``credit_code``) and every issue; ``columns`` maps fields to headers as written."""

    kind: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)


def plate_key(plate: str) -> str:
    """The stored key of a plate number: ``plate:`` + 32 hex digits of SHA-256 of the
    folded plate (no plate is stored)."""
    folded = normalise_label(plate).upper()
    return "plate:" + hashlib.sha256(folded.encode("utf-8")).hexdigest()[:32]


def parse_fleet(path: Path, *, kind: str | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES) -> FleetRows:
    """The rows of a vehicle, parking or coal-equipment file and the issues found
    without the database."""
    out, table = read_rows(FleetRows, path, (h for cols in COLUMNS.values()
                                             for names in cols.values() for h in names),
                           max_bytes=max_bytes)
    if table is None:
        return out
    folded = {normalise_label(h.split("（")[0].split("(")[0]): h for h in table.headers}
    out.kind = kind or next((k for k in KINDS if any(
        normalise_label(n) in folded for n in COLUMNS[k][_MARK[k]])), None)
    if out.kind is None:
        out.issues.append(out.issue(None, None, None, "fleet.import.unknown_kind"))
        return out
    for fld, names in COLUMNS[out.kind].items():
        found = next((folded[normalise_label(n)] for n in names
                      if normalise_label(n) in folded), None)
        if found is not None:
            out.columns[fld] = found
    for fld in REQUIRED[out.kind]:
        if fld not in out.columns:
            out.issues.append(make_issue("import.missing_column", file=out.file,
                                         sheet=out.sheet, column=COLUMNS[out.kind][fld][0]))
    if out.kind == "vehicles" and not {"vehicle_no", "plate"} & out.columns.keys():
        out.issues.append(make_issue("import.missing_column", file=out.file, sheet=out.sheet,
                                     column="车辆编号 / 车牌号"))
    if out.errors:
        return out
    out.rows_read = table.frame.height
    check = _ROW_CHECKS[out.kind]
    for record in table.frame.iter_rows(named=True):  # a register: thousands of rows
        parsed = _row(out, record, check)
        if parsed is not None:
            out.rows.append(parsed)
    _duplicates(out)
    if not out.rows and not out.errors:
        out.issues.append(make_issue("import.empty", file=out.file, sheet=out.sheet))
    return out


Cells = dict[str, str | None]
Check = Callable[[FleetRows, int, Cells, dict[str, Any]], None]


def _row(out: FleetRows, record: dict[str, Any], check: Check) -> dict[str, Any] | None:
    assert out.kind is not None
    row = int(record[ROW])
    before = len(out.issues)
    cell: Cells = {fld: out.cell(record, fld) for fld in COLUMNS[out.kind]}
    for fld in REQUIRED[out.kind]:
        if cell[fld] is None:
            out.issues.append(make_issue("import.missing_value", file=out.file,
                                         sheet=out.sheet, row=row, column=out.columns[fld]))
    values: dict[str, Any] = {"row": row}
    if cell["credit_code"] is not None:
        try:
            values["credit_code"] = validate_credit_code(cell["credit_code"])
        except ValidationFailed as err:
            out.issues.append(out.issue(row, "credit_code", cell["credit_code"], err))
    if len(out.issues) == before:
        check(out, row, cell, values)
    return values if len(out.issues) == before else None


def _integer(out: FleetRows, row: int, cell: Cells, fld: str, low: int, high: int,
             ) -> int | None:
    text = cell.get(fld)
    if text is None:
        return None
    try:
        number = float(text.replace(",", "").replace("，", ""))
    except ValueError:
        number = float("nan")
    if not number.is_integer() or not low <= number <= high:
        out.issues.append(out.issue(row, fld, text, "fleet.import.bad_integer",
                                    low=low, high=high))
        return None
    return int(number)


def _domain(out: FleetRows, row: int, fld: str, text: str | None,
            resolve: Callable[[str], Any]) -> Any:
    if text is None:
        return None
    try:
        return resolve(text)
    except ValidationFailed as err:
        out.issues.append(out.issue(row, fld, text, err))
        return None


def _vehicle(out: FleetRows, row: int, cell: Cells, values: dict[str, Any]) -> None:
    number = cell["vehicle_no"] or (plate_key(cell["plate"]) if cell["plate"] else None)
    if number is None:
        out.issues.append(make_issue("import.missing_value", file=out.file, sheet=out.sheet,
                                     row=row, column=out.columns.get("vehicle_no")
                                     or out.columns.get("plate")))
    kind = _domain(out, row, "fuel", cell["fuel"], fleet.fuel_kind)
    status = _domain(out, row, "status", cell["status"],
                     lambda s: fleet.status("vehicle", s)) or "in_service"
    bought = _integer(out, row, cell, "purchase_year", *_YEARS)
    disposed = _integer(out, row, cell, "disposed_year", *_YEARS)
    if bought is not None and disposed is not None and disposed < bought:
        out.issues.append(out.issue(row, "disposed_year", disposed,
                                    "fleet.import.disposed_before_purchase", year=bought))
    values.update(vehicle_no=number, fuel=kind.code if kind else None, purchase_year=bought,
                  status=status, disposed_year=disposed)


def _parking(out: FleetRows, row: int, cell: Cells, values: dict[str, Any]) -> None:
    year = _integer(out, row, cell, "year", *_YEARS)
    parking = _integer(out, row, cell, "parking_spaces", 0, 10**7)
    charging = _integer(out, row, cell, "charging_spaces", 0, 10**7)
    if parking is not None and charging is not None:
        _domain(out, row, "charging_spaces", str(charging),
                lambda _: fleet.check_charging(parking, charging))
    values.update(year=year, parking_spaces=parking, charging_spaces=charging)


def _equipment(out: FleetRows, row: int, cell: Cells, values: dict[str, Any]) -> None:
    kind = _domain(out, row, "kind", cell["kind"], fleet.equipment_kind)
    status = _domain(out, row, "status", cell["status"],
                     lambda s: fleet.status("equipment", s)) or "in_use"
    capacity = None
    if cell["capacity"] is not None:
        try:
            capacity = float(cell["capacity"].replace(",", ""))
        except ValueError:
            out.issues.append(make_issue("import.not_a_number", file=out.file,
                                         sheet=out.sheet, row=row,
                                         column=out.columns["capacity"],
                                         value=cell["capacity"]))
    removed = None
    if cell["removed_on"] is not None:
        try:
            removed = date.fromisoformat(
                cell["removed_on"].replace("/", "-").split(" ")[0].split("T")[0])
        except ValueError:
            out.issues.append(out.issue(row, "removed_on", cell["removed_on"],
                                        "fleet.import.bad_date"))
    if status == "removed" and removed is None and cell["removed_on"] is None:
        out.issues.append(out.issue(row, "removed_on", None, "fleet.import.removed_no_date"))
    values.update(equipment_no=cell["equipment_no"], kind=kind.code if kind else None,
                  capacity=capacity, capacity_unit=cell["capacity_unit"], status=status,
                  removed_on=removed)


_ROW_CHECKS: dict[str, Check] = {"vehicles": _vehicle, "parking": _parking,
                                 "coal_equipment": _equipment}
_KEY = {"vehicles": "vehicle_no", "parking": "year", "coal_equipment": "equipment_no"}


def _duplicates(out: FleetRows) -> None:
    """A key (institution + number or year) twice in one file is refused."""
    assert out.kind is not None
    fld = _KEY[out.kind]
    first: dict[tuple[str, Any], int] = {}
    for r in out.rows:
        key = (r["credit_code"], r[fld])
        if key in first:
            out.issues.append(out.issue(r["row"], fld, r[fld], "fleet.import.duplicate",
                                        first=first[key]))
        else:
            first[key] = r["row"]


_EXAMPLES: dict[str, list[str]] = {
    "vehicles": ["91450300MA5K000000", "GL-001", "", "纯电动", "2024", "在用", ""],
    "parking": ["91450300MA5K000000", "2024", "120", "12"],
    "coal_equipment": ["91450300MA5K000000", "B-01", "燃煤锅炉", "2", "t/h", "已拆除",
                       "2023-10-31"],
}


def template_csv(kind: str) -> str:
    """A blank file of ``kind``: the Chinese headers and one example row."""
    headers = [names[0] for names in COLUMNS[kind].values()]
    return ",".join(headers) + "\n" + ",".join(_EXAMPLES[kind]) + "\n"
