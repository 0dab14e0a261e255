"""``jieneng carbon …`` — an event's carbon (大型活动/会议碳中和) and the carbon-points
ledger (碳普惠): event-add, event-show, offset-add, points-import, leaderboard, rules,
factor-set; corrections (event-correct, event-withdraw, offset-correct, offset-withdraw,
entries, entry-correct, entry-withdraw; a reason required) and the local points rules
(rules-load, rules-export). The command line acts as an administrator (audited as
``cli``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from jieneng.cli import output
from jieneng.cli.common import (
    DryRun,
    FileArg,
    Fmt,
    FormatOpt,
    day,
    engine,
    file_import,
    handles_errors,
    state,
)

carbon_app = typer.Typer(help="碳中和、碳普惠 / event carbon and carbon points.",
                         no_args_is_help=True)

LineOpt = Annotated[list[str] | None, typer.Option(
    "--line", help="活动数据 mode=quantity (repeatable; `jieneng carbon rules --events`)")]


def _lines(items: list[str] | None) -> dict[str, float]:
    from jieneng.core.exceptions import ValidationFailed

    out: dict[str, float] = {}
    for item in items or []:
        code, _, qty = item.partition("=")
        try:
            out[code.strip()] = float(qty)
        except ValueError:
            raise ValidationFailed.of("carbon_number_invalid", field=code.strip(),
                                      value=qty[:30]) from None
    return out


@carbon_app.command("event-add")
@handles_errors
def event_add(
    institution: Annotated[str, typer.Option("--institution", help="统一社会信用代码")],
    name: Annotated[str, typer.Option("--name", help="活动名称 event name")],
    start: Annotated[str, typer.Option("--start", help="开始日期 YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--end", help="结束日期 YYYY-MM-DD")],
    attendees: Annotated[int, typer.Option("--attendees", help="参会人数")],
    place: Annotated[str, typer.Option("--place", help="地点 place")] = "",
    line: LineOpt = None, fmt: FormatOpt = Fmt.table,
) -> None:
    """登记活动 Record an event with its activity data and print its result."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.carbon.events import EventSpec, create_event

    made = create_event(engine(), command_line_user(), EventSpec(
        credit_code=institution, name=name, start_date=day(start),
        end_date=day(end), attendees=attendees, place=place,
        lines=_lines(line)), default_factor_set=state.settings.factor_set)
    _show(made, fmt)


def _show(data: dict[str, object], fmt: Fmt) -> None:
    if fmt is Fmt.json:
        output.print_json(data)
        return
    event = data["event"]
    assert isinstance(event, dict)
    lines = data["lines"]
    assert isinstance(lines, list)
    output.print_table(f"{event['id']} {event['name']}", [
        output.label("carbon.web.col.mode"), output.label("carbon.web.col.quantity"),
        output.label("carbon.web.col.factor"), "tCO2", output.label("carbon.web.col.source")],
        [[ln["code"], output.fmt(ln["quantity"]), output.fmt(ln["factor"]["value"], 4),
          output.fmt(ln["t"], 3), ln["factor"]["source"][:60]] for ln in lines])
    output.console.print(output.say(
        "carbon.cli.result_neutral" if data["neutral"] else "carbon.cli.result",
        total=output.fmt(data["total_t"], 3), offsets=output.fmt(data["offsets_t"], 3),
        net=output.fmt(data["net_t"], 3)))


