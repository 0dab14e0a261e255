"""``jieneng projects baseline|statement|settle|adjust|adjustment|alerts`` — a project's
M&V in the platform: fit the baseline, record and decide non-routine adjustments,
issue monitoring statements (the 荆州 cadence), settle by the contract, raise alerts.
Registered on ``jieneng projects`` by :func:`register`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jieneng.cli import output
from jieneng.cli.common import Fmt, FormatOpt, RegionOpt, YearOpt, day, engine, handles_errors

ProjectArg = Annotated[str, typer.Argument(help="项目编号 project code")]
RangeOpt = Annotated[str, typer.Option("--baseline", help="基准期 START..END (both included)")]
ReportingOpt = Annotated[str | None, typer.Option(
    "--reporting", help="报告期 START..END (default: from the day after the baseline)")]
PeriodOpt = Annotated[str, typer.Option("--period", help="2025-03 | 2025-Q1 | 2025")]


def _user() -> Any:
    from jieneng.core.caller import command_line_user

    return command_line_user()


def _rows(pairs: list[tuple[str, Any]]) -> list[list[Any]]:
    return [[output.label(k), v] for k, v in pairs]


def _normalise(value: str) -> Any:
    if value not in ("none", "occupants", "area"):
        raise typer.BadParameter("none | occupants | area", param_hint="--normalise")
    return value


def baseline(code: ProjectArg, window: RangeOpt, reporting: ReportingOpt = None,
             method: Annotated[str, typer.Option(
                 "--method", help="monthly | caltrack-daily | caltrack-billing")] = "monthly",
             carrier: Annotated[str, typer.Option("--carrier", help="能源品种")] = "electricity",
             normalise: Annotated[str, typer.Option(
                 "--normalise", help="none | occupants | area (monthly: per person / m²)")
             ] = "none",
             fmt: FormatOpt = Fmt.table) -> None:
    """基准确认 Fit and store a project's baseline (NY201 months or boundary meters)."""
    from jieneng.core.mv.data import DateRange
    from jieneng.services.projects.mv_runs import fit_baseline

    run = fit_baseline(engine(), _user(), code, carrier=carrier, method=method,
                       baseline=DateRange.parse(window),
                       reporting=DateRange.parse(reporting) if reporting else None,
                       normalise=_normalise(normalise))
    if fmt is Fmt.json:
        output.print_json(run)
        return
    metrics, model, total = run["metrics"], run["model"], run["result"]["total"]
    output.print_table(output.label("projects.mv.baseline_title", project=code), [
        output.label("projects.mv.item"), output.label("projects.mv.value")], _rows([
            ("projects.mv.run", run["id"]), ("projects.mv.model", model["type"]),
            ("projects.mv.qualified", run["qualified"]),
            ("projects.mv.r2", metrics["r_squared"]),
            ("projects.mv.cvrmse", output.pct(metrics["cv_rmse"])),
            ("projects.mv.nmbe", output.pct(metrics["nmbe"])),
            ("projects.mv.sufficiency", output.pct(run["sufficiency"])),
            ("projects.mv.savings", total["savings"]),
            ("projects.mv.savings_pct", output.pct(total["savings_pct"]))]))


def statement(code: ProjectArg, period: Annotated[str | None, typer.Option(
                  "--period", help="2025-03 | 2025-Q1 | 2025")] = None,
              due: Annotated[str | None, typer.Option(
                  "--due", help="issue every due statement up to this day (YYYY-MM-DD)")] = None,
              fmt: FormatOpt = Fmt.table) -> None:
    """月度监测/季度评估/年度考核 Compute a statement (or every due one: --due)."""
    from jieneng.services.projects import statements

    if due is not None:
        made = statements.issue_due(engine(), _user(), code, through=day(due))
    elif period is not None:
        made = [statements.compute_statement(engine(), _user(), code, period)]
    else:
        raise typer.BadParameter("--period or --due")
    if fmt is Fmt.json:
        output.print_json(made)
        return
    output.print_table(output.label("projects.mv.statement_title", project=code),
                       [output.label(k) for k in (
                           "projects.mv.period", "projects.mv.savings_tce",
                           "projects.mv.savings_co2", "projects.mv.savings_yuan",
                           "projects.mv.savings_pct")],
                       [[s["period"], s["savings_tce"], s["savings_co2_t"], s["savings_yuan"],
                         output.pct(s["savings_pct"])] for s in made])


