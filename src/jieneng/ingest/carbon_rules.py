"""Local carbon-points rules (碳普惠积分规则本地版): a spreadsheet → a checked rule set
(issue 14 §6, corrections follow-up).

One row = one rule, the columns of the shipped ``data/carbon/point_rules.csv``
(:data:`jieneng.core.carbon.points.COLUMNS`); headers in Chinese or English, any order:

===================== ================================== ========
field                 headers                            required
===================== ================================== ========
``action``            行为编号, action (a-z, 0-9, _)        yes
``label_zh``          中文名称, label_zh                   yes
``label_en``          英文名称, label_en                   yes
``unit``              单位, unit                           yes
``unit_zh``           中文单位, unit_zh                    yes
``points_per_unit``   每单位积分, points_per_unit          yes
``co2_method``        减碳计算方式, co2_method (factor_set | none)  yes
``carrier``           能源品种, carrier (with factor_set)   —
``daily_cap``         每日上限, daily_cap (empty: none)     —
``status``            来源状态, status (found | partial | convention) yes
``source``            来源, source                         yes
``notes``             备注, notes                          —
===================== ================================== ========

Checked here, every row and cell: required cells, an action code, numbers ≥ 0 (a cap
> 0), the method and status among their codes, a carrier (a platform carrier code) with
``factor_set`` and none with ``none``, lengths, no action or Chinese label twice. Each
problem names file, sheet, row and column in zh and en (:class:`ImportIssue`). The
export (:func:`rules_csv`) writes the same columns; loading it back gives the same set.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from jieneng.core.carbon.points import CO2_METHODS, COLUMNS, STATUSES, Rule, RuleSet
from jieneng.core.carriers import CARRIERS
from jieneng.core.exceptions import ValidationFailed

from .issues import make_issue
from .reader import DEFAULT_MAX_BYTES, ROW
from .table_rows import TableRows, open_rows

HEADERS: dict[str, tuple[str, ...]] = {
    "action": ("行为编号", "action"),
    "label_zh": ("中文名称", "label_zh"),
    "label_en": ("英文名称", "label_en"),
    "unit": ("单位", "unit"),
    "unit_zh": ("中文单位", "unit_zh"),
    "points_per_unit": ("每单位积分", "points_per_unit"),
    "co2_method": ("减碳计算方式", "co2_method"),
    "carrier": ("能源品种", "carrier"),
    "daily_cap": ("每日上限", "daily_cap"),
    "status": ("来源状态", "status"),
    "source": ("来源", "source"),
    "notes": ("备注", "notes"),
}
REQUIRED: tuple[str, ...] = ("action", "label_zh", "label_en", "unit", "unit_zh",
                             "points_per_unit", "co2_method", "status", "source")
LIMITS: dict[str, int] = {"action": 40, "label_zh": 100, "label_en": 100, "unit": 20,
                          "unit_zh": 20, "carrier": 40, "source": 1000, "notes": 1000}
_ACTION = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_CARRIERS = frozenset(c.code for c in CARRIERS)


@dataclass
class RuleFile(TableRows):
    """The parsed rules file: the rule set (when no error) and every issue."""

    rules: tuple[Rule, ...] | None = None


def parse_rules(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> RuleFile:
    """The rule set of the file at ``path`` and every issue found."""
    out, table = open_rows(RuleFile, path, HEADERS, REQUIRED, max_bytes=max_bytes)
    if table is None:
        return out
    made: list[Rule] = []
    first: dict[tuple[str, str], int] = {}
    for record in table.frame.iter_rows(named=True):  # a rule set: tens of rows
        cells = {f: _text(record.get(out.columns[f])) if f in out.columns else ""
                 for f in HEADERS}
        if not any(cells.values()):
            continue
        row = int(record[ROW])
        out.rows_read += 1
        rule = _row(out, row, cells)
        for fld in ("action", "label_zh"):
            key = (fld, cells[fld])
            if cells[fld] and key in first:
                out.issues.append(make_issue(
                    "import.duplicate_key", file=out.file, sheet=out.sheet, row=row,
                    column=out.columns[fld], value=cells[fld], first_row=first[key],
                    key=cells[fld]))
            first.setdefault(key, row)
        if rule is not None:
            made.append(rule)
    if not out.rows_read and not out.errors:
        out.issues.append(make_issue("import.empty", file=out.file, sheet=out.sheet))
    if not out.errors:
        out.rules = tuple(made)
    return out


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _number(out: RuleFile, row: int, fld: str, text: str, *, positive: bool) -> float | None:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")) or value < 0 \
            or value > 1e6 or (positive and value == 0):
        out.issues.append(out.issue(row, fld, text, ValidationFailed.of(
            "carbon_rules_number", field=fld, value=text[:20],
            least="> 0" if positive else "≥ 0")))
        return None
    return value


def _row(out: RuleFile, row: int, cells: dict[str, str]) -> Rule | None:
    """The row's rule, or None with its issues added."""
    before = len(out.issues)
    for fld in REQUIRED:
        if not cells[fld]:
            out.issues.append(make_issue("import.missing_value", file=out.file,
                                         sheet=out.sheet, row=row, column=out.columns[fld]))
    for fld, limit in LIMITS.items():
        if len(cells[fld]) > limit:
            out.issues.append(out.issue(row, fld, cells[fld], ValidationFailed.of(
                "carbon_points_too_long", field=fld, limit=limit)))
    if cells["action"] and not _ACTION.match(cells["action"]):
        out.issues.append(out.issue(row, "action", cells["action"], ValidationFailed.of(
            "carbon_rules_action_code", field="action", value=cells["action"][:40])))
    for fld, allowed in (("co2_method", CO2_METHODS), ("status", STATUSES)):
        if cells[fld] and cells[fld] not in allowed:
            out.issues.append(out.issue(row, fld, cells[fld], ValidationFailed.of(
                "carbon_rules_choice", field=fld, value=cells[fld][:40],
                allowed=", ".join(allowed))))
    method, carrier = cells["co2_method"], cells["carrier"]
    if (method == "factor_set" and carrier not in _CARRIERS) or (method == "none" and carrier):
        out.issues.append(out.issue(row, "carrier", carrier, ValidationFailed.of(
            "carbon_rules_carrier", field="carrier", value=carrier[:40], method=method)))
    points = (_number(out, row, "points_per_unit", cells["points_per_unit"], positive=False)
              if cells["points_per_unit"] else None)
    cap = (_number(out, row, "daily_cap", cells["daily_cap"], positive=True)
           if cells["daily_cap"] else None)
    if len(out.issues) > before or points is None:
        return None
    return Rule(cells["action"], cells["label_zh"], cells["label_en"], cells["unit"],
                cells["unit_zh"], points, method, carrier, cap, cells["status"],
                cells["source"], cells["notes"])


def _number_text(value: float | None) -> str:
    return "" if value is None else repr(value).removesuffix(".0")


def rules_csv(rule_set: RuleSet) -> bytes:
    """The rule set as a UTF-8 CSV (with BOM) in the columns of the shipped file; loading
    it back gives the same set."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in rule_set:
        cells = r.to_dict()
        writer.writerow([_number_text(cells[c]) if c in ("points_per_unit", "daily_cap")
                         else cells[c] for c in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
