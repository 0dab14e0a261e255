"""The metering registry (issue 12 §1): utility accounts (户号) bound to institutions,
meters and their install / replace / remove events, virtual meters.

The tables live on the project's one :data:`jieneng.storage.tables.metadata` (this
module adds them when it is imported; migration ``0009_metering_registry`` creates
them). The rules — one account → one institution at a time, validation of meters,
events and formulas — are the services' (:mod:`jieneng.services.metering`) over the
pure domain :mod:`jieneng.core.metering`; here only reads and set-based writes.

- ``metering_account`` — a 户号 of a grid, water or gas company, unique per
  (carrier, number);
- ``metering_binding`` — which institution an account belongs to over
  [``valid_from``, ``valid_to``) (``valid_to`` NULL = still bound); at most one open
  binding per account (partial unique index), so history is kept, never rewritten;
- ``metering_meter`` — a metering point of an institution (unique number per
  institution): carrier, 分项 code, CT/PT of the first register, register kind,
  unit, parent, the account it is billed under; a virtual meter has a ``formula``
  and no register;
- ``metering_event`` — install / replace / remove at ``ts`` (epoch s, UTC) with the
  outgoing register's final and the incoming one's initial reading; the incoming
  register's CT/PT and digits when they change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Row,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    func,
    insert,
    select,
    text,
    update,
)

from .tables import Double, metadata
from .tables import institution as _i

REGISTERS: tuple[str, ...] = ("cumulative", "interval")
EVENT_KINDS: tuple[str, ...] = ("install", "replace", "remove")

metering_account = Table(
    "metering_account",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("carrier", String(32), nullable=False),
    Column("number", String(64), nullable=False),
    Column("utility", String(100), nullable=True),
    Column("name", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    UniqueConstraint("carrier", "number"),
)

metering_binding = Table(
    "metering_binding",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("metering_account.id"), nullable=False),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=False,
           index=True),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period"),
    Index("ix_metering_binding_account_id_valid_from", "account_id", "valid_from"),
)
#: One open binding per account: the database's own guard of "one institution at a time".
Index(
    "uq_metering_binding_open",
    metering_binding.c.account_id,
    unique=True,
    sqlite_where=text("valid_to IS NULL"),
    postgresql_where=text("valid_to IS NULL"),
)

metering_meter = Table(
    "metering_meter",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=False),
    Column("number", String(64), nullable=False),
    Column("name", String(200), nullable=True),
    Column("carrier", String(32), nullable=False),
    Column("item_code", String(5), nullable=True),
    Column("ct", Double, nullable=False, server_default=text("1")),
    Column("pt", Double, nullable=False, server_default=text("1")),
    Column("register", String(12), nullable=True),
    Column("unit", String(16), nullable=True),
    Column("interval_s", Integer, nullable=False, server_default=text("900")),
    Column("register_digits", SmallInteger, nullable=True),
    Column("max_rate", Double, nullable=True),
    Column("parent_id", Integer, ForeignKey("metering_meter.id"), nullable=True),
    Column("account_id", Integer, ForeignKey("metering_account.id"), nullable=True,
           index=True),
    Column("formula", Text, nullable=True),
    Column("status", String(8), nullable=False, server_default=text("'active'")),
    Column("created_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    UniqueConstraint("institution_id", "number"),
    CheckConstraint("status IN ('active', 'removed')", name="status"),
    CheckConstraint("(formula IS NULL AND register IN ('cumulative', 'interval')) "
                    "OR (formula IS NOT NULL AND register IS NULL)", name="kind"),
)

metering_event = Table(
    "metering_event",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("meter_id", Integer, ForeignKey("metering_meter.id"), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("final", Double, nullable=True),
    Column("initial", Double, nullable=True),
    Column("ct", Double, nullable=True),
    Column("pt", Double, nullable=True),
    Column("register_digits", SmallInteger, nullable=True),
    Column("device", String(64), nullable=True),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    UniqueConstraint("meter_id", "ts"),
    CheckConstraint("kind IN ('install', 'replace', 'remove')", name="kind"),
)

_a, _b, _m, _e = metering_account, metering_binding, metering_meter, metering_event


# ------------------------------------------------------------------ accounts, bindings

def find_account(conn: Connection, carrier: str, number: str, *,
                 lock: bool = False) -> Row[Any] | None:
    """The account (carrier, number); ``lock`` takes its row lock on PostgreSQL (two
    bindings of one account then take turns; SQLite's write lock already does)."""
    query = select(_a).where(_a.c.carrier == carrier, _a.c.number == number)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).one_or_none()


def insert_account(conn: Connection, carrier: str, number: str, *, utility: str | None,
                   name: str | None) -> int:
    result = conn.execute(insert(_a).values(carrier=carrier, number=number, utility=utility,
                                            name=name).returning(_a.c.id))
    return int(result.scalar_one())


def bindings_of(conn: Connection, account_id: int) -> list[Row[Any]]:
    """Every binding of the account, oldest first, with the institution's name."""
    i = _i
    query = (select(_b, i.c.name.label("institution_name"),
                    i.c.credit_code.label("credit_code"))
             .join(i, i.c.id == _b.c.institution_id)
             .where(_b.c.account_id == account_id).order_by(_b.c.valid_from, _b.c.id))
    return list(conn.execute(query))