@carbon_app.command("event-show")
@handles_errors
def event_show(event_id: Annotated[int, typer.Argument(help="活动编号 event id")],
               fmt: FormatOpt = Fmt.table) -> None:
    """活动碳排放 An event's emissions by source with factors, offsets, net, 碳中和."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.carbon.events import get_event

    _show(get_event(engine(), command_line_user(), event_id,
                    default_factor_set=state.settings.factor_set), fmt)


@carbon_app.command("offset-add")
@handles_errors
def offset_add(
    event_id: Annotated[int, typer.Argument(help="活动编号 event id")],
    kind: Annotated[str, typer.Option("--kind", help="ccer | forestry | allowance | "
                                      "purchased_credit | tree_planting")],
    quantity: Annotated[float, typer.Option("--quantity", help="抵消量 tCO2")],
    evidence: Annotated[Path | None, typer.Option(
        "--evidence", exists=True, dir_okay=False, help="证明材料 pdf/jpg/png/ofd")] = None,
    description: Annotated[str, typer.Option("--description")] = "",
) -> None:
    """登记抵消 Record an offset against an event (with its evidence document)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.carbon.events import add_offset

    made = add_offset(engine(), command_line_user(), event_id, kind=kind, quantity_t=quantity,
                      description=description,
                      file_name=evidence.name if evidence else None,
                      content=evidence.read_bytes() if evidence else None)
    output.console.print(output.say("carbon.cli.offset_added", id=made["id"],
                                    quantity=output.fmt(quantity, 3)))


@carbon_app.command("points-import")
@handles_errors
def points_import(file: FileArg, dry_run: DryRun = False, fmt: FormatOpt = Fmt.table) -> None:
    """导入积分 Import carbon-points entries from .xlsx/.csv (all or nothing)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.carbon.points import import_points

    report = file_import(lambda: import_points(
        engine(), command_line_user(), file, dry_run=dry_run,
        max_bytes=state.settings.max_upload_bytes,
        default_factor_set=state.settings.factor_set), fmt)
    if report is None:
        return
    key = "carbon.web.import_checked" if dry_run else "carbon.web.import_done"
    output.console.print(output.say(key, added=report.added, skipped=report.skipped,
                                    staff=report.staff_added))


@carbon_app.command("leaderboard")
@handles_errors
def leaderboard(
    region: Annotated[str | None, typer.Option("--region")] = None,
    institution: Annotated[str | None, typer.Option("--institution")] = None,
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM")] = None,
    year: Annotated[int | None, typer.Option("--year")] = None,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """排行榜 Staff and institutions by carbon points."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.carbon.points import leaderboards

    data = leaderboards(engine(), command_line_user(), region_code=region,
                        institution_code=institution, month=month, year=year)
    if fmt is Fmt.json:
        output.print_json(data)
        return
    output.print_table(output.label("carbon.web.staff_board"), ["#", "staff", "institution",
                       "points", "kgCO2"], [[s["rank"], s["display_name"],
                                             s["institution_name"], output.fmt(s["points"], 1),
                                             output.fmt(s["co2_kg"])] for s in data["staff"]])
    output.print_table(output.label("carbon.web.unit_board"), [
        "#", "institution", "staff", "points", "per capita"], [
        [u["rank_total"], u["name"], u["staff"], output.fmt(u["points"], 1),
         output.fmt(u["per_capita"])] for u in data["institutions"]])


@carbon_app.command("rules")
@handles_errors
def rules(events: Annotated[bool, typer.Option("--events", help="活动排放因子 the event "
                                               "modes and factors")] = False,
          region: Annotated[str, typer.Option("--region")] = "450300",
          year: Annotated[int | None, typer.Option("--year")] = None,
          fmt: FormatOpt = Fmt.table) -> None:
    """积分规则 The points rules (or --events: the event factors) with their sources."""
    from jieneng.services.carbon.factors import factor_table
    from jieneng.services.carbon.points import rules_in_force, rules_table

    if events:
        rows = factor_table(engine(), region, year or date.today().year, "zh-CN",
                            default_factor_set=state.settings.factor_set)
        cols = ["code", "unit", "value", "status", "source"]
    else:
        rows = rules_table("zh-CN", rules_in_force(engine())[1])
        cols = ["action", "unit", "points_per_unit", "co2_method", "daily_cap", "status",
                "source"]
    if fmt is Fmt.json:
        output.print_json(rows)
        return
    if fmt is Fmt.csv:
        output.print_csv([{c: r.get(c) for c in cols} for r in rows])
        return
    output.print_table(output.label("carbon.web.rules_title"), cols,
                       [[str(r.get(c) if r.get(c) is not None else "—")[:70] for c in cols]
                        for r in rows])


