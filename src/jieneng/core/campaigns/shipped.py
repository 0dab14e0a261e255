"""The schemes shipped with the platform, ``jieneng/data/campaigns/<code>.csv`` — one
file per scheme in the canonical columns (:data:`~.scheme.COLUMNS`), each row with its
source and status (docs/campaigns.md lists them).

Standard library only (a ``core`` module).
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources

from jieneng.core.exceptions import NotFound

from .scheme import COLUMNS, Scheme
from .validate import check_scheme

#: the shipped schemes' codes, in the order the lists show them
SHIPPED: tuple[str, ...] = (
    "conservation_organ", "demonstration_unit", "water_saving_unit", "canteen_food_waste",
    "waste_sorting_site", "green_low_carbon", "energy_leader", "water_leader",
    "green_datacentre")


def shipped_text(code: str) -> str:
    """The CSV text of the shipped scheme ``code``."""
    if code not in SHIPPED:
        raise NotFound.of("campaign_scheme_not_found", code=code)
    path = resources.files("jieneng") / "data" / "campaigns" / f"{code}.csv"
    return path.read_text(encoding="utf-8")


def rows_of(text: str) -> list[dict[str, str | None]]:
    """The rows of a canonical scheme CSV."""
    return list(csv.DictReader(io.StringIO(text, newline="")))


@cache
def shipped(code: str) -> Scheme:
    """The shipped scheme ``code``, checked."""
    return check_scheme(rows_of(shipped_text(code)), name=f"{code}.csv")


def shipped_schemes() -> tuple[Scheme, ...]:
    return tuple(shipped(code) for code in SHIPPED)


def to_csv(rows: list[dict[str, str]]) -> str:
    """Canonical rows as CSV text (the header, then one line per row)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
