"""A campaign/evaluation scheme from a spreadsheet (issue 14 §2): file → a checked
:class:`~jieneng.core.campaigns.scheme.Scheme`, or every problem by row and column.

The file is one table, one row per line of the scheme (``jieneng campaigns scheme
template`` writes an example); xlsx or csv (UTF-8 or GBK); headers in Chinese or
English, in any order:

============ ============================================ ===================================
field        headers                                      values
============ ============================================ ===================================
``kind``     行类型, 类型, kind                             方案 scheme, 参数 param, 分组 block,
                                                          指标 item, 分档 band, 通过规则 pass,
                                                          等级 grade
``code``     编号, 代码, code
``parent``   上级编号, 上级, parent
``name_zh``  名称, 中文名称, name_zh
``name_en``  英文名称, name_en
``points``   分值, points
``rule``     评分方式, rule                                计算 computed, 分档 band,
                                                          材料 checklist, 现场 inspection
``measure``  数据指标, measure                              an indicator or named measure code
``basis``    比较基准, basis                                同类平均 peer, 数值 value
``compare``  比较, compare                                  ``<=1.3`` …; for bands upper|lower
``lower``    下限, lower; ``upper`` 上限, upper
``value``    值, 参数值, value
``veto``     否决项, veto                                   ★
``full_if``  满分条件, full_if; ``applies`` 适用类别, applies
``evidence`` 佐证材料, 证据要求, evidence
``source``   来源, 依据, source; ``status`` 来源状态, 状态, status (已找到 found, 部分 partial,
             平台约定 convention); ``note`` 备注, 说明, note
============ ============================================ ===================================

All or nothing, like the other imports: the scheme comes back only when no row has a
problem (:func:`jieneng.core.campaigns.validate.build_scheme` checks the sums, codes,
parents, pass rules and bands); each problem names file, sheet, row and column in zh
and en. A scheme holds tens of rows, so they are handed over as a list.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from jieneng.core.campaigns.scheme import COLUMNS, Scheme
from jieneng.core.campaigns.shipped import to_csv
from jieneng.core.campaigns.validate import build_scheme
from jieneng.core.exceptions import ImportRejected

from ._common import ColumnSpec, map_headers
from .issues import make_issue, rejection
from .reader import DEFAULT_MAX_BYTES, ROW
from .table_rows import TableRows, read_rows

SPECS: tuple[ColumnSpec, ...] = (
    ColumnSpec("kind", ("行类型", "类型", "kind"), required=True),
    ColumnSpec("code", ("编号", "代码", "code"), required=True),
    ColumnSpec("parent", ("上级编号", "上级", "parent")),
    ColumnSpec("name_zh", ("名称", "中文名称", "name_zh", "name")),
    ColumnSpec("name_en", ("英文名称", "name_en")),
    ColumnSpec("points", ("分值", "分数", "points"), required=True),
    ColumnSpec("rule", ("评分方式", "规则", "rule")),
    ColumnSpec("measure", ("数据指标", "指标代码", "measure")),
    ColumnSpec("basis", ("比较基准", "基准", "basis")),
    ColumnSpec("compare", ("比较", "compare")),
    ColumnSpec("lower", ("下限", "lower")),
    ColumnSpec("upper", ("上限", "upper")),
    ColumnSpec("value", ("值", "参数值", "value")),
    ColumnSpec("veto", ("否决项", "否决", "veto")),
    ColumnSpec("full_if", ("满分条件", "full_if")),
    ColumnSpec("applies", ("适用类别", "applies")),
    ColumnSpec("evidence", ("佐证材料", "证据要求", "evidence")),
    ColumnSpec("source", ("来源", "依据", "source")),
    ColumnSpec("status", ("来源状态", "状态", "status")),
    ColumnSpec("note", ("备注", "说明", "note")),
)
#: Chinese cell values → the canonical ones, per field
WORDS: dict[str, dict[str, str]] = {
    "kind": {"方案": "scheme", "参数": "param", "分组": "block", "模块": "block",
             "指标": "item", "项目": "item", "分档": "band", "通过规则": "pass",
             "等级": "grade"},
    "rule": {"计算": "computed", "平台计算": "computed", "分档": "band", "材料": "checklist",
             "清单": "checklist", "现场": "inspection", "现场检查": "inspection"},
    "basis": {"同类平均": "peer", "数值": "value"},
    "status": {"已找到": "found", "部分": "partial", "部分找到": "partial",
               "平台约定": "convention"},
    "compare": {"含上限": "upper", "含下限": "lower"},
}
_PASS = {"最低分": "min_score", "否决": "veto", "必达": "block_met"}


@dataclass
class SchemeFile(TableRows):
    """A parsed scheme file: the scheme (None when any error), every issue, the
    canonical CSV of the scheme (what is stored) and the file's SHA-256."""

    scheme: Scheme | None = None
    canonical: str = ""

    @property
    def ok(self) -> bool:
        return self.scheme is not None and not self.errors

    def rejection(self) -> ImportRejected:
        return rejection(self.file, self.errors)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical.encode("utf-8")).hexdigest()


