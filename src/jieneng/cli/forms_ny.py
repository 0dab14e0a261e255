"""Forms NY202 (data-centre rooms) and NY203 (heating): import and reports."""

from __future__ import annotations

import typer


def register(parent: typer.Typer) -> None:
    """Add this module's commands to ``parent`` (called by :mod:`jieneng.cli.main`)."""
