"""``jieneng`` — the command-line interface.

Every command is thin: parse options, call one service, print. Domain errors
are printed in Chinese and English and end with exit status 1.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from jieneng.cli import output
from jieneng.core.exceptions import DomainError
from jieneng.settings import Settings, load_settings

app = typer.Typer(
    help="jieneng 节能 — 公共机构能源资源消费统计平台 / public-institution energy statistics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="数据库 Database schema (Alembic migrations).", no_args_is_help=True)
import_app = typer.Typer(
    help="导入 Import a .xlsx/.csv file; the whole file is validated first and stored "
    "all-or-nothing.",
    no_args_is_help=True,
)
users_app = typer.Typer(help="账户 Accounts: create, list, lock, unlock, sessions, API tokens.",
                        no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(users_app, name="users")
report_app = typer.Typer(help="报告 Reports: the annual notification (通报).", no_args_is_help=True)
alerts_app = typer.Typer(help="预警 Early warning on targets.", no_args_is_help=True)
app.add_typer(report_app, name="report")
app.add_typer(alerts_app, name="alerts")

F = TypeVar("F", bound=Callable[..., Any])


class State:
    settings: Settings
    explicit_db: bool = False
    engines: list[Any]

    def __init__(self) -> None:
        self.engines = []

    def dispose(self) -> None:
        while self.engines:
            self.engines.pop().dispose()


state = State()


def handles_errors(func: F) -> F:
    """Print domain errors bilingually and exit 1 instead of a traceback; the same for a
    database that is unavailable or a change that collided with another; dispose engines."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DomainError as err:
            output.print_error(err)
            raise typer.Exit(1) from None
        except Exception as err:
            refusal = _database_refusal(err)
            if refusal is None:
                raise
            output.print_error(refusal)
            raise typer.Exit(1) from None
        finally:
            state.dispose()

    return wrapper  # type: ignore[return-value]


def _database_refusal(err: Exception) -> DomainError | None:
    """A bilingual message for a database error that is not a bug (see
    :func:`jieneng.storage.engine.database_trouble`), else None."""
    from jieneng.storage.engine import database_trouble

    trouble = database_trouble(err)
    if trouble == "unavailable":
        return DomainError("数据库暂时不可用（无法连接或仍被其他写入占用），请稍后重试",
                           "the database is unavailable for the moment (unreachable, or "
                           "still locked by another writer); try again later")
    if trouble == "conflict":
        return DomainError("数据已被他人同时修改，请重试",
                           "the data was changed meanwhile; try again")
    return None


@app.callback()
def root(
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="数据库 URL (sqlite:///file.db, postgresql://…); "
            "default JIENENG_DATABASE_URL or a SQLite file in the user data directory.",
        ),
    ] = None,
) -> None:
    try:
        state.settings = load_settings(database_url=db)
    except DomainError as err:  # e.g. a weak JIENENG_SECRET_KEY in production
        output.print_error(err)
        raise typer.Exit(1) from None
    state.explicit_db = db is not None or "JIENENG_DATABASE_URL" in os.environ


def _engine(url: str | None = None) -> Any:
    """The command's engine, disposed when the command ends."""
    from jieneng.services.database import open_database

    engine = open_database(url or state.settings.database_url)
    state.engines.append(engine)
    return engine


# ---------------------------------------------------------------- db
@db_app.command("upgrade")
@handles_errors
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="目标版本 target revision")] = "head",
) -> None:
    """升级数据库结构 Upgrade the schema to the newest (or given) migration."""
    from jieneng.storage.engine import make_engine
    from jieneng.storage.migrate import current_revision, upgrade

    engine = make_engine(state.settings.database_url)
    try:
        upgrade(engine, revision)
        output.console.print(f"数据库已升级到 database at revision {current_revision(engine)}")
    finally:
        engine.dispose()


