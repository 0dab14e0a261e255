"""``jieneng plans …`` — work plans (工作安排, issue 14 §1): ``import FILE --region --year
[--dry-run]``, ``list``, ``show PLAN``, ``progress PLAN [--format json]``, ``report ITEM
--state … --comment … [--value] [--percent] [--evidence FILE]``, ``review REPORT
--accept | --return REASON``, ``assign ITEM``, ``remind`` (:mod:`jieneng.services.workplans`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from jieneng.cli import output
from jieneng.cli.common import (
    DryRun,
    FileArg,
    Fmt,
    FormatOpt,
    day_or_none,
    engine,
    file_import,
    handles_errors,
    state,
)

plans_app = typer.Typer(help="年度工作安排 Work plans.", no_args_is_help=True)

RegionOpt = Annotated[str | None, typer.Option("--region", help="行政区划代码 region code")]
YearOpt = Annotated[int | None, typer.Option("--year", help="年度 year")]
PlanArg = Annotated[int, typer.Argument(help="工作安排编号 plan id")]
ItemArg = Annotated[int, typer.Argument(help="事项编号 item id")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="截至日期 as of (YYYY-MM-DD)")]


_SIGNS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}


def _num(value: float | None) -> str:
    """A figure as a notice writes it: no trailing zeros (180000, 1.6, 85)."""
    return "—" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".")


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


@plans_app.command("import")
@handles_errors
def import_file(file: FileArg,
                region: Annotated[str, typer.Option("--region", help="行政区划代码 region")],
                year: Annotated[int, typer.Option("--year", help="年度 year")],
                title: Annotated[str | None, typer.Option("--title", help="标题 title")] = None,
                document_no: Annotated[str | None, typer.Option(
                    "--document-no", help="文号 document number")] = None,
                dry_run: DryRun = False, fmt: FormatOpt = Fmt.table) -> None:
    """导入 Import a plan's items (.xlsx/.csv), all or nothing."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.workplans.imports import import_plan

    report = file_import(lambda: import_plan(
        engine(), command_line_user(), Path(file), region_code=region, year=year, title=title,
        document_no=document_no, dry_run=dry_run,
        max_bytes=state.settings.max_upload_bytes), fmt)
    if report is None:
        return
    key = "workplans.import_checked" if dry_run else "workplans.import_done"
    output.console.print(output.say(key, file=report.file, items=report.items,
                                    plan=report.plan_id or "—", title=report.title))


@plans_app.command("list")
@handles_errors
def list_plans(region: RegionOpt = None, year: YearOpt = None, fmt: FormatOpt = Fmt.table
               ) -> None:
    """列表 The plans in scope."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.workplans.plans import list_plans as listed

    rows = listed(engine(), command_line_user(), region_code=region, year=year)
    if fmt is Fmt.json:
        output.print_json(rows)
        return
    if not rows:
        output.console.print(output.say("workplans.none"))
        return
    keys = ("id", "region_code", "region_name", "year", "title", "items", "status")
    output.print_table(output.say("workplans.list_title"),
                       [output.say(f"workplans.col.{k}") for k in keys],
                       [[_cell(r[k]) for k in keys] for r in rows])


@plans_app.command("show")
@handles_errors
def show(plan: PlanArg, fmt: FormatOpt = Fmt.table) -> None:
    """查看 A plan and its items."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.workplans.plans import get_plan

    found = get_plan(engine(), command_line_user(), plan)
    if fmt is Fmt.json:
        output.print_json(found)
        return
    keys = ("id", "item_no", "text", "responsible_region_name", "deadline",
            "indicator_code", "comparison", "target_value", "state")
    output.print_table(f"{found['title']}（{found['region_name']} {found['year']}）",
                       [output.say(f"workplans.col.{k}") for k in keys],
                       [[_cell(i[k])[:40] for k in keys] for i in found["items"]])


