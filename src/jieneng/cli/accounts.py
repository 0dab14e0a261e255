"""``jieneng users …``: accounts, locks, login sessions and API tokens."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from jieneng.cli import output
from jieneng.cli.common import Fmt, FormatOpt, engine, handles_errors

users_app = typer.Typer(help="账户 Accounts: create, list, lock, unlock, sessions, API tokens.",
                        no_args_is_help=True)


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
    from jieneng.core.caller import Actor
    from jieneng.services.accounts.accounts import create_user

    user = create_user(
        engine(), Actor.cli(), username=username, password=password, role=role.value,
        region_code=region, institution=institution, display_name=display_name,
    )
    output.console.print(output.say("cli.account_created", username=user.username,
                                    role=user.role.value, id=user.id))


@users_app.command("list")
@handles_errors
def users_list(fmt: FormatOpt = Fmt.table) -> None:
    """列出账户 List accounts."""
    from jieneng.services.accounts.accounts import list_users

    opened = engine()
    rows, page = [], 1
    while True:
        data = list_users(opened, page=page, per_page=200)
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
        output.print_table(output.label("cli.accounts"), columns,
                           [[r[c] for c in columns] for r in rows])


def _set_lock(username: str, locked: bool) -> None:
    from jieneng.core.caller import Actor
    from jieneng.services.accounts.accounts import get_user_by_username, update_user

    opened = engine()
    user = get_user_by_username(opened, username)
    update_user(opened, Actor.cli(), user.id, locked=locked)
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
    from jieneng.core.caller import Actor
    from jieneng.services.accounts.accounts import get_user_by_username, revoke_user_sessions

    opened = engine()
    count = revoke_user_sessions(opened, Actor.cli(), get_user_by_username(opened, username).id)
    output.console.print(output.say("cli.sessions_ended", username=username, count=count))


@users_app.command("token")
@handles_errors
def users_token(
    username: Annotated[str, typer.Argument(help="用户名")],
    name: Annotated[str, typer.Option("--name", help="令牌名称 token name")] = "cli",
) -> None:
    """创建 API 令牌 Create an API token for an account; it is printed once."""
    from jieneng.services.accounts.accounts import get_user_by_username
    from jieneng.services.accounts.auth import create_token

    opened = engine()
    token, secret = create_token(opened, get_user_by_username(opened, username), name)
    output.console.print(output.say("cli.token_shown_once", id=token.id, name=token.name))
    output.console.print(secret, markup=False, highlight=False)
