"""Utility files: ``jieneng import daily-kwh|bills`` (daily kWh per 户号, billing periods)."""

from __future__ import annotations

import typer


def register(parent: typer.Typer) -> None:
    """Add this module's commands to ``parent`` (called by :mod:`jieneng.cli.main`)."""
