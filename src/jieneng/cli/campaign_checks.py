"""``jieneng campaigns checks …`` — spot checks, 公示, award, 回头看 and coverage
(issue 14 §3): ``draw``, ``inspect``, ``publicity``, ``objection``, ``resolve``, ``award``,
``reject``, ``recheck select|result|rectify|conclude|list|remind``, ``coverage``
(:mod:`jieneng.services.campaigns.checks`, ``publicity``, ``rechecks``, ``coverage``).
Run as the command-line user (an administrator); ``--format json`` prints the service's
answer."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jieneng.cli import output
from jieneng.cli.common import Fmt, FormatOpt, day_or_none, engine, handles_errors
from jieneng.core.exceptions import ValidationFailed

checks_app = typer.Typer(help="现场抽查、公示、授牌、回头看与覆盖率 Spot checks, publicity, "
                         "awards, re-checks and coverage.", no_args_is_help=True)
recheck_app = typer.Typer(help="回头看 Re-checks of held titles.", no_args_is_help=True)
checks_app.add_typer(recheck_app, name="recheck")

RoundArg = Annotated[int, typer.Argument(help="轮次编号 round id")]
CodeArg = Annotated[str, typer.Argument(help="统一社会信用代码 credit code")]
RecheckArg = Annotated[int, typer.Argument(help="回头看编号 re-check id")]
DateOpt = Annotated[str | None, typer.Option(help="日期 YYYY-MM-DD (默认今天)")]


def _user() -> Any:
    from jieneng.core.caller import command_line_user

    return command_line_user()


def _show(found: Any, fmt: Fmt, key: str, **values: Any) -> None:
    if fmt is Fmt.json:
        output.print_json(found)
        return
    output.console.print(output.say(key, **values))


@checks_app.command("draw")
@handles_errors
def draw(round_id: RoundArg,
         rate: Annotated[float | None, typer.Option(help="抽查比例 0…1 (默认方案规则)")] = None,
         seed: Annotated[int | None, typer.Option(help="随机种子 (默认随机)")] = None,
         fmt: FormatOpt = Fmt.table) -> None:
    """抽取样本 Draw the round's spot-check sample by the scheme's sampling rule."""
    from jieneng.services.campaigns.checks import draw_sample

    found = draw_sample(engine(), _user(), round_id, rate=rate, seed=seed)
    _show(found, fmt, "campaigns.checks.drawn", size=found["sample_size"],
          population=found["population"], rate=found["rate"], seed=found["seed"])


@checks_app.command("inspect")
@handles_errors
def inspect(round_id: RoundArg, credit_code: CodeArg,
            score: Annotated[list[str] | None, typer.Option(
                help="现场得分 ITEM=SCORE (可重复)")] = None,
            verdict: Annotated[str | None, typer.Option(help="pass | fail")] = None,
            note: Annotated[str, typer.Option(help="检查意见")] = "",
            fmt: FormatOpt = Fmt.table) -> None:
    """现场结果 On-site scores and verdict of a sampled member; the round rescored."""
    from jieneng.services.campaigns.checks import inspect_member

    scores: dict[str, float | None] = {}
    for given in score or []:
        item, _, value = given.partition("=")
        try:
            scores[item.strip()] = float(value)
        except ValueError:
            raise ValidationFailed.of("check_number_invalid", value=given[:40],
                                      field="score") from None
    found = inspect_member(engine(), _user(), round_id, credit_code, scores=scores,
                           verdict=verdict, note=note)
    _show(found, fmt, "campaigns.checks.done.inspected")


@checks_app.command("publicity")
@handles_errors
def publicity_(round_id: RoundArg, start: DateOpt = None,
               days: Annotated[int | None, typer.Option(help="公示天数 (默认 7)")] = None,
               fmt: FormatOpt = Fmt.table) -> None:
    """发起公示 Publish the recommended members for the period."""
    from jieneng.services.campaigns.publicity import start_publicity

    found = start_publicity(engine(), _user(), round_id, starts_on=day_or_none(start),
                            days=days)
    _show(found, fmt, "campaigns.checks.publicity_period", starts_on=found["starts_on"],
          ends_on=found["ends_on"], count=found["members"])


@checks_app.command("objection")
@handles_errors
def objection(round_id: RoundArg, credit_code: CodeArg,
              text: Annotated[str, typer.Argument(help="异议内容")],
              on: DateOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """登记异议 Record an objection to a publicised member."""
    from jieneng.services.campaigns.publicity import raise_objection

    found = raise_objection(engine(), _user(), round_id, credit_code, text,
                            raised_on=day_or_none(on))
    _show(found, fmt, "campaigns.checks.done.objection")


@checks_app.command("resolve")
@handles_errors
def resolve(round_id: RoundArg, objection_id: Annotated[int, typer.Argument(help="异议编号")],
            upheld: Annotated[bool, typer.Option("--upheld/--dismissed")],
            note: Annotated[str, typer.Option(help="处理意见")],
            fmt: FormatOpt = Fmt.table) -> None:
    """处理异议 Resolve an objection (upheld: the member is rejected)."""
    from jieneng.services.campaigns.publicity import resolve_objection

    found = resolve_objection(engine(), _user(), round_id, objection_id, upheld=upheld,
                              note=note)
    _show(found, fmt, "campaigns.checks.done.resolved")


@checks_app.command("award")
@handles_errors
def award(round_id: RoundArg, on: DateOpt = None,
          level: Annotated[str | None, typer.Option(
              help="national | provincial | city | county")] = None,
          fmt: FormatOpt = Fmt.table) -> None:
    """授牌 Award the title to the members still publicised after the period."""
    from jieneng.services.campaigns.publicity import award as award_titles

    found = award_titles(engine(), _user(), round_id, awarded_on=day_or_none(on), level=level)
    _show(found, fmt, "campaigns.checks.done.awarded")


@checks_app.command("reject")
@handles_errors
def reject(round_id: RoundArg, credit_code: CodeArg,
           reason: Annotated[str, typer.Option(help="理由")], fmt: FormatOpt = Fmt.table
           ) -> None:
    """不予通过 Reject a member with a reason."""
    from jieneng.services.campaigns.publicity import reject_member

    found = reject_member(engine(), _user(), round_id, credit_code, reason)
    _show(found, fmt, "campaigns.checks.done.rejected")


@checks_app.command("coverage")
@handles_errors
def coverage(region: Annotated[str, typer.Argument(help="行政区划代码")],
             year: Annotated[int, typer.Argument(help="年度")],
             scheme: Annotated[str, typer.Option(help="方案编号")] = "conservation_organ",
             category: Annotated[str | None, typer.Option(
                 help="机构类型 01|02|03 或 021…026 (默认方案的全部类型) institution category")
             ] = None,
             level: Annotated[str | None, typer.Option(
                 help="称号级别 national|provincial|city|county: 只收窄由称号得出的数 "
                      "title level (narrows only the figures made of titles)")] = None,
             fmt: FormatOpt = Fmt.table) -> None:
    """覆盖率 Coverage of a scheme per region (the region, then each child region),
    optionally of one institution category and / or one title level (a level: the
    figures it does not narrow are left out of the JSON and shown as —)."""
    from jieneng.services.campaigns.coverage import RATE_KEYS, region_coverage

    rows = region_coverage(engine(), region, year, scheme, user=_user(),
                           category=category or None, level=level or None)
    if fmt is Fmt.json:
        output.print_json(rows)
        return
    counts = ("eligible", "members", "self_assessed", "spot_checked", "titles_held")
    output.print_table(output.say("campaigns.coverage.title"),
                       [output.say(f"campaigns.coverage.col.{k}")
                        for k in ("region", *RATE_KEYS, *counts)],
                       [[r["region_name"], *(_pct(r[k]) if k in r else "—" for k in RATE_KEYS),
                         *(r.get(k, "—") for k in counts)] for r in rows])


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@recheck_app.command("select")
@handles_errors
def recheck_select(scheme: Annotated[str, typer.Argument(help="方案编号")],
                   region: Annotated[str, typer.Argument(help="行政区划代码")],
                   year: Annotated[int, typer.Argument(help="年度")],
                   before: DateOpt = None,
                   share: Annotated[float | None, typer.Option(help="抽取比例 (默认全部)")] = None,
                   seed: Annotated[int | None, typer.Option(help="随机种子")] = None,
                   fmt: FormatOpt = Fmt.table) -> None:
    """选定复查单位 Open a 回头看 of the held titles chosen."""
    from jieneng.services.campaigns.rechecks import select_rechecks

    found = select_rechecks(engine(), _user(), scheme, region, year=year,
                            awarded_before=day_or_none(before), share=share, seed=seed)
    _show(found, fmt, "campaigns.checks.done.selected")


@recheck_app.command("result")
@handles_errors
def recheck_result(recheck_id: RecheckArg,
                   passed: Annotated[bool, typer.Option("--pass/--fail")],
                   finding: Annotated[str, typer.Option(help="复查意见")] = "",
                   on: DateOpt = None, deadline: DateOpt = None,
                   fmt: FormatOpt = Fmt.table) -> None:
    """登记复查结果 Pass, or fail with a rectification deadline."""
    from jieneng.services.campaigns.rechecks import record_result

    found = record_result(engine(), _user(), recheck_id, passed=passed, finding=finding,
                          checked_on=day_or_none(on), deadline=day_or_none(deadline))
    _show(found, fmt, "campaigns.checks.done.result")


@recheck_app.command("rectify")
@handles_errors
def recheck_rectify(recheck_id: RecheckArg,
                    text: Annotated[str, typer.Argument(help="整改情况")],
                    on: DateOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """报送整改情况 The unit's rectification."""
    from jieneng.services.campaigns.rechecks import answer_rectification

    found = answer_rectification(engine(), _user(), recheck_id, text, on=day_or_none(on))
    _show(found, fmt, "campaigns.checks.done.answered")


