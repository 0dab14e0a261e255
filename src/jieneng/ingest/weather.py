"""Weather files (issue 13 §3): a station's temperatures — file → checked daily means.

Two shapes, told apart by the header; .csv (UTF-8 or GBK/GB18030) or .xlsx, title rows
above the header allowed, headers in Chinese or English in any order:

================ =========================================================== =========
field            headers (:data:`DAY_NAMES`, :data:`TIMESTAMP_NAMES`, …)      shape
================ =========================================================== =========
``day``          日期, 观测日期, 数据日期, date, day                              daily
``timestamp``    时间, 观测时间, 日期时间, 时刻, timestamp, datetime, time          hourly
``temperature``  日平均气温, 平均气温, 气温, 温度, 日均温, temperature, temp,        both
                 tavg, mean_temperature, t; a unit in brackets is read:
                 ``气温(℃)``, ``temperature (°F)``
================ =========================================================== =========

A ``timestamp`` column makes the file hourly (any ``day`` column beside it is
ignored): its values are averaged per clock hour and the hours per local day; a day
is kept only when at least half of its 24 hours have an observation — CalTRACK 2.0
§2.2.2.3 ("daily temperature … ≥ 50 % coverage"); the other days are named in a
warning and not stored. A naive timestamp is the station's local time; one with an
offset (``+08:00``, ``Z``) is converted to China time (UTC+8). A daily file's values
are daily means as given (coverage 1).

The unit is °C or °F: from the header's brackets or the caller's ``unit`` (the CLI's
``--unit``); both given and different, or neither, is refused — a temperature is
never read in a guessed unit. Values are stored in °C (°F → °C: (F − 32) × 5/9).
Checked set-based: missing and non-numeric values, dates, future dates, a value
outside :data:`PLAUSIBLE_C` (a wrong unit, a sensor error), the same day or hour twice
with different values (an identical repeat is a warning, counted once). Every problem
names file, row, column and says what is wrong in zh and en.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from jieneng.core.carriers import normalise_label

from ._common import Checker, ColumnSpec, Mapped, add_number, open_mapped
from .issue_table import rejection
from .reader import DEFAULT_MAX_BYTES, ROW

DAILY = "daily"
HOURLY = "hourly"
#: a day from hourly values needs at least this share of its 24 hours (CalTRACK 2.0 §2.2.2.3)
MIN_COVERAGE = 0.5
#: a daily or hourly air temperature outside this range [°C] is refused (the world's
#: records are −89.2 °C and 56.7 °C: a value beyond is a wrong unit or a sensor fault)
PLAUSIBLE_C = (-90.0, 60.0)

DAY_NAMES: tuple[str, ...] = ("日期", "观测日期", "数据日期", "date", "day")
TIMESTAMP_NAMES: tuple[str, ...] = ("时间", "观测时间", "日期时间", "时刻", "timestamp",
                                    "datetime", "time")
TEMPERATURE_NAMES: tuple[str, ...] = ("日平均气温", "平均气温", "气温", "温度", "日均温",
                                      "temperature", "temp", "tavg", "mean_temperature", "t")
#: the units a temperature header may name (folded) → C or F
UNIT_NAMES: dict[str, str] = {"°c": "C", "c": "C", "摄氏度": "C", "degc": "C",
                              "°f": "F", "f": "F", "华氏度": "F", "degf": "F"}

SPECS: tuple[ColumnSpec, ...] = (
    ColumnSpec("day", DAY_NAMES),
    ColumnSpec("timestamp", TIMESTAMP_NAMES),
    ColumnSpec("temperature", TEMPERATURE_NAMES, required=True,
               units=dict.fromkeys(UNIT_NAMES, 1.0)),
)
DAY_SCHEMA: dict[str, pl.DataType] = {
    "day": pl.Date(), "temperature_c": pl.Float64(), "source": pl.String(),
    "coverage": pl.Float64(), "hours": pl.Int16()}


@dataclass
class WeatherRows:
    """A parsed weather file: ``frame`` the daily means to store (:data:`DAY_SCHEMA`),
    ``chk`` every issue; ``shape`` daily or hourly; ``unit`` the unit read (C/F)."""

    file: str
    shape: str
    unit: str | None
    frame: pl.DataFrame
    chk: Checker | None
    rows_read: int
    failed: Any = None  # the reader's refusal (a Parsed) when the file was not read

    @property
    def ok(self) -> bool:
        if self.failed is not None:
            return False
        assert self.chk is not None
        return not any(i.severity == "error" for i in self.chk.issues)

    def rejection(self) -> Exception:
        """The refusal of the file with every issue."""
        if self.failed is not None:
            return rejection(self.file, self.failed.all_issues())
        assert self.chk is not None
        return rejection(self.file, self.chk.all_issues())

    @property
    def warnings(self) -> list[dict[str, Any]]:
        return [] if self.chk is None else [
            i.to_dict() for i in self.chk.issues if i.severity == "warning"]


def parse_weather(path: Path, *, unit: str | None = None, today: date | None = None,
                  max_bytes: int = DEFAULT_MAX_BYTES) -> WeatherRows:
    """The daily means of a weather file and the issues found; ``unit`` C or F (None:
    the header's)."""
    empty = pl.DataFrame(schema=DAY_SCHEMA)
    opened = open_mapped("weather", path, SPECS, ignorable=(), empty=DAY_SCHEMA, sheet=None,
                         max_bytes=max_bytes)
    if not hasattr(opened, "chk"):
        return WeatherRows(path.name, DAILY, unit, empty, None, 0, failed=opened)
    chk, mapped, table = opened.chk, opened.mapped, opened.table  # type: ignore[union-attr]
    shape = HOURLY if "timestamp" in mapped else DAILY
    out = WeatherRows(table.file, shape, None, empty, chk, table.rows_read)
    if "day" not in mapped and "timestamp" not in mapped:
        chk.header_issue("weather.no_time_column", column="日期 / 时间")
        return out
    if shape == HOURLY and "day" in mapped:
        chk.header_issue("import.ignored_column", column=mapped["day"].column)
    out.unit = _unit(chk, mapped["temperature"], unit)
    if out.unit is None or "temperature" not in mapped:
        return out
    frame = table.frame
    if frame.height == 0:
        chk.header_issue("import.empty")
        return out
    when = mapped["timestamp" if shape == HOURLY else "day"].column
    temp = mapped["temperature"].column
    for column in (when, temp):
        chk.required(frame, column)
    frame = add_number(frame, temp)
    chk.number(frame, temp, non_negative=False)
    frame = frame.with_columns(_celsius(pl.col(f"{temp}__num"), out.unit).alias("__c"))
    lo, hi = PLAUSIBLE_C
    chk.check(frame, (pl.col("__c") < lo) | (pl.col("__c") > hi), "weather.out_of_range",
              column=temp, value=pl.col(temp), params={"celsius": pl.col("__c").round(1)},
              static={"low": lo, "high": hi, "unit": "°" + out.unit})
    frame = (_timestamp(chk, frame, when) if shape == HOURLY else _day(chk, frame, when))
    chk.check(frame, pl.col("day") > (today or date.today()), "weather.future_date",
              column=when, value=pl.col(when),
              static={"today": (today or date.today()).isoformat()})
    key = "__hour" if shape == HOURLY else "day"
    frame = _repeats(chk, chk.valid(frame), key, when)
    out.frame = (_hourly_days(chk, frame, when) if shape == HOURLY else frame.select(
        "day", pl.col("__c").alias("temperature_c"), pl.lit(DAILY).alias("source"),
        pl.lit(1.0).alias("coverage"), pl.lit(None, pl.Int16).alias("hours"),
    ).sort("day"))
    return out


def _unit(chk: Checker, mapped: Mapped, given: str | None) -> str | None:
    """C or F: the header's unit and the caller's must agree; one of them is needed."""
    header = UNIT_NAMES.get(normalise_label(mapped.unit)) if mapped.unit else None
    wanted = given.strip().upper().lstrip("°") if given else None
    if wanted is not None and wanted not in ("C", "F"):
        chk.header_issue("weather.bad_unit", column=mapped.column, value=given)
        return None
    if header and wanted and header != wanted:
        chk.header_issue("weather.unit_conflict", column=mapped.column,
                         header="°" + header, given="°" + wanted)
        return None
    if not (header or wanted):
        chk.header_issue("weather.unit_unknown", column=mapped.column)
        return None
    return header or wanted


def _celsius(value: pl.Expr, unit: str) -> pl.Expr:
    """°C of ``value`` in ``unit`` (°F → °C: (F − 32) × 5/9, the definition of the scale)."""
    return (value - 32.0) * (5.0 / 9.0) if unit == "F" else value


def _clean(column: str) -> pl.Expr:
    """A date's text: separators unified, any time after it dropped."""
    return (pl.col(column).str.strip_chars().str.replace_all(r"[./年月]", "-")
            .str.replace("日", " ").str.replace("T", " ").str.strip_chars()
            .str.split(" ").list.first())


def _day(chk: Checker, frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """``day``: YYYY-MM-DD, YYYY/M/D, YYYY年M月D日, YYYYMMDD or an Excel serial day."""
    text = _clean(column)
    serial = pl.col(column).str.extract(r"^(\d{5})(?:\.0+)?$", 1).cast(pl.Int64, strict=False)
    frame = frame.with_columns(pl.coalesce(
        text.str.to_date("%Y-%m-%d", strict=False),
        text.str.to_date("%Y%m%d", strict=False),
        pl.lit(date(1899, 12, 30)) + pl.duration(days=serial)).alias("day"))
    chk.check(frame, pl.col(column).is_not_null() & pl.col("day").is_null(),
              "weather.bad_date", column=column, value=pl.col(column))
    return frame


_TS_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y%m%d %H:%M")


def _timestamp(chk: Checker, frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """``__hour`` (the clock hour, China time) and ``day`` of each timestamp; an offset
    (``+08:00``, ``+0800``, ``Z``) is converted to UTC+8, a naive time taken as local."""
    raw = pl.col(column).str.strip_chars()
    offset = raw.str.extract(r"(Z|[+-]\d{2}:?\d{2})$", 1)
    sign = pl.when(offset.str.starts_with("-")).then(-1).otherwise(1)
    digits = offset.str.replace_all(r"[^0-9]", "")
    minutes = pl.when(offset == "Z").then(0).otherwise(
        sign * (digits.str.slice(0, 2).cast(pl.Int64, strict=False) * 60
                + digits.str.slice(2, 2).cast(pl.Int64, strict=False)))
    bare = raw.str.replace(r"(Z|[+-]\d{2}:?\d{2})$", "").str.replace(r"(:\d{2})\.\d+$", "${1}") \
        .str.replace_all(r"[./年月]", "-").str.replace("日", " ").str.replace("T", " ") \
        .str.strip_chars().str.replace(r"^(\d{8})(\d{2})(\d{2})?$", "${1} ${2}:${3}") \
        .str.replace(r":$", ":00").str.replace(r"^(\S+ \d{1,2})$", "${1}:00")
    parsed = pl.coalesce(*[bare.str.to_datetime(f, strict=False) for f in _TS_FORMATS])
    local = pl.when(minutes.is_null()).then(parsed).otherwise(
        parsed + pl.duration(minutes=480 - minutes))
    frame = frame.with_columns(local.dt.truncate("1h").alias("__hour"))
    frame = frame.with_columns(pl.col("__hour").dt.date().alias("day"))
    chk.check(frame, pl.col(column).is_not_null() & pl.col("__hour").is_null(),
              "weather.bad_timestamp", column=column, value=pl.col(column))
    return frame


def _repeats(chk: Checker, frame: pl.DataFrame, key: str, column: str) -> pl.DataFrame:
    """The same time twice: a different value is an error naming the first row, the
    same value a warning (counted once). Hourly files repeat a whole timestamp only."""
    exact = "__t" if key == "__hour" else "day"
    if key == "__hour":
        frame = frame.with_columns(pl.col(column).str.strip_chars().alias("__t"))
    firsts = (frame.group_by(exact).agg(pl.col(ROW).min().alias("__first"),
                                        pl.col("__c").first().alias("__fc"), pl.len().alias("__n"))
              .filter(pl.col("__n") > 1))
    if firsts.is_empty():
        return frame
    hits = frame.join(firsts, on=exact).filter(pl.col(ROW) != pl.col("__first"))
    same = pl.col("__c").eq_missing(pl.col("__fc"))
    chk.check(hits, ~same, "weather.duplicate_conflict", column=column, value=pl.col(column),
              params={"first_row": pl.col("__first")})
    chk.check(hits, same, "weather.duplicate_same", column=column, value=pl.col(column),
              params={"first_row": pl.col("__first")}, warning=True)
    dropped = hits.filter(same).get_column(ROW)
    return chk.valid(frame).filter(~pl.col(ROW).is_in(dropped.implode()))


def _hourly_days(chk: Checker, frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """Daily means of hourly values: each clock hour's mean, then the mean of the
    day's hours; coverage = hours with a value ÷ 24. Days under :data:`MIN_COVERAGE`
    are a warning (on the day's first row) and left out."""
    hours = frame.group_by("day", "__hour").agg(pl.col("__c").mean(), pl.col(ROW).min())
    days = hours.group_by("day").agg(
        pl.col("__c").mean().alias("temperature_c"), pl.len().alias("hours"),
        pl.col(ROW).min()).with_columns((pl.col("hours") / 24.0).alias("coverage"))
    chk.check(days, pl.col("coverage") < MIN_COVERAGE, "weather.low_coverage",
              column=column, value=pl.col("day").cast(pl.String),
              params={"hours": pl.col("hours")}, static={"share": f"{MIN_COVERAGE:.0%}"},
              warning=True)
    return days.filter(pl.col("coverage") >= MIN_COVERAGE).select(
        "day", "temperature_c", pl.lit(HOURLY).alias("source"), "coverage",
        pl.col("hours").cast(pl.Int16)).sort("day")