def parse_scheme(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> SchemeFile:
    """The scheme of the file at ``path`` and the issues found."""
    out, table = read_rows(SchemeFile, path, (n for s in SPECS for n in s.names),
                           max_bytes=max_bytes)
    if table is None:
        return out
    mapped, _ = map_headers(table, SPECS, out.issues)
    if out.errors:
        return out
    out.columns = {key: m.column for key, m in mapped.items()}
    rows: list[dict[str, str | None]] = []
    at: list[int] = []
    for record in table.frame.iter_rows(named=True):  # a scheme: tens of rows
        rows.append(_canonical({k: record.get(h) for k, h in out.columns.items()}))
        at.append(int(record[ROW]))
    out.rows_read = len(rows)
    scheme, problems = build_scheme(rows, rows_at=at)
    out.issues += [out.issue(p.row, p.column, _cell(rows, at, p.row, p.column), p.error())
                   for p in problems]
    if scheme is not None and not out.errors:
        out.scheme = scheme
        out.canonical = to_csv([{c: (r.get(c) or "") for c in COLUMNS} for r in rows])
    if not rows and not out.errors:
        out.issues.append(make_issue("import.empty", file=out.file, sheet=out.sheet))
    return out


def _canonical(cells: dict[str, object]) -> dict[str, str | None]:
    """Cells as text, with the Chinese words of the coded fields made canonical."""
    out: dict[str, str | None] = {}
    for key, value in cells.items():
        text = None if value is None else str(value).strip()
        if text and key in WORDS:
            text = WORDS[key].get(text, text)
        out[key] = text
    if out.get("kind") == "pass" and out.get("code"):
        out["code"] = _PASS.get(str(out["code"]), out["code"])
    return out


def _cell(rows: list[dict[str, str | None]], at: list[int], row: int | None,
          column: str | None) -> str | None:
    if row is None or column is None or row not in at:
        return None
    return rows[at.index(row)].get(column)


TEMPLATE_HEADERS: tuple[str, ...] = (
    "行类型", "编号", "上级编号", "名称", "英文名称", "分值", "评分方式", "数据指标", "比较基准",
    "比较", "下限", "上限", "值", "否决项", "满分条件", "适用类别", "佐证材料", "来源",
    "来源状态", "备注")
TEMPLATE_EXAMPLES: tuple[tuple[str, ...], ...] = (
    ("方案", "local_demo_unit", "", "某市节约型公共机构示范单位（本地版）",
     "local demonstration unit", "20", "", "", "", "", "", "", "", "", "", "", "",
     "某市 2026 年评分细则", "已找到", ""),
    ("参数", "window_months", "", "", "", "", "", "", "", "", "", "", "12", "", "", "", "", "",
     "", "评价前12个月"),
    ("分组", "energy", "", "能源资源消耗指标", "energy use", "14", "", "", "", "", "", "", "", "",
     "", "", "", "", "", ""),
    ("指标", "energy.per_area", "energy", "单位建筑面积能耗", "energy per area", "7", "分档",
     "energy_per_area_kgce_m2", "同类平均", "含上限", "", "", "", "★", "", "", "", "", "", ""),
    ("分档", "", "energy.per_area", "", "", "7", "", "", "", "", "", "0.9", "", "", "", "", "",
     "", "", ""),
    ("分档", "", "energy.per_area", "", "", "4", "", "", "", "", "0.9", "1.1", "", "", "", "",
     "", "", "", ""),
    ("分档", "", "energy.per_area", "", "", "0", "", "", "", "", "1.1", "", "", "", "", "", "",
     "", "", ""),
    ("指标", "energy.targets", "energy", "年度目标完成", "targets met", "7", "计算",
     "targets_met", "", ">=1", "", "", "", "", "", "", "", "", "", ""),
    ("指标", "management", "", "管理制度", "management", "6", "材料", "", "", "", "", "", "",
     "", "", "", "制度文件", "", "", ""),
    ("通过规则", "最低分", "", "", "", "", "", "", "", "", "", "", "15", "", "", "", "", "", "",
     ""),
    ("通过规则", "否决", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""),
    ("等级", "A", "", "优秀", "excellent", "", "", "", "", "", "18", "", "", "", "", "", "", "",
     "", ""),
    ("等级", "B", "", "合格", "pass", "", "", "", "", "", "15", "", "", "", "", "", "", "", "",
     ""),
)


def template_csv() -> bytes:
    """The scheme file's template: UTF-8 CSV with BOM (for Excel), the Chinese header
    and a small local scheme that passes the checks."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(TEMPLATE_HEADERS)
    writer.writerows(TEMPLATE_EXAMPLES)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
