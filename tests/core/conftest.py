"""Helpers for the pure-domain tests: reference tables in ``tests/core/data``."""

from __future__ import annotations

import csv
from pathlib import Path

DATA = Path(__file__).parent / "data"


def read_reference(name: str) -> list[dict[str, str]]:
    """Rows of ``tests/core/data/<name>`` (a CSV with a ``source`` column)."""
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
