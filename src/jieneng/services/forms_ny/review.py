"""The NY202 / NY203 part of an institution's report (reviewed with the month's task).

:func:`task_forms` reads the institution's rooms and heating figures of a reporting
task's period — the same computation as the entry page and the summary
(:func:`jieneng.services.forms_ny.summaries.room_figures`, ``heating_figures``) with
the filters of the one institution — so the task page shows them beside the NY201
figures and the reviewer approves or returns them together. A 年报 reads the annual
report (month 0). The figures are locked with the task
(:func:`jieneng.services.workflow.locks.check_unlocked`, called by the entry and the
import of :mod:`jieneng.services.forms_ny`).
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.forms_ny import ANNUAL, DEFAULT_TARGETS, PueTargets
from jieneng.core.scope import Filters
from jieneng.services.scope import visible_institution

from .summaries import check_period, heating_figures, room_figures

#: what the task page shows of a room (the kWh its PUE used, as on the summary)
ROOM_KEYS = ("room_code", "room_name", "room_status", "elec_total", "elec_it", "total_used",
             "it_used", "pue", "pue_source", "target", "above")
HEATING_KEYS = ("heated_area", "area_independent", "area_central_by_area",
                "area_central_by_heat", "heating_days", "heating_energy", "energy_per_m2")


def task_forms(engine: Engine, user: User, credit_code: str, year: int, month: int | None,
               targets: PueTargets = DEFAULT_TARGETS) -> dict[str, Any] | None:
    """``rooms`` (each with total / IT electricity, PUE, its source, target, above) and
    ``heating`` (or None) of the institution's period (``month`` None: the annual
    report); None when it has neither for the period. The institution must be inside
    the caller's scope (the task was read by it)."""
    period_month = ANNUAL if month is None else month
    check_period(year, period_month)
    with engine.connect() as conn:
        inst = visible_institution(conn, user.scope, credit_code)
        own = Filters(None, None, [inst.id])
        rooms = room_figures(conn, own, year, period_month, targets)
        heating = heating_figures(conn, own, year, period_month)
    if rooms.is_empty() and heating.is_empty():
        return None
    return {
        "period": {"year": year, "month": period_month},
        "rooms": rooms.sort("room_code").select(ROOM_KEYS).to_dicts(),
        "above": int(rooms["above"].sum()) if rooms.height else 0,
        "heating": (heating.select(pl.col(k) for k in HEATING_KEYS).to_dicts()[0]
                    if heating.height else None),
    }
