"""Live monitoring: silent meters, in-month over-use warnings."""

from __future__ import annotations

import typer


def register(parent: typer.Typer) -> None:
    """Add this module's commands to ``parent`` (called by :mod:`jieneng.cli.main`)."""
