"""Utility files (issue 12 §2): the grid's (water, gas company's) daily quantity per
account (户号) and its bills (账期 quantity and 电费) — file → checked rows.

Two kinds, headers in Chinese or English in any order (a unit in brackets is read:
``电量(万千瓦时)`` is scaled to kWh, ``电费(万元)`` to 元), .xlsx or CSV in UTF-8 or
GBK/GB18030, title rows above the header allowed:

**daily-kwh** — one row per account and day:

=============== =========================================================== ========
field           headers                                                     required
=============== =========================================================== ========
``account``     户号, 用户编号, 客户编号, 电表户号, account                        yes
``day``         日期, 数据日期, 用电日期, 用能日期, date, day                      yes
``quantity``    电量, 用电量, 日电量, 总电量, 用量, 数量, kwh, quantity              yes
``tip`` …       尖, 尖峰, 尖电量, tip; 峰, 峰电量, peak; 平, 平电量, flat;
                谷, 谷电量, valley (尖峰平谷 optional; their sum must equal the
                total within :data:`TOU_TOLERANCE_KWH` + :data:`TOU_TOLERANCE_SHARE`)
``carrier``     能源品种, 品种, carrier (电 / 水 / 天然气; default 电)
=============== =========================================================== ========

**bills** — one row per account and billing period (inclusive dates as printed):

=============== =========================================================== ========
``account``     as above                                                    yes
``period_start`` 账期起, 起始日期, 开始日期, 计费起始日期, 账期开始, period_start  yes
``period_end``  账期止, 截止日期, 结束日期, 计费截止日期, 账期结束, period_end      yes
``quantity``    电量, 用电量, 结算电量, 计费电量, 用量, 数量, quantity               yes
``cost``        电费, 金额, 电费金额, 应交金额, 费用, cost, amount
``read_date``   抄表日, 抄表日期, read_date
``bill_number`` 账单号, 账单编号, bill_number
``carrier``     as above
=============== =========================================================== ========

Checked here, without the database, every row set-based (a national day is 260,000
rows): missing values, dates (YYYY-MM-DD, YYYY/M/D, YYYYMMDD, an Excel date),
future dates, non-numeric and negative numbers, 尖+峰+平+谷 ≠ total, period end
before start, overlapping periods of one account in the file, the same key twice with
different values (an identical repeat is a warning and counted once). What needs the
registry — the account is registered, bound on the date to an institution in the
caller's scope — is :func:`check_accounts`, given the bindings as a frame by the
service. Every problem names file, row, column and says what is wrong in zh and en.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from jieneng.core.carriers import CARRIER_CODES, carrier, carrier_by_name

from ._common import Checker, ColumnSpec, Mapped, add_number, map_distinct, open_mapped
from .issue_table import rejection
from .reader import DEFAULT_MAX_BYTES, ROW

DAILY = "daily-kwh"
BILLS = "bills"
#: the carriers a utility account can be of
UTILITY_CARRIERS: tuple[str, ...] = ("electricity", "water", "natural_gas")
#: 尖+峰+平+谷 may differ from the total by this much [kWh] plus this share of it
TOU_TOLERANCE_KWH = 0.05
TOU_TOLERANCE_SHARE = 0.001
TOU = ("tip", "peak", "flat", "valley")

_QUANTITY_UNITS = {"千瓦时": 1.0, "kwh": 1.0, "度": 1.0, "万千瓦时": 1e4, "万kwh": 1e4,
                   "立方米": 1.0, "m3": 1.0, "方": 1.0, "吨": 1.0, "t": 1.0,
                   "万立方米": 1e4, "万m3": 1e4}
_MONEY_UNITS = {"元": 1.0, "万元": 1e4}
_ACCOUNT = ColumnSpec("account", ("户号", "用户编号", "客户编号", "电表户号", "用电户号", "account",
                                  "account_number"), required=True)
_CARRIER = ColumnSpec("carrier", ("能源品种", "品种", "能源类型", "carrier"))
_QUANTITY_NAMES = ("电量", "用电量", "总电量", "用量", "数量", "用水量", "用气量", "kwh",
                   "quantity")

DAILY_SPECS: tuple[ColumnSpec, ...] = (
    _ACCOUNT,
    ColumnSpec("day", ("日期", "数据日期", "用电日期", "用能日期", "date", "day"), required=True),
    ColumnSpec("quantity", ("日电量", *_QUANTITY_NAMES), required=True, units=_QUANTITY_UNITS),
    ColumnSpec("tip", ("尖", "尖峰", "尖电量", "尖峰电量", "tip"), units=_QUANTITY_UNITS),
    ColumnSpec("peak", ("峰", "峰电量", "高峰电量", "peak"), units=_QUANTITY_UNITS),
    ColumnSpec("flat", ("平", "平电量", "平段电量", "flat"), units=_QUANTITY_UNITS),
    ColumnSpec("valley", ("谷", "谷电量", "低谷电量", "valley"), units=_QUANTITY_UNITS),
    _CARRIER,
)
BILL_SPECS: tuple[ColumnSpec, ...] = (
    _ACCOUNT,
    ColumnSpec("period_start", ("账期起", "账期开始", "起始日期", "开始日期", "计费起始日期",
                                "计费开始日期", "period_start", "from"), required=True),
    ColumnSpec("period_end", ("账期止", "账期结束", "截止日期", "结束日期", "计费截止日期",
                              "计费结束日期", "period_end", "to"), required=True),
    ColumnSpec("quantity", ("结算电量", "计费电量", *_QUANTITY_NAMES), required=True,
               units=_QUANTITY_UNITS),
    ColumnSpec("cost", ("电费", "金额", "电费金额", "应交金额", "应缴金额", "费用", "水费",
                        "燃气费", "cost", "cost_yuan", "amount"), units=_MONEY_UNITS),
    ColumnSpec("read_date", ("抄表日", "抄表日期", "read_date")),
    ColumnSpec("bill_number", ("账单号", "账单编号", "bill_number")),
    _CARRIER,
)
_DAY_SCHEMA: dict[str, pl.DataType] = {
    ROW: pl.Int64(), "carrier": pl.String(), "account": pl.String(), "day": pl.Date(),
    "quantity": pl.Float64(), "tip": pl.Float64(), "peak": pl.Float64(),
    "flat": pl.Float64(), "valley": pl.Float64()}
_BILL_SCHEMA: dict[str, pl.DataType] = {
    ROW: pl.Int64(), "carrier": pl.String(), "account": pl.String(),
    "period_start": pl.Date(), "period_end": pl.Date(), "quantity": pl.Float64(),
    "cost_yuan": pl.Float64(), "read_date": pl.Date(), "bill_number": pl.String()}
_ALIASES = {"燃气": "natural_gas", "气": "natural_gas", "用电": "electricity",
            "用水": "water"}


@dataclass
class UtilityRows:
    """A parsed utility file: ``frame`` holds the rows without errors (``__row``,
    ``carrier``, ``account`` and the kind's values; a repeated identical row once);
    ``chk`` holds every issue, so the registry checks (:func:`check_accounts`) add
    theirs to the same report."""

    kind: str
    file: str
    sheet: str | None
    frame: pl.DataFrame
    chk: Checker | None
    columns: dict[str, Mapped]
    rows_read: int
    failed: Any = None  # the reader's refusal (a Parsed) when the file was not read

    @property
    def ok(self) -> bool:
        if self.failed is not None:
            return False
        assert self.chk is not None
        return not any(i.severity == "error" for i in self.chk.issues)

    def rejection(self) -> Exception:
        """The refusal of the file with every issue (:func:`issue_table.rejection`)."""
        if self.failed is not None:
            return rejection(self.file, self.failed.all_issues())
        assert self.chk is not None
        return rejection(self.file, self.chk.all_issues())

    def column(self, key: str) -> str:
        found = self.columns.get(key)
        return found.column if found is not None else key


def parse_daily(path: Path, *, today: date | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES) -> UtilityRows:
    """The rows of a daily file and the issues found without the database."""
    return _parse(DAILY, path, DAILY_SPECS, _DAY_SCHEMA, today, max_bytes)


def parse_bills(path: Path, *, today: date | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES) -> UtilityRows:
    """The rows of a billing file and the issues found without the database."""
    return _parse(BILLS, path, BILL_SPECS, _BILL_SCHEMA, today, max_bytes)


def _parse(kind: str, path: Path, specs: tuple[ColumnSpec, ...],
           schema: dict[str, pl.DataType], today: date | None, max_bytes: int
           ) -> UtilityRows:
    opened = open_mapped(kind, path, specs, ignorable=(), empty=schema, sheet=None,
                         max_bytes=max_bytes)
    if not hasattr(opened, "chk"):
        return UtilityRows(kind, path.name, None, pl.DataFrame(schema=schema), None, {}, 0,
                           failed=opened)
    chk, mapped, table = opened.chk, opened.mapped, opened.table  # type: ignore[union-attr]
    out = UtilityRows(kind, table.file, table.sheet, pl.DataFrame(schema=schema), chk,
                      mapped, table.rows_read)
    if any(s.required and s.key not in mapped for s in specs):
        return out
    frame = table.frame
    if frame.height == 0:
        chk.header_issue("import.empty")
        return out
    today = today or date.today()
    frame = _carriers(chk, frame, mapped)
    frame = frame.with_columns(pl.col(mapped["account"].column).str.strip_chars()
                               .alias("account"))
    for key in ("account", *(("day",) if kind == DAILY else ("period_start", "period_end")),
                "quantity"):
        chk.required(frame, mapped[key].column)
    dates = ("day",) if kind == DAILY else ("period_start", "period_end", "read_date")
    for key in dates:
        if key in mapped:
            frame = _date(chk, frame, mapped[key].column, key)
    numbers = ("quantity", *TOU) if kind == DAILY else ("quantity", "cost")
    for key in numbers:
        if key in mapped:
            frame = add_number(frame, mapped[key].column, mapped[key].factor)
            chk.number(frame, mapped[key].column)
            frame = frame.with_columns(pl.col(f"{mapped[key].column}__num").alias(key))
        else:
            frame = frame.with_columns(pl.lit(None, pl.Float64).alias(key))
    if kind == DAILY:
        chk.check(frame, pl.col("day") > today, "utility.future_date",
                  column=mapped["day"].column, value=pl.col(mapped["day"].column),
                  static={"today": today.isoformat()})
        frame = _tou(chk, frame, mapped)
        keys, values = ["carrier", "account", "day"], ["quantity", *TOU]
    else:
        start, end = mapped["period_start"].column, mapped["period_end"].column
        chk.check(frame, pl.col("period_end") < pl.col("period_start"), "utility.period_order",
                  column=end, value=pl.col(end), params={"start": pl.col(start)})
        chk.check(frame, pl.col("period_end") > today, "utility.future_date", column=end,
                  value=pl.col(end), static={"today": today.isoformat()})
        frame = frame.rename({"cost": "cost_yuan"}).with_columns(
            (pl.col(mapped["bill_number"].column).alias("bill_number")
             if "bill_number" in mapped else pl.lit(None, pl.String).alias("bill_number")),
            *(() if "read_date" in mapped else (pl.lit(None, pl.Date).alias("read_date"),)))
        keys = ["carrier", "account", "period_start"]
        values = ["period_end", "quantity", "cost_yuan", "read_date", "bill_number"]
    frame = chk.valid(frame)
    frame = _repeats(chk, frame, keys, values, out)
    if kind == BILLS:
        _overlaps(chk, frame, out)
        frame = chk.valid(frame)
    out.frame = frame.select(list(schema))
    return out


def _carriers(chk: Checker, frame: pl.DataFrame, mapped: dict[str, Mapped]) -> pl.DataFrame:
    if "carrier" not in mapped:
        return frame.with_columns(pl.lit("electricity").alias("carrier"))
    col = mapped["carrier"].column

    def resolve(name: str) -> str:
        if name in CARRIER_CODES:
            return carrier(name).code
        return _ALIASES.get(name) or carrier_by_name(name).code

    found = map_distinct(frame.get_column(col), resolve, name=col)
    frame = frame.join(found.select(col, pl.col("result").alias("carrier")), on=col,
                       how="left").with_columns(
        pl.col("carrier").fill_null(pl.when(pl.col(col).is_null()).then(pl.lit("electricity"))))
    chk.check(frame, pl.col(col).is_not_null() & ~pl.col("carrier").is_in(UTILITY_CARRIERS),
              "utility.bad_carrier", column=col, value=pl.col(col))
    return frame.sort(ROW)


def _date(chk: Checker, frame: pl.DataFrame, column: str, alias: str) -> pl.DataFrame:
    """``alias``: the date in ``column`` (YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYY年M月D日,
    YYYYMMDD, with a time after it, or an Excel serial day number)."""
    text = (pl.col(column).str.replace_all(r"[./年月]", "-").str.replace(r"日$", "")
            .str.split(" ").list.first().str.split("T").list.first())
    serial = pl.col(column).str.extract(r"^(\d{5})(?:\.0+)?$", 1).cast(pl.Int64, strict=False)
    parsed = pl.coalesce(
        text.str.to_date("%Y-%m-%d", strict=False),
        text.str.to_date("%Y%m%d", strict=False),
        pl.lit(date(1899, 12, 30)) + pl.duration(days=serial))
    frame = frame.with_columns(parsed.alias(alias))
    chk.check(frame, pl.col(column).is_not_null() & pl.col(alias).is_null(),
              "utility.bad_date", column=column, value=pl.col(column))
    return frame


def _tou(chk: Checker, frame: pl.DataFrame, mapped: dict[str, Mapped]) -> pl.DataFrame:
    present = [k for k in TOU if k in mapped]
    if not present:
        return frame
    parts = pl.sum_horizontal(*[pl.col(k).fill_null(0.0) for k in present])
    any_part = pl.any_horizontal(*[pl.col(k).is_not_null() for k in present])
    tolerance = TOU_TOLERANCE_KWH + TOU_TOLERANCE_SHARE * pl.col("quantity")
    chk.check(frame, any_part & ((parts - pl.col("quantity")).abs() > tolerance),
              "utility.tou_mismatch", column=mapped["quantity"].column,
              value=pl.col(mapped["quantity"].column),
              params={"parts": parts.round(4), "total": pl.col("quantity").round(4)},
              static={"tolerance": f"{TOU_TOLERANCE_KWH} + {TOU_TOLERANCE_SHARE:.1%}"})
    return frame


def _repeats(chk: Checker, frame: pl.DataFrame, keys: list[str], values: list[str],
             out: UtilityRows) -> pl.DataFrame:
    """A key twice: with different values an error naming the first row, identical a
    warning (counted once)."""
    firsts = (frame.group_by(keys).agg(pl.col(ROW).min().alias("__first"),
                                       pl.len().alias("__n"))
              .filter(pl.col("__n") > 1).drop("__n"))
    if firsts.is_empty():
        return frame
    first_values = frame.join(firsts, left_on=[*keys, ROW], right_on=[*keys, "__first"]
                              ).select(*keys, *[pl.col(v).alias(f"__f_{v}") for v in values])
    hits = (frame.join(firsts, on=keys).join(first_values, on=keys)
            .filter(pl.col(ROW) != pl.col("__first")))
    same = pl.all_horizontal(*[pl.col(v).eq_missing(pl.col(f"__f_{v}")) for v in values])
    key_text = pl.concat_str([pl.col("account"), *[pl.col(k).cast(pl.String)
                                                   for k in keys[2:]]], separator=" ")
    column = out.column("account")
    chk.check(hits, ~same, "utility.duplicate_conflict", column=column,
              value=pl.col("account"), params={"first_row": pl.col("__first"), "key": key_text})
    chk.check(hits, same, "utility.duplicate_same", column=column, value=pl.col("account"),
              params={"first_row": pl.col("__first"), "key": key_text}, warning=True)
    dropped = hits.filter(same).get_column(ROW)
    return chk.valid(frame).filter(~pl.col(ROW).is_in(dropped.implode()))


def _overlaps(chk: Checker, frame: pl.DataFrame, out: UtilityRows) -> None:
    """Two periods of one account in the file that share a day (sorted by start, a
    period overlaps when it starts on or before the latest end before it)."""
    ordered = frame.sort("carrier", "account", "period_start").with_columns(
        pl.col("period_end").cum_max().shift(1).over("carrier", "account").alias("__prev_end"),
        pl.col(ROW).shift(1).over("carrier", "account").alias("__prev_row"),
        pl.col("period_start").shift(1).over("carrier", "account").alias("__prev_start"))
    other = pl.concat_str([pl.col("__prev_start").cast(pl.String),
                           pl.col("__prev_end").cast(pl.String)], separator="–")
    chk.check(ordered, pl.col("period_start") <= pl.col("__prev_end"), "utility.period_overlap",
              column=out.column("period_start"), value=pl.col("period_start").cast(pl.String),
              params={"first_row": pl.col("__prev_row"), "other": other})


def check_accounts(rows: UtilityRows, bindings: pl.DataFrame, visible: set[int]
                   ) -> pl.DataFrame:
    """The file's rows with ``account_id`` and ``institution_id``; every row whose
    account is not registered, or not bound on its date (a day; a bill's last day) to
    an institution in ``visible``, becomes an error of ``rows``.

    ``bindings``: (account_id, carrier, number, institution_id, valid_from,
    valid_to) for the file's accounts (:func:`jieneng.storage.utility_data.bindings_for_numbers`).
    An account bound only outside ``visible`` is reported exactly as an unknown one,
    so its owner is never named.
    """
    assert rows.chk is not None
    frame = rows.frame
    on = "day" if rows.kind == DAILY else "period_end"
    seen = bindings.with_columns(pl.col("institution_id").is_in(sorted(visible))
                                 .fill_null(False).alias("__vis"))
    known = (seen.group_by("carrier", "number").agg(pl.col("__vis").any().alias("__known"),
                                                   pl.col("account_id").first())
             .rename({"number": "account"}))
    frame = frame.join(known, on=["carrier", "account"], how="left").with_columns(
        pl.col("__known").fill_null(False))
    col = rows.column("account")
    chk = rows.chk
    chk.check(frame, ~pl.col("__known"), "utility.unknown_account", column=col,
              value=pl.col("account"), params={"carrier": pl.col("carrier")})
    bound = (frame.filter(pl.col("__known")).select(ROW, "account_id", on)
             .join(seen.filter(pl.col("__vis")).select("account_id", "institution_id",
                                                         "valid_from", "valid_to"),
                   on="account_id")
             .filter((pl.col("valid_from") <= pl.col(on))
                     & (pl.col("valid_to").is_null() | (pl.col("valid_to") > pl.col(on))))
             .group_by(ROW).agg(pl.col("institution_id").first()))
    frame = frame.join(bound, on=ROW, how="left")
    chk.check(frame, pl.col("__known") & pl.col("institution_id").is_null(),
              "utility.not_bound", column=col, value=pl.col("account"),
              params={"day": pl.col(on).cast(pl.String)})
    return chk.valid(frame).drop("__known")


def check_stored_overlaps(rows: UtilityRows, frame: pl.DataFrame, stored: pl.DataFrame
                          ) -> None:
    """A bill overlapping a stored current bill of the account with another start (a
    revision has the same start)."""
    assert rows.chk is not None
    hits = (frame.select(ROW, "account_id", "period_start", "period_end")
            .join(stored.rename({"period_start": "__s", "period_end": "__e"}),
                  on="account_id")
            .filter((pl.col("__s") != pl.col("period_start"))
                    & (pl.col("__s") <= pl.col("period_end"))
                    & (pl.col("__e") >= pl.col("period_start"))))
    rows.chk.check(hits, pl.lit(True), "utility.period_overlap_stored",
                   column=rows.column("period_start"),
                   value=pl.col("period_start").cast(pl.String),
                   params={"other": pl.concat_str([pl.col("__s").cast(pl.String),
                                                   pl.col("__e").cast(pl.String)],
                                                  separator="–")})


def example_days(today: date) -> list[list[object]]:
    """Template rows of the daily file (two days of one account, with 尖峰平谷)."""
    day = today - timedelta(days=2)
    return [["0301234567", (day - timedelta(days=1)).isoformat(), 812.5, 40.5, 300, 272, 200],
            ["0301234567", day.isoformat(), 790.25, 40.25, 290, 260, 200]]
