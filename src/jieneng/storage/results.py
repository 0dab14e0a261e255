"""Small result types shared by the repositories."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    """Rows inserted and rows whose values changed (unchanged rows are not counted)."""

    inserted: int
    updated: int
