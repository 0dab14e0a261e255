"""Overrides of metered figures (issue 12 §5; ``docs/metered-statistics.md``).

A figure filled from metering (source ``meter``) is read-only on the entry form
until a 统计员 chooses "覆盖 override": the new value is then saved as a manual
revision **with a reason** (:func:`check_and_record`, called by the entry save in its
transaction) — kept in ``metered_override`` with the metered value, audited, and the
fill leaves the key alone from then on. :func:`clear_override` withdraws it: the
override is closed (kept) and the metered figure written back as a new revision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import polars as pl
from sqlalchemy import Connection, Engine

from jieneng.core.caller import Actor, User
from jieneng.core.carriers import carrier as carrier_of
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.services.accounts import audit
from jieneng.services.metering.statistics import describe, with_current_costs
from jieneng.services.scope import visible_institution
from jieneng.services.workflow import locks
from jieneng.storage import consumption
from jieneng.storage import metered_statistics as store

#: The longest reason kept.
REASON_MAX = 500


class Figure(Protocol):
    """What the entry save hands over of a parsed figure."""

    @property
    def carrier(self) -> str: ...

    @property
    def quantity(self) -> float | None: ...


def metered_of(conn: Connection, institution_id: int, year: int, months: Sequence[int]
               ) -> dict[tuple[int, str], dict[str, Any]]:
    """(month, carrier) → the metered figure (with ``override``: the open one or None)."""
    return {(int(f["month"]), str(f["carrier"])): f
            for f in store.figures_of(conn, institution_id, year, months)}


def holds_metered(current: Mapping[str, Any] | None, fig: Mapping[str, Any]) -> bool:
    """Whether the stored figure is the metered one: written by the fill, or saved with
    the same quantity (a cost typed beside it makes a manual revision of it)."""
    return current is not None and (current.get("source") == "meter"
                                    or current.get("quantity") == fig["quantity"])


def form_view(fig: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """A metered figure as the entry form shows it, both languages of its source."""
    override = fig.get("override")
    applied = holds_metered(current, fig)
    active = override is not None or current is None or applied
    return {
        "quantity": fig["quantity"], "origin": fig["origin"],
        "completeness": fig["completeness"],
        "source_zh": describe(fig["origin"], fig["detail"], "zh-CN"),
        "source_en": describe(fig["origin"], fig["detail"], "en"),
        # read-only on the form while the stored figure is the metered one
        "applied": applied,
        "differs": current is not None and current.get("quantity") != fig["quantity"],
        "shown": active,
        "override": None if override is None else {
            "quantity": override["quantity"], "metered_quantity": override["metered_quantity"],
            "reason": override["reason"], "by": override["created_by"],
            "at": override["created_at"].isoformat() if override["created_at"] else None,
        },
    }


def check_and_record(conn: Connection, actor: Actor, institution_id: int, year: int,
                     figures: Sequence[tuple[int, Figure]],
                     current: Mapping[int, Mapping[str, Mapping[str, Any]]],
                     reasons: Mapping[tuple[int, str], str]) -> int:
    """In the entry save's transaction, before it writes: each figure that changes a
    metered key (one with a metered figure, stored from metering or already
    overridden) needs a reason — given now, or the open override's — else
    :class:`ValidationFailed` (nothing stored). Records each override (closing the
    previous one) with the metered and the new value, audited. Returns how many."""
    months = sorted({m for m, _ in figures})
    metered = metered_of(conn, institution_id, year, months) if months else {}
    recorded = 0
    for month, fig in figures:  # the cells of one form (at most 12 × 12)
        key = (month, fig.carrier)
        found = metered.get(key)
        stored = current.get(month, {}).get(fig.carrier)
        if found is None or fig.quantity is None:
            continue
        if found["override"] is None and not holds_metered(stored, found):
            continue  # a figure entered by hand the fill could not replace: not metered
        if stored is not None and stored.get("quantity") == fig.quantity:
            continue
        reason = (reasons.get(key) or "").strip() or (
            found["override"]["reason"] if found["override"] else "")
        if not reason:
            c = carrier_of(fig.carrier)
            raise ValidationFailed.of("metered.override_reason_required", month=month,
                                      carrier=fig.carrier, values={
                                          "carrier_zh": c.name_zh, "carrier_en": c.name_en})
        reason = reason[:REASON_MAX]
        store.close_overrides(conn, institution_id, year, month, [fig.carrier], actor.username)
        store.insert_overrides(conn, [{
            "institution_id": institution_id, "year": year, "month": month,
            "carrier": fig.carrier, "metered_quantity": found["quantity"],
            "quantity": fig.quantity, "reason": reason, "created_by": actor.username,
            "created_at": datetime.now(UTC)}])
        audit.record(conn, actor, "consumption.metered_override", "consumption",
                     f"{institution_id}/{year}-{month:02d}/{fig.carrier}",
                     before={"metered": found["quantity"],
                             "stored": None if stored is None else stored.get("quantity")},
                     after={"quantity": fig.quantity, "reason": reason})
        recorded += 1
    return recorded


def clear_override(engine: Engine, user: User, credit_code: str, year: int, month: int,
                   carrier: str) -> dict[str, Any]:
    """Withdraw the open override of a key: closed (kept), and the metered figure
    written back (source ``meter``, a new revision); refused while the month's report
    is submitted or approved. Audited."""
    require(user, Capability.ENTER_DATA)
    with engine.begin() as conn:
        row = visible_institution(conn, user.scope, credit_code)
        consumption.lock_institution_years(conn, [(row.id, year)])
        keys = pl.DataFrame({"institution_id": [row.id], "year": [year], "month": [month]})
        locks.check_unlocked(conn, keys)
        found = metered_of(conn, row.id, year, [month]).get((month, carrier))
        if found is None or found["override"] is None:
            raise NotFound.of("metered.no_override", carrier=carrier, month=month)
        store.close_overrides(conn, row.id, year, month, [carrier], user.username)
        frame = with_current_costs(conn, pl.DataFrame({
            "institution_id": [row.id], "year": [year], "month": [month],
            "carrier": [carrier], "quantity": [float(found["quantity"])],
            "cost_yuan": [found["cost_yuan"]]},
            schema={"institution_id": pl.Int64, "year": pl.Int32, "month": pl.Int32,
                    "carrier": pl.String, "quantity": pl.Float64, "cost_yuan": pl.Float64}),
            year, month)
        consumption.write_consumption(conn, frame, source="meter", import_id=None)
        audit.record(conn, user.actor, "consumption.metered_override_cleared", "consumption",
                     f"{row.id}/{year}-{month:02d}/{carrier}",
                     before={"quantity": found["override"]["quantity"],
                             "reason": found["override"]["reason"]},
                     after={"quantity": found["quantity"]})
    return {"institution": credit_code, "year": year, "month": month, "carrier": carrier,
            "quantity": found["quantity"]}
