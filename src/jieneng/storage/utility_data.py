"""Utility files (issue 12 §2): the daily quantity and the bills of each account (户号).

- ``metering_account_day`` — the current value of one account on one local day
  (``quantity``: kWh for electricity, m³ for water and gas; optional 尖/峰/平/谷
  ``tip``/``peak``/``flat``/``valley``), keyed (``account_id``, ``day``), with its
  ``revision`` (1 for the first file, +1 each time a later file changes it), the
  import batch and when it arrived;
- ``metering_account_day_history`` — every value a later file replaced, with its
  revision and when it was replaced (the current table stays one row per day, so the
  national daily volume — 260,000 accounts — stays small and keyed);
- ``metering_account_bill`` — billing periods (账期, inclusive dates as printed) with
  quantity and 电费; a later file with the same account and ``period_start`` adds a
  new ``revision`` and clears ``is_current`` of the earlier one (kept, never
  rewritten) — the same revision numbering as the days;
- ``metering_month_rule`` — per region: which source a calendar month is taken from
  first (``daily_first`` / ``bills_first``) and how a bill is split into months
  (:class:`jieneng.core.metering.billing.Allocation`); a region inherits its nearest
  ancestor's setting.

No foreign keys on the two high-volume day tables (a trigger per row on PostgreSQL);
the only writer, :mod:`jieneng.services.metering.utility`, resolves every account id
from the registry first. Writes are set-based through temporary stage tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    CHAR,
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Row,
    String,
    Table,
    and_,
    func,
    literal,
    null,
    or_,
    select,
    text,
    tuple_,
    update,
)

from .bulk import analyze, bulk_insert, ensure_temp, read_frame, temp_table
from .metering import metering_account, metering_binding
from .tables import Double, metadata

SOURCE_ORDERS: tuple[str, ...] = ("daily_first", "bills_first")

metering_account_day = Table(
    "metering_account_day",
    metadata,
    Column("account_id", Integer, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("quantity", Double, nullable=False),
    Column("tip", Double, nullable=True),
    Column("peak", Double, nullable=True),
    Column("flat", Double, nullable=True),
    Column("valley", Double, nullable=True),
    Column("revision", Integer, nullable=False, server_default=text("1")),
    Column("import_id", Integer, nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("quantity >= 0", name="quantity"),
)

metering_account_day_history = Table(
    "metering_account_day_history",
    metadata,
    Column("account_id", Integer, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("quantity", Double, nullable=False),
    Column("tip", Double, nullable=True),
    Column("peak", Double, nullable=True),
    Column("flat", Double, nullable=True),
    Column("valley", Double, nullable=True),
    Column("import_id", Integer, nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("replaced_at", DateTime(timezone=True), nullable=False),
)

metering_account_bill = Table(
    "metering_account_bill",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("metering_account.id"), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("quantity", Double, nullable=False),
    Column("cost_yuan", Double, nullable=True),
    Column("read_date", Date, nullable=True),
    Column("bill_number", String(64), nullable=True),
    Column("revision", Integer, nullable=False),
    Column("is_current", Boolean, nullable=False),
    Column("import_id", Integer, nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("period_end >= period_start", name="period"),
    CheckConstraint("revision >= 1", name="revision"),
    Index("uq_metering_account_bill_revision", "account_id", "period_start", "revision",
          unique=True),
)
#: One current revision per bill.
Index(
    "uq_metering_account_bill_current",
    metering_account_bill.c.account_id, metering_account_bill.c.period_start,
    unique=True,
    sqlite_where=text("is_current"),
    postgresql_where=text("is_current"),
)

metering_month_rule = Table(
    "metering_month_rule",
    metadata,
    Column("region_code", CHAR(6), ForeignKey("region.code"), primary_key=True),
    Column("source_order", String(16), nullable=False),
    Column("allocation", String(16), nullable=False),
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("source_order IN ('daily_first', 'bills_first')", name="source_order"),
    CheckConstraint("allocation IN ('days', 'daily', 'end_month')", name="allocation"),
)

_d, _h, _bill = metering_account_day, metering_account_day_history, metering_account_bill
_a, _b = metering_account, metering_binding

#: the stages have no key: every statement drives from the stage and probes the
#: target's primary key (a key on the stage only slows its COPY down)
_day_stage = temp_table(
    "stage_account_day", Column("account_id", Integer), Column("day", Date),
    Column("quantity", Double),
    Column("tip", Double), Column("peak", Double), Column("flat", Double),
    Column("valley", Double))
_bill_stage = temp_table(
    "stage_account_bill", Column("account_id", Integer, primary_key=True),
    Column("period_start", Date, primary_key=True), Column("period_end", Date),
    Column("quantity", Double), Column("cost_yuan", Double), Column("read_date", Date),
    Column("bill_number", String(64)))
_key_stage = temp_table(
    "stage_account_key", Column("carrier", String(32)), Column("number", String(64)))

DAY_VALUES: tuple[str, ...] = ("quantity", "tip", "peak", "flat", "valley")


# ------------------------------------------------------------------ lookups

def bindings_for_numbers(conn: Connection, keys: pl.DataFrame) -> pl.DataFrame:
    """Every binding of the accounts (``carrier``, ``number``) in ``keys``: one row per
    binding (account_id, carrier, number, institution_id, valid_from, valid_to) —
    ``institution_id`` null for an account never bound; accounts not registered are
    absent. One join through a staged key table, whatever the file's size."""
    ensure_temp(conn, _key_stage)
    bulk_insert(conn, _key_stage, keys.select("carrier", "number").unique())
    analyze(conn, _key_stage)
    s = _key_stage
    query = (select(_a.c.id.label("account_id"), _a.c.carrier, _a.c.number,
                    _b.c.institution_id, _b.c.valid_from, _b.c.valid_to)
             .select_from(s.join(_a, and_(_a.c.carrier == s.c.carrier,
                                         _a.c.number == s.c.number))
                          .outerjoin(_b, _b.c.account_id == _a.c.id)))
    return read_frame(conn, query, {
        "account_id": pl.Int64, "carrier": pl.String, "number": pl.String,
        "institution_id": pl.Int64, "valid_from": pl.Date, "valid_to": pl.Date})