@recheck_app.command("conclude")
@handles_errors
def recheck_conclude(recheck_id: RecheckArg, on: DateOpt = None,
                     reason: Annotated[str, typer.Option(help="撤销理由")] = "",
                     fmt: FormatOpt = Fmt.table) -> None:
    """办结 Rectified in time → passes; otherwise the title is revoked."""
    from jieneng.services.campaigns.rechecks import conclude

    found = conclude(engine(), _user(), recheck_id, on=day_or_none(on), reason=reason)
    _show(found, fmt, "campaigns.checks.done.concluded")


@recheck_app.command("list")
@handles_errors
def recheck_list(region: Annotated[str | None, typer.Option(help="行政区划代码")] = None,
                 scheme: Annotated[str | None, typer.Option(help="方案编号")] = None,
                 year: Annotated[int | None, typer.Option(help="年度")] = None,
                 state: Annotated[str | None, typer.Option(help="状态")] = None,
                 fmt: FormatOpt = Fmt.table) -> None:
    """回头看列表 The re-checks with their deadlines and states."""
    from jieneng.services.campaigns.rechecks import list_rechecks

    found = list_rechecks(engine(), _user(), region_code=region, scheme_code=scheme,
                          year=year, state=state)
    if fmt is Fmt.json:
        output.print_json(found)
        return
    keys = ("credit_code", "name", "scheme", "state", "deadline", "rectification")
    output.print_table(output.say("campaigns.checks.rechecks_title"),
                       [output.say(f"campaigns.checks.col.{k}") for k in keys],
                       [[r["credit_code"], r["name"], r["scheme_code"],
                         output.say(f"campaigns.checks.state.{r['state']}"),
                         r["deadline"] or "", r["rectification"] or ""] for r in found])


@recheck_app.command("remind")
@handles_errors
def recheck_remind(on: DateOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """整改逾期提醒 Remind the overdue rectifications (once a day; cron)."""
    from jieneng.services.campaigns.rechecks import remind_overdue

    found = remind_overdue(engine(), today=day_or_none(on))
    _show(found, fmt, "campaigns.checks.reminded", overdue=found["overdue"],
          notifications=found["notifications"], queued=found["queued"])
