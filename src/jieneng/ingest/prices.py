"""Reference unit prices (参考单价) per province and carrier: file → validated frame.

Columns (headers in Chinese or English): 省级区划代码/province_code, 能源品种/carrier
(code or Chinese name), 下限/low and 上限/high [元 per canonical unit of the
carrier], 来源/source. Every problem is an :class:`ImportIssue` with its row and
column in zh and en; any error rejects the whole file (:class:`ImportRejected`).
The files are small (a few hundred rows), so rows are checked one by one.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import polars as pl

from jieneng.core.carriers import carrier_by_name, normalise_label
from jieneng.core.exceptions import ImportRejected, ValidationFailed

from .issues import ImportIssue, errors, make_issue
from .numbers import parse_number
from .reader import ROW, read_table

#: field → accepted headers (folded)
COLUMNS: dict[str, tuple[str, ...]] = {
    "province_code": ("省级区划代码", "省份代码", "province_code", "province"),
    "carrier": ("能源品种", "品种", "carrier"),
    "low": ("下限", "单价下限", "low"),
    "high": ("上限", "单价上限", "high"),
    "source": ("来源", "数据来源", "source"),
}


def parse_reference_prices(path: Path, *, provinces: Collection[str],
                           carriers: Collection[str]) -> pl.DataFrame:
    """The valid frame ``province_code, carrier, low, high, source``; raises
    :class:`ImportRejected` with every issue when anything is wrong."""
    table = read_table(path, [h for names in COLUMNS.values() for h in names])
    file, sheet = table.file, table.sheet
    issues: list[ImportIssue] = list(table.issues)
    mapping: dict[str, str] = {}
    for header in table.headers:
        folded = normalise_label(header.split("（")[0].split("(")[0])
        for field, names in COLUMNS.items():
            if folded in {normalise_label(n) for n in names}:
                mapping[field] = header
    for field in COLUMNS:
        if field not in mapping:
            issues.append(make_issue("import.missing_column", file=file, sheet=sheet,
                                     column=COLUMNS[field][0]))
    if errors(issues):
        raise ImportRejected.of("prices.file_rejected", file=file, issues=issues)
    frame = table.frame.with_columns(
        parse_number(pl.col(mapping[f])).alias(f"__{f}") for f in ("low", "high"))
    rows: list[dict[str, object]] = []
    seen: dict[tuple[str, str], int] = {}
    for record in frame.iter_rows(named=True):
        row = int(record[ROW])
        values: dict[str, object] = {}

        def bad(code: str, field: str, value: str | None, row: int = row,
                detail_zh: str = "", detail_en: str = "") -> None:
            issues.append(make_issue(code, file=file, sheet=sheet, row=row,
                                     column=mapping[field], value=value,
                                     detail_zh=detail_zh, detail_en=detail_en))

        for field in COLUMNS:
            text = record[mapping[field]]
            if text is None or not str(text).strip():
                bad("import.missing_value", field, None)
                continue
            text = str(text).strip()
            if field == "province_code":
                if text not in provinces:
                    bad("import.unknown_region", field, text)
                values[field] = text
            elif field == "carrier":
                try:
                    found = carrier_by_name(text).code
                except ValidationFailed as exc:
                    bad("import.unknown_carrier", field, text, detail_zh=exc.message_zh,
                        detail_en=exc.message_en)
                    continue
                if found not in carriers:
                    bad("import.unknown_carrier", field, text, detail_zh=text, detail_en=text)
                values[field] = found
            elif field in ("low", "high"):
                number = record[f"__{field}"]
                if number is None:
                    bad("import.not_a_number", field, text)
                elif number < 0:
                    bad("import.negative", field, text)
                else:
                    values[field] = number
            else:
                values[field] = text
        low, high = values.get("low"), values.get("high")
        if isinstance(low, float) and isinstance(high, float) and low > high:
            issues.append(make_issue("import.price_range", file=file, sheet=sheet,
                                     row=row, column=mapping["high"], value=str(high),
                                     low=f"{low:g}"))
        key = (str(values.get("province_code")), str(values.get("carrier")))
        if key in seen:
            issues.append(make_issue("import.duplicate_key", file=file, sheet=sheet, row=row,
                                     first_row=seen[key], key=" / ".join(key)))
        seen.setdefault(key, row)
        rows.append(values)
    if not rows:
        issues.append(make_issue("import.empty", file=file, sheet=sheet))
    if errors(issues):
        raise ImportRejected.of(
            "prices.file_has_errors", file=file, count=len(errors(issues)),
            issues=errors(issues),
        )
    return pl.DataFrame(rows, schema={"province_code": pl.String, "carrier": pl.String,
                                      "low": pl.Float64, "high": pl.Float64,
                                      "source": pl.String})
