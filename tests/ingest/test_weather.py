"""The weather-file parser: daily means and hourly values, °C and °F, UTF-8 and GBK,
Chinese and English headers, CalTRACK's 50 % hour coverage, every bad row named."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from jieneng.ingest.weather import DAILY, HOURLY, parse_weather
from tests.ingest.conftest import write_csv

TODAY = date(2026, 12, 4)


def codes(rows: object) -> set[tuple[int | None, str | None, str]]:
    return {(i.row, i.column, i.code) for i in rows.chk.issues}  # type: ignore[attr-defined]


def test_daily_fahrenheit_from_the_header_is_stored_in_celsius(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", ["date", "temperature (°F)"],
                     [["2025-01-01", 50], ["2025/1/2", 41], ["20250103", 32],
                      ["2025年1月4日", -40]])
    rows = parse_weather(path, today=TODAY)
    assert rows.ok and rows.shape == DAILY and rows.unit == "F"
    assert rows.frame["day"].to_list() == [date(2025, 1, d) for d in (1, 2, 3, 4)]
    assert rows.frame["temperature_c"].to_list() == pytest.approx([10.0, 5.0, 0.0, -40.0])
    assert set(rows.frame["coverage"].to_list()) == {1.0}
    assert set(rows.frame["source"].to_list()) == {"daily"}


def test_gbk_chinese_headers_a_title_row_and_the_unit_given(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "桂林.csv", ["日期", "日平均气温", "备注"],
                     [["2025-07-01", "28.5", "晴"], ["2025-07-02", "２９", ""]],
                     encoding="gbk", above=[["桂林站 日平均气温"]])
    rows = parse_weather(path, unit="C", today=TODAY)
    assert rows.ok, rows.chk.issues if rows.chk else rows.failed
    assert rows.frame["temperature_c"].to_list() == [28.5, 29.0]
    assert codes(rows) == {(None, "备注", "import.ignored_column")}  # a warning


def test_the_unit_is_never_guessed(tmp_path: Path) -> None:
    plain = write_csv(tmp_path / "p.csv", ["date", "temperature"], [["2025-01-01", 10]])
    assert codes(parse_weather(plain, today=TODAY)) == {
        (None, "temperature", "weather.unit_unknown")}
    stated = write_csv(tmp_path / "s.csv", ["日期", "气温(℃)"], [["2025-01-01", 10]])
    conflict = parse_weather(stated, unit="F", today=TODAY)
    assert codes(conflict) == {(None, "气温(℃)", "weather.unit_conflict")}
    assert conflict.chk is not None and "°C" in conflict.chk.issues[0].message_zh
    assert codes(parse_weather(plain, unit="K", today=TODAY)) == {
        (None, "temperature", "weather.bad_unit")}
    assert parse_weather(stated, unit="°c", today=TODAY).ok


def test_a_file_without_a_time_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", ["站号", "气温(℃)", "temp"], [["57957", 10, 10]])
    rows = parse_weather(path, today=TODAY)
    assert (None, "日期 / 时间", "weather.no_time_column") in codes(rows)
    assert not rows.ok


def test_every_bad_daily_row_is_named(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", ["日期", "气温(℃)"], [
        ["2025-01-01", 10],        # 2 fine
        ["2025-02-30", 10],        # 3 bad date
        ["2025-01-03", "暖"],      # 4 not a number
        ["2025-01-04", 75],        # 5 out of range
        ["2026-12-05", 10],        # 6 future
        ["2025-01-01", 10],        # 7 identical repeat of row 2
        ["2025-01-01", 11],        # 8 same day, other value
        ["", 10],                  # 9 no date
        ["2025-01-09", ""],        # 10 no value
    ])
    rows = parse_weather(path, today=TODAY)
    assert not rows.ok
    assert codes(rows) == {
        (3, "日期", "weather.bad_date"), (4, "气温(℃)", "import.not_a_number"),
        (5, "气温(℃)", "weather.out_of_range"), (6, "日期", "weather.future_date"),
        (7, "日期", "weather.duplicate_same"), (8, "日期", "weather.duplicate_conflict"),
        (9, "日期", "import.missing_value"), (10, "气温(℃)", "import.missing_value")}
    assert rows.chk is not None
    by_row = {i.row: i for i in rows.chk.issues}
    assert "75" in by_row[5].message_zh and "check the unit" in by_row[5].message_en
    assert "第 2 行" in by_row[8].message_zh and "row 2" in by_row[8].message_en
    assert by_row[7].severity == "warning"
    assert str(by_row[3]).startswith("bad.csv 第3行 “日期”列：")
    err = rows.rejection()
    assert err.report.height == 8  # 7 errors, 1 warning


def _hours(first: datetime, count: int, value: float = 0.0, step: float = 1.0
           ) -> list[tuple[str, float]]:
    return [((first + timedelta(hours=h)).strftime("%Y-%m-%d %H:%M"), value + step * h)
            for h in range(count)]


def test_hourly_values_become_daily_means_with_coverage(tmp_path: Path) -> None:
    day1 = _hours(datetime(2025, 3, 1), 24)                     # 0 … 23 → mean 11.5
    day2 = _hours(datetime(2025, 3, 2), 12, value=20, step=0)   # 12 hours → coverage 0.5
    day3 = _hours(datetime(2025, 3, 3), 11, value=5, step=0)    # 11 hours → left out
    half = [["2025-03-01 00:30", 33.8]]                 # 1 °C a half hour on: averaged in its hour
    path = write_csv(tmp_path / "h.csv", ["观测时间", "气温(°F)"],
                     [*[[t, v * 1.8 + 32] for t, v in day1 + day2 + day3], *half])
    rows = parse_weather(path, today=TODAY)
    assert rows.shape == HOURLY and rows.ok
    got = rows.frame.rows(named=True)
    assert [r["day"] for r in got] == [date(2025, 3, 1), date(2025, 3, 2)]
    # hour 0 holds 0 and 1 → 0.5; the day's mean is the mean of its 24 hour means
    assert got[0]["temperature_c"] == pytest.approx((0.5 + sum(range(1, 24))) / 24)
    assert (got[0]["coverage"], got[0]["hours"]) == (1.0, 24)
    assert got[1]["temperature_c"] == pytest.approx(20.0) and got[1]["coverage"] == 0.5
    assert rows.chk is not None
    low = [i for i in rows.chk.issues if i.code == "weather.low_coverage"]
    assert len(low) == 1 and low[0].severity == "warning" and low[0].row == 38
    assert "11" in low[0].message_zh and "2025-03-03" in low[0].message_en


def test_timestamps_with_an_offset_are_read_in_china_time(tmp_path: Path) -> None:
    rows24 = [[f"2025-06-30T{h:02d}:00:00Z", 30.0] for h in range(16, 24)] + [
        [f"2025-07-01T{h:02d}:00:00Z", 30.0] for h in range(0, 16)]
    path = write_csv(tmp_path / "utc.csv", ["timestamp", "temp"], rows24)
    rows = parse_weather(path, unit="C", today=TODAY)
    assert rows.ok
    assert rows.frame.select("day", "hours").rows() == [(date(2025, 7, 1), 24)]


def test_bad_and_repeated_timestamps(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "hb.csv", ["时间", "气温(℃)"], [
        ["2025-01-01 00:00", 1], ["2025-01-01 25:00", 1], ["2025-01-01 00:00", 2],
        ["2025-01-01 00:00", 1]])
    rows = parse_weather(path, today=TODAY)
    assert codes(rows) == {(3, "时间", "weather.bad_timestamp"),
                           (4, "时间", "weather.duplicate_conflict"),
                           (5, "时间", "weather.duplicate_same"),
                           (2, "时间", "weather.low_coverage")}
