"""``jieneng mv …`` — measurement & verification from files (``mv fit``)."""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from jieneng.cli import output
from jieneng.cli.common import Fmt, handles_errors, state
from jieneng.core.messages import text

mv_app = typer.Typer(help="节能量测量与验证 / measurement & verification.", no_args_is_help=True)


class TemperatureUnit(StrEnum):
    C = "C"
    F = "F"


class MvMethod(StrEnum):
    daily = "caltrack-daily"
    eemeter_daily = "daily"
    billing = "caltrack-billing"
    monthly = "monthly"


class Fuel(StrEnum):
    electricity = "electricity"
    natural_gas = "natural_gas"


class Normalise(StrEnum):
    none = "none"
    occupants = "occupants"
    area = "area"


@mv_app.command("fit")
@handles_errors
def fit(
    meter: Annotated[Path, typer.Option(
        "--meter", exists=True, dir_okay=False, readable=True,
        help="计量数据 meter CSV/xlsx: 日期,用量 | 开始,结束,用量 | 月份,用量")],
    temperature: Annotated[Path, typer.Option(
        "--temperature", exists=True, dir_okay=False, readable=True,
        help="温度 temperature CSV/xlsx: 日期,温度 (daily mean) | 时间,温度 (hourly)")],
    baseline: Annotated[str, typer.Option("--baseline", help="基准期 START..END (both included)")],
    reporting: Annotated[str, typer.Option("--reporting",
                                           help="报告期 START..END (both included)")],
    method: Annotated[MvMethod, typer.Option("--method", help="方法 method")],
    temperature_unit: Annotated[TemperatureUnit, typer.Option(
        "--temperature-unit", help="温度文件的单位 unit of the temperature file")],
    fuel: Annotated[Fuel, typer.Option(
        "--fuel", help="能源 (天然气：0 值计入，无制冷项) gas: zeros count, no CDD")
    ] = Fuel.electricity,
    normalise: Annotated[Normalise, typer.Option(
        "--normalise",
        help="月度模型按人数或面积归一 monthly: per occupant or m²")] = Normalise.none,
    allow_insufficient: Annotated[bool, typer.Option(
        "--allow-insufficient",
        help="数据不足也计算（结果标为不合格） fit anyway, flagged")] = False,
    adjust: Annotated[list[str] | None, typer.Option(
        "--adjust", help="非常规调整 non-routine adjustment (repeatable): "
                         "START..END;delta=50;factor=1.1;reason=新增机房")] = None,
    fmt: Annotated[Fmt, typer.Option("--format", help="输出格式 table | json")] = Fmt.table,
) -> None:
    """用文件做节能量测量与验证 Fit a CalTRACK 2.0 daily / billing model or the monthly
    regression on the baseline and report the savings of the reporting period."""
    from jieneng.core.mv.data import DateRange
    from jieneng.core.mv.fit import FitOptions, fit_and_evaluate
    from jieneng.core.mv.savings import Adjustment
    from jieneng.ingest.mv_files import read_meter, read_temperature

    base, rep = DateRange.parse(baseline), DateRange.parse(reporting)
    adjustments = tuple(Adjustment.parse(a) for a in adjust or ())
    limit = state.settings.max_upload_bytes
    meter_file = read_meter(meter, monthly=method is MvMethod.monthly, max_bytes=limit)
    temps = read_temperature(temperature, temperature_unit.value, max_bytes=limit)
    options = FitOptions(fuel=fuel.value, temperature_unit=temperature_unit.value,
                         allow_insufficient=allow_insufficient, normalise=normalise.value,
                         adjustments=adjustments)
    result = fit_and_evaluate(meter_file.series, temps.daily, base, rep, method.value, options)
    data = result.to_dict()
    data["files"] = {
        "meter": {"file": meter_file.file, "layout": meter_file.layout,
                  "warnings": [i.to_dict() for i in meter_file.warnings]},
        "temperature": {"file": temps.file, "hourly": temps.hourly, "missing": temps.missing,
                        "warnings": [i.to_dict() for i in temps.warnings]}}
    if fmt is Fmt.json:
        output.print_json(data)
        return
    _print_text(data, [meter_file.warnings, temps.warnings], [meter_file.file, temps.file])


def _zh(key: str) -> str:
    return text("zh-CN", key)


def _en(key: str) -> str:
    return text("en", key)


