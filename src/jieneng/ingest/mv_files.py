"""M&V files (``jieneng mv fit``): a meter file and a temperature file → the engine's
inputs (:class:`jieneng.core.mv.data.MeterSeries`,
:class:`jieneng.core.mv.temperature.DailyTemperature`).

.xlsx or CSV (UTF-8 or GBK/GB18030), headers in Chinese or English in any order, title
rows above the header allowed (:mod:`jieneng.ingest.reader`).

**Meter file** — one of three layouts, told by its headers:

=========== ================================================================= =========
layout      headers                                                           method
=========== ================================================================= =========
daily       日期/date, 用量/value                                             caltrack-daily
periods     开始/start, 结束/end (the last day, included), 用量/value;        caltrack-billing,
            optional 估抄/estimated (是/否)                                    monthly
months      月份/month (2023-01, 2023年1月, 202301), 用量/value; optional      monthly
            用能人数/occupants, 建筑面积/area
=========== ================================================================= =========

For ``monthly`` a daily layout's dates are read as months. A blank value is kept as
missing (a warning); duplicates, periods ending before they start and overlapping
periods are refused.

**Temperature file** — ``日期/date, 温度/temperature`` (daily means) or
``时间/timestamp, 温度/temperature`` (hourly or finer; a date column whose cells carry a
time of day is read as timestamps — a spreadsheet's date cells at midnight are dates),
in the unit given (°C or °F). A blank temperature is a warning (that day or hour is
missing); a value outside the plausible range of the unit (:data:`PLAUSIBLE`) is
refused — usually the wrong ``--temperature-unit``.

Every problem names file, row, column and says what is wrong in zh and en; a file with
an error is refused as a whole (:class:`jieneng.core.exceptions.ImportRejected`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from jieneng.core.mv.data import MeterSeries
from jieneng.core.mv.temperature import (
    DailyTemperature,
    Unit,
    daily_temperature,
    hourly_to_daily,
    to_fahrenheit,
)

from ._common import AREA_UNITS, COUNT_UNITS, Checker, ColumnSpec, Mapped, add_number, open_mapped
from .issue_table import rejection
from .issues import ImportIssue
from .reader import DEFAULT_MAX_BYTES, ROW
from .result import Parsed

#: the local time of timestamps given with an offset (the platform's institutions)
LOCAL_ZONE = "Asia/Shanghai"
#: plausible air temperatures (°C −60…60, the same in °F)
PLAUSIBLE: dict[str, tuple[float, float]] = {"C": (-60.0, 60.0), "F": (-76.0, 140.0)}
_TRUE = ("是", "y", "yes", "true", "1", "e", "估", "估抄", "估算")
_FALSE = ("否", "n", "no", "false", "0", "a", "实", "实抄")

METER_SPECS: tuple[ColumnSpec, ...] = (
    ColumnSpec("date", ("日期", "数据日期", "用电日期", "用能日期", "date", "day")),
    ColumnSpec("month", ("月份", "年月", "统计月份", "month")),
    ColumnSpec("start", ("开始", "开始日期", "起始日期", "账期起", "账期开始", "start",
                         "period_start", "from")),
    ColumnSpec("end", ("结束", "结束日期", "截止日期", "账期止", "账期结束", "end",
                       "period_end", "to")),
    ColumnSpec("value", ("用量", "用电量", "电量", "用气量", "用水量", "能耗", "能耗量", "数量",
                         "value", "usage", "consumption", "quantity", "kwh"), required=True),
    ColumnSpec("estimated", ("估抄", "是否估抄", "估算", "estimated")),
    ColumnSpec("occupants", ("用能人数", "人数", "occupants"), units=COUNT_UNITS),
    ColumnSpec("area", ("建筑面积", "面积", "area", "floor_area"), units=AREA_UNITS),
)
TEMPERATURE_SPECS: tuple[ColumnSpec, ...] = (
    ColumnSpec("date", ("日期", "date", "day")),
    ColumnSpec("timestamp", ("时间", "时刻", "日期时间", "观测时间", "timestamp", "time",
                             "datetime")),
    ColumnSpec("temperature", ("温度", "气温", "平均气温", "日平均气温", "日均温度",
                               "temperature", "temp", "tavg", "mean_temperature"),
               required=True),
)


@dataclass
class MeterFile:
    """A meter file read: ``layout`` (daily, periods, months), the series, warnings."""

    file: str
    layout: str
    series: MeterSeries
    warnings: list[ImportIssue] = field(default_factory=list)


@dataclass
class TemperatureFile:
    """A temperature file read: daily means in °F, whether it was hourly, warnings."""

    file: str
    hourly: bool
    daily: DailyTemperature
    missing: int
    warnings: list[ImportIssue] = field(default_factory=list)


def _date_text(column: str) -> pl.Expr:
    return (pl.col(column).str.replace_all(r"[./年月]", "-").str.replace(r"日$", "")
            .str.split(" ").list.first().str.split("T").list.first())


def _excel_serial(column: str) -> pl.Expr:
    """A spreadsheet's day number (``44562`` = 2022-01-01) as a date."""
    serial = pl.col(column).str.extract(r"^(\d{5})(?:\.0+)?$", 1).cast(pl.Int64, strict=False)
    return pl.lit(date(1899, 12, 30)) + pl.duration(days=serial)


