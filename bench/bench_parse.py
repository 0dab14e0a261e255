"""Parse speed of a large wide consumption .xlsx (not a test; run by hand).

    .venv/bin/python bench/bench_parse.py [rows]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import polars as pl
import xlsxwriter

from jieneng.core.codes import make_credit_code
from jieneng.ingest import parse_consumption

HEADERS = ["统一社会信用代码", "单位名称", "年", "月", "电(千瓦时)", "电费(元)", "水(立方米)",
           "水费(元)", "天然气(万立方米)", "天然气费用(元)", "汽油-车辆用油(升)", "热力(吉焦)"]


def write(path: Path, rows: int) -> list[str]:
    n_inst = max(1, rows // 12)
    codes = [make_credit_code("12", "450321", i) for i in range(n_inst)]
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("数据")
    ws.write(0, 0, "2025年能源消费（演示）")
    ws.write_row(2, 0, HEADERS)
    for r in range(rows):
        inst, month = divmod(r, 12)
        ws.write_row(3 + r, 0, [codes[inst % n_inst], f"单位{inst}", 2025 + inst // n_inst,
                                month + 1, 12345.5 + r, 8000.0, 300.0, 900.0, 0.01, 350.0,
                                200.0, 12.5])
    wb.close()
    return codes


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.xlsx"
        codes = write(path, rows)
        lookup = pl.DataFrame({"credit_code": codes, "institution_id": range(len(codes))})
        start = time.perf_counter()
        parsed = parse_consumption(path, institutions=lookup)
        elapsed = time.perf_counter() - start
    print(f"{parsed.rows_read} rows, {parsed.frame.height} records, {len(parsed.issues)} issues "
          f"in {elapsed:.2f} s = {parsed.rows_read / elapsed:,.0f} rows/s")


if __name__ == "__main__":
    main()
