"""``jieneng serve``: the web platform and the JSON API under uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from jieneng.cli import output
from jieneng.cli.common import HostOpt, PortOpt, handles_errors, state
from jieneng.settings import Settings

WorkersOpt = Annotated[int, typer.Option(
    "--workers", min=1, max=64,
    help="进程数 server processes (e.g. one per CPU core; PostgreSQL recommended)")]


def run_server(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """Serve ``settings``' platform until Ctrl+C (also used by ``jieneng demo``)."""
    import uvicorn

    output.console.print(output.say("cli.serving", url=f"[bold]http://{host}:{port}/[/]",
                                    docs=f"http://{host}:{port}/api/v1/docs", workers=workers))
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


@handles_errors
def serve(host: HostOpt = "127.0.0.1", port: PortOpt = 8000, workers: WorkersOpt = 1) -> None:
    """启动网页平台 Serve the web platform and the JSON API (uvicorn)."""
    run_server(state.settings, host, port, workers)
