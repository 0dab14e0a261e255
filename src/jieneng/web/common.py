"""What the pages and their JSON twins share: query parameters, defaults, and the
one call to a service that both render.

A page and its twin call the same function here (``*_data``), so the HTML shows
exactly the numbers of the JSON: the figures come from the services; this module
only chooses defaults (the caller's region, the latest year with data) and
formats for display (:mod:`jieneng.core.rounding`, GB/T 8170).
"""

from __future__ import annotations

import math
from datetime import date
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Path, Query, Request
from sqlalchemy import Engine
from starlette.responses import HTMLResponse

from jieneng.core import chinatime
from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, NotFound, ValidationFailed
from jieneng.core.listing import Column, cell_text
from jieneng.core.messages import text as message
from jieneng.core.rounding import format_number, format_percent
from jieneng.core.scope import Scope
from jieneng.services.accounts import users
from jieneng.services.statistics.indicators import parse_months
from jieneng.services.statistics.overview import latest_year, overview
from jieneng.services.statistics.periods import DEFAULT_MIN_APPROVED, default_period
from jieneng.storage.engine import read_snapshot
from jieneng.web.errors import lang_of
from jieneng.web.i18n import domain_lang
from jieneng.web.templating import render

#: How far back the default year looks for data [years].
LOOKBACK_YEARS = 6

RegionQ = Annotated[str | None, Query(
    pattern=r"^(\d{6})?$", description="行政区划代码 region code (default: my own)")]
YearQ = Annotated[str | None, Query(
    pattern=r"^(\d{4})?$", description="年份 year (default: the year of the last complete "
    "reviewed period, else the latest year with data; docs/statistics.md)")]
MonthsQ = Annotated[str | None, Query(
    max_length=10, description="月份范围 month range, e.g. 1-6 (default: whole year)")]
CategoryQ = Annotated[str | None, Query(
    max_length=20, description="单位类别 category code or name")]
CreditCode = Annotated[str, Path(min_length=1, max_length=18, pattern=r"^[0-9A-Za-z]+$",
                                 description="统一社会信用代码")]


def blank(value: str | None) -> str | None:
    """None for an empty form field."""
    return value.strip() or None if value is not None else None


def year_of(value: str | None) -> int | None:
    text = blank(value)
    return int(text) if text else None


def region_for(engine: Engine, user: User, region: str | None) -> str:
    """The region asked for, or the caller's own node."""
    code = blank(region) or users.home_region(engine, user)
    if code is None:
        raise NotFound.of("web.no_regions")
    return code


def latest_overview(
    engine: Engine, scope: Scope, *, region_code: str, year: int | None,
    months: tuple[int, int] | None, factor_set: str, before: int | None = None,
    min_approved: float = DEFAULT_MIN_APPROVED,
) -> dict[str, Any]:
    """:func:`jieneng.services.statistics.overview.overview` for ``year`` or, when None, for
    the default period's year (:func:`jieneng.services.statistics.periods.default_period`:
    the last complete reviewed period — at least ``min_approved`` of its tasks
    approved — else the latest year with data), told in ``default_period``.

    With ``before``, the latest year with data up to ``before - 1``, looking back at
    most :data:`LOOKBACK_YEARS` years; without data there, the first year is answered
    (an empty overview, not an error). The year and its overview are read in one
    snapshot.
    """
    with read_snapshot(engine) as conn:
        def call(y: int, chosen: dict[str, Any] | None = None) -> dict[str, Any]:
            found = overview(conn, scope, region_code=region_code, year=y,
                             months=months, default_factor_set=factor_set)
            return {**found, "default_period": chosen}

        if year is not None:
            return call(year)
        if before is None:
            chosen = default_period(conn, scope, region_code=region_code,
                                    min_approved=min_approved)
            if chosen.year is not None:
                return call(chosen.year, {**chosen.to_dict(), "threshold": min_approved})
        start = (before - 1) if before is not None else chinatime.today().year
        latest = latest_year(conn, scope, region_code, before=start + 1,
                             months=months)
        if latest is None or latest <= start - LOOKBACK_YEARS:
            return call(start)  # no data in the window: the first year tried, empty
        return call(latest)


