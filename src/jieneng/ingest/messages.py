"""The catalogue of import issue codes and their bilingual message templates.

One place for every text an import can show (Home Assistant style: stable codes,
translated templates). Templates are :meth:`str.format` strings; the
placeholders each code uses are listed in its templates. Codes are stable: tools
and tests match on them, never on the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    severity: Severity
    zh: str
    en: str


def _e(zh: str, en: str) -> MessageTemplate:
    return MessageTemplate("error", zh, en)


def _w(zh: str, en: str) -> MessageTemplate:
    return MessageTemplate("warning", zh, en)


#: code → default severity and the zh / en templates.
MESSAGES: dict[str, MessageTemplate] = {
    # --- the file as a whole ---
    "import.file_too_large": _e(
        "文件“{file}”大小 {size} 字节，超过上限 {limit} 字节",
        "{file!r} is {size} bytes, over the limit of {limit} bytes",
    ),
    "import.unsupported_format": _e(
        "文件“{file}”的格式“{value}”不受支持，请另存为 .xlsx 或 .csv 后再导入",
        "{file!r}: the format {value!r} is not supported; save it as .xlsx or .csv",
    ),
    # no library text or path: the file may be damaged, renamed or not a spreadsheet
    "import.unreadable": _e(
        "无法读取文件“{file}”：文件已损坏，或内容与扩展名不符（不是 Excel 工作簿或 CSV 文件）。"
        "请用 Excel 打开后另存为 .xlsx 再导入",
        "{file!r} cannot be read: it is damaged or its content does not match its extension "
        "(not an Excel workbook or CSV file); open it in Excel and save it as .xlsx",
    ),
    "import.encrypted": _e(
        "文件“{file}”设有密码保护，请取消密码后再导入",
        "{file!r} is password-protected; remove the password and import it again",
    ),
    # limits on what a file may expand to (jieneng.ingest.limits)
    "import.unpacks_too_large": _e(
        "文件“{file}”解压后超过 {limit} MB 的上限，无法导入",
        "{file!r} unpacks to more than the limit of {limit} MB and cannot be imported",
    ),
    "import.too_many_parts": _e(
        "文件“{file}”包含的部件超过 {limit} 个，不是正常的 Excel 工作簿",
        "{file!r} holds more than {limit} parts, which is not a normal Excel workbook",
    ),
    "import.too_many_rows": _e(
        "文件“{file}”的表格到达第 {value} 行，超过上限 {limit:,} 行；请拆分为多个文件",
        "{file!r} reaches row {value}, over the limit of {limit:,} rows; split the file",
    ),
    "import.too_many_columns": _e(
        "文件“{file}”的表格有 {value} 列，超过上限 {limit:,} 列",
        "{file!r} has {value} columns, over the limit of {limit:,} columns",
    ),
    "import.too_many_cells": _e(
        "文件“{file}”的表格范围为 {rows:,} 行 × {columns:,} 列，超过 {limit:,} 个单元格的上限"
        "（请删除远处的空白或零散单元格，或拆分文件）",
        "{file!r} spans {rows:,} rows × {columns:,} columns, over the limit of {limit:,} "
        "cells (delete stray cells far from the table, or split the file)",
    ),
    "import.too_many_strings": _e(
        "文件“{file}”声明或包含 {value} 个文本，超过上限 {limit:,} 个",
        "{file!r} declares or holds {value} texts, over the limit of {limit:,}",
    ),
    "import.bad_encoding": _e(
        "无法识别 CSV 文件的字符编码（应为 UTF-8 或 GBK/GB18030）",
        "cannot decode the CSV file (expected UTF-8 or GBK/GB18030)",
    ),
    "import.sheet_not_found": _e(
        "找不到工作表“{value}”", "sheet {value!r} not found"
    ),
    "import.header_not_found": _e(
        "前 {rows} 行中找不到表头（应包含：{expected}）",
        "no header row found in the first {rows} rows (expected: {expected})",
    ),
    "import.empty": _e("表头下没有数据行", "no data rows below the header"),
    "import.more_issues": _e(
        "另有 {value} 处错误或警告未逐一列出（每个文件最多列出 {limit:,} 处）",
        "{value} more errors or warnings are not listed (at most {limit:,} per file)",
    ),
    # --- headers (reported once, not per row) ---
    "import.missing_column": _e(
        "缺少必填列“{column}”", "required column {column!r} is missing"
    ),
    "import.unknown_header": _e(
        "无法识别的列“{column}”：{detail_zh}",
        "unrecognised column {column!r}: {detail_en}",
    ),
    "import.ignored_column": _w(
        "无法识别的列“{column}”，已忽略", "unrecognised column {column!r} was ignored"
    ),
    "import.duplicate_column": _e(
        "列“{column}”与列“{other}”重复", "column {column!r} duplicates column {other!r}"
    ),
    "import.missing_unit": _e(
        "列“{column}”未注明计量单位，请写成“名称(单位)”，如“电(千瓦时)”",
        "column {column!r} has no unit; write it as name(unit), e.g. 电(千瓦时)",
    ),
    "import.no_carrier_columns": _e(
        "没有能源品种列：宽表每个品种一列，写成“名称(单位)”，如“电(千瓦时)”；"
        "长表须有“能源品种、数量、单位”列",
        "no carrier columns: a wide file has one column per carrier written name(unit), "
        "e.g. 电(千瓦时); a long file has 能源品种, 数量 and 单位 columns",
    ),
    # --- cell values ---
    "import.missing_value": _e(
        "“{column}”为必填项", "{column!r} is required"
    ),
    "import.not_a_number": _e(
        "“{value}”不是有效数字", "{value!r} is not a valid number"
    ),
    "import.not_an_integer": _e(
        "“{value}”应为整数", "{value!r} must be a whole number"
    ),
    "import.negative": _e(
        "“{value}”为负数，不允许", "{value!r} is negative, which is not allowed"
    ),
    "import.unknown_indicator": _e(
        "定额指标“{value}”未知，可用：{known}", "unknown quota indicator {value!r}; known: {known}"
    ),
    "import.unknown_target_metric": _e(
        "目标指标“{value}”未知，可用：{known}", "unknown target metric {value!r}; known: {known}"
    ),
    "import.bad_target_value": _e(
        "目标值“{value}”无效：总量上限应 ≥ 0，下降率（%）应在 -100 到 100 之间",
        "target {value!r} is invalid: a cap must be ≥ 0, a reduction (%) between -100 and 100",
    ),
    "import.quota_levels": _e(
        "约束值 / 基准值 / 引导值 “{value}” 应满足 约束值 ≥ 基准值 ≥ 引导值",
        "constraint / benchmark / guide {value!r} must satisfy constraint ≥ benchmark ≥ guide",
    ),
    "import.bad_year": _e(
        "年份“{value}”无效（应为 2000–2100 的整数）",
        "year {value!r} is invalid (expected a whole number 2000–2100)",
    ),
    "import.bad_month": _e(
        "月份“{value}”无效（应为 1–12 的整数）",
        "month {value!r} is invalid (expected a whole number 1–12)",
    ),
    "import.bad_boolean": _e(
        "“{value}”无法识别（应为 是/否、Y/N 或 1/0）",
        "{value!r} is not recognised (expected 是/否, Y/N or 1/0)",
    ),
    "import.bad_status": _e(
        "状态“{value}”无法识别（应为 在用/正常 或 撤销/关闭）",
        "status {value!r} is not recognised (expected 在用/正常 or 撤销/关闭)",
    ),
    "import.unknown_carrier": _e("{detail_zh}", "{detail_en}"),
    "import.unknown_unit": _e("{detail_zh}", "{detail_en}"),
    "import.unit_mismatch": _e("{detail_zh}", "{detail_en}"),
    "import.cost_without_quantity": _e(
        "填写了费用“{value}”但没有填写数量", "a cost of {value!r} is given without a quantity"
    ),
    # --- codes and references ---
    "import.invalid_credit_code": _e("{detail_zh}", "{detail_en}"),
    "import.invalid_region_code": _e("{detail_zh}", "{detail_en}"),
    "import.bad_category": _e("{detail_zh}", "{detail_en}"),
    "import.unknown_institution": _e(
        "统一社会信用代码“{value}”不在单位名录中",
        "credit code {value!r} is not in the institution directory",
    ),
    "import.unknown_region": _e(
        "行政区划代码“{value}”不在区划表中", "region code {value!r} is not in the region table"
    ),
    "import.unknown_parent": _e(
        "上级代码“{value}”既不在本文件中，也不在区划表中",
        "parent code {value!r} is neither in this file nor in the region table",
    ),
    "import.bad_parent": _e(
        "上级代码“{value}”与区划代码“{region}”不一致：{detail_zh}",
        "parent code {value!r} does not fit region code {region!r}: {detail_en}",
    ),
    "import.unknown_department": _e(
        "主管部门“{value}”既不在本文件中，也不在单位名录中",
        "competent department {value!r} is neither in this file nor in the directory",
    ),
    "import.price_range": _e(
        "上限“{value}”低于下限 {low}", "the upper bound {value!r} is below the lower bound {low}"
    ),
    "import.duplicate_key": _e(
        "与第 {first_row} 行重复（{key}）", "duplicates row {first_row} ({key})"
    ),
    "import.name_near_duplicate": _w(
        "单位名称“{value}”与{other_zh}同名（同一区划），请确认不是同一单位",
        "name {value!r} matches {other_en} in the same region; check it is not the same "
        "institution",
    ),
}


def render(code: str, **params: object) -> tuple[Severity, str, str]:
    """Severity and the zh / en texts of ``code`` with ``params`` filled in."""
    template = MESSAGES[code]
    return template.severity, template.zh.format(**params), template.en.format(**params)
