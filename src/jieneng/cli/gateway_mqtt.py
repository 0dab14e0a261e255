"""``jieneng gateway mqtt-subscribe``: the MQTT subscriber workers (docs/mqtt.md)."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import tomllib
from pathlib import Path
from typing import Annotated

import typer

from jieneng.cli.common import engine, handles_errors, state
from jieneng.core.exceptions import ValidationFailed


def register(parent: typer.Typer) -> None:
    """Add this module's commands to ``parent`` (called by :mod:`jieneng.cli.main`)."""
    parent.command("mqtt-subscribe")(mqtt_subscribe)


def _credentials(path: Path | None, username: str, password: str | None) -> tuple[str, str]:
    if path is not None:
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, tomllib.TOMLDecodeError) as err:
            raise ValidationFailed.of("mqtt.accounts_invalid", reason=str(err)[:200]) from None
        sub = doc.get("subscriber", doc)
        username = str(sub.get("username", username))
        password = str(sub.get("password", "")) or password
    if not password:
        raise ValidationFailed.of("mqtt.password_missing", username=username)
    return username, password


@handles_errors
def mqtt_subscribe(
    host: Annotated[str, typer.Option("--host", help="MQTT 服务器 broker host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 1883,
    username: Annotated[str, typer.Option("--username")] = "jieneng-ingest",
    password: Annotated[str | None, typer.Option(
        "--password", envvar="JIENENG_MQTT_PASSWORD", show_envvar=True,
        help="密码 password (better: the environment variable or --credentials)")] = None,
    credentials: Annotated[Path | None, typer.Option(
        "--credentials", exists=True, dir_okay=False,
        help="TOML: username / password, at the top or under [subscriber]")] = None,
    client_id: Annotated[str, typer.Option(
        "--client-id", help="会话标识 the persistent session's id (worker i: ID-i)")
    ] = "jieneng-ingest",
    workers: Annotated[int, typer.Option("--workers", min=1, max=64,
                                         help="进程数 worker processes")] = 1,
    shared: Annotated[bool, typer.Option(
        "--shared", help="共享订阅 each worker its own session in $share/jieneng/… "
        "(several hosts; not restored by Mosquitto 2.0 after a restart)")] = False,
    group: Annotated[int, typer.Option(
        "--group", min=1, max=1000, help="每次提交的消息数 messages per commit")] = 50,
    group_wait_ms: Annotated[int, typer.Option("--group-wait-ms", min=0)] = 50,
    receive_maximum: Annotated[int, typer.Option(
        "--receive-maximum", min=1, max=65535,
        help="未确认消息上限 unacknowledged messages in flight per worker")] = 200,
    dead_letters: Annotated[Path, typer.Option(
        "--dead-letters", help="拒收记录 JSONL file of refused batches")
    ] = Path("mqtt-dead-letters.jsonl"),
    max_backoff: Annotated[float, typer.Option("--max-backoff", min=0.05,
                                               help="重连最长等待 seconds")] = 30.0,
    tls: Annotated[bool, typer.Option("--tls")] = False,
) -> None:
    """订阅网关读数 Take the gateways' reading batches from the broker and store them;
    each message is acknowledged only after its batch is committed. SIGTERM finishes
    the group in hand and stops."""
    from jieneng.ingest.mqtt.subscriber import Connection
    from jieneng.services.metering.mqtt_input import (
        WorkerConfig,
        run_dispatcher,
        run_worker,
        subscription_for,
        worker_process,
    )

    user, secret = _credentials(credentials, username, password)
    engine()  # the schema is checked (or a new database made) once, here
    config = WorkerConfig(
        database_url=state.settings.database_url,
        mqtt=Connection(host, port, user, secret, client_id, tls=tls,
                        receive_maximum=max(receive_maximum, group * (
                            1 if workers == 1 or shared else 2 * workers + 1))),
        dead_letters=dead_letters, group_max=group, group_wait_s=group_wait_ms / 1000,
        max_backoff_s=max_backoff, subscription=subscription_for(workers, shared=shared))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    if workers == 1 or not shared:
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        if workers == 1:
            run_worker(config, None, stop)
        else:  # one session (the plain filter), the groups stored by N processes
            run_dispatcher(config, workers, stop)
        return
    spawn = multiprocessing.get_context("spawn")
    procs = [spawn.Process(target=worker_process, args=(config, i), name=f"mqtt-worker-{i}")
             for i in range(1, workers + 1)]
    for proc in procs:
        proc.start()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.is_set() and any(p.is_alive() for p in procs):
        stop.wait(0.5)
    for proc in procs:
        if proc.is_alive() and proc.pid is not None:
            proc.terminate()  # SIGTERM: the worker finishes its group and disconnects
    for proc in procs:
        proc.join()
