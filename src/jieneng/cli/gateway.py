"""``jieneng gateway …``: the gateways' side of the platform — the registry (``add``,
``list``, ``assign``, ``unassign``, ``token``, ``disable``, ``log``; docs/gateways.md)
and the Mosquitto configuration of the MQTT input (docs/mqtt.md)."""

from __future__ import annotations

import csv
import secrets
from pathlib import Path
from typing import Annotated, Any

import typer

from jieneng.cli import output
from jieneng.cli.common import DryRun, Fmt, FormatOpt, engine, handles_errors
from jieneng.web.timefmt import local_time

gateway_app = typer.Typer(help="网关 Gateways: the registry, their secrets and meters, "
                          "the MQTT broker's accounts and ACL.", no_args_is_help=True)
CodeArg = Annotated[str, typer.Argument(help="网关编号 the gateway's code")]


@gateway_app.command("mosquitto-config")
@handles_errors
def mosquitto_config(
    out: Annotated[Path, typer.Option("--out", help="输出目录 directory to write into")],
    accounts: Annotated[Path | None, typer.Argument(
        exists=True, dir_okay=False, help="网关清单 gateway list: .toml ([[gateway]] id, "
        "password; [subscriber]) or .csv (gateway,password); an empty password is "
        "generated")] = None,
    from_db: Annotated[bool, typer.Option(
        "--from-db", help="加入登记中启用的 MQTT 网关 add the registry's active MQTT "
        "gateways (their stored password hashes)")] = False,
    config_dir: Annotated[Path | None, typer.Option(
        "--config-dir", help="passwd 与 acl 在代理机上的目录 where passwd and acl will be "
        "on the broker (default: --out)")] = None,
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 1883,
    bind: Annotated[str, typer.Option("--bind")] = "0.0.0.0",
    persistence_dir: Annotated[Path, typer.Option("--persistence-dir")] = Path(
        "/var/lib/mosquitto"),
) -> None:
    """Mosquitto 配置 Write mosquitto.conf, passwd and acl: each gateway may publish to
    its own topic jieneng/v1/<id>/readings only; the subscriber reads them."""
    from jieneng.ingest.mqtt.broker import (
        DEFAULT_SUBSCRIBER,
        Accounts,
        StoredAccount,
        read_accounts,
        render,
        write_files,
    )

    if accounts is None and not from_db:
        raise typer.BadParameter("ACCOUNTS or --from-db")
    found = (read_accounts(accounts) if accounts is not None
             else Accounts((), _generated(DEFAULT_SUBSCRIBER)))
    stored: list[StoredAccount] = []
    if from_db:
        from jieneng.core.caller import command_line_user
        from jieneng.services.metering.gateways_read import broker_accounts

        stored = [StoredAccount(code, line)
                  for code, line in broker_accounts(engine(), command_line_user())]
        output.console.print(output.say("gateway.cli.from_db", count=len(stored)))
    files = render(found, config_dir=(config_dir or out).absolute(), port=port, bind=bind,
                   persistence_dir=persistence_dir, stored=stored)
    write_files(files, out)
    output.console.print(output.say("mqtt.config_written", path=out))
    generated = [a for a in (*found.gateways, found.subscriber) if a.generated]
    if generated:
        path = out / "credentials.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            path.chmod(0o600)
            writer = csv.writer(fh)
            writer.writerow(["username", "password"])
            writer.writerows([a.username, a.password] for a in generated)
        output.console.print(output.say("mqtt.generated_passwords", path=path))


def _generated(username: str) -> Any:
    from jieneng.ingest.mqtt.broker import Account

    return Account(username, secrets.token_urlsafe(18), generated=True)


def _print_secret(made: dict[str, Any], fmt: Fmt) -> None:
    if fmt is Fmt.json:
        output.print_json(made)
        return
    label = output.say(f"pages.gateways.secret.{made['protocol']}")
    output.console.print(output.say("gateway.cli.secret_once", label=label,
                                    secret=made["secret"]), highlight=False)


