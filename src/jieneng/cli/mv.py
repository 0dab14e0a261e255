"""``jieneng mv …`` — measurement & verification from files (``mv fit``)."""

from __future__ import annotations

import typer

mv_app = typer.Typer(help="节能量测量与验证 / measurement & verification.", no_args_is_help=True)