def _parse_date(chk: Checker, frame: pl.DataFrame, column: str, alias: str) -> pl.DataFrame:
    """``alias``: the date of ``column`` (YYYY-MM-DD, YYYY/M/D, YYYY年M月D日, YYYYMMDD)."""
    text = _date_text(column)
    parsed = pl.coalesce(text.str.to_date("%Y-%m-%d", strict=False),
                         text.str.to_date("%Y%m%d", strict=False), _excel_serial(column))
    frame = frame.with_columns(parsed.alias(alias))
    chk.check(frame, pl.col(column).is_not_null() & pl.col(alias).is_null(), "utility.bad_date",
              column=column, value=pl.col(column))
    return frame


def _parse_month(chk: Checker, frame: pl.DataFrame, column: str, alias: str) -> pl.DataFrame:
    """``alias``: the first day of the month of ``column`` (2023-01, 2023年1月, 202301, a date)."""
    text = _date_text(column).str.strip_chars("-")
    parsed = pl.coalesce(text.str.to_date("%Y-%m-%d", strict=False),
                         (text + "-01").str.to_date("%Y-%m-%d", strict=False),
                         (text + "01").str.to_date("%Y%m%d", strict=False)).dt.truncate("1mo")
    frame = frame.with_columns(parsed.alias(alias))
    chk.check(frame, pl.col(column).is_not_null() & pl.col(alias).is_null(),
              "mv.file.bad_month", column=column, value=pl.col(column))
    return frame


def _parse_timestamp(chk: Checker, frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """``__ts``: the local time of ``column`` (YYYY-MM-DD HH:MM[:SS], / or T allowed); a
    time with an offset (``+08:00``, ``Z``) is converted to China time (UTC+8,
    :data:`LOCAL_ZONE`), a time without one is taken as local."""
    text = (pl.col(column).str.replace_all("/", "-").str.replace("T", " ")
            .str.replace(r"Z$", "+00:00"))
    naive = pl.coalesce(text.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False),
                        text.str.to_datetime("%Y-%m-%d %H:%M", strict=False))
    aware = pl.coalesce(
        *(text.str.to_datetime(f, strict=False, time_zone="UTC")
          for f in ("%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M%z"))
    ).dt.convert_time_zone(LOCAL_ZONE).dt.replace_time_zone(None)
    frame = frame.with_columns(pl.coalesce(naive, aware).alias("__ts"))
    chk.check(frame, pl.col(column).is_not_null() & pl.col("__ts").is_null(),
              "mv.file.bad_timestamp", column=column, value=pl.col(column))
    return frame


def _number(chk: Checker, frame: pl.DataFrame, found: Mapped, alias: str, *,
            non_negative: bool = True) -> pl.DataFrame:
    frame = add_number(frame, found.column, found.factor)
    chk.number(frame, found.column, non_negative=non_negative)
    return frame.with_columns(pl.col(f"{found.column}__num").alias(alias))


