"""Utility files (issue 12 §2, §5): the daily quantity and the bills of each account
(户号) — import, queries, and the calendar-month figures of an institution.

- :func:`import_days`, :func:`import_bills` — a file parsed by
  :mod:`jieneng.ingest.utility_files`, checked against the registry (the account is
  registered, bound to an institution on the row's date, and that institution lies in
  the caller's scope — an account outside it is an error row naming only the account,
  never its owner), all or nothing, dry run, audit. Capability ``import_data``.
- :func:`account_days`, :func:`account_bills` — one account's days and bills (with
  their earlier revisions), for a caller who may see the account's institution.
- the calendar-month figures made from them and their per-region rule live in
  :mod:`.utility_months`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, select

from jieneng.core import chinatime
from jieneng.core.caller import User
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.scope import Scope
from jieneng.ingest import utility_files as files
from jieneng.services.accounts import audit
from jieneng.services.scope import scoped_filters
from jieneng.storage import batches
from jieneng.storage import tables as t
from jieneng.storage import utility_data as data
from jieneng.storage.scoping import institution_conditions

from .registry import find_carrier

#: the longest range of days one query answers
MAX_DAYS = 1_000


# ---------------------------------------------------------------- imports

@dataclass(frozen=True)
class UtilityImport:
    """What an import stored (or, dry run, would store): rows read, the rows' new,
    revised and unchanged days or bills, the import batch (None for a dry run) and
    the warnings (identical repeated rows)."""

    kind: str
    file: str
    rows: int
    new: int
    revised: int
    unchanged: int
    dry_run: bool
    batch_id: int | None = None
    warnings: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "file": self.file, "rows": self.rows, "new": self.new,
                "revised": self.revised, "unchanged": self.unchanged,
                "dry_run": self.dry_run, "batch_id": self.batch_id,
                "warnings": list(self.warnings)}


def today_china() -> date:
    return chinatime.today()


def import_days(engine: Engine, user: User, path: Path, *, dry_run: bool = False,
                max_bytes: int | None = None, today: date | None = None) -> UtilityImport:
    """Import a daily file (:func:`jieneng.ingest.utility_files.parse_daily`), all or
    nothing; raises ImportRejected with every issue."""
    return _import(engine, user, path, files.DAILY, dry_run, max_bytes, today)


def import_bills(engine: Engine, user: User, path: Path, *, dry_run: bool = False,
                 max_bytes: int | None = None, today: date | None = None) -> UtilityImport:
    """Import a billing file (:func:`jieneng.ingest.utility_files.parse_bills`), all
    or nothing; raises ImportRejected with every issue."""
    return _import(engine, user, path, files.BILLS, dry_run, max_bytes, today)


def _import(engine: Engine, user: User, path: Path, kind: str, dry_run: bool,
            max_bytes: int | None, today: date | None) -> UtilityImport:
    require(user, Capability.IMPORT_DATA)
    parse = files.parse_daily if kind == files.DAILY else files.parse_bills
    kwargs: dict[str, Any] = {"today": today or today_china()}
    if max_bytes is not None:
        kwargs["max_bytes"] = max_bytes
    rows = parse(path, **kwargs)
    if rows.failed is not None:  # not read at all (format, size, header)
        raise rows.rejection()
    with engine.connect() as conn:  # the registry checks too: every problem in one report
        trans = conn.begin()
        try:
            frame = _resolved(conn, user.scope, rows)
            if not rows.ok:
                raise rows.rejection()
            counts, batch_id = _store(conn, user, rows, frame, path, dry_run)
        except BaseException:
            trans.rollback()
            raise
        if dry_run:
            trans.rollback()
        else:
            trans.commit()
    assert rows.chk is not None
    warnings = tuple(i.to_dict() for i in rows.chk.issues if i.severity == "warning")
    return UtilityImport(kind, rows.file, rows.rows_read, counts["new"], counts["revised"],
                         counts["unchanged"], dry_run, batch_id, warnings)


def visible_ids(conn: Connection, scope: Scope) -> set[int]:
    """The ids of every institution ``scope`` shows (one query)."""
    i = t.institution
    filters = scoped_filters(conn, scope)
    return {int(v) for v in conn.execute(
        select(i.c.id).where(*institution_conditions(conn, filters))).scalars()}


def _resolved(conn: Connection, scope: Scope, rows: files.UtilityRows) -> pl.DataFrame:
    """The rows with their account and institution; registry problems added to
    ``rows``' issues."""
    keys = rows.frame.select("carrier", pl.col("account").alias("number"))
    bindings = data.bindings_for_numbers(conn, keys)
    frame = files.check_accounts(rows, bindings, visible_ids(conn, scope))
    if rows.kind == files.BILLS and frame.height:
        stored = data.current_bills_of(conn, frame["account_id"].unique().to_list())
        files.check_stored_overlaps(rows, frame, stored)
    return frame