def settle(code: ProjectArg, period: PeriodOpt,
           price: Annotated[list[str] | None, typer.Option(
               "--price", help="约定价格 carrier=元/unit (repeatable)")] = None,
           om_fee: Annotated[float, typer.Option("--om-fee", help="运维费 元")] = 0.0,
           om_cost: Annotated[float, typer.Option("--om-cost", help="运维成本 元")] = 0.0,
           fee_factor: Annotated[float, typer.Option("--fee-factor")] = 1.0,
           confirm: Annotated[bool, typer.Option("--confirm", help="确认结算")] = False,
           fmt: FormatOpt = Fmt.table) -> None:
    """结算 Settle a period by the contract's mode (draft; --confirm makes it final)."""
    from jieneng.services.projects import settlement

    prices = {k.strip(): float(v) for k, _, v in (p.partition("=") for p in price or [])}
    got = settlement.settle(engine(), _user(), code, period, prices=prices, om_fee=om_fee,
                            om_cost=om_cost, fee_factor=fee_factor)
    if confirm:
        got = {**got, **settlement.confirm(engine(), _user(), code, period)}
    if fmt is Fmt.json:
        output.print_json(got)
        return
    output.print_table(output.label("projects.mv.settlement_title", project=code), [
        output.label("projects.mv.item"), output.label("projects.mv.value")], _rows([
            ("projects.mv.period", got["period"]), ("projects.mv.mode", got["mode"]),
            ("projects.mv.amount", got["amount_yuan"]),
            ("projects.mv.margin", got["esco_margin_yuan"]),
            ("projects.mv.state", got["state"])]))


def adjust(code: ProjectArg,
           kind: Annotated[str, typer.Option("--kind", help="area|occupants|hours|added_load")],
           window: Annotated[str, typer.Option("--period", help="START..END (END excluded)")],
           value: Annotated[float, typer.Option("--value", help="Σ over the period")],
           reason: Annotated[str, typer.Option("--reason", help="理由")],
           evidence: Annotated[int | None, typer.Option(
               "--evidence", help="证明材料 project document id (required)")] = None,
           carrier: Annotated[str, typer.Option("--carrier")] = "electricity",
           factor: Annotated[float, typer.Option("--factor")] = 1.0,
           fmt: FormatOpt = Fmt.json) -> None:
    """非常规调整 Propose a non-routine adjustment with its evidence."""
    from jieneng.services.projects.adjustments import AdjustmentSpec, propose

    start, _, end = window.partition("..")
    output.print_json(propose(engine(), _user(), code, AdjustmentSpec(
        carrier, kind, day(start), day(end), value, reason,
        evidence, factor)))


def adjustment(code: ProjectArg, adjustment_id: Annotated[int, typer.Argument()],
               approve: Annotated[bool, typer.Option("--approve/--reject")],
               note: Annotated[str | None, typer.Option("--note")] = None,
               fmt: FormatOpt = Fmt.json) -> None:
    """审批调整 Approve or reject a proposed adjustment."""
    from jieneng.services.projects.adjustments import decide

    output.print_json(decide(engine(), _user(), code, adjustment_id, approve=approve,
                             note=note))


def alerts(region: RegionOpt, year: YearOpt, fmt: FormatOpt = Fmt.json) -> None:
    """项目预警 Raise or close the project alerts of a region and year."""
    from jieneng.services.projects.project_alerts import evaluate_projects

    output.print_json(evaluate_projects(engine(), _user(), region_code=region, year=year))


def register(parent: typer.Typer) -> None:
    """Add this module's commands to ``jieneng projects`` (called by :mod:`jieneng.cli.main`)."""
    for name, command in (("baseline", baseline), ("statement", statement),
                          ("settle", settle), ("adjust", adjust),
                          ("adjustment", adjustment), ("alerts", alerts)):
        parent.command(name)(handles_errors(command))