def _refuse_if_errors(file: str, chk: Checker) -> list[ImportIssue]:
    """Raise the file's refusal when it has an error; else its warnings."""
    if any(i.severity == "error" for i in chk.issues):
        raise rejection(file, chk.all_issues())
    return [i for i in chk.issues if i.severity == "warning"]


def _open(kind: str, path: Path, specs: tuple[ColumnSpec, ...], max_bytes: int
          ) -> tuple[Checker, dict[str, Mapped], pl.DataFrame]:
    opened = open_mapped(kind, path, specs, ignorable=(), empty={ROW: pl.Int64()}, sheet=None,
                         max_bytes=max_bytes)
    if isinstance(opened, Parsed):
        raise rejection(path.name, opened.all_issues())
    chk, mapped, frame = opened.chk, opened.mapped, opened.table.frame
    if frame.height == 0:
        chk.header_issue("import.empty")
        raise rejection(path.name, chk.all_issues())
    return chk, mapped, frame


def read_meter(path: Path, *, monthly: bool = False,
               max_bytes: int = DEFAULT_MAX_BYTES) -> MeterFile:
    """The meter file ``path`` (see the module); ``monthly``: a daily layout's dates
    are months. Raises ``ImportRejected`` naming every problem."""
    chk, mapped, frame = _open("mv-meter", path, METER_SPECS, max_bytes)
    if "start" in mapped and "end" in mapped:
        layout = "periods"
    elif "month" in mapped or ("date" in mapped and monthly):
        layout = "months"
    elif "date" in mapped:
        layout = "daily"
    else:
        chk.header_issue("import.missing_column",
                         column="日期/date | 开始,结束/start,end | 月份/month")
        raise rejection(path.name, chk.all_issues())
    frame = _number(chk, frame, mapped["value"], "__value")
    chk.check(frame, pl.col(mapped["value"].column).is_null(), "mv.file.value_missing",
              column=mapped["value"].column, warning=True)
    for key in ("occupants", "area"):
        if key in mapped:
            frame = _number(chk, frame, mapped[key], f"__{key}")
    if layout == "periods":
        frame = _periods(chk, frame, mapped)
        keys = ["__start"]
    else:
        column = mapped["month" if "month" in mapped else "date"].column
        chk.required(frame, column)
        frame = (_parse_month if layout == "months" else _parse_date)(chk, frame, column,
                                                                       "__start")
        frame = frame.with_columns(pl.col("__start").alias("__end"))
        chk.duplicates(frame, ["__start"], column=column, value=pl.col(column),
                       describe=pl.col("__start").cast(pl.String))
        keys = ["__start"]
    frame = _estimated(chk, frame, mapped)
    warnings = _refuse_if_errors(path.name, chk)
    frame = chk.valid(frame).sort(keys)
    return MeterFile(path.name, layout, _series(frame, layout), warnings)


def _periods(chk: Checker, frame: pl.DataFrame, mapped: dict[str, Mapped]) -> pl.DataFrame:
    start, end = mapped["start"].column, mapped["end"].column
    for column in (start, end):
        chk.required(frame, column)
    frame = _parse_date(chk, frame, start, "__start")
    frame = _parse_date(chk, frame, end, "__end")
    chk.check(frame, pl.col("__end") < pl.col("__start"), "utility.period_order", column=end,
              value=pl.col(end), params={"start": pl.col(start)})
    ordered = chk.valid(frame).drop_nulls(["__start", "__end"]).sort("__start").with_columns(
        pl.col("__end").cum_max().shift(1).alias("__prev_end"),
        pl.col(ROW).shift(1).alias("__prev_row"),
        pl.col("__start").shift(1).alias("__prev_start"))
    other = pl.concat_str([pl.col("__prev_start").cast(pl.String),
                           pl.col("__prev_end").cast(pl.String)], separator="–")
    chk.check(ordered, pl.col("__start") <= pl.col("__prev_end"), "utility.period_overlap",
              column=start, value=pl.col("__start").cast(pl.String),
              params={"first_row": pl.col("__prev_row"), "other": other})
    return frame