@db_app.command("current")
@handles_errors
def db_current() -> None:
    """显示数据库结构版本 Show the schema revision."""
    from jieneng.storage.engine import make_engine
    from jieneng.storage.migrate import current_revision

    engine = make_engine(state.settings.database_url)
    try:
        output.console.print(str(current_revision(engine)))
    finally:
        engine.dispose()


# ---------------------------------------------------------------- import
class Fmt(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _import(kind: str, file: Path, dry_run: bool, fmt: Fmt) -> None:
    from jieneng.services.imports import import_file

    with output.progress(f"导入 {file.name}") as step:
        report = import_file(
            _engine(), kind, file, dry_run=dry_run,
            max_bytes=state.settings.max_upload_bytes, progress=step,
        )
    if fmt is Fmt.json:
        output.print_json(report.to_dict())
        return
    verb = "校验通过（未写入）validated, nothing stored" if dry_run else "已导入 imported"
    output.console.print(
        f"{file.name}: {verb} — {report.rows_read} 行 rows, {report.records} 条 records, "
        f"{report.counts or ''}"
    )
    if report.warnings:
        output.print_issues(report.warnings)


FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]
DryRun = Annotated[bool, typer.Option("--dry-run", help="只校验不写入 validate only")]
FormatOpt = Annotated[Fmt, typer.Option("--format", help="输出格式 output format")]


IMPORT_KINDS: dict[str, str] = {
    "regions": "行政区划 Regions: 行政区划代码, 名称, 上级代码.",
    "institutions": "名录库 Institutions: 统一社会信用代码, 单位名称, 行政区划代码, 单位类别, …",
    "profiles": "年度基本信息 Yearly profiles: 用能人数, 建筑面积, 车辆 …",
    "consumption": "月度能耗 Monthly consumption, wide (电(千瓦时) …) or long "
    "(能源品种, 数量, 单位).",
}


def _import_command(kind: str, doc: str) -> None:
    """Register ``jieneng import KIND FILE [--dry-run] [--format]``."""

    @handles_errors
    def command(file: FileArg, dry_run: DryRun = False, fmt: FormatOpt = Fmt.table) -> None:
        _import(kind, file, dry_run, fmt)

    command.__doc__ = doc
    import_app.command(kind)(command)


for _kind, _doc in IMPORT_KINDS.items():
    _import_command(_kind, _doc)


@import_app.command("reference-prices")
@handles_errors
def import_reference_prices(file: FileArg) -> None:
    """参考单价 Reference unit prices per province and carrier (单价审核): replaces the
    provinces' prices in the file, all-or-nothing."""
    from jieneng.services.quality import import_reference_prices as run

    result = run(_engine(), file)
    output.console.print(f"{file.name}: 已导入 imported — {result['rows']} 行 rows")


@import_app.command("targets")
@handles_errors
def import_targets(file: FileArg) -> None:
    """双控目标 Targets: 行政区划代码, 年份, 指标, 目标值 (caps as quantities, reductions in
    %), 基准年; all-or-nothing, refused for a locked year."""
    from jieneng.services.targets import import_targets as run
    from jieneng.services.users import command_line_user

    result = run(_engine(), command_line_user(), file)
    output.console.print(f"{file.name}: 已导入 imported — {result['rows']} 行 rows")


@import_app.command("quotas")
@handles_errors
def import_quotas(
    file: FileArg,
    code: Annotated[str, typer.Option("--code", help="标准编号 standard code (DB37/T 2673)")],
    title: Annotated[str, typer.Option("--title", help="标准名称 title")],
    source: Annotated[str, typer.Option("--source", help="数值来源 where the figures come from")],
) -> None:
    """定额标准 A quota table: 指标, 机构类型, 气候区, 约束值, 基准值, 引导值, 单位."""
    from jieneng.services.quotas import import_table
    from jieneng.services.users import command_line_user

    result = import_table(_engine(), command_line_user(), file, code=code, title=title,
                          source=source)
    output.console.print(f"{file.name}: 已导入 imported — {result['rows']} 行 rows "
                         f"({result['inserted']} new, {result['updated']} updated)")