def current_bills_of(conn: Connection, account_ids: Sequence[int]) -> pl.DataFrame:
    """The current bills of the accounts (account_id, period_start, period_end)."""
    if not account_ids:
        return pl.DataFrame(schema={"account_id": pl.Int64, "period_start": pl.Date,
                                    "period_end": pl.Date})
    rows = conn.execute(select(_bill.c.account_id, _bill.c.period_start, _bill.c.period_end)
                        .where(_bill.c.is_current,
                               _bill.c.account_id.in_(sorted(set(account_ids))))).all()
    return pl.DataFrame([tuple(r) for r in rows], orient="row", schema={
        "account_id": pl.Int64, "period_start": pl.Date, "period_end": pl.Date})


# ------------------------------------------------------------------ writes

def write_days(conn: Connection, frame: pl.DataFrame, import_id: int | None) -> dict[str, int]:
    """Store days (account_id, day, quantity, tip, peak, flat, valley): new days are
    inserted at revision 1; a day whose stored values differ moves to the history and
    takes the file's values at the next revision; an identical day is left alone.
    Returns the counts ``new``, ``revised``, ``unchanged``."""
    now = datetime.now(UTC)
    ensure_temp(conn, _day_stage)
    bulk_insert(conn, _day_stage, frame.select("account_id", "day", *DAY_VALUES))
    analyze(conn, _day_stage)
    s = _day_stage
    match = and_(_d.c.account_id == s.c.account_id, _d.c.day == s.c.day)
    differs = or_(*[_d.c[v].is_distinct_from(s.c[v]) for v in DAY_VALUES])
    hist_cols = ["account_id", "day", "revision", *DAY_VALUES, "import_id", "received_at"]
    moved = _count(conn, select(func.count()).select_from(_d.join(s, match)).where(differs))
    fresh = ~select(1).select_from(_d).where(match).exists()
    new = _count(conn, select(func.count()).select_from(s).where(fresh))
    if moved:
        conn.execute(_h.insert().from_select(
            [*hist_cols, "replaced_at"],
            select(*[_d.c[c] for c in hist_cols], _literal_time(now))
            .select_from(_d.join(s, match)).where(differs)))
        conn.execute(_d.delete().where(tuple_(_d.c.account_id, _d.c.day).in_(
            select(s.c.account_id, s.c.day).select_from(s.join(_d, match)).where(differs))))
    revision = func.coalesce(select(func.max(_h.c.revision)).where(
        _h.c.account_id == s.c.account_id, _h.c.day == s.c.day).scalar_subquery(), 0) + 1
    if new or moved:
        conn.execute(_d.insert().from_select(
            ["account_id", "day", *DAY_VALUES, "revision", "import_id", "received_at"],
            select(s.c.account_id, s.c.day, *[s.c[v] for v in DAY_VALUES],
                   revision if moved else literal(1), _literal_int(import_id),
                   _literal_time(now)).where(fresh)))
    return {"new": new, "revised": moved, "unchanged": frame.height - new - moved}


