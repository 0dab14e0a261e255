"""``jieneng projects …`` — energy-saving projects: bulk import, list, lifecycle moves."""

from __future__ import annotations

import typer

projects_app = typer.Typer(help="节能项目 / energy-saving projects.", no_args_is_help=True)
