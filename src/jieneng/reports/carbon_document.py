"""The carbon pages' workbooks (issue 14 §6): the events list with emissions by source,
offsets, net and 碳中和; the carbon-points leaderboards (staff, institutions, months).
Written by the one list builder (:func:`jieneng.reports.tables.table_xlsx`: formats,
formula-safe cells)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jieneng.core.listing import Column
from jieneng.core.messages import text
from jieneng.reports.tables import Sheet, table_xlsx

EVENT_COLUMNS: tuple[Column, ...] = (
    Column("id", "carbon.web.col.id", "code"),
    Column("name", "carbon.web.col.name"),
    Column("institution_name", "carbon.web.col.institution"),
    Column("credit_code", "carbon.web.col.credit_code", "code"),
    Column("start_date", "carbon.web.col.start", "code"),
    Column("end_date", "carbon.web.col.end", "code"),
    Column("place", "carbon.web.col.place"),
    Column("attendees", "carbon.web.col.attendees", "int"),
    Column("venue_t", "carbon.web.cat.venue", "number", 3, "tCO₂"),
    Column("travel_t", "carbon.web.cat.travel", "number", 3, "tCO₂"),
    Column("accommodation_t", "carbon.web.cat.accommodation", "number", 3, "tCO₂"),
    Column("catering_t", "carbon.web.cat.catering", "number", 3, "tCO₂"),
    Column("total_t", "carbon.web.col.total", "number", 3, "tCO₂"),
    Column("offsets_t", "carbon.web.col.offsets", "number", 3, "tCO₂"),
    Column("net_t", "carbon.web.col.net", "number", 3, "tCO₂"),
    Column("neutral_text", "carbon.web.col.neutral"),
)
STAFF_COLUMNS: tuple[Column, ...] = (
    Column("rank", "carbon.web.col.rank", "int"),
    Column("display_name", "carbon.web.col.staff"),
    Column("staff_code", "carbon.web.col.staff_code", "code"),
    Column("institution_name", "carbon.web.col.institution"),
    Column("points", "carbon.web.col.points", "number", 1),
    Column("co2_kg", "carbon.web.col.co2", "number", 2, "kgCO₂"),
    Column("entries", "carbon.web.col.entries", "int"),
)
UNIT_COLUMNS: tuple[Column, ...] = (
    Column("rank_total", "carbon.web.col.rank", "int"),
    Column("name", "carbon.web.col.institution"),
    Column("credit_code", "carbon.web.col.credit_code", "code"),
    Column("staff", "carbon.web.col.staff_count", "int"),
    Column("points", "carbon.web.col.points", "number", 1),
    Column("per_capita", "carbon.web.col.per_capita", "number", 2),
    Column("rank_per_capita", "carbon.web.col.rank_per_capita", "int"),
    Column("co2_kg", "carbon.web.col.co2", "number", 2, "kgCO₂"),
)
MONTH_COLUMNS: tuple[Column, ...] = (
    Column("month", "carbon.web.col.month", "code"),
    Column("points", "carbon.web.col.points", "number", 1),
    Column("co2_kg", "carbon.web.col.co2", "number", 2, "kgCO₂"),
    Column("entries", "carbon.web.col.entries", "int"),
)


def event_row(item: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """An event of the list as the workbook's row."""
    by = item.get("by_category") or {}
    return {**item, **{f"{k}_t": v for k, v in by.items()},
            "neutral_text": text(lang, "carbon.web.neutral_yes" if item.get("neutral")
                                 else "carbon.web.neutral_no")}


def events_xlsx(items: Sequence[Mapping[str, Any]], *, lang: str = "zh-CN",
                notes: Sequence[str] = ()) -> bytes:
    title = text(lang, "carbon.web.events_title")
    return table_xlsx([Sheet(title, title, EVENT_COLUMNS,
                             [event_row(i, lang) for i in items], notes=notes)], lang)


def points_xlsx(data: Mapping[str, Any], *, lang: str = "zh-CN",
                notes: Sequence[str] = ()) -> bytes:
    """The leaderboards: staff, institutions (total and per capita), months."""
    period = data["period"]["label"]
    return table_xlsx([
        Sheet(text(lang, "carbon.web.staff_board"),
              text(lang, "carbon.web.staff_board_title", period=period), STAFF_COLUMNS,
              data["staff"], notes=notes),
        Sheet(text(lang, "carbon.web.unit_board"),
              text(lang, "carbon.web.unit_board_title", period=period), UNIT_COLUMNS,
              data["institutions"], notes=notes),
        Sheet(text(lang, "carbon.web.months"), text(lang, "carbon.web.months"),
              MONTH_COLUMNS, data["months"], notes=notes)], lang)
