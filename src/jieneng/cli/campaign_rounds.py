"""``jieneng campaigns round …`` — evaluation rounds (issue 14 §3): ``open``, ``list``,
``show``, ``score``, ``state``, ``self-assess`` (a CSV of item scores)
(:mod:`jieneng.services.campaigns.rounds`, ``assess``, ``round_scoring``)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Annotated

import typer

from jieneng.cli import output
from jieneng.cli.common import FileArg, Fmt, FormatOpt, day_or_none, engine, handles_errors
from jieneng.core.exceptions import ValidationFailed

round_app = typer.Typer(help="评价轮次 Evaluation rounds: open, list, show, score.",
                        no_args_is_help=True)

RoundArg = Annotated[int, typer.Argument(help="轮次编号 round id")]


@round_app.command("open")
@handles_errors
def open_(scheme: Annotated[str, typer.Argument(help="方案编号 scheme code")],
          region: Annotated[str, typer.Argument(help="行政区划代码 region code")],
          year: Annotated[int, typer.Argument(help="年度 year")],
          title: Annotated[str, typer.Option("--title", help="名称 title")] = "",
          due: Annotated[str | None, typer.Option("--due", help="自评截止 YYYY-MM-DD")] = None,
          evaluation: Annotated[str | None, typer.Option(
              "--evaluation", help="评价月份 YYYY-MM (默认 year-01)")] = None,
          version: Annotated[int | None, typer.Option("--version", help="方案版本")] = None,
          fmt: FormatOpt = Fmt.table) -> None:
    """开启轮次 Open a round of a scheme for a region: every institution of the region
    to which the scheme applies is invited."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.campaigns.rounds import open_round

    e_year, e_month = _month(evaluation) if evaluation else (None, None)
    made = open_round(engine(), command_line_user(), scheme, region, year,
                      title=title or f"{year} {scheme}", due=day_or_none(due), eval_year=e_year,
                      eval_month=e_month, version=version)
    if fmt is Fmt.json:
        output.print_json(made)
        return
    output.console.print(output.say("campaigns.rounds.opened", id=made["id"],
                                    members=made["members"], title=made["title"]))


@round_app.command("list")
@handles_errors
def list_(region: Annotated[str | None, typer.Option("--region")] = None,
          year: Annotated[int | None, typer.Option("--year")] = None,
          scheme: Annotated[str | None, typer.Option("--scheme")] = None,
          fmt: FormatOpt = Fmt.table) -> None:
    """轮次列表 The rounds (newest first) with their member counts."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.campaigns.rounds import list_rounds

    found = list_rounds(engine(), command_line_user(), region_code=region, year=year,
                        scheme_code=scheme)
    if fmt is Fmt.json:
        output.print_json(found)
        return
    keys = ("id", "title", "scheme", "region", "year", "state", "members")
    output.print_table(output.say("campaigns.rounds.title"),
                       [output.say(f"campaigns.rounds.col.{k}") for k in keys],
                       [[r["id"], r["title"], r["scheme_code"], r["region_name"], str(r["year"]),
                         output.say(f"campaigns.rounds.state.{r['state']}"), r["members"]]
                        for r in found])


@round_app.command("show")
@handles_errors
def show(round_id: RoundArg, state: Annotated[str | None, typer.Option("--state")] = None,
         fmt: FormatOpt = Fmt.table) -> None:
    """轮次详情 A round and its members (unit, state, level, total, grade, missing)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.campaigns.rounds import get_round, round_members

    user = command_line_user()
    found = get_round(engine(), user, round_id)
    members = round_members(engine(), user, round_id, state=state)
    if fmt is Fmt.json:
        output.print_json({**found, "member_rows": members})
        return
    keys = ("code", "unit", "state", "level", "total", "grade", "missing")
    output.print_table(f"{found['title']} ({found['scheme_code']}, {found['region_name']})",
                       [output.say(f"campaigns.rounds.col.{k}") for k in keys],
                       [[m["credit_code"], m["name"],
                         output.say(f"campaigns.rounds.member_state.{m['state']}")
                         if m["state"] in _STATES else m["state"],
                         m["review_region_name"] or "", output.fmt(m["total"], 1),
                         m["grade"] or "", "" if m["missing"] is None else m["missing"]]
                        for m in members])


@round_app.command("score")
@handles_errors
def score(round_id: RoundArg, fmt: FormatOpt = Fmt.table) -> None:
    """评分 Score every member from the platform's data and the scores entered."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.campaigns.round_scoring import score_round

    got = score_round(engine(), command_line_user(), round_id)
    if fmt is Fmt.json:
        output.print_json(got)
        return
    output.console.print(output.say("campaigns.rounds.scored", members=got["members"],
                                    passed=got["passed"], missing=got["with_missing"],
                                    seconds=got["seconds"]))


@round_app.command("state")
@handles_errors
def state(round_id: RoundArg,
          new_state: Annotated[str, typer.Argument(
              help="open | reviewing | checking | closed — a move "
                   "data/campaigns/round_transitions.csv allows")],
          fmt: FormatOpt = Fmt.table) -> None:
    """轮次状态 Move a round to another state (reviewing: self-assessment closed); only
    the moves round_transitions.csv allows (else refused naming both states)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.campaigns.rounds import set_round_state

    got = set_round_state(engine(), command_line_user(), round_id, new_state)
    if fmt is Fmt.json:
        output.print_json(got)
        return
    output.console.print(output.say(f"campaigns.rounds.state.{got['state']}"))


@round_app.command("self-assess")
@handles_errors
def self_assess(round_id: RoundArg,
                credit_code: Annotated[str, typer.Argument(help="统一社会信用代码")],
                file: FileArg, submit: Annotated[bool, typer.Option("--submit")] = False,
                fmt: FormatOpt = Fmt.table) -> None:
    """自评 Enter a unit's scores from a CSV (columns item, score[, note]); ``--submit``
    then submits."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.campaigns.assess import save_self_assessment, submit_self_assessment

    scores, notes = _score_file(Path(file))
    user = command_line_user()
    view = save_self_assessment(engine(), user, round_id, credit_code, scores, notes)
    if submit:
        view = submit_self_assessment(engine(), user, round_id, credit_code)
    if fmt is Fmt.json:
        output.print_json(view)
        return
    output.console.print(output.say("campaigns.rounds.saved", state=output.say(
        f"campaigns.rounds.member_state.{view['member']['state']}")))


_STATES = ("invited", "self_assessing", "submitted", "returned", "under_review",
           "recommended", "failed")


def _score_file(path: Path) -> tuple[dict[str, float | None], dict[str, str]]:
    from jieneng.core.campaigns.rounds import parse_score

    text = path.read_bytes().decode("utf-8-sig")
    scores: dict[str, float | None] = {}
    notes: dict[str, str] = {}
    for k, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        code = (row.get("item") or row.get("指标") or "").strip()
        if not code:
            raise ValidationFailed.of("round_file_row", file=path.name, row=k, column="item")
        scores[code] = parse_score(code, row.get("score") or row.get("得分") or "")
        note = (row.get("note") or row.get("说明") or "").strip()
        if note:
            notes[code] = note
    return scores, notes


def _month(text: str) -> tuple[int, int]:
    try:
        y, m = (int(x) for x in text.split("-"))
    except ValueError:
        raise ValidationFailed.of("round_bad_month", field="evaluation", value=text) from None
    return y, m

