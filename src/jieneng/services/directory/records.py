"""Reading an institution's figures: revision history and monthly series."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from jieneng.core.carriers import carrier as carrier_by_code
from jieneng.core.exceptions import NotFound
from jieneng.storage import directory as queries
from jieneng.storage import institutions


def institution_history(
    engine: Engine, credit_code: str, *, year: int | None = None, carrier: str | None = None
) -> list[dict[str, Any]]:
    """Every revision of the institution's figures, newest first per figure."""
    if carrier is not None:
        carrier = carrier_by_code(carrier).code
    with engine.connect() as conn:
        row = institutions.get_institution(conn, credit_code)
        if row is None:
            raise NotFound.of(
                "directory.institution_not_in_directory", credit_code=credit_code,
            )
        return queries.history(conn, row.id, year=year, carrier=carrier)