def default_year(engine: Engine, scope: Scope, region_code: str | None, *,
                 min_approved: float = DEFAULT_MIN_APPROVED) -> int:
    """The year a page opens on when none is asked for (the same rule as the overview):
    the last complete reviewed period's year, else the latest year with data, else
    last year."""
    chosen = default_period(engine, scope, region_code=region_code, min_approved=min_approved)
    return chosen.year if chosen.year is not None else chinatime.today().year - 1


def previous_month(today: date | None = None) -> tuple[int, int]:
    """The period a 统计员 usually enters: last month."""
    today = today or chinatime.today()
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)


def months_text(months: list[int] | tuple[int, int] | None) -> str | None:
    """``[1, 6]`` → ``"1-6"``; the whole year → None."""
    if not months or tuple(months) == (1, 12):
        return None
    return f"{months[0]}-{months[-1]}"


def explain_url(key: dict[str, Any], *, api: bool = False) -> str:
    """The explanation page (or its JSON twin) of a figure, from the ``explain``
    arguments the services attach to every figure."""
    params: dict[str, Any] = {}
    if key.get("region_code"):
        params["region"] = key["region_code"]
    params["year"] = key["year"]
    if months_text(key.get("months")):
        params["months"] = months_text(key.get("months"))
    if key.get("category"):
        params["category"] = key["category"]
    if key.get("institution_code"):
        params["institution"] = key["institution_code"]
    if key.get("own_level"):
        params["own_level"] = "1"
    return ("/api/v1/explain?" if api else "/explain?") + urlencode(params)


def query_url(path: str, **params: Any) -> str:
    """``path`` with the non-empty ``params`` as its query string."""
    given = {k: v for k, v in params.items() if v not in (None, "", False)}
    return path + ("?" + urlencode(given) if given else "")


def num(value: float | None, digits: int = 2) -> str:
    return format_number(value, digits)


def pct(value: float | None) -> str:
    return format_percent(value)


def column_header(column: Column, lang: str = "zh-CN") -> str:
    """A list column's header as its export writes it (unit in brackets)."""
    return column.header(lang)


def page(request: Request, name: str, context: dict[str, Any] | None = None, *,
         status_code: int = 200) -> HTMLResponse:
    """Render a page template with the page helpers (call from a worker thread)."""
    lang = str(getattr(request.state, "lang", "zh-CN"))
    ctx: dict[str, Any] = {
        "num": num, "pct": pct, "explain_url": explain_url, "query_url": query_url,
        "months_text": months_text, "is_htmx": is_htmx(request),
        # a list's table from its columns (core.listing), as its export: pages/_columns.html
        "col_header": partial(column_header, lang=lang),
        "cell": partial(cell_text, lang=lang),
    }
    ctx.update(context or {})
    return render(request, name, ctx, status_code=status_code)


def is_htmx(request: Request) -> bool:
    """True for a partial request from htmx (not a history restore)."""
    return (request.headers.get("hx-request") == "true"
            and request.headers.get("hx-history-restore-request") != "true")


__all__ = ["parse_months"]


# ---------------------------------------------------------------- form fields


def form_year(text: str) -> int:
    """A four-digit year typed in a form (ValidationFailed naming the field ``year``)."""
    text = text.strip()
    if not (text.isdigit() and len(text) == 4):
        raise ValidationFailed.of("web.invalid_year", text=text, field="year")
    return int(text)


def field_labels(field: str) -> dict[str, str]:
    """A form field's name in each language (the catalogue's ``form.<field>``), as
    the ``values`` of a refusal that names it."""
    return {"what_zh": message("zh-CN", f"form.{field}"), "what_en": message("en", f"form.{field}")}


def form_number(text: str, field: str) -> float:
    """A finite number typed in a form (``,`` and ``%`` ignored); ValidationFailed
    naming ``field`` (its label: the catalogue's ``form.<field>``) otherwise."""
    cleaned = text.strip().replace(",", "").replace("%", "")
    try:
        value = float(cleaned) if cleaned else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValidationFailed.of("web.invalid_number", text=text, field=field,
                                  values=field_labels(field))
    return value


def error_message(request: Request, err: DomainError) -> str:
    """A domain error's message in the request's language (shown beside a form)."""
    return err.message(domain_lang(lang_of(request)))
