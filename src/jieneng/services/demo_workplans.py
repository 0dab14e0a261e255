"""The demo city's the seeds' work plans with items in progress (helper W2).

Called by :func:`jieneng.services.demo._build` on every start: idempotent (nothing added
when already there); returns counts for the demo summary.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine


def seed(engine: Engine, region: str, files_dir: Path) -> dict[str, int]:
    """Placeholder until filled by its helper: adds nothing."""
    del engine, region, files_dir
    return {}