@carbon_app.command("factor-set")
@handles_errors
def factor_set(mode: Annotated[str, typer.Argument(help="活动方式 mode code")],
               value: Annotated[float | None, typer.Argument(help="kgCO2/unit (omit: clear)")]
               = None,
               source: Annotated[str, typer.Option("--source", help="出处 source")] = "") -> None:
    """设置因子 Set the factor of a mode the references give none for (with its source)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.carbon.factors import set_factor

    made = set_factor(engine(), command_line_user(), mode, value, source)
    output.console.print(output.say("carbon.cli.factor_set", mode=made["mode"],
                                    value=made["value"] if made["value"] is not None else "—"))


ReasonOpt = Annotated[str, typer.Option("--reason", help="理由 why (required; audited)")]


@carbon_app.command("event-correct")
@handles_errors
def event_correct(
    event_id: Annotated[int, typer.Argument(help="活动编号 event id")],
    reason: ReasonOpt,
    name: Annotated[str | None, typer.Option("--name")] = None,
    start: Annotated[str | None, typer.Option("--start", help="YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option("--end", help="YYYY-MM-DD")] = None,
    attendees: Annotated[int | None, typer.Option("--attendees")] = None,
    place: Annotated[str | None, typer.Option("--place")] = None,
    line: LineOpt = None, fmt: FormatOpt = Fmt.table,
) -> None:
    """更正活动 Correct an event: options given replace the stored values; --line
    replaces every activity row."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.carbon.corrections import correct_event
    from jieneng.services.carbon.events import EventSpec, get_event

    who, factor_set = command_line_user(), state.settings.factor_set
    old = get_event(engine(), who, event_id, default_factor_set=factor_set)
    e = old["event"]
    lines = _lines(line) if line else {x["code"]: x["quantity"] for x in old["lines"]}
    spec = EventSpec(
        credit_code=str(e["credit_code"]), name=name if name is not None else str(e["name"]),
        start_date=day(start) if start else e["start_date"],
        end_date=day(end) if end else e["end_date"],
        attendees=attendees if attendees is not None else int(e["attendees"]),
        place=place if place is not None else str(e["place"] or ""),
        note=str(e["note"] or ""), lines=lines)
    _show(correct_event(engine(), who, event_id, spec, reason,
                        default_factor_set=factor_set), fmt)


def _withdrawn(made: dict[str, object]) -> None:
    output.console.print(output.say("carbon.fix.done_withdrawn"))


@carbon_app.command("event-withdraw")
@handles_errors
def event_withdraw(event_id: Annotated[int, typer.Argument(help="活动编号 event id")],
                   reason: ReasonOpt) -> None:
    """撤回活动 Withdraw an event (kept with who, when, why; out of every total)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.carbon.corrections import withdraw_event

    _withdrawn(withdraw_event(engine(), command_line_user(), event_id, reason))


@carbon_app.command("offset-correct")
@handles_errors
def offset_correct(
    event_id: Annotated[int, typer.Argument(help="活动编号 event id")],
    offset_id: Annotated[int, typer.Argument(help="抵消编号 offset id")],
    kind: Annotated[str, typer.Option("--kind")],
    quantity: Annotated[float, typer.Option("--quantity", help="tCO2")],
    reason: ReasonOpt,
    description: Annotated[str, typer.Option("--description")] = "",
) -> None:
    """更正抵消 Correct an offset's kind, quantity and description."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.carbon.corrections import correct_offset

    correct_offset(engine(), command_line_user(), event_id, offset_id, kind=kind,
                   quantity_t=quantity, description=description, reason=reason)
    output.console.print(output.say("carbon.fix.done_corrected"))


