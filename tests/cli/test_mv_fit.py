"""``jieneng mv fit`` end to end on files: JSON parsed and checked for the three methods,
text output, bad files refused naming row and column (no database needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from jieneng.cli.main import app

runner = CliRunner()
DAYS = np.arange(np.datetime64("2022-01-01"), np.datetime64("2024-01-01"))
RANGES = ["--baseline", "2022-01-01..2022-12-31", "--reporting", "2023-01-01..2023-12-31"]


def _temps_c() -> np.ndarray:
    doy = (DAYS - DAYS[0]).astype(int)
    noise = np.random.default_rng(5).normal(0, 2, len(DAYS))
    return np.asarray(15 - 14 * np.cos(2 * np.pi * doy / 365.25) + noise)


def _usage(t_c: np.ndarray) -> np.ndarray:
    """μ 200 /day, β_H 6 per °C-day under 12.8 °C (55 °F), β_C 9 per °C-day over 21.1 °C (70 °F);
    the reporting year uses 15 % less."""
    t_f = t_c * 9 / 5 + 32
    usage = 200 + 6 / 1.8 * np.maximum(55 - t_f, 0) + 9 / 1.8 * np.maximum(t_f - 70, 0)
    usage[np.datetime64("2023-01-01") <= DAYS] *= 0.85
    return usage


def _write(path: Path, header: list[str], rows: list[list[Any]], encoding: str = "utf-8") -> Path:
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    t = _temps_c()
    use = _usage(t)
    months = DAYS.astype("datetime64[M]")
    first = np.flatnonzero(np.r_[True, months[1:] != months[:-1]])
    totals = np.add.reduceat(use, first)
    ends = np.r_[first[1:] - 1, len(DAYS) - 1]
    return {
        "daily": _write(tmp_path / "meter.csv", ["日期", "用电量(千瓦时)"],
                        [[d, f"{u:.4f}"] for d, u in zip(DAYS, use, strict=True)],
                        encoding="gbk"),
        "temperature": _write(tmp_path / "t.csv", ["date", "temperature"],
                              [[d, f"{v:.3f}"] for d, v in zip(DAYS, t, strict=True)]),
        "bills": _write(tmp_path / "bills.csv", ["开始", "结束", "用量"],
                        [[DAYS[a], DAYS[b], f"{v:.3f}"]
                         for a, b, v in zip(first, ends, totals, strict=True)]),
        "months": _write(tmp_path / "months.csv", ["月份", "用量", "用能人数"],
                         [[str(months[a]), f"{v:.3f}", 120]
                          for a, v in zip(first, totals, strict=True)]),
    }


def _fit(meter: Path, temperature: Path, method: str, *extra: str) -> Any:
    return runner.invoke(app, ["mv", "fit", "--meter", str(meter), "--temperature",
                               str(temperature), "--temperature-unit", "C", *RANGES,
                               "--method", method, *extra], catch_exceptions=False)


@pytest.mark.parametrize(("meter", "method"), [("daily", "caltrack-daily"),
                                               ("bills", "caltrack-billing"),
                                               ("months", "monthly")])
def test_fit_json(files: dict[str, Path], meter: str, method: str) -> None:
    done = _fit(files[meter], files["temperature"], method, "--format", "json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert data["method"] == method and data["qualified"] is True
    assert data["model"]["type"] == "hdd_cdd"
    assert abs(data["model"]["balance_points"]["heating_c"] - 12.78) <= 1.7
    assert data["total"]["savings_pct"] == pytest.approx(0.15, abs=0.01)
    assert len(data["periods"]) == 12
    assert data["metrics"]["guideline14"]["cv_rmse_ok"] is True
    assert data["total"]["uncertainty"] > 0 and data["sufficiency"]["ok"] is True
    if method == "caltrack-daily":
        assert data["model"]["coefficients"]["beta_hdd_per_c_day"] == pytest.approx(6, rel=0.05)


def test_fit_text(files: dict[str, Path]) -> None:
    done = _fit(files["daily"], files["temperature"], "caltrack-daily")
    assert done.exit_code == 0
    assert "节能量" in done.output and "Savings" in done.output and "hdd_cdd" in done.output


def test_hourly_temperature_file(files: dict[str, Path], tmp_path: Path) -> None:
    t = _temps_c()
    rows = [[f"{d} {h:02d}:00", f"{v + 2 * np.sin(h / 24 * 6.283):.2f}"]
            for d, v in zip(DAYS, t, strict=True) for h in range(24)]
    hourly = _write(tmp_path / "hourly.csv", ["时间", "气温"], rows)
    done = _fit(files["daily"], hourly, "caltrack-daily", "--format", "json")
    data = json.loads(done.output)
    assert data["files"]["temperature"]["hourly"] is True
    assert data["total"]["savings_pct"] == pytest.approx(0.15, abs=0.01)


def test_insufficient_baseline_is_refused(files: dict[str, Path], tmp_path: Path) -> None:
    short = _write(tmp_path / "short.csv", ["日期", "用量"],
                   [[d, 100] for d in DAYS[200:]])
    refused = _fit(short, files["temperature"], "caltrack-daily")
    assert refused.exit_code == 1
    assert "基准期数据不足" in refused.output and "insufficient" in refused.output


def test_bad_meter_file_names_row_and_column(files: dict[str, Path], tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.csv", ["日期", "用量"],
                 [["2022-01-01", 10], ["2022-13-01", 11], ["2022-01-03", "abc"],
                  ["2022-01-01", 12]])
    refused = _fit(bad, files["temperature"], "caltrack-daily")
    assert refused.exit_code == 1
    out = refused.output
    assert "bad.csv" in out and "第3行" in out and "row 4" in out and "用量" in out


def test_overlapping_periods_refused(files: dict[str, Path], tmp_path: Path) -> None:
    bad = _write(tmp_path / "overlap.csv", ["start", "end", "value"],
                 [["2022-01-01", "2022-01-31", 10], ["2022-01-25", "2022-02-28", 11]])
    refused = _fit(bad, files["temperature"], "caltrack-billing")
    assert refused.exit_code == 1 and "第3行" in refused.output and "row 3" in refused.output


def test_temperature_in_the_wrong_unit_refused(files: dict[str, Path], tmp_path: Path) -> None:
    hot = _write(tmp_path / "hot.csv", ["日期", "温度"], [["2022-01-01", 5], ["2022-01-02", 95]])
    refused = _fit(files["daily"], hot, "caltrack-daily")
    assert refused.exit_code == 1
    assert "第3行" in refused.output and "--temperature-unit" in refused.output


def test_estimated_reads_and_offsets(files: dict[str, Path], tmp_path: Path) -> None:
    """An estimated read merges into the next bill (CalTRACK 2.0 §2.2.3.1); a time with
    an offset is read in China time."""
    from jieneng.ingest.mv_files import read_meter, read_temperature

    bills = _write(tmp_path / "est.csv", ["账期起", "账期止", "电量", "估抄"],
                   [["2022-01-01", "2022-01-31", 10, "否"], ["2022-02-01", "2022-02-14", 5, "是"],
                    ["2022-02-15", "2022-02-28", 6, ""]])
    meter = read_meter(bills)
    assert meter.layout == "periods" and list(meter.series.estimated) == [False, True, False]
    stamps = _write(tmp_path / "tz.csv", ["timestamp", "temperature"],
                    [["2023-01-01T00:00:00Z", 1], ["2023-01-01 09:00", 3],
                     ["2023-01-01T10:00+08:00", 5]])
    temps = read_temperature(stamps, "C")
    assert temps.hourly and temps.daily.coverage[0] == pytest.approx(3 / 24)
    bad = _write(tmp_path / "flag.csv", ["start", "end", "value", "estimated"],
                 [["2022-01-01", "2022-01-31", 10, "maybe"]])
    refused = _fit(bad, files["temperature"], "caltrack-billing")
    assert refused.exit_code == 1 and "maybe" in refused.output


def test_english_headers_keep_their_cells(files: dict[str, Path], tmp_path: Path) -> None:
    """Headers named like the parsed columns (start, end, value, temperature) still
    report the cell as typed."""
    bad = _write(tmp_path / "en.csv", ["start", "end", "value"],
                 [["2022-01-01", "2022-01-31", 10], ["2022-02-30", "2022-03-01", "x"]])
    refused = _fit(bad, files["temperature"], "caltrack-billing")
    assert refused.exit_code == 1
    assert "2022-02-30" in refused.output and "x" in refused.output and "row 3" in refused.output


def test_adjustments_on_the_command_line(files: dict[str, Path]) -> None:
    plain = json.loads(_fit(files["daily"], files["temperature"], "caltrack-daily",
                            "--format", "json").output)
    done = _fit(files["daily"], files["temperature"], "caltrack-daily", "--format", "json",
                "--adjust", "2023-07-01..2023-12-31;delta=20;reason=新增机房 server room",
                "--adjust", "2023-01-01..2023-01-31;factor=1.1;reason=延长开放 longer hours")
    data = json.loads(done.output)
    january = data["periods"][0]
    assert january["adjustment"] == pytest.approx(0.1 * january["baseline_predicted"])
    added = data["total"]["adjustment"] - january["adjustment"]
    assert added == pytest.approx(20 * 184)
    assert data["total"]["savings"] == pytest.approx(plain["total"]["savings"]
                                                     + data["total"]["adjustment"])
    assert len(data["adjustments"]) == 2
    for bad in ("2023-07-01..2023-12-31;delta=20", "2023-07-01..2023-12-31;delta=x;reason=r",
                "2023-07-01..2023-12-31;factor=0;reason=r"):
        refused = _fit(files["daily"], files["temperature"], "caltrack-daily", "--adjust", bad)
        assert refused.exit_code == 1 and "非常规调整" in refused.output


def test_spreadsheets_with_date_cells(tmp_path: Path) -> None:
    """.xlsx date cells read as dates (not as midnight readings of an hourly file), and
    a day number (Excel serial) too."""
    import datetime as dt

    import xlsxwriter

    t = _temps_c()
    use = _usage(t)
    for name, header, values in (("m.xlsx", ["日期", "用电量"], use),
                                 ("t.xlsx", ["日期", "日平均气温"], t)):
        book = xlsxwriter.Workbook(str(tmp_path / name))
        sheet = book.add_worksheet()
        dates = book.add_format({"num_format": "yyyy-mm-dd"})
        sheet.write_row(0, 0, header)
        for i, (day, value) in enumerate(zip(DAYS.tolist(), values, strict=True)):
            if i == 0:
                sheet.write_number(1, 0, 44562)  # 2022-01-01 as a day number
            else:
                sheet.write_datetime(i + 1, 0, dt.datetime.combine(day, dt.time()), dates)
            sheet.write_number(i + 1, 1, float(value))
        book.close()
    done = _fit(tmp_path / "m.xlsx", tmp_path / "t.xlsx", "caltrack-daily", "--format", "json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert data["files"]["temperature"]["hourly"] is False
    assert data["sufficiency"]["figures"]["valid_days"] == 365
    assert data["total"]["savings_pct"] == pytest.approx(0.15, abs=0.01)
