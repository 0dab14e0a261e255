"""Data entry (数据填报): the monthly form of one institution, the checks run
before saving (made in :mod:`jieneng.services.entry.entry_checks`) and saving. The
spreadsheet upload of the web page is
:func:`jieneng.services.entry.imports.import_for_scope`.

The form lists every carrier of form NY201 (:data:`jieneng.core.carriers.CARRIERS`)
with its unit, what is stored for the month, and — beside it — the same carrier
in the previous month and in the same month last year, so that a 统计员 sees a
jump before saving. :func:`check_entry` returns structured findings with stable
codes (:data:`jieneng.services.entry.entry_checks.FINDING_CODES`), bilingual messages
and the field they concern;
:func:`save_entry` refuses any error-level finding (nothing stored) and writes
the rest through :func:`jieneng.storage.consumption.write_consumption` in one
transaction — a changed figure becomes a new revision, exactly as in an import.
Simultaneous saves of the same institution-year are serialised (the later one
waits, then reads and revises the earlier one's figures).

Every function takes the caller's :class:`~jieneng.core.scope.Scope`; an
institution outside it is :class:`NotFound`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine

from jieneng.core.caller import Actor
from jieneng.core.carriers import CARRIERS
from jieneng.core.exceptions import NotPermitted, ValidationFailed
from jieneng.core.scope import Scope, ScopeKind
from jieneng.core.units import accepted_units
from jieneng.services.accounts import audit
from jieneng.services.entry.entry_checks import (
    MOM_THRESHOLD,
    YOY_THRESHOLD,
    EntryFigure,
    EntryFinding,
    EntryValue,
    analyse,
)
from jieneng.services.metering import overrides
from jieneng.services.quality import quality
from jieneng.services.scope import visible_institution
from jieneng.services.workflow import locks
from jieneng.storage import consumption
from jieneng.storage import directory as queries


def _check_period(year: int, month: int) -> None:
    if not 1 <= month <= 12 or not 1900 <= year <= 2200:
        raise ValidationFailed.of("entry.invalid_period", year=year, month=month)


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year, month - 1) if month > 1 else (year - 1, 12)


def _institution(conn: Connection, scope: Scope, credit_code: str, *, write: bool) -> Any:
    if write and scope.kind is ScopeKind.PUBLIC:
        raise NotPermitted.of("entry.public_access")
    return visible_institution(conn, scope, credit_code)


def _by_carrier(rows: list[dict[str, Any]], year: int, month: int) -> dict[str, dict[str, Any]]:
    return {r["carrier"]: r for r in rows if (r["year"], r["month"]) == (year, month)}


def _periods(conn: Connection, institution_id: int, year: int, month: int
             ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]],
                        dict[str, dict[str, Any]]]:
    """Current records of the month, the previous month and the month last year."""
    prev = _previous_month(year, month)
    rows = queries.current_records(conn, institution_id, [(year, month), prev, (year - 1, month)])
    return (_by_carrier(rows, year, month), _by_carrier(rows, *prev),
            _by_carrier(rows, year - 1, month))


def _brief(record: dict[str, Any] | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {"quantity": record["quantity"], "cost_yuan": record["cost_yuan"],
            "entered_value": record["entered_value"], "entered_unit": record["entered_unit"]}


def entry_form(
    engine: Engine, scope: Scope, credit_code: str, year: int, month: int
) -> dict[str, Any]:
    """The monthly form of an institution.

    Returns ``institution`` (``credit_code, name, region_code, status``), ``year,
    month``, ``previous_period`` and ``last_year_period`` (``{year, month}``),
    ``thresholds`` (``mom``, ``yoy``) and ``fields``: per carrier in form order
    ``carrier, name_zh, name_en, form_field, unit, unit_zh, accepted_units,
    vehicle, counts_in_energy``, what is stored for the month (``value`` and
    ``unit_entered`` as typed, ``quantity`` in the canonical unit, ``cost_yuan``,
    ``revision``, ``source``, ``recorded_at``; None when nothing is stored) and
    ``previous_month`` / ``same_month_last_year`` (``quantity, cost_yuan,
    entered_value, entered_unit`` or None), and ``metered``: the month's metered figure
    (:func:`jieneng.services.metering.overrides.form_view`) or None.
    """
    _check_period(year, month)
    with engine.connect() as conn:
        row = _institution(conn, scope, credit_code, write=False)
        now, before, last_year = _periods(conn, row.id, year, month)
        metered = overrides.metered_of(conn, row.id, year, [month])
    fields = []
    for c in CARRIERS:
        stored = now.get(c.code)
        recorded = stored["recorded_at"] if stored else None
        fields.append({
            "carrier": c.code, "name_zh": c.name_zh, "name_en": c.name_en,
            "form_field": c.form_field, "unit": c.canonical_unit, "unit_zh": c.unit_zh,
            "accepted_units": accepted_units(c), "vehicle": c.vehicle,
            "counts_in_energy": c.counts_in_energy,
            "value": stored["entered_value"] if stored else None,
            "unit_entered": stored["entered_unit"] if stored else None,
            "quantity": stored["quantity"] if stored else None,
            "cost_yuan": stored["cost_yuan"] if stored else None,
            "revision": stored["revision"] if stored else None,
            "source": stored["source"] if stored else None,
            "recorded_at": recorded.isoformat() if recorded is not None else None,
            "previous_month": _brief(before.get(c.code)),
            "same_month_last_year": _brief(last_year.get(c.code)),
            "metered": (overrides.form_view(metered[(month, c.code)], stored)
                        if (month, c.code) in metered else None),
        })
    prev = _previous_month(year, month)
    return {
        "institution": {"credit_code": row.credit_code, "name": row.name,
                        "region_code": row.region_code, "status": row.status},
        "year": year,
        "month": month,
        "previous_period": {"year": prev[0], "month": prev[1]},
        "last_year_period": {"year": year - 1, "month": month},
        "thresholds": {"mom": MOM_THRESHOLD, "yoy": YOY_THRESHOLD},
        "fields": fields,
    }


def check_entry(
    engine: Engine,
    scope: Scope,
    credit_code: str,
    year: int,
    month: int,
    values: list[EntryValue],
    *,
    mom_threshold: float = MOM_THRESHOLD,
    yoy_threshold: float = YOY_THRESHOLD,
) -> list[EntryFinding]:
    """The findings on a month's figures before saving (nothing is stored).

    Errors (not a number, negative, unknown or unfitting unit, unknown or repeated
    carrier, cost without quantity) block saving; warnings (``entry.jump_mom``:
    change vs the previous month over ``mom_threshold``; ``entry.jump_yoy``: vs the
    same month last year over ``yoy_threshold``, both as fractions) do not.
    """
    return check_months(engine, scope, credit_code, year, {month: values},
                        mom_threshold=mom_threshold, yoy_threshold=yoy_threshold)[month]


def check_months(
    engine: Engine, scope: Scope, credit_code: str, year: int,
    months: dict[int, list[EntryValue]], *,
    mom_threshold: float = MOM_THRESHOLD, yoy_threshold: float = YOY_THRESHOLD,
) -> dict[int, list[EntryFinding]]:
    """:func:`check_entry` for several months of one year (the year grid): a month's
    环比 compares with the figures typed for the month before when there are any."""
    for month in months:
        _check_period(year, month)
    with engine.connect() as conn:
        row = _institution(conn, scope, credit_code, write=False)
        analysed = _analyse_months(conn, row.id, year, months, mom_threshold, yoy_threshold)
    return {m: found for m, (found, _, _) in analysed.items()}


def _analyse_months(
    conn: Connection, institution_id: int, year: int, months: dict[int, list[EntryValue]],
    mom_threshold: float, yoy_threshold: float,
) -> dict[int, tuple[list[EntryFinding], list[EntryFigure], dict[str, dict[str, Any]]]]:
    """Per month in order: (findings, figures that passed, the month's current records)."""
    wanted = sorted(months)
    keys = sorted({k for m in wanted for k in ((year, m), _previous_month(year, m),
                                                (year - 1, m))})
    rows = queries.current_records(conn, institution_id, keys)
    out: dict[int, tuple[list[EntryFinding], list[EntryFigure], dict[str, dict[str, Any]]]] = {}
    for month in wanted:
        before = _by_carrier(rows, *_previous_month(year, month))
        if month - 1 in out:  # the grid's month before, as typed
            before = {**before, **{f.carrier: {"quantity": f.quantity}
                                   for f in out[month - 1][1]}}
        findings, parsed = analyse(months[month], before, _by_carrier(rows, year - 1, month),
                                   mom_threshold=mom_threshold, yoy_threshold=yoy_threshold)
        out[month] = (findings, parsed, _by_carrier(rows, year, month))
    return out


def save_entry(
    engine: Engine,
    scope: Scope,
    credit_code: str,
    year: int,
    month: int,
    values: list[EntryValue],
    *,
    actor: Actor,
    mom_threshold: float = MOM_THRESHOLD,
    yoy_threshold: float = YOY_THRESHOLD,
    reasons: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Check and store a month's figures (``source="manual"``) in one transaction.
    ``reasons``: carrier → the reason of an override of its metered figure.

    The change is written to the audit log in the same transaction under ``actor``
    (the caller; its name is the result's ``user``): the month's figures before → after.

    Any error-level finding raises :class:`ValidationFailed` whose ``details``
    hold ``fields`` (every finding as a dict) and nothing is stored. A changed
    figure becomes a new revision, an identical one changes nothing, a blank one
    is left as it is. Returns ``institution, year, month, user, inserted,
    revised, unchanged`` and ``warnings`` (the warning findings, as dicts).
    """
    result = save_months(engine, scope, credit_code, year, {month: values}, actor=actor,
                         mom_threshold=mom_threshold, yoy_threshold=yoy_threshold,
                         reasons={(month, c): r for c, r in (reasons or {}).items()})
    result.pop("months")
    return {**result, "month": month,
            "warnings": [{k: v for k, v in w.items() if k != "month"}
                         for w in result["warnings"]]}


def save_months(
    engine: Engine, scope: Scope, credit_code: str, year: int,
    months: dict[int, list[EntryValue]], *, actor: Actor,
    mom_threshold: float = MOM_THRESHOLD, yoy_threshold: float = YOY_THRESHOLD,
    reasons: Mapping[tuple[int, str], str] | None = None,
) -> dict[str, Any]:
    """Check and store the figures of several months of one year (the year grid) in one
    transaction, all or nothing (a changed metered figure needs a reason in ``reasons``,
    (month, carrier) → text: :func:`jieneng.services.metering.overrides.check_and_record`):
    an error in any month stores nothing
    (:class:`ValidationFailed`, ``details.fields`` every finding with its ``month``), a
    locked month refuses the whole save (:class:`Conflict`). Returns ``institution,
    year, months`` (those written), ``user, inserted, revised, unchanged`` and
    ``warnings`` (each with its ``month``)."""
    for month in months:
        _check_period(year, month)
    with engine.begin() as conn:
        row = _institution(conn, scope, credit_code, write=True)
        # another save of the institution-year waits here and then reads this one's figures
        consumption.lock_institution_years(conn, [(row.id, year)])
        written = sorted(months)
        # figures of a submitted or approved report are locked (set-based check), first
        locks.check_unlocked(conn, pl.DataFrame(
            {"institution_id": [row.id] * len(written), "year": [year] * len(written),
             "month": written}))
        analysed = _analyse_months(conn, row.id, year, months, mom_threshold, yoy_threshold)
        findings = [{**f.to_dict(), "month": m} for m, (found, _, _) in analysed.items()
                    for f in found]
        errors = [f for f in findings if f["severity"] == "error"]
        if errors:
            raise ValidationFailed.of("entry.figures_have_errors", count=len(errors),
                                      fields=findings)
        parsed = [(m, p) for m, (_, figures, _) in analysed.items() for p in figures]
        overrides.check_and_record(conn, actor, row.id, year, parsed,
                                   {m: cur for m, (_, _, cur) in analysed.items()},
                                   reasons or {})
        counts = consumption.write_consumption(conn, _frame(row.id, year, parsed),
                                               source="manual", import_id=None)
        for month in written:
            quality.check_institution(conn, row.id, year, month)  # findings before submitting
        if parsed:  # a save moves the report to 录入中 (not_started / returned)
            locks.note_saved(conn, actor)
        for month, (_, figures, current) in analysed.items():
            _audit(conn, actor, row.credit_code, year, month, figures, current)
    return {
        "institution": row.credit_code, "year": year, "months": written,
        "user": actor.username, "inserted": counts.inserted, "revised": counts.revised,
        "unchanged": counts.unchanged,
        "warnings": [f for f in findings if f["severity"] == "warning"],
    }


def _frame(institution_id: int, year: int, parsed: list[tuple[int, EntryFigure]]
           ) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "institution_id": [institution_id] * len(parsed),
            "year": [year] * len(parsed),
            "month": [m for m, _ in parsed],
            "carrier": [p.carrier for _, p in parsed],
            "quantity": [p.quantity for _, p in parsed],
            "cost_yuan": [p.cost_yuan for _, p in parsed],
            "entered_value": [p.entered_value for _, p in parsed],
            "entered_unit": [p.entered_unit for _, p in parsed],
        },
        schema={"institution_id": pl.Int64, "year": pl.Int32, "month": pl.Int32,
                "carrier": pl.String, "quantity": pl.Float64, "cost_yuan": pl.Float64,
                "entered_value": pl.String, "entered_unit": pl.String},
    )


def _audit(conn: Connection, actor: Actor, credit_code: str, year: int, month: int,
           figures: list[EntryFigure], current: dict[str, dict[str, Any]]) -> None:
    """The month's figures before → after, one audit entry per month."""
    audit.record(
        conn, actor, "consumption.entry",
        "consumption", f"{credit_code}/{year}-{month:02d}",
        before={p.carrier: _brief(current.get(p.carrier)) for p in figures},
        after={p.carrier: {"quantity": p.quantity, "cost_yuan": p.cost_yuan,
                           "entered_value": p.entered_value,
                           "entered_unit": p.entered_unit} for p in figures},
    )