def _n(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:,.{digits}f}"


def _pct(value: Any) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _point(f: Any, c: Any, unit: str) -> str:
    if f is None:
        return "—"
    return f"{c:.1f} °C ({f:.0f} °F)" if unit == "C" else f"{f:.0f} °F ({c:.1f} °C)"


def _print_text(data: dict[str, Any], warnings: list[list[Any]], files: list[str]) -> None:
    say, echo = output.say, output.console.print
    unit = data["temperature_unit"]
    bp, co, m = data["model"]["balance_points"], data["model"]["coefficients"], data["metrics"]
    g14 = m["guideline14"]
    echo(say("mv.cli.heading", method=data["method"],
             baseline=f"{data['baseline']['start']}..{data['baseline']['end']}",
             reporting=f"{data['reporting']['start']}..{data['reporting']['end']}"))
    echo(say("mv.cli.model", model_type=data["model"]["type"],
             heating=_point(bp["heating_f"], bp["heating_c"], unit),
             cooling=_point(bp["cooling_f"], bp["cooling_c"], unit)))
    per = "c" if unit == "C" else "f"
    echo(say("mv.cli.coefficients", intercept=_n(co["intercept_per_day"], 3),
             beta_hdd=_n(co[f"beta_hdd_per_{per}_day"], 4),
             beta_cdd=_n(co[f"beta_cdd_per_{per}_day"], 4), unit=f"°{unit}"))
    verdict = {True: "mv.cli.meets", False: "mv.cli.fails"}
    echo(say("mv.cli.metrics", r2=_n(m["r_squared"], 4), r2_adj=_n(m["r_squared_adj"], 4),
             cv=_pct(m["cv_rmse"]), cv_limit=_pct(g14["cv_rmse_limit"]),
             nmbe=_pct(m["nmbe"]), nmbe_limit=_pct(g14["nmbe_limit"]),
             cv_ok_zh=_zh(verdict[g14["cv_rmse_ok"]]), cv_ok_en=_en(verdict[g14["cv_rmse_ok"]]),
             nmbe_ok_zh=_zh(verdict[g14["nmbe_ok"]]), nmbe_ok_en=_en(verdict[g14["nmbe_ok"]])))
    _print_sufficiency(data["sufficiency"])
    for d in (*data["dropped"]["baseline"], *data["dropped"]["reporting"]):
        echo(say("mv.cli.dropped", start=d["start"], end=d["end"], reason_zh=_zh(d["reason"]),
                 reason_en=_en(d["reason"])))
    for file, found in zip(files, warnings, strict=True):
        if found:
            echo(say("mv.cli.file_note", file=file, count=len(found), first=str(found[0])))
    rows = [_row(p) for p in data["periods"]]
    rows.append(_row({**data["total"], "label": say("mv.cli.total")}))
    columns = [say(k) for k in ("mv.cli.col_period", "mv.cli.col_days", "mv.cli.col_baseline",
                                "mv.cli.col_adjustment", "mv.cli.col_observed",
                                "mv.cli.col_savings", "mv.cli.col_pct",
                                "mv.cli.col_uncertainty", "mv.cli.col_fsu")]
    output.print_table(say("mv.cli.table_title", confidence=_pct(m["confidence"])), columns, rows)


def _print_sufficiency(sufficiency: dict[str, Any]) -> None:
    say, echo = output.say, output.console.print
    if sufficiency["ok"]:
        figures = ", ".join(f"{k} {v}" for k, v in sufficiency["figures"].items())
        echo(say("mv.cli.sufficient", figures=figures))
    else:
        echo(say("mv.cli.insufficient"))
    labels = {"error": "mv.cli.error", "warning": "mv.cli.warning"}
    for r in sufficiency["reasons"]:
        key = labels[r["severity"]]
        echo(say("mv.cli.reason", severity_zh=_zh(key), severity_en=_en(key),
                 message_zh=r["message_zh"], message_en=r["message_en"], clause=r["clause"]))


def _row(p: dict[str, Any]) -> list[str]:
    return [p["label"], f"{p['days_used']}/{p['days']}", _n(p["baseline_predicted"]),
            _n(p["adjustment"]), _n(p["observed"]), _n(p["savings"]), _pct(p["savings_pct"]),
            _n(p["uncertainty"]), _pct(p["fsu"])]
