"""``jieneng gateway serve``: the MOHURD energy-monitoring TCP receiver (docs/gateway.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from jieneng.cli import output
from jieneng.cli.common import HostOpt, PortOpt, engine, handles_errors

#: the environment variable that may hold the listener's AES-128 key
AES_KEY_ENV = "JIENENG_GATEWAY_AES_KEY"


def aes_key(text: str) -> bytes:
    """A key written as 32 hex digits or as its 16 characters."""
    from jieneng.ingest.mohurd import GatewayRefused

    text = text.strip()
    if len(text) == 32:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    key = text.encode("utf-8")
    if len(key) != 16:
        raise GatewayRefused.of("gateway.key_invalid", size=len(key))
    return key


@handles_errors
def serve(
    host: HostOpt = "0.0.0.0",
    port: PortOpt = 9005,
    profile: Annotated[str, typer.Option(
        "--profile", help="规约配置 protocol profile (data/gateway/profiles)")] = "default",
    aes_key_file: Annotated[Path | None, typer.Option(
        "--aes-key-file", exists=True, dir_okay=False,
        help=f"AES-128 密钥文件 key file (32 hex digits); else ${AES_KEY_ENV}")] = None,
    max_connections: Annotated[int, typer.Option("--max-connections", min=1)] = 1000,
    idle_timeout: Annotated[float, typer.Option(
        "--idle-timeout", min=1.0, help="无数据断开秒数 seconds without a byte")] = 300.0,
    workers: Annotated[int, typer.Option(
        "--workers", min=1, max=64, help="数据库写入线程 database threads")] = 4,
) -> None:
    """能耗监测数据接收 Receive the MOHURD energy-monitoring protocol over TCP; readings
    stored and acknowledged after the commit; SIGTERM stops it gracefully."""
    import asyncio
    import logging
    import signal

    from jieneng.ingest.mohurd import load_profile
    from jieneng.ingest.mohurd.errors import GatewayRefused
    from jieneng.ingest.mohurd.server import Limits, Receiver
    from jieneng.ingest.mohurd.server import serve as run
    from jieneng.services.metering.mohurd_input import MohurdInput

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    spec = load_profile(profile)
    key: bytes | None = None
    if spec.cipher.enabled:
        text = (aes_key_file.read_text(encoding="utf-8") if aes_key_file is not None
                else os.environ.get(AES_KEY_ENV))
        if not text:
            raise GatewayRefused.of("gateway.aes_key_missing", profile=profile)
        key = aes_key(text)
    receiver = Receiver(spec, MohurdInput(engine(), profile), aes_key=key, limits=Limits(
        max_connections=max_connections, idle_timeout=idle_timeout, workers=workers))

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)

        def ready(bound: int) -> None:
            output.console.print(output.say(
                "gateway.serve_listening", host=host, port=bound, profile=profile,
                max_connections=max_connections))

        done = await run(receiver, host, port, stop, ready)
        output.console.print(output.say(
            "gateway.serve_stopped", connections=done.connections, batches=done.batches,
            refused=done.refused_batches, written=done.written))

    asyncio.run(main())


def register(parent: typer.Typer) -> None:
    """Add this module's commands to ``parent`` (called by :mod:`jieneng.cli.main`)."""
    parent.command("serve")(serve)