def _count(conn: Connection, query: Any) -> int:
    return int(conn.execute(query).scalar_one())


def _literal_time(at: datetime) -> Any:
    return literal(at, DateTime(timezone=True))


def _literal_int(value: int | None) -> Any:
    return null() if value is None else literal(value, Integer)


def write_bills(conn: Connection, frame: pl.DataFrame, import_id: int | None
                ) -> dict[str, int]:
    """Store bills (account_id, period_start, period_end, quantity, cost_yuan,
    read_date, bill_number): a new bill at revision 1; a bill whose current revision
    differs gets a new revision (the earlier one kept, no longer current); an
    identical one is left alone. Returns ``new``, ``revised``, ``unchanged``."""
    now = datetime.now(UTC)
    ensure_temp(conn, _bill_stage)
    cols = ["account_id", "period_start", "period_end", "quantity", "cost_yuan",
            "read_date", "bill_number"]
    bulk_insert(conn, _bill_stage, frame.select(cols))
    analyze(conn, _bill_stage)
    s = _bill_stage
    match = and_(_bill.c.account_id == s.c.account_id,
                 _bill.c.period_start == s.c.period_start, _bill.c.is_current)
    values = ("period_end", "quantity", "cost_yuan", "read_date", "bill_number")
    differs = or_(*[_bill.c[v].is_distinct_from(s.c[v]) for v in values])
    changed_stage = select(s.c.account_id, s.c.period_start).select_from(
        s.join(_bill, match)).where(differs)
    changed = {(int(r[0]), r[1]) for r in conn.execute(changed_stage)}
    fresh = ~select(1).select_from(_bill).where(match).exists()
    new = _count(conn, select(func.count()).select_from(s).where(fresh))
    conn.execute(_bill.insert().from_select(
        [*cols, "revision", "is_current", "import_id", "recorded_at"],
        select(*[s.c[c] for c in cols], literal(1), literal(True),
               _literal_int(import_id), _literal_time(now)).where(fresh)))
    if changed:
        revise = frame.join(pl.DataFrame(
            sorted(changed), schema={"account_id": pl.Int64, "period_start": pl.Date},
            orient="row"), on=["account_id", "period_start"])
        next_rev = select(func.max(_bill.c.revision) + 1).where(
            _bill.c.account_id == s.c.account_id,
            _bill.c.period_start == s.c.period_start).scalar_subquery()
        ensure_temp(conn, _bill_stage)
        bulk_insert(conn, _bill_stage, revise.select(cols))
        conn.execute(update(_bill).where(_bill.c.is_current, tuple_(
            _bill.c.account_id, _bill.c.period_start).in_(
                select(s.c.account_id, s.c.period_start))).values(is_current=False))
        conn.execute(_bill.insert().from_select(
            [*cols, "revision", "is_current", "import_id", "recorded_at"],
            select(*[s.c[c] for c in cols], next_rev, literal(True),
                   _literal_int(import_id), _literal_time(now))))
    return {"new": new, "revised": len(changed),
            "unchanged": frame.height - new - len(changed)}


# ------------------------------------------------------------------ reads

