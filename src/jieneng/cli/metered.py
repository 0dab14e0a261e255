"""Metered figures into the monthly statistics (NY201)."""

from __future__ import annotations

import typer


def register(parent: typer.Typer) -> None:
    """Add this module's commands to ``parent`` (called by :mod:`jieneng.cli.main`)."""
