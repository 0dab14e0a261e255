"""The annual 基本信息 of an institution (table NY101): 用能人数, 编制人数, 建筑面积,
采暖面积 and its vehicles, one record per year (``institution_profile``).

:func:`profile_form` reads the year's record and last year's beside it;
:func:`save_profile` checks every field (a count is a whole number ≥ 0, an area a
number ≥ 0, blank = not known) and stores the record as the profile import does
(:func:`jieneng.storage.institutions.upsert_profiles`, the roll-ups follow), audited.
While the year's 年报 is submitted or approved the record is locked (``Conflict``).
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl
from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.exceptions import Conflict, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.reporting.tasks import TaskState, is_locked
from jieneng.services.accounts import audit
from jieneng.services.entry.entry_checks import parse_numbers
from jieneng.services.scope import visible_institution
from jieneng.storage import directory as queries
from jieneng.storage import task_figures
from jieneng.storage.institutions import PROFILE_VALUE_COLUMNS, upsert_profiles

#: field → (whole number, the catalogue key of its label)
FIELDS: dict[str, tuple[bool, str]] = {
    "occupants": (True, "pages.occupants"),
    "staff_quota": (True, "pages.staff_quota"),
    "floor_area_m2": (False, "pages.floor_area"),
    "heated_area_m2": (False, "pages.heated_area"),
    "vehicles_gasoline": (True, "pages.vehicles_gasoline"),
    "vehicles_diesel": (True, "pages.vehicles_diesel"),
    "vehicles_nev": (True, "pages.vehicles_nev"),
}
assert tuple(FIELDS) == PROFILE_VALUE_COLUMNS
MAX_VALUE = 1e9


def _record(history: list[dict[str, Any]], year: int) -> dict[str, Any]:
    found = next((p for p in history if int(p["year"]) == year), None)
    return {f: (found[f] if found else None) for f in FIELDS}


def _annual_locked(conn: Any, institution_id: int, year: int) -> str | None:
    for task in task_figures.institution_tasks(conn, institution_id, year):
        if task["kind"] == "annual" and is_locked(TaskState(task["state"])):
            return str(task["state"])
    return None


def profile_form(engine: Engine, user: User, credit_code: str, year: int) -> dict[str, Any]:
    """``institution``, ``year``, ``fields`` (name, whole number, label key), ``values``
    and ``last_year`` (field → value or None), ``locked`` (the 年报's state or None)."""
    with engine.connect() as conn:
        row = visible_institution(conn, user.scope, credit_code)
        history = queries.profile_history(conn, row.id)
        locked = _annual_locked(conn, row.id, year)
    return {
        "institution": {"credit_code": row.credit_code, "name": row.name,
                        "region_code": row.region_code, "status": row.status},
        "year": year,
        "fields": [{"name": f, "integer": whole, "label": label}
                   for f, (whole, label) in FIELDS.items()],
        "values": _record(history, year), "last_year": _record(history, year - 1),
        "locked": locked,
    }


def parse_profile(values: dict[str, Any]) -> dict[str, float | int | None]:
    """The typed fields as numbers; the first bad one is a :class:`ValidationFailed`
    naming its ``field``."""
    names = list(FIELDS)
    texts = [None if values.get(f) is None else str(values[f]).strip() or None for f in names]
    numbers, bad = parse_numbers(texts)
    out: dict[str, float | int | None] = {}
    for name, text, number, wrong in zip(names, texts, numbers, bad, strict=True):
        whole = FIELDS[name][0]
        if wrong or (number is not None and (
                number < 0 or number > MAX_VALUE or not math.isfinite(number)
                or (whole and number != int(number)))):
            if whole:
                raise ValidationFailed.of("entry.profile_count", field=name, value=text)
            raise ValidationFailed.of("entry.profile_number", field=name, value=text)
        out[name] = None if number is None else (int(number) if whole else float(number))
    return out


def save_profile(engine: Engine, user: User, credit_code: str, year: int,
                 values: dict[str, Any]) -> dict[str, Any]:
    """Store the year's 基本信息 (every field; blank = unknown). Returns ``institution,
    year, values, user``."""
    require(user, Capability.ENTER_DATA)
    if not 1900 <= year <= 2200:
        raise ValidationFailed.of("entry.invalid_period", year=year, month=0)
    parsed = parse_profile(values)
    with engine.begin() as conn:
        row = visible_institution(conn, user.scope, credit_code)
        if locked := _annual_locked(conn, row.id, year):
            raise Conflict.of("entry.profile_locked", year=year, state=locked,
                              values={"state_zh": TaskState(locked).label("zh"),
                                      "state_en": TaskState(locked).label("en")})
        before = _record(queries.profile_history(conn, row.id), year)
        frame = pl.DataFrame([{"institution_id": row.id, "year": year, **parsed}], schema={
            "institution_id": pl.Int64, "year": pl.Int32,
            **{f: pl.Int64 if whole else pl.Float64 for f, (whole, _) in FIELDS.items()}})
        upsert_profiles(conn, frame, import_id=None)
        audit.record(conn, user.actor, "profile.entry", "institution_profile",
                     f"{row.credit_code}/{year}", before=before, after=parsed)
    return {"institution": row.credit_code, "year": year, "values": parsed,
            "user": user.actor.username}