def days_of(conn: Connection, account_id: int, first: date | None, last: date | None, *,
            history: bool = False) -> list[Row[Any]]:
    """The account's current days in [first, last] by day; with ``history`` the
    replaced values too (by day, then revision)."""
    cond = [_d.c.account_id == account_id]
    if first is not None:
        cond.append(_d.c.day >= first)
    if last is not None:
        cond.append(_d.c.day <= last)
    rows = list(conn.execute(select(_d).where(*cond).order_by(_d.c.day)))
    if not history:
        return rows
    hcond = [_h.c.account_id == account_id]
    if first is not None:
        hcond.append(_h.c.day >= first)
    if last is not None:
        hcond.append(_h.c.day <= last)
    return rows + list(conn.execute(select(_h).where(*hcond).order_by(_h.c.day,
                                                                        _h.c.revision)))


def bills_of(conn: Connection, account_id: int, *, current_only: bool = False
             ) -> list[Row[Any]]:
    """The account's bills by period start, then revision."""
    query = select(_bill).where(_bill.c.account_id == account_id)
    if current_only:
        query = query.where(_bill.c.is_current)
    return list(conn.execute(query.order_by(_bill.c.period_start, _bill.c.revision)))


def month_inputs(conn: Connection, institution_ids: Sequence[int], first: date,
                 last: date) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """What the month figures of the institutions over [first, last] are made of:

    - bindings overlapping the range (account_id, carrier, institution_id,
      valid_from, valid_to);
    - the current days of those accounts from ``lookback`` (the earliest period start
      of an overlapping bill) to ``last`` (account_id, day, quantity);
    - the current bills overlapping the range (account_id, period_start, period_end,
      quantity, cost_yuan).
    """
    ids = sorted(set(institution_ids))
    bind_rows = conn.execute(
        select(_b.c.account_id, _a.c.carrier, _b.c.institution_id, _b.c.valid_from,
               _b.c.valid_to).join(_a, _a.c.id == _b.c.account_id)
        .where(_b.c.institution_id.in_(ids), _b.c.valid_from <= last,
               (_b.c.valid_to.is_(None)) | (_b.c.valid_to > first))).all() if ids else []
    binds = pl.DataFrame([tuple(r) for r in bind_rows], orient="row", schema={
        "account_id": pl.Int64, "carrier": pl.String, "institution_id": pl.Int64,
        "valid_from": pl.Date, "valid_to": pl.Date})
    accounts = sorted(set(binds["account_id"].to_list()))
    bill_rows = conn.execute(
        select(_bill.c.account_id, _bill.c.period_start, _bill.c.period_end,
               _bill.c.quantity, _bill.c.cost_yuan)
        .where(_bill.c.is_current, _bill.c.account_id.in_(accounts),
               _bill.c.period_start <= last, _bill.c.period_end >= first)).all() \
        if accounts else []
    bills = pl.DataFrame([tuple(r) for r in bill_rows], orient="row", schema={
        "account_id": pl.Int64, "period_start": pl.Date, "period_end": pl.Date,
        "quantity": pl.Float64, "cost_yuan": pl.Float64})
    low = min([first, *bills["period_start"].to_list()])
    high = max([last, *bills["period_end"].to_list()])
    day_rows = conn.execute(
        select(_d.c.account_id, _d.c.day, _d.c.quantity)
        .where(_d.c.account_id.in_(accounts), _d.c.day >= low, _d.c.day <= high)).all() \
        if accounts else []
    days = pl.DataFrame([tuple(r) for r in day_rows], orient="row", schema={
        "account_id": pl.Int64, "day": pl.Date, "quantity": pl.Float64})
    return binds, days, bills


def month_rules(conn: Connection) -> dict[str, tuple[str, str]]:
    """region_code → (source_order, allocation) for every region with a setting."""
    r = metering_month_rule
    return {str(x.region_code).strip(): (x.source_order, x.allocation)
            for x in conn.execute(select(r))}


def set_month_rule(conn: Connection, region_code: str, source_order: str, allocation: str,
                   updated_by: str) -> None:
    """Set (replace) the region's rule."""
    r = metering_month_rule
    conn.execute(r.delete().where(r.c.region_code == region_code))
    conn.execute(r.insert().values(region_code=region_code, source_order=source_order,
                                   allocation=allocation, updated_by=updated_by,
                                   updated_at=datetime.now(UTC)))