def _estimated(chk: Checker, frame: pl.DataFrame, mapped: dict[str, Mapped]) -> pl.DataFrame:
    if "estimated" not in mapped:
        return frame.with_columns(pl.lit(False).alias("__estimated"))
    column = mapped["estimated"].column
    folded = pl.col(column).str.to_lowercase().str.strip_chars()
    frame = frame.with_columns(
        pl.when(folded.is_in(_TRUE)).then(True).when(folded.is_in(_FALSE) | folded.is_null())
        .then(False).otherwise(None).alias("__estimated"))
    chk.check(frame, pl.col("__estimated").is_null(), "import.bad_boolean", column=column,
              value=pl.col(column))
    return frame


def _array(frame: pl.DataFrame, column: str) -> np.ndarray | None:
    if column not in frame.columns:
        return None
    return frame.get_column(column).cast(pl.Float64).fill_null(np.nan).to_numpy()


def _series(frame: pl.DataFrame, layout: str) -> MeterSeries:
    starts = frame.get_column("__start").to_numpy().astype("datetime64[D]")
    ends = frame.get_column("__end").to_numpy().astype("datetime64[D]")
    values = frame.get_column("__value").fill_null(np.nan).to_numpy().astype(np.float64)
    if layout == "daily":
        return MeterSeries.daily(starts, values)
    if layout == "months":
        return MeterSeries.months(starts.astype("datetime64[M]"), values,
                                  occupants=_array(frame, "__occupants"),
                                  area=_array(frame, "__area"))
    return MeterSeries.periods(starts, ends, values,
                               frame.get_column("__estimated").to_numpy().astype(bool),
                               occupants=_array(frame, "__occupants"),
                                  area=_array(frame, "__area"))


def _has_times(cells: pl.Series) -> bool:
    """Whether a time column holds times of day (hourly data), not only dates or
    midnights (a spreadsheet's date cells read as ``2023-01-01 00:00:00``)."""
    timed = cells.str.contains(r"\d{1,2}:\d{2}").fill_null(False)
    midnight = cells.str.contains(r"[ T]0?0:00(:00(\.0+)?)?$").fill_null(False)
    return bool((timed & ~midnight).any())


def read_temperature(path: Path, unit: Unit, *,
                     max_bytes: int = DEFAULT_MAX_BYTES) -> TemperatureFile:
    """The temperature file ``path`` in ``unit`` (see the module) as daily means °F."""
    chk, mapped, frame = _open("mv-temperature", path, TEMPERATURE_SPECS, max_bytes)
    found_time = mapped.get("timestamp") or mapped.get("date")
    if found_time is None:
        chk.header_issue("import.missing_column", column="日期/date | 时间/timestamp")
        raise rejection(path.name, chk.all_issues())
    column = found_time.column
    chk.required(frame, column)
    hourly = _has_times(frame.get_column(column))
    frame = (_parse_timestamp(chk, frame, column) if hourly
             else _parse_date(chk, frame, column, "__ts"))
    found = mapped["temperature"]
    frame = _number(chk, frame, found, "__temperature", non_negative=False)
    low, high = PLAUSIBLE[unit]
    chk.check(frame, (pl.col("__temperature") < low) | (pl.col("__temperature") > high),
              "mv.file.temperature_range", column=found.column, value=pl.col(found.column),
              static={"unit": unit, "low": low, "high": high})
    chk.check(frame, pl.col(found.column).is_null(), "mv.file.temperature_missing",
              column=found.column, warning=True)
    chk.duplicates(frame, ["__ts"], column=column, value=pl.col(column),
                   describe=pl.col("__ts").cast(pl.String))
    warnings = _refuse_if_errors(path.name, chk)
    frame = chk.valid(frame).sort("__ts")
    values = to_fahrenheit(frame.get_column("__temperature").fill_null(np.nan).to_numpy()
                           .astype(np.float64), unit)
    stamps = frame.get_column("__ts").to_numpy()
    daily = (hourly_to_daily(stamps.astype("datetime64[s]"), values) if hourly
             else daily_temperature(stamps.astype("datetime64[D]"), values))
    missing = int(frame.get_column("__temperature").is_null().sum())
    return TemperatureFile(path.name, hourly, daily, missing, warnings)
