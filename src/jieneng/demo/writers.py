"""Writing the demo files: the directory as .xlsx (with a 说明 sheet saying the data
are fictional), the yearly profiles and the monthly consumption as .csv in the
layouts of :mod:`jieneng.demo.layout`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter

from .layout import (
    CONSUMPTION_CARRIERS,
    INSTITUTION_COLUMNS,
    PROFILE_COLUMNS,
    cost_header,
    quantity_header,
)
from .model import BoolArray, Model


def write_institutions(model: Model, path: Path) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    workbook.set_properties(
        {
            "title": "公共机构名录（演示数据）",
            "subject": "jieneng 演示数据 — 桂林市（虚构单位）",
            "author": "jieneng demo",
            "created": dt.datetime(2026, 1, 1),
        }
    )
    head = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    sheet = workbook.add_worksheet("公共机构名录")
    sheet.write_row(0, 0, INSTITUTION_COLUMNS, head)
    for row, (seat, code) in enumerate(zip(model.seats, model.codes, strict=True), start=1):
        i = row - 1
        sheet.write_string(row, 0, code, text)
        sheet.write_string(row, 1, seat.name)
        sheet.write_string(row, 2, seat.region_code, text)
        sheet.write_string(row, 3, seat.category, text)
        sheet.write_string(row, 4, model.department[i], text)
        sheet.write_string(row, 5, "是" if model.key_user[i] else "否")
        sheet.write_string(row, 6, "撤销" if model.closed[i] else "在用")
    for col, width in enumerate((22, 34, 12, 10, 26, 12, 8)):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    notes = workbook.add_worksheet("说明")
    for row, line in enumerate(
        (
            "演示数据：本文件中的单位、代码和数字均为虚构，仅供 jieneng 演示与测试使用。",
            "Demo data: every institution, code and figure in this file is fictional.",
            "单位类别：01 国家机关；021 教育；022 科技；023 文化；024 卫生；025 体育；"
            "026 其他事业单位；03 团体组织。",
        )
    ):
        notes.write_string(row, 0, line)
    notes.set_column(0, 0, 100)
    workbook.close()


def write_profiles(model: Model, years: tuple[int, ...], path: Path) -> None:
    n, ny = model.active.shape
    mask = model.active.ravel()
    frame = pl.DataFrame(
        {
            PROFILE_COLUMNS[0]: np.repeat(np.array(model.codes), ny)[mask],
            PROFILE_COLUMNS[1]: np.tile(np.array(years, dtype=np.int64), n)[mask],
            PROFILE_COLUMNS[2]: model.people.ravel()[mask],
            PROFILE_COLUMNS[3]: model.staff.ravel()[mask],
            PROFILE_COLUMNS[4]: model.area.ravel()[mask].astype(np.int64),
            PROFILE_COLUMNS[5]: model.heated.ravel()[mask].astype(np.int64),
            PROFILE_COLUMNS[6]: model.cars_gasoline.ravel()[mask],
            PROFILE_COLUMNS[7]: model.cars_diesel.ravel()[mask],
            PROFILE_COLUMNS[8]: model.cars_nev.ravel()[mask],
        }
    )
    frame.write_csv(path)


def write_consumption(model: Model, reported: BoolArray, yi: int, year: int, path: Path) -> None:
    n = len(model.codes)
    mask = reported[:, yi, :].ravel()  # institution-major, then month
    columns: dict[str, pl.Series] = {
        "统一社会信用代码": pl.Series(np.repeat(np.array(model.codes), 12)[mask]),
        "年": pl.Series(np.full(int(mask.sum()), year, dtype=np.int64)),
        "月": pl.Series(np.tile(np.arange(1, 13, dtype=np.int64), n)[mask]),
    }
    for code in CONSUMPTION_CARRIERS:
        columns[quantity_header(code)] = pl.Series(model.quantity[code][:, yi, :].ravel()[mask])
        cost = cost_header(code)
        if cost is not None:
            columns[cost] = pl.Series(model.cost[code][:, yi, :].ravel()[mask])
    frame = pl.DataFrame(columns)
    numbers = frame.columns[3:]
    frame = frame.with_columns(pl.col(numbers).fill_nan(None)).with_columns(
        # as a person types them: 60610, 798.8 (never 60610.0); blank = not reported
        pl.when(pl.col(c) == pl.col(c).round(0))
        .then(pl.col(c).cast(pl.Int64).cast(pl.String))
        .otherwise(pl.col(c).cast(pl.String))
        .alias(c)
        for c in numbers
    )
    frame.write_csv(path)