def _store(conn: Connection, user: User, rows: files.UtilityRows, frame: pl.DataFrame,
           path: Path, dry_run: bool) -> tuple[dict[str, int], int | None]:
    batch_id = None if dry_run else batches.store_batch(
        conn, kind=rows.kind, file_name=rows.file, content=path.read_bytes(),
        rows=rows.rows_read)
    if rows.kind == files.DAILY:
        counts = data.write_days(conn, frame, batch_id)
    else:
        counts = data.write_bills(conn, frame, batch_id)
    if not dry_run:
        first, last = _span(rows.kind, frame)
        audit.record(conn, user.actor, f"metering.utility_import.{rows.kind}", "import_batch",
                     batch_id, after={"file": rows.file, "rows": rows.rows_read, **counts,
                                      "accounts": frame["account_id"].n_unique(),
                                      "first": first, "last": last})
    return counts, batch_id


def _span(kind: str, frame: pl.DataFrame) -> tuple[str | None, str | None]:
    lo, hi = ("day", "day") if kind == files.DAILY else ("period_start", "period_end")
    if frame.height == 0:
        return None, None
    return str(frame[lo].min()), str(frame[hi].max())


# ---------------------------------------------------------------- queries

def _visible_account(conn: Connection, user: User, carrier_text: str, number: str
                     ) -> tuple[int, list[tuple[date, date | None]]]:
    """The account's id and its bindings to institutions the caller may see (their
    [valid_from, valid_to)); NotFound, the same for unknown and out of scope."""
    found = find_carrier(carrier_text)
    keys = pl.DataFrame({"carrier": [found.code], "number": [number.strip()]})
    bindings = data.bindings_for_numbers(conn, keys)
    seen = visible_ids(conn, user.scope)
    mine = bindings.filter(pl.col("institution_id").is_in(sorted(seen)))
    if mine.height == 0:
        raise NotFound.of("utility.account_not_found", account=number)
    spans = [(r[0], r[1]) for r in mine.select("valid_from", "valid_to").iter_rows()]
    return int(mine["account_id"][0]), spans


def _inside(day: date, spans: list[tuple[date, date | None]]) -> bool:
    return any(lo <= day and (hi is None or day < hi) for lo, hi in spans)


def account_days(engine: Engine, user: User, carrier_text: str, number: str, *,
                 first: date | None = None, last: date | None = None,
                 history: bool = False) -> dict[str, Any]:
    """The account's days in [first, last] (default: the last 31 days) while bound to
    an institution the caller may see; with ``history`` the replaced values too."""
    require(user, Capability.VIEW_METERING)
    last = last or today_china()
    first = first or last - timedelta(days=30)
    if first > last:
        raise ValidationFailed.of("utility.bad_range", first=first.isoformat(),
                                  last=last.isoformat())
    if (last - first).days >= MAX_DAYS:
        raise ValidationFailed.of("utility.range_too_long", limit=MAX_DAYS)
    with engine.connect() as conn:
        account_id, spans = _visible_account(conn, user, carrier_text, number)
        rows = data.days_of(conn, account_id, first, last, history=history)
    items = [_day_dict(r) for r in rows if _inside(r.day, spans)]
    current = [d for d in items if d["current"]]
    return {"carrier": find_carrier(carrier_text).code, "account": number.strip(),
            "from": first.isoformat(), "to": last.isoformat(), "days": current,
            "revisions": [d for d in items if not d["current"]]}


def _day_dict(r: Any) -> dict[str, Any]:
    replaced = getattr(r, "replaced_at", None)
    return {"day": r.day.isoformat(), "quantity": r.quantity, "tip": r.tip, "peak": r.peak,
            "flat": r.flat, "valley": r.valley, "revision": int(r.revision),
            "current": replaced is None, "import_id": r.import_id,
            "received_at": r.received_at.isoformat() if r.received_at else None,
            "replaced_at": replaced.isoformat() if replaced is not None else None}


def account_bills(engine: Engine, user: User, carrier_text: str, number: str, *,
                  history: bool = True) -> dict[str, Any]:
    """The account's bills (each revision, the current one marked) ending while bound
    to an institution the caller may see."""
    require(user, Capability.VIEW_METERING)
    with engine.connect() as conn:
        account_id, spans = _visible_account(conn, user, carrier_text, number)
        rows = data.bills_of(conn, account_id, current_only=not history)
    items = [{"period_start": r.period_start.isoformat(),
              "period_end": r.period_end.isoformat(), "quantity": r.quantity,
              "cost_yuan": r.cost_yuan,
              "read_date": r.read_date.isoformat() if r.read_date else None,
              "bill_number": r.bill_number, "revision": int(r.revision),
              "current": bool(r.is_current), "import_id": r.import_id,
              "recorded_at": r.recorded_at.isoformat() if r.recorded_at else None}
             for r in rows if _inside(r.period_end, spans)]
    return {"carrier": find_carrier(carrier_text).code, "account": number.strip(),
            "bills": [b for b in items if b["current"]],
            "revisions": [b for b in items if not b["current"]]}
