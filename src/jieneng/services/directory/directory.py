"""The institution directory (名录库) as the pages show it: search and detail.

Both functions take the caller's :class:`~jieneng.core.scope.Scope` and go
through :func:`jieneng.services.scope.scoped_filters`; an institution outside
the scope is answered with :class:`NotFound`, as if it did not exist.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.carriers import CARRIERS
from jieneng.core.categories import CATEGORIES, categories_under, parse_category
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.indicators import AggregateInputs, compute_indicators
from jieneng.core.names import name_key
from jieneng.core.scope import Scope
from jieneng.services.scope import scoped_filters, visible_institution
from jieneng.services.statistics.factor_choice import resolve_factor_set
from jieneng.storage import directory as queries
from jieneng.storage import institutions

_CATEGORY_NAMES = {c.code: (c.name_zh, c.name_en) for c in CATEGORIES}
STATUSES = ("active", "closed")


def _department_id(conn: Connection, code: str | None) -> int | None:
    if not code:
        return None
    row = institutions.get_institution(conn, code.strip().upper())
    if row is None:
        raise NotFound.of("directory.department_not_found", code=code)
    return row.id


def _decorate(item: dict[str, Any]) -> dict[str, Any]:
    zh, en = _CATEGORY_NAMES.get(item["category"], (item["category"], item["category"]))
    item["category_name"] = zh
    item["category_name_en"] = en
    return item


def _code_prefix(q: str) -> str | None:
    """The search text as a credit-code prefix (NFKC, no spaces, upper case), or
    None when it cannot start a credit code (GB 32100: digits and capital letters)."""
    folded = "".join(unicodedata.normalize("NFKC", q).split()).upper()
    return folded if folded and folded.isascii() and folded.isalnum() else None


def search_institutions(
    engine: Engine,
    scope: Scope,
    *,
    q: str | None = None,
    region_code: str | None = None,
    category: str | None = None,
    department_code: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    """Directory entries inside the scope matching every filter.

    ``q`` matches a fragment of the name, insensitive to white space, full-width
    characters and bracket forms (through :func:`jieneng.core.names.name_key`),
    or the beginning of the credit code. ``category`` is a code or name (``02``
    selects every 事业单位 category). Returns ``items, page, per_page, total`` and
    the filters as understood (``filters``); items: ``credit_code, name,
    region_code, region_name, category, category_name, category_name_en,
    department_code, department_name, key_energy_user, status, profile_year,
    occupants, floor_area_m2`` (latest profile) and ``institution_id``.
    """
    if page < 1 or not 1 <= per_page <= 1000:
        raise ValidationFailed.of("directory.invalid_paging")
    if status is not None and status not in STATUSES:
        raise ValidationFailed.of("directory.invalid_status", status=status)
    categories = None
    if category:
        code = category.strip() if category.strip() == "02" else parse_category(category).code
        categories = list(categories_under(code))
    text = (q or "").strip()
    with engine.connect() as conn:
        filters = scoped_filters(conn, scope, region_code=region_code,
                                 department_id=_department_id(conn, department_code))
        items, total = queries.search_institutions(
            conn,
            filters,
            name_key_fragment=name_key(text) if text else None,
            code_prefix=_code_prefix(text) if text else None,
            categories=categories,
            status=status,
            limit=per_page,
            offset=(page - 1) * per_page,
        )
    return {
        "items": [_decorate(item) for item in items],
        "page": page,
        "per_page": per_page,
        "total": total,
        "filters": {"q": text or None, "region_code": region_code, "category": category,
                    "department_code": department_code, "status": status},
    }


def _visible_institution(conn: Connection, scope: Scope, credit_code: str) -> int:
    """The id of the institution with this credit code when the scope shows it."""
    return visible_institution(conn, scope, credit_code).id


def institution_detail(
    engine: Engine,
    scope: Scope,
    credit_code: str,
    *,
    years: int = 3,
    default_factor_set: str | None = None,
) -> dict[str, Any]:
    """One institution: directory entry, profile history and its monthly series.

    Returns ``entry`` (as an item of :func:`search_institutions`), ``profiles``
    (every year of NY101: ``year, occupants, staff_quota, floor_area_m2,
    heated_area_m2, vehicles_*``), ``series`` — the last ``years`` years with data
    (``years``), the month labels (``months``: ``"2024-01"`` …, 12 per year) and per
    carrier ``carrier, name_zh, name_en, unit, quantity, cost_yuan`` (lists aligned
    with ``months``, None where nothing was reported), plus ``energy_tce`` per
    month (:func:`~jieneng.core.indicators.compute_indicators` of that month) —
    and ``records`` (``records`` current figures, ``revisions`` corrections,
    ``rows`` stored rows). NotFound outside the scope.
    """
    with engine.connect() as conn:
        institution_id = _visible_institution(conn, scope, credit_code)
        entry = queries.directory_entry(conn, institution_id)
        if entry is None:  # pragma: no cover - deleted concurrently
            raise NotFound.of("scope.institution_code_not_found", credit_code=credit_code)
        fs = resolve_factor_set(conn, entry["region_code"], default=default_factor_set)
        profiles = queries.profile_history(conn, institution_id)
        chosen = queries.data_years(conn, institution_id, limit=years)
        monthly = queries.monthly_series(conn, institution_id, chosen)
        counts = queries.record_counts(conn, institution_id)
    labels = [f"{y}-{m:02d}" for y in chosen for m in range(1, 13)]
    position = {label: n for n, label in enumerate(labels)}
    carriers: list[dict[str, Any]] = [
        {"carrier": c.code, "name_zh": c.name_zh, "name_en": c.name_en,
         "unit": c.canonical_unit, "quantity": [None] * len(labels),
         "cost_yuan": [None] * len(labels)}
        for c in CARRIERS
    ]
    energy: list[float | None] = [None] * len(labels)
    province = entry["region_code"][:2] + "0000"
    for point in monthly:  # at most 12 × years roll-up rows of one institution
        n = position[f"{point['year']}-{point['month']:02d}"]
        for item in carriers:
            item["quantity"][n] = point["quantity"][item["carrier"]]
            item["cost_yuan"][n] = point["cost_yuan"][item["carrier"]]
        quantity = {c: float(v) for c, v in point["quantity"].items() if v is not None}
        energy[n] = compute_indicators(
            AggregateInputs(quantity=quantity), fs, year=point["year"], province_code=province
        ).energy_tce
    return {
        "entry": _decorate(entry),
        "profiles": profiles,
        "series": {
            "years": chosen,
            "months": labels,
            "carriers": carriers,
            "energy_tce": energy,
            "factor_set": fs.name,
        },
        "records": counts,
    }
