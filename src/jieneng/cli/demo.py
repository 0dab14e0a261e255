"""``jieneng demo``: build the 桂林市 demo database, create demo accounts, serve it."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from jieneng.cli import output
from jieneng.cli.common import HostOpt, PortOpt, engine, handles_errors, state
from jieneng.cli.serve import run_server


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
    from jieneng.services.statistics.indicators import IndicatorQuery, compute
    from jieneng.settings import data_dir

    if state.settings.environment == "production":
        from jieneng.services.demo import DemoRefused

        raise DemoRefused.of("cli.demo_refused_in_production")
    url = state.settings.database_url if state.explicit_db else demo_database_url()
    if not state.explicit_db:
        from jieneng.storage.migrate import upgrade

        upgrade(url)  # the throw-away demo database follows the code's schema
    with output.progress(output.label("cli.building_demo")) as step:
        summary = build_demo(url, rebuild=rebuild, progress=step)
    output.console.print(
        f"[bold]{output.label('cli.demo_data')}[/] — {url}\n{summary.describe()}"
    )
    if not state.explicit_db:  # where the demo lives, and how to start it afresh
        output.console.print(output.label("cli.demo_kept", path=str(data_dir())))
    if no_serve:
        query = IndicatorQuery(
            region_code=DEMO_REGION, year=year or summary.last_year, group_by="region"
        )
        render_indicators(compute(engine(url), query), "table")
        return
    from jieneng.services.demo import ensure_demo_accounts

    accounts = ensure_demo_accounts(engine(url), DEMO_REGION,
                                    environment=state.settings.environment)
    output.print_table(
        output.label("cli.demo_accounts"),
        [output.label(f"cli.column.{c}") for c in ("username", "password", "role", "scope")],
        [[a.username, a.password, f"{a.role.label_zh} {a.role.value}", a.pinned_to]
         for a in accounts],
    )
    from jieneng.services.demo_metering import simulate

    state.dispose()
    stop = threading.Event()  # the simulated gateway sends its readings while the demo serves
    threading.Thread(target=simulate, args=(engine(url), stop),
                     name="demo-gateway", daemon=True).start()
    try:
        run_server(state.settings.model_copy(update={"database_url": url}), host, port)
    finally:
        stop.set()