@carbon_app.command("offset-withdraw")
@handles_errors
def offset_withdraw(event_id: Annotated[int, typer.Argument(help="活动编号 event id")],
                    offset_id: Annotated[int, typer.Argument(help="抵消编号 offset id")],
                    reason: ReasonOpt) -> None:
    """撤回抵消 Withdraw an offset (kept with its evidence; out of Σ offsets)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.carbon.corrections import withdraw_offset

    _withdrawn(withdraw_offset(engine(), command_line_user(), event_id, offset_id, reason))


@carbon_app.command("entries")
@handles_errors
def entries(
    month: Annotated[str, typer.Option("--month", help="YYYY-MM")],
    institution: Annotated[str | None, typer.Option("--institution")] = None,
    staff: Annotated[str | None, typer.Option("--staff", help="员工编号")] = None,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """积分记录 The ledger entries of a month (ids for entry-correct / entry-withdraw)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.carbon.corrections import ledger_entries
    from jieneng.services.carbon.points import period_bounds

    start, end, _ = period_bounds(month, None)
    rows = ledger_entries(engine(), command_line_user(), institution_code=institution,
                          staff_code=staff, start=start, end=end)
    cols = ["id", "entry_date", "credit_code", "staff_code", "action", "quantity", "points",
            "rule_version", "withdrawn_reason"]
    if fmt is Fmt.json:
        output.print_json(rows)
        return
    if fmt is Fmt.csv:
        output.print_csv([{c: r.get(c) for c in cols} for r in rows])
        return
    output.print_table(output.label("carbon.fix.entries_title"), cols,
                       [[str(r.get(c) if r.get(c) is not None else "")[:40] for c in cols]
                        for r in rows])


@carbon_app.command("entry-correct")
@handles_errors
def entry_correct(entry_id: Annotated[int, typer.Argument(help="记录编号 entry id")],
                  quantity: Annotated[float, typer.Option("--quantity")],
                  reason: ReasonOpt) -> None:
    """更正积分记录 Set an entry's quantity (scored again with its rule version)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.carbon.corrections import correct_entry

    correct_entry(engine(), command_line_user(), entry_id, quantity, reason,
                  default_factor_set=state.settings.factor_set)
    output.console.print(output.say("carbon.fix.done_corrected"))


@carbon_app.command("entry-withdraw")
@handles_errors
def entry_withdraw(entry_id: Annotated[int, typer.Argument(help="记录编号 entry id")],
                   reason: ReasonOpt) -> None:
    """撤回积分记录 Withdraw an entry (kept; out of every total and leaderboard)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.carbon.corrections import withdraw_entry

    _withdrawn(withdraw_entry(engine(), command_line_user(), entry_id, reason))


@carbon_app.command("rules-load")
@handles_errors
def rules_load(file: FileArg, dry_run: DryRun = False, fmt: FormatOpt = Fmt.table) -> None:
    """导入本地积分规则 Load local points rules from .xlsx/.csv (all or nothing; a new
    version when they differ from those in force)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.carbon.rules import load_rules

    made = file_import(lambda: load_rules(engine(), command_line_user(), file,
                                          dry_run=dry_run,
                                          max_bytes=state.settings.max_upload_bytes), fmt)
    if made is None:
        return
    key = ("carbon.fix.rules_unchanged" if made.unchanged else
           "carbon.fix.rules_checked" if dry_run else "carbon.fix.rules_loaded")
    output.console.print(output.say(key, version=made.version, rules=made.rules,
                                    added=len(made.added), removed=len(made.removed),
                                    changed=len(made.changed)))


@carbon_app.command("rules-export")
@handles_errors
def rules_export(out: Annotated[Path, typer.Argument(help="输出文件 .csv")],
                 version: Annotated[int | None, typer.Option("--version")] = None) -> None:
    """导出积分规则 Write the rules in force (or --version) as CSV (loads back
    unchanged)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.carbon.rules import export_rules

    number, content = export_rules(engine(), command_line_user(), version)
    out.write_bytes(content)
    output.console.print(f"{out} (v{number})")
