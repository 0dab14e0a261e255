"""``jieneng remind``, ``jieneng report annual`` and ``jieneng report assessment``:
reminders, the annual 通报 and the year-end target assessment (目标考核).

``jieneng remind`` is the one daily cron line for every reminder: the reporting tasks
due (催报, :func:`jieneng.services.workflow.reminders.run_reminders`), the work-plan items
overdue (催办, :func:`jieneng.services.workplans.reminders.remind_overdue`) and the 回头看
rectifications past their deadline (:func:`jieneng.services.campaigns.rechecks.
remind_overdue`); each kind is idempotent per day (a second run the same day sends
nothing new) and the counts are reported per kind."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jieneng.cli import output
from jieneng.cli.common import (
    Fmt,
    FormatOpt,
    RegionOpt,
    YearOpt,
    day_or_none,
    engine,
    handles_errors,
    state,
)
from jieneng.cli.notify import deliver_due

report_app = typer.Typer(
    help="报告 Reports: the annual notification (通报), the target assessment (考核).",
    no_args_is_help=True)


@handles_errors
def remind(
    day: Annotated[str | None, typer.Option(
        "--date", help="提醒日期 the day, YYYY-MM-DD (default today, UTC)")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="只列出将发送的提醒，不发送 list, send nothing")] = False,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """催报 催办 Send the day's reminders (run daily by cron): reporting tasks due,
    work-plan items overdue, 回头看 rectifications overdue; never twice a day."""

    from jieneng.services.campaigns.rechecks import remind_overdue as remind_rechecks
    from jieneng.services.workflow.reminders import run_reminders
    from jieneng.services.workplans.reminders import remind_overdue as remind_plans

    when = day_or_none(day)
    db = engine()
    run = run_reminders(db, state.settings, day=when, dry_run=dry_run)
    plans = remind_plans(db, as_of=when, dry_run=dry_run)
    rechecks = remind_rechecks(db, today=when, dry_run=dry_run)
    kinds = {"reporting": {"due": run.due, "sent": len(run.lines)},
             "workplans": {k: plans[k] for k in ("overdue", "users", "channels")},
             "rechecks": rechecks}
    if fmt is Fmt.json:
        delivered = [] if dry_run else deliver_due(None)
        output.print_json({**run.to_dict(), "kinds": kinds, "workplans": plans,
                           "rechecks": rechecks, "delivered": delivered})
        return
    title = (f"{run.day.isoformat()} 催报{'（演练 dry run）' if run.dry_run else ''} "
             f"reminders: {run.due} 项任务待提醒 tasks due")
    output.print_table(
        title,
        ["渠道 channel", "类型 kind", "目标 target", "任务 tasks", "收件 recipients",
         "结果 status", "尝试 attempts", "错误 error"],
        [[s.channel, s.kind, s.target, s.tasks, s.recipients, s.status, s.attempts,
          s.error or ""] for s in run.lines],
    )
    output.console.print(output.say("workplans.reminded", overdue=plans["overdue"],
                                    users=plans["users"], channels=plans["channels"]))
    output.console.print(output.say("campaigns.checks.reminded", **rechecks))
    if not dry_run:  # the digests were queued: deliver them now
        deliver_due(fmt)


@report_app.command("annual")
@handles_errors
def report_annual(
    region: RegionOpt, year: YearOpt,
    out: Annotated[Path, typer.Option("-o", "--output", help="Word 文件 .docx to write")],
    xlsx: Annotated[Path | None, typer.Option(
        "--xlsx", help="同时写出全部表格 also write every table to this .xlsx")] = None,
) -> None:
    """年度通报 The region's annual energy and resource notification (.docx, charts)."""
    from jieneng.core.caller import command_line_user
    from jieneng.reports.annual_report import annual_docx, annual_xlsx
    from jieneng.services.publishing.annual_report import annual_data

    data = annual_data(engine(), command_line_user(), region_code=region, year=year,
                       factor_set=state.settings.factor_set)
    out.write_bytes(annual_docx(data))
    written = [str(out)]
    if xlsx is not None:
        xlsx.write_bytes(annual_xlsx(data))
        written.append(str(xlsx))
    output.console.print(output.say("cli.written", files=", ".join(written)))


@report_app.command("assessment")
@handles_errors
def report_assessment(
    region: RegionOpt, year: YearOpt,
    out: Annotated[Path, typer.Option("-o", "--output", help="Word 文件 .docx to write")],
    xlsx: Annotated[Path | None, typer.Option(
        "--xlsx", help="同时写出表格 also write the table to this .xlsx")] = None,
) -> None:
    """目标考核 The year-end assessment of the region's targets as a 公文 (.docx)."""
    from jieneng.core.caller import command_line_user
    from jieneng.reports.annual_report import assessment_xlsx
    from jieneng.reports.assessment_document import assessment_docx
    from jieneng.services.targets import progress

    data = progress.assessment(engine(), command_line_user(), region_code=region, year=year,
                               factor_set=state.settings.factor_set)
    out.write_bytes(assessment_docx(data))
    written = [str(out)]
    if xlsx is not None:
        xlsx.write_bytes(assessment_xlsx(data))
        written.append(str(xlsx))
    output.console.print(output.say("cli.written", files=", ".join(written)))