@plans_app.command("progress")
@handles_errors
def progress(plan: PlanArg, as_of: AsOfOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """进度 Every item's target, value, status and share complete."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.workplans.progress import plan_progress

    found = plan_progress(engine(), command_line_user(), plan, as_of=day_or_none(as_of))
    if fmt is Fmt.json:
        output.print_json(found)
        return
    rows = [[i["item_no"], i["text"][:30], i["responsible_region_name"], i["deadline"],
             "" if i["target"] is None else
             f"{_SIGNS[i['target']['comparison']]} {_num(i['target']['value'])}"
             f"{i['target']['unit'] or ''}",
             _num(i["value"]), "—" if i["share"] is None else f"{i['share'] * 100:.0f}%",
             output.say(f"workplans.status.{i['status']}")] for i in found["items"]]
    s = found["summary"]
    output.print_table(output.say("workplans.progress_title", title=found["plan"]["title"],
                                  as_of=found["as_of"], done=s["done"], items=s["items"]),
                       [output.say(f"workplans.col.{k}") for k in
                        ("item_no", "text", "responsible_region_name", "deadline", "target",
                         "value", "share", "status")], rows)


@plans_app.command("report")
@handles_errors
def report(item: ItemArg,
           state_: Annotated[str, typer.Option("--state", help="in_progress | done")],
           comment: Annotated[str, typer.Option("--comment", help="说明 comment")],
           value: Annotated[float | None, typer.Option("--value", help="数值 value")] = None,
           percent: Annotated[float | None, typer.Option("--percent", help="完成百分比")] = None,
           evidence: Annotated[list[Path] | None, typer.Option(
               "--evidence", help="佐证材料 evidence file (repeatable)")] = None,
           fmt: FormatOpt = Fmt.table) -> None:
    """报告进展 Report progress on an item (with evidence files)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.workplans.review import report_progress

    files = [(p.name, p.read_bytes()) for p in (evidence or [])]
    done = report_progress(engine(), command_line_user(), item, state=state_,
                           comment=comment, value=value, percent=percent, evidence=files)
    if fmt is Fmt.json:
        output.print_json(done)
        return
    output.console.print(output.say("workplans.reported", report=done["id"], item=item))


@plans_app.command("review")
@handles_errors
def review(report_id: Annotated[int, typer.Argument(help="报告编号 report id")],
           accept: Annotated[bool, typer.Option("--accept", help="通过 accept")] = False,
           reason: Annotated[str | None, typer.Option(
               "--return", help="退回原因 return with this reason")] = None) -> None:
    """审核 Accept a progress report or return it with a reason."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.workplans.review import review_report

    done = review_report(engine(), command_line_user(), report_id, accept=accept,
                         reason=reason)
    output.console.print(output.say(f"workplans.review.{done['review']}", report=report_id))


@plans_app.command("assign")
@handles_errors
def assign(item: ItemArg,
           region: Annotated[list[str] | None, typer.Option(
               "--region", help="下级地区 child region (repeatable; default all)")] = None,
           fmt: FormatOpt = Fmt.table) -> None:
    """分解 Assign an item to the regions below its responsible region."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.workplans.assign import assign_item

    created = assign_item(engine(), command_line_user(), item, regions=region or None)
    if fmt is Fmt.json:
        output.print_json(created)
        return
    output.console.print(output.say("workplans.assigned", item=item, count=len(created)))


@plans_app.command("remind")
@handles_errors
def remind(as_of: AsOfOpt = None, dry_run: DryRun = False, fmt: FormatOpt = Fmt.table
           ) -> None:
    """催办 Remind the responsible parties of overdue items (once a day per item)."""
    from jieneng.services.workplans.reminders import remind_overdue

    done = remind_overdue(engine(), as_of=day_or_none(as_of), dry_run=dry_run)
    if fmt is Fmt.json:
        output.print_json(done)
        return
    output.console.print(output.say("workplans.reminded", overdue=done["overdue"],
                                    users=done["users"], channels=done["channels"]))
