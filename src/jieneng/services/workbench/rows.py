"""The shape of a "next thing to do" section of the workbench, shared by its providers.

A section: ``key`` (its catalogue key ``home.campaigns.<key>``), ``total`` (all of
them), ``items`` (the first :data:`SHORT`) and ``href`` (the list page that shows them
all). An item: ``title`` (``title_en`` when it differs in English), ``detail``,
``state``, ``href``, ``due`` (ISO date or None), ``overdue``, ``days_left``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from jieneng.core import chinatime

#: how many rows a section shows (the count links to the whole list)
SHORT = 5


def due_fields(due: date | None, today: date) -> dict[str, Any]:
    """``due`` (ISO), ``overdue`` and ``days_left`` of a deadline."""
    return {"due": due.isoformat() if due else None,
            "overdue": chinatime.past(due, today),
            "days_left": None if due is None else (due - today).days}


def section(key: str, total: int, items: list[dict[str, Any]], href: str) -> dict[str, Any]:
    return {"key": key, "total": total, "items": items, "href": href}


__all__ = ["SHORT", "due_fields", "section"]