# ---------------------------------------------------------------- template
class TemplateKind(StrEnum):
    regions = "regions"
    institutions = "institutions"
    profiles = "profiles"
    consumption = "consumption"
    consumption_long = "consumption-long"


@app.command("template")
@handles_errors
def template(
    kind: Annotated[TemplateKind, typer.Argument(help="模板类型 template kind")],
    out: Annotated[Path, typer.Option("-o", "--output", help="输出 .xlsx 文件 output file")],
) -> None:
    """生成空白导入模板 Write a blank import template (.xlsx) with examples and notes."""
    from jieneng.ingest.templates import write_template

    write_template(kind.value, out)
    output.console.print(f"模板已写入 template written: {out}")


# ---------------------------------------------------------------- indicators
class GroupBy(StrEnum):
    region = "region"
    category = "category"
    institution = "institution"


class Co2Scope(StrEnum):
    national = "national"
    regional = "regional"
    provincial = "provincial"


@app.command("indicators")
@handles_errors
def indicators(
    region: Annotated[str, typer.Option("--region", help="行政区划代码 region code")],
    year: Annotated[int, typer.Option("--year", help="年份 year")],
    months: Annotated[str | None, typer.Option("--months", help="月份范围 e.g. 1-6")] = None,
    group_by: Annotated[GroupBy | None, typer.Option("--group-by")] = None,
    category: Annotated[str | None, typer.Option("--category", help="单位类别 01/02/021…")] = None,
    department: Annotated[
        str | None, typer.Option("--department", help="主管部门统一社会信用代码")
    ] = None,
    institution: Annotated[
        str | None, typer.Option("--institution", help="单位统一社会信用代码")
    ] = None,
    factor_set: Annotated[
        str | None, typer.Option("--factor-set", help="折标系数集 factor set")
    ] = None,
    co2_scope: Annotated[
        Co2Scope | None, typer.Option("--co2-scope", help="电力排放因子范围 grid factor scope")
    ] = None,
    area_includes_vehicle_fuel: Annotated[
        bool,
        typer.Option(
            "--area-includes-vehicle-fuel",
            help="单位面积指标计入车辆用油 include vehicle fuel in per-area figures",
        ),
    ] = False,
    inputs: Annotated[
        bool, typer.Option("--inputs", help="列出单位级输入数据 list institution-level inputs")
    ] = False,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """能耗指标 Indicators for a region's subtree (ratios of sums, year-on-year)."""
    from jieneng.cli.render import render_indicators
    from jieneng.services.indicators import (
        IndicatorQuery,
        compute,
        indicator_inputs,
        parse_months,
    )

    query = IndicatorQuery(
        region_code=region, year=year, months=parse_months(months),
        group_by=group_by.value if group_by else None,
        category=category, department_code=department, institution_code=institution,
        factor_set=factor_set, default_factor_set=state.settings.factor_set,
        co2_scope=co2_scope.value if co2_scope else None,
        area_excludes_vehicle_fuel=not area_includes_vehicle_fuel,
    )
    engine = _engine()
    if inputs:
        rows = indicator_inputs(engine, query)
        output.print_json(rows) if fmt is Fmt.json else output.print_csv(rows)
        return
    render_indicators(compute(engine, query), fmt.value)


# ---------------------------------------------------------------- history
@app.command("history")
@handles_errors
def history(
    institution: Annotated[str, typer.Option("--institution", help="统一社会信用代码")],
    year: Annotated[int | None, typer.Option("--year")] = None,
    carrier: Annotated[
        str | None, typer.Option("--carrier", help="能源品种 e.g. electricity")
    ] = None,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """修订历史 Every revision of an institution's figures (newest first)."""
    from jieneng.services.records import institution_history

    rows = institution_history(_engine(), institution, year=year, carrier=carrier)
    if fmt is Fmt.json:
        output.print_json(rows)
    elif fmt is Fmt.csv:
        output.print_csv(rows)
    else:
        columns = ["year", "month", "carrier", "revision", "is_current", "quantity",
                   "entered_value", "entered_unit", "cost_yuan", "source", "recorded_at"]
        output.print_table(
            f"{institution} 修订历史 history", columns, [[r[c] for c in columns] for r in rows]
        )


# ---------------------------------------------------------------- factor sets
@app.command("factor-sets")
@handles_errors
def factor_sets(fmt: FormatOpt = Fmt.table) -> None:
    """折标与排放系数集 List the factor sets with their coefficients and sources."""
    from jieneng.core.factors import FACTOR_SET_NAMES, factor_set

    described = [factor_set(name).describe() for name in FACTOR_SET_NAMES]
    if fmt is Fmt.json:
        output.print_json(described)
        return
    for item in described:
        output.console.print_json(data=item)


# ---------------------------------------------------------------- serve
HostOpt = Annotated[str, typer.Option("--host", help="监听地址 bind address")]
PortOpt = Annotated[int, typer.Option("--port", help="端口 port")]


WorkersOpt = Annotated[int, typer.Option(
    "--workers", min=1, max=64,
    help="进程数 server processes (e.g. one per CPU core; PostgreSQL recommended)")]


def _serve(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    output.console.print(
        f"平台已启动 serving on [bold]http://{host}:{port}/[/] "
        f"(API http://{host}:{port}/api/v1/docs, {workers} 进程 process(es)) — Ctrl+C 停止 stop"
    )
    if workers == 1:
        from jieneng.web.app import create_app

        uvicorn.run(create_app(settings), host=host, port=port, log_level="info",
                    proxy_headers=False)
        return
    # Each worker process builds its own app from the environment: pass the
    # database chosen on the command line that way (the rest is JIENENG_* already).
    os.environ["JIENENG_DATABASE_URL"] = settings.database_url
    uvicorn.run("jieneng.web.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level="info", proxy_headers=False)


@app.command("serve")
@handles_errors
def serve(host: HostOpt = "127.0.0.1", port: PortOpt = 8000, workers: WorkersOpt = 1) -> None:
    """启动网页平台 Serve the web platform and the JSON API (uvicorn)."""
    _serve(state.settings, host, port, workers)


# ---------------------------------------------------------------- users
class RoleOpt(StrEnum):
    admin = "admin"
    region_admin = "region_admin"
    region = "region"
    department = "department"
    institution = "institution"
    viewer = "viewer"


@users_app.command("create")
@handles_errors
def users_create(
    username: Annotated[str, typer.Argument(help="用户名 username")],
    role: Annotated[RoleOpt, typer.Option("--role", help="角色 role")],
    password: Annotated[
        str, typer.Option("--password", prompt="密码 password", hide_input=True,
                          confirmation_prompt=True,
                          help="密码：至少 8 位，含大写、小写、数字、符号中至少三类，不含用户名，"
                               "不是常见密码 / password: 8+ characters, three of upper, lower, "
                               "digit, symbol; not the username, not a common one")
    ],
    region: Annotated[
        str | None, typer.Option("--region", help="行政区划代码 (region_admin, region, viewer)")
    ] = None,
    institution: Annotated[
        str | None,
        typer.Option("--institution", help="统一社会信用代码 (department, institution)"),
    ] = None,
    display_name: Annotated[str | None, typer.Option("--name", help="显示名称")] = None,
) -> None:
    """新建账户 Create an account pinned to its scope."""
    from jieneng.services.accounts import create_user
    from jieneng.services.audit import Actor

    user = create_user(
        _engine(), Actor.cli(), username=username, password=password, role=role.value,
        region_code=region, institution=institution, display_name=display_name,
    )
    output.console.print(f"已创建 created: {user.username} ({user.role.value}) id={user.id}")


@users_app.command("list")
@handles_errors
def users_list(fmt: FormatOpt = Fmt.table) -> None:
    """列出账户 List accounts."""
    from jieneng.services.accounts import list_users

    engine = _engine()
    rows, page = [], 1
    while True:
        data = list_users(engine, page=page, per_page=200)
        rows += [u.to_dict() for u in data["items"]]
        if page * 200 >= data["total"]:
            break
        page += 1
    if fmt is Fmt.json:
        output.print_json(rows)
    elif fmt is Fmt.csv:
        output.print_csv(rows)
    else:
        columns = ["id", "username", "display_name", "role", "region_code", "institution_id",
                   "is_locked", "locked_until"]
        output.print_table("账户 accounts", columns, [[r[c] for c in columns] for r in rows])


def _set_lock(username: str, locked: bool) -> None:
    from jieneng.services.accounts import get_user_by_username, update_user
    from jieneng.services.audit import Actor

    engine = _engine()
    user = get_user_by_username(engine, username)
    update_user(engine, Actor.cli(), user.id, locked=locked)
    verb = "已锁定 locked" if locked else "已解锁 unlocked"
    output.console.print(f"{username}: {verb}")


@users_app.command("lock")
@handles_errors
def users_lock(username: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """锁定账户 Lock an account (it can no longer log in or use its tokens)."""
    _set_lock(username, True)


@users_app.command("unlock")
@handles_errors
def users_unlock(username: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """解锁账户 Unlock an account (also clears a lockout after failed logins)."""
    _set_lock(username, False)


@users_app.command("revoke-sessions")
@handles_errors
def users_revoke_sessions(username: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """注销全部会话 End every login session of an account now (its API tokens stay)."""
    from jieneng.services.accounts import get_user_by_username, revoke_user_sessions
    from jieneng.services.audit import Actor

    engine = _engine()
    count = revoke_user_sessions(engine, Actor.cli(), get_user_by_username(engine, username).id)
    output.console.print(f"{username}: 已注销 {count} 个会话 sessions ended")


@users_app.command("token")
@handles_errors
def users_token(
    username: Annotated[str, typer.Argument(help="用户名")],
    name: Annotated[str, typer.Option("--name", help="令牌名称 token name")] = "cli",
) -> None:
    """创建 API 令牌 Create an API token for an account; it is printed once."""
    from jieneng.services.accounts import get_user_by_username
    from jieneng.services.auth import create_token

    engine = _engine()
    token, secret = create_token(engine, get_user_by_username(engine, username), name)
    output.console.print(f"令牌 token #{token.id} ({token.name})，只显示一次 shown once:")
    output.console.print(secret, markup=False, highlight=False)


# ---------------------------------------------------------------- demo
@app.command("demo")
@handles_errors
def demo(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="重建演示库 rebuild")] = False,
    year: Annotated[int | None, typer.Option("--year", help="展示年份 year shown")] = None,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="只构建并显示指标，不启动网页 build and print only")
    ] = False,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
) -> None:
    """演示数据 Build (idempotently) the 桂林市 demo database, create demo accounts and serve it.

    Refused in production (JIENENG_ENVIRONMENT=production): demo accounts have a
    published password.
    """
    from jieneng.cli.render import render_indicators
    from jieneng.services.demo import DEMO_REGION, build_demo, demo_database_url
    from jieneng.services.indicators import IndicatorQuery, compute

    if state.settings.environment == "production":
        from jieneng.services.demo import DemoRefused

        raise DemoRefused(
            "生产环境（JIENENG_ENVIRONMENT=production）不能运行 jieneng demo："
            "演示账户的密码是公开的",
            "jieneng demo is refused in production (JIENENG_ENVIRONMENT=production): the demo "
            "accounts' passwords are published",
        )
    url = state.settings.database_url if state.explicit_db else demo_database_url()
    if not state.explicit_db:
        from jieneng.storage.migrate import upgrade

        upgrade(url)  # the throw-away demo database follows the code's schema
    with output.progress("构建演示库 building demo") as step:
        summary = build_demo(url, rebuild=rebuild, progress=step)
    output.console.print(
        f"[bold]演示数据 DEMO DATA[/] — {url}\n{summary.describe()}"
    )
    if no_serve:
        query = IndicatorQuery(
            region_code=DEMO_REGION, year=year or summary.last_year, group_by="region"
        )
        render_indicators(compute(_engine(url), query), "table")
        return
    from jieneng.services.demo import ensure_demo_accounts

    accounts = ensure_demo_accounts(_engine(url), DEMO_REGION,
                                    environment=state.settings.environment)
    output.print_table(
        "演示账户（仅用于开发演示）demo accounts — development only",
        ["用户名 username", "密码 password", "角色 role", "范围 scope"],
        [[a.username, a.password, f"{a.role.label_zh} {a.role.value}", a.pinned_to]
         for a in accounts],
    )
    state.dispose()
    _serve(state.settings.model_copy(update={"database_url": url}), host, port)


# ---------------------------------------------------------------- remind
@app.command("remind")
@handles_errors
def remind(
    day: Annotated[str | None, typer.Option(
        "--date", help="提醒日期 the day, YYYY-MM-DD (default today, UTC)")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="只列出将发送的提醒，不发送 list, send nothing")] = False,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """催报 Send the day's reporting reminders (run daily by cron); never twice a day."""
    from datetime import date

    from jieneng.core.exceptions import ValidationFailed
    from jieneng.services.reminders import run_reminders

    try:
        when = date.fromisoformat(day) if day else None
    except ValueError:
        raise ValidationFailed(f"日期“{day}”无效，应为 YYYY-MM-DD",
                               f"invalid date {day!r}: YYYY-MM-DD") from None
    run = run_reminders(_engine(), state.settings, day=when, dry_run=dry_run)
    if fmt is Fmt.json:
        output.print_json(run.to_dict())
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


# ---------------------------------------------------------------- report, alerts
RegionOpt = Annotated[str, typer.Option("--region", help="行政区划代码 region code")]
YearOpt = Annotated[int, typer.Option("--year", help="年度 year")]


@report_app.command("annual")
@handles_errors
def report_annual(
    region: RegionOpt, year: YearOpt,
    out: Annotated[Path, typer.Option("-o", "--output", help="Word 文件 .docx to write")],
    xlsx: Annotated[Path | None, typer.Option(
        "--xlsx", help="同时写出全部表格 also write every table to this .xlsx")] = None,
) -> None:
    """年度通报 The region's annual energy and resource notification (.docx, charts)."""
    from jieneng.reports.annual_report import annual_docx, annual_xlsx
    from jieneng.services.annual_report import annual_data
    from jieneng.services.users import command_line_user

    data = annual_data(_engine(), command_line_user(), region_code=region, year=year,
                       factor_set=state.settings.factor_set)
    out.write_bytes(annual_docx(data))
    written = [str(out)]
    if xlsx is not None:
        xlsx.write_bytes(annual_xlsx(data))
        written.append(str(xlsx))
    output.console.print(f"已生成 written: {', '.join(written)}")


@alerts_app.command("evaluate")
@handles_errors
def alerts_evaluate(
    region: RegionOpt, year: YearOpt,
    month: Annotated[int | None, typer.Option(
        "--month", min=1, max=12, help="截至月份 as of month (default: the last with data)")
    ] = None,
) -> None:
    """评估预警 Open, raise, escalate or close the alerts of the region's caps."""
    from jieneng.services.alerts import evaluate
    from jieneng.services.users import command_line_user

    result = evaluate(_engine(), state.settings, command_line_user(), region_code=region,
                      year=year, as_of_month=month)
    output.print_json(result)


def main() -> None:
    app()