def insert_binding(conn: Connection, account_id: int, institution_id: int, valid_from: date,
                   created_by: str) -> int:
    result = conn.execute(insert(_b).values(
        account_id=account_id, institution_id=institution_id, valid_from=valid_from,
        created_by=created_by, created_at=datetime.now(UTC)).returning(_b.c.id))
    return int(result.scalar_one())


def close_binding(conn: Connection, binding_id: int, valid_to: date) -> None:
    conn.execute(update(_b).where(_b.c.id == binding_id).values(valid_to=valid_to))


def insert_many(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """One ``executemany`` for ``rows`` (nothing for none)."""
    if rows:
        conn.execute(insert(table), list(rows))


def accounts_by_key(conn: Connection, keys: Sequence[tuple[str, str]]) -> dict[
        tuple[str, str], Any]:
    """(carrier, number) → the account with its open binding (``institution_id``,
    ``institution_name``, ``valid_from``; None when unbound), for ``keys``."""
    i = _i
    if not keys:
        return {}
    open_b = _b.alias("open_b")
    query = (
        select(_a.c.id, _a.c.carrier, _a.c.number, open_b.c.institution_id,
               open_b.c.valid_from, open_b.c.id.label("binding_id"),
               i.c.name.label("institution_name"))
        .outerjoin(open_b, and_(open_b.c.account_id == _a.c.id, open_b.c.valid_to.is_(None)))
        .outerjoin(i, i.c.id == open_b.c.institution_id)
        .where(_a.c.number.in_(sorted({n for _, n in keys})))
    )
    wanted = set(keys)
    return {(r.carrier, r.number): r for r in conn.execute(query)
            if (r.carrier, r.number) in wanted}


def latest_binding_end(conn: Connection, account_id: int) -> date | None:
    """The end of the account's latest closed binding (a new one may not start before)."""
    value = conn.execute(select(func.max(_b.c.valid_to)).where(
        _b.c.account_id == account_id)).scalar_one_or_none()
    return value if isinstance(value, date) else None


def accounts_of(conn: Connection, units: Sequence[int] | None, *,
                current_only: bool = True) -> list[Row[Any]]:
    """The bindings of the institutions (every one when None) with their accounts,
    open ones first then newest."""
    i = _i
    query = (select(_b.c.id.label("binding_id"), _b.c.valid_from, _b.c.valid_to,
                    _b.c.institution_id, i.c.name.label("institution_name"),
                    i.c.credit_code, _a.c.id.label("account_id"), _a.c.carrier, _a.c.number,
                    _a.c.utility, _a.c.name)
             .join(_a, _a.c.id == _b.c.account_id).join(i, i.c.id == _b.c.institution_id)
             .order_by(i.c.credit_code, _a.c.carrier, _a.c.number, _b.c.valid_from))
    if units is not None:
        query = query.where(_b.c.institution_id.in_(list(units)))
    if current_only:
        query = query.where(_b.c.valid_to.is_(None))
    return list(conn.execute(query))


# ------------------------------------------------------------------ meters, events

def meters_of(conn: Connection, units: Sequence[int] | None) -> list[Row[Any]]:
    """The meters of the institutions (every one when None) with the parent's number
    and the account's number, by institution and number."""
    i = _i
    parent = _m.alias("parent")
    query = (select(_m, parent.c.number.label("parent_number"),
                    _a.c.number.label("account_number"), i.c.credit_code,
                    i.c.name.label("institution_name"))
             .join(i, i.c.id == _m.c.institution_id)
             .outerjoin(parent, parent.c.id == _m.c.parent_id)
             .outerjoin(_a, _a.c.id == _m.c.account_id)
             .order_by(i.c.credit_code, _m.c.number))
    if units is not None:
        query = query.where(_m.c.institution_id.in_(list(units)))
    return list(conn.execute(query))


def get_meter(conn: Connection, meter_id: int) -> Row[Any] | None:
    return conn.execute(select(_m).where(_m.c.id == meter_id)).one_or_none()


def find_meter(conn: Connection, institution_id: int, number: str) -> Row[Any] | None:
    return conn.execute(select(_m).where(_m.c.institution_id == institution_id,
                                         _m.c.number == number)).one_or_none()


def insert_meter(conn: Connection, values: dict[str, Any]) -> int:
    result = conn.execute(insert(_m).values(**values, created_at=datetime.now(UTC))
                          .returning(_m.c.id))
    return int(result.scalar_one())


def update_meter(conn: Connection, meter_id: int, **values: Any) -> None:
    conn.execute(update(_m).where(_m.c.id == meter_id).values(**values))


def events_of(conn: Connection, meter_ids: Sequence[int]) -> list[Row[Any]]:
    """The events of the meters, by meter and time."""
    if not meter_ids:
        return []
    return list(conn.execute(select(_e).where(_e.c.meter_id.in_(list(meter_ids)))
                             .order_by(_e.c.meter_id, _e.c.ts)))


def insert_event(conn: Connection, values: dict[str, Any]) -> int:
    result = conn.execute(insert(_e).values(**values, recorded_at=datetime.now(UTC))
                          .returning(_e.c.id))
    return int(result.scalar_one())
