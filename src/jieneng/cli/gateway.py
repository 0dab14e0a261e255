"""``jieneng gateway …``: the gateways' side of the platform — the Mosquitto
configuration of the MQTT input (docs/mqtt.md)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer

from jieneng.cli import output
from jieneng.cli.common import handles_errors

gateway_app = typer.Typer(help="网关 Gateways: the MQTT broker's accounts and ACL.",
                          no_args_is_help=True)


@gateway_app.command("mosquitto-config")
@handles_errors
def mosquitto_config(
    accounts: Annotated[Path, typer.Argument(
        exists=True, dir_okay=False, help="网关清单 gateway list: .toml ([[gateway]] id, "
        "password; [subscriber]) or .csv (gateway,password); an empty password is generated")],
    out: Annotated[Path, typer.Option("--out", help="输出目录 directory to write into")],
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
    from jieneng.ingest.mqtt.broker import read_accounts, render, write_files

    found = read_accounts(accounts)
    files = render(found, config_dir=(config_dir or out).absolute(), port=port, bind=bind,
                   persistence_dir=persistence_dir)
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