@gateway_app.command("add")
@handles_errors
def gateway_add(
    code: CodeArg,
    protocol: Annotated[str, typer.Option("--protocol", help="mqtt / http / mohurd")],
    region: Annotated[str, typer.Option("--region", help="所属地区代码 region code")],
    name: Annotated[str | None, typer.Option("--name", help="名称 name")] = None,
    institution: Annotated[str | None, typer.Option(
        "--institution", help="单位统一社会信用代码 the institution's credit code")] = None,
    key: Annotated[str | None, typer.Option(
        "--key", help="住建部协议共享密钥（16 字符；缺省则生成） MOHURD shared key")] = None,
    profile: Annotated[str | None, typer.Option(
        "--profile", help="住建部协议配置 MOHURD profile")] = None,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """登记网关 Register a gateway; prints its token / password / key this once."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.metering.gateways import GatewaySpec, register_gateway

    _print_secret(register_gateway(engine(), command_line_user(), GatewaySpec(
        code=code, protocol=protocol, region_code=region, name=name,
        institution=institution, key=key, profile=profile)), fmt)


@gateway_app.command("list")
@handles_errors
def gateway_list(region: Annotated[str | None, typer.Option(
        "--region", help="地区代码 region code")] = None, fmt: FormatOpt = Fmt.table) -> None:
    """网关列表 The gateways with last seen, readings and refusals today."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.metering.gateways_read import list_gateways

    found = list_gateways(engine(), command_line_user(), region=region, per_page=100_000)
    if fmt is Fmt.json:
        output.print_json(found)
        return
    if fmt is Fmt.csv:
        output.print_csv(found["items"])
        return
    keys = ("code", "name", "protocol", "region", "institution", "status", "last_seen",
            "meters", "readings_today", "refusals_today")
    output.print_table(output.say("pages.gateways.title"),
                       [output.say(f"pages.gateways.col.{k}") for k in keys],
                       [[g["code"], g["name"], g["protocol"], g["region_code"],
                         g["institution"], g["status"], local_time(g["last_seen"]),
                         g["meters"], g["readings_today"], g["refusals_today"]]
                        for g in found["items"]])


@gateway_app.command("assign")
@handles_errors
def gateway_assign(
    code: CodeArg,
    meter_code: Annotated[str | None, typer.Option(
        "--code", help="网关上报的表号 the meter's code as the gateway sends it")] = None,
    institution: Annotated[str | None, typer.Option(
        "--institution", help="单位统一社会信用代码 credit code")] = None,
    meter: Annotated[str | None, typer.Option("--meter", help="表号 meter number")] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", exists=True, dir_okay=False, help="CSV：网关表号,统一社会信用代码,表号 "
        "(all or nothing)")] = None,
    dry_run: DryRun = False,
) -> None:
    """指定计量表 Assign meters to a gateway (one, or a CSV file all or nothing)."""
    from jieneng.core.caller import command_line_user
    from jieneng.core.exceptions import ImportRejected
    from jieneng.services.metering import gateways as service
    from jieneng.services.metering.gateways_read import gateway_id_of

    eng, user = engine(), command_line_user()
    gateway_id = gateway_id_of(eng, user, code)
    if file is not None:
        items = service.assignments_from_csv(file.read_bytes()[:10_000_000], file.name)
        name = file.name
    elif meter_code and institution and meter:
        items, name = [service.Assignment(meter_code, institution, meter)], ""
    else:
        raise typer.BadParameter("--file, or --code --institution --meter")
    try:
        output.print_json(service.assign_meters(eng, user, gateway_id, items, file=name,
                                                dry_run=dry_run))
    except ImportRejected as err:
        output.print_error(err)
        output.print_issues(err.issues)
        raise typer.Exit(1) from None


@gateway_app.command("unassign")
@handles_errors
def gateway_unassign(code: CodeArg, meter_code: Annotated[str, typer.Option(
        "--code", help="网关上报的表号 the meter's code as the gateway sends it")]) -> None:
    """移除计量表 Stop a gateway writing a meter."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.metering.gateways import unassign_meter
    from jieneng.services.metering.gateways_read import gateway_id_of

    eng, user = engine(), command_line_user()
    output.print_json(unassign_meter(eng, user, gateway_id_of(eng, user, code), meter_code))


@gateway_app.command("token")
@handles_errors
def gateway_token(code: CodeArg, key: Annotated[str | None, typer.Option(
        "--key", help="住建部协议的新共享密钥 a new MOHURD key")] = None,
        fmt: FormatOpt = Fmt.table) -> None:
    """重新生成 A new token / password / key (the old one stops working); printed once."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.metering.gateways import rotate_secret
    from jieneng.services.metering.gateways_read import gateway_id_of

    eng, user = engine(), command_line_user()
    _print_secret(rotate_secret(eng, user, gateway_id_of(eng, user, code), key=key), fmt)


@gateway_app.command("disable")
@handles_errors
def gateway_disable(code: CodeArg, enable: Annotated[bool, typer.Option(
        "--enable", help="重新启用 enable it again")] = False) -> None:
    """停用网关 Disable a gateway (its batches are refused), or enable it again."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.metering.gateways import set_status
    from jieneng.services.metering.gateways_read import gateway_id_of

    eng, user = engine(), command_line_user()
    output.print_json(set_status(eng, user, gateway_id_of(eng, user, code), active=enable))


@gateway_app.command("log")
@handles_errors
def gateway_log(code: CodeArg, page: Annotated[int, typer.Option("--page", min=1)] = 1,
                fmt: FormatOpt = Fmt.table) -> None:
    """拒收记录 A gateway's refused batches, newest first."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.metering.gateways_read import gateway_id_of, refusal_log

    eng, user = engine(), command_line_user()
    found = refusal_log(eng, user, gateway_id_of(eng, user, code), page=page)
    if fmt is Fmt.json:
        output.print_json(found)
        return
    keys = ("log_at", "log_kind", "log_reason", "log_batch", "log_readings")
    output.print_table(output.say("pages.gateways.log", count=found["total"]),
                       [output.say(f"pages.gateways.{k}") for k in keys],
                       [[local_time(r["at"], "%Y-%m-%d %H:%M:%S"), r["kind"], r["reason"],
                         r["batch_id"] or "", r["readings"]] for r in found["items"]])
