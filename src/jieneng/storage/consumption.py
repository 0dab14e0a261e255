"""Consumption records with revisions, and the exact monthly / yearly roll-ups.

Write path (:func:`write_consumption`), set-based for any number of figures:

1. the frame is bulk-loaded into a temporary stage (COPY / executemany);
2. *first import* (no staged institution-year has a current record; one probe per
   institution-year): every figure is new, revision 1, inserted by one
   ``INSERT … SELECT``; the current records of every touched month are then exactly
   the staged figures, so ``consumption_month`` is built from the stage;
3. otherwise every staged figure is classified against the current record of its
   key (institution, year, month, carrier): *new*, *unchanged* (same quantity and
   cost) or *revised* — on PostgreSQL by one ``INSERT … SELECT … FULL JOIN`` into a
   second table that also holds the untouched current figures of the staged months,
   on SQLite by an ``UPDATE`` of the stage with correlated index probes; the revised
   current rows are flagged ``is_current = false`` and the new and revised figures
   inserted as revision ``n + 1``; ``consumption_month`` of the touched (institution,
   year, month) keys is recomputed from the current records (PostgreSQL: from the
   classified table, which holds exactly those records);
4. ``consumption_year`` of the touched (institution, year) keys is recomputed from
   ``consumption_month`` — recomputed, never incremented, hence exact under revision
   (the roll-up queries: :mod:`jieneng.storage.rollups`).

All of it runs in the caller's transaction. Simultaneous writers of the same
institution-year are serialised (:func:`lock_institution_years`): on PostgreSQL by
advisory locks held to commit, so the second one classifies against the first
one's revisions instead of failing on a duplicate key; on SQLite every write
transaction holds the database's write lock (``BEGIN IMMEDIATE``) anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    and_,
    case,
    delete,
    func,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from jieneng.core.carriers import CARRIER_CODES
from jieneng.core.exceptions import NotFound

from . import groups
from . import tables as t
from .bulk import analyze, bulk_insert, ensure_temp, temp_table
from .rollups import (
    in_keys,
    is_current,
    month_keys,
    month_rollup_select,
    refresh_from_month_keys,
    refresh_groups,
    refresh_years_from_month_keys,
    rollup_columns,
    year_keys,
    year_rollup_select,
)

RECORD_COLUMNS: tuple[str, ...] = (
    "institution_id", "year", "month", "carrier", "quantity", "cost_yuan",
    "entered_value", "entered_unit",
)


KEY_COLUMNS: tuple[str, ...] = ("institution_id", "year", "month", "carrier")


_NEW, _UNCHANGED, _REVISED = "new", "unchanged", "revised"


#: PostgreSQL classification: a current figure of a staged month that the write leaves alone.
_KEPT = "kept"


def _figure_columns(*, keyed: bool) -> list[Column[Any]]:
    """Columns of a staged figure: the key (a primary key when ``keyed``), the values
    as typed, and the classification against the current record."""
    return [
        Column("institution_id", Integer, primary_key=keyed, nullable=False),
        Column("year", SmallInteger, primary_key=keyed, nullable=False),
        Column("month", SmallInteger, primary_key=keyed, nullable=False),
        Column("carrier", String(32), primary_key=keyed, nullable=False),
        Column("quantity", Float(53)),
        Column("cost_yuan", Float(53)),
        Column("entered_value", Text),
        Column("entered_unit", Text),
        Column("prev_id", BigInteger),
        Column("prev_revision", Integer),
        Column("status", String(9), nullable=keyed),
    ]


#: SQLite: WITHOUT ROWID, the rows stored once in key order (not a table plus its key's
#: index): the bulk insert writes one b-tree, and the record insert and the month roll-up,
#: which read the stage in key order, need no look-up of each row.
_stage = temp_table("_jn_consumption_stage", *_figure_columns(keyed=True),
                    sqlite_with_rowid=False)


#: PostgreSQL: the staged figures with their classification (see _write_general).
_classified = temp_table("_jn_consumption_classified", *_figure_columns(keyed=False))


#: PostgreSQL advisory locks (:func:`lock_institution_years`): the first key of an
#: institution-year's lock is this plus the year, the second the institution id.
_YEAR_LOCK_BASE = 0x6A6E_0000


#: Taken shared by a write of a few institution-years, exclusive by a bulk write.
_WRITES_LOCK_KEY = groups.WRITES_LOCK_KEY


#: A write touching more institution-years than this locks every consumption write.
LOCK_EACH_LIMIT = 64


def lock_institution_years(conn: Connection, keys: Iterable[tuple[int, int]]) -> None:
    """Serialise the writers of the same (institution_id, year) keys until commit.

    PostgreSQL: ``pg_advisory_xact_lock`` per key in key order, under a shared lock
    on all consumption writes; more than :data:`LOCK_EACH_LIMIT` keys (an import)
    take that lock exclusively instead of one lock per key. Taking a lock again in
    the same transaction is free. SQLite: nothing to do — a write transaction holds
    the database's write lock from its ``BEGIN IMMEDIATE``.
    """
    if conn.dialect.name != "postgresql":
        return
    pairs = sorted({(int(i), int(y)) for i, y in keys})
    if len(pairs) > LOCK_EACH_LIMIT:
        conn.execute(select(func.pg_advisory_xact_lock(_WRITES_LOCK_KEY)))
        return
    conn.execute(select(func.pg_advisory_xact_lock_shared(_WRITES_LOCK_KEY)))
    for institution_id, year in pairs:
        conn.execute(select(func.pg_advisory_xact_lock(_YEAR_LOCK_BASE + year, institution_id)))


@dataclass(frozen=True, slots=True)
class WriteCounts:
    inserted: int
    revised: int
    unchanged: int


def write_consumption(
    conn: Connection, frame: pl.DataFrame, *, source: str, import_id: int | None
) -> WriteCounts:
    """Write consumption figures with revision semantics; see the module docstring.

    ``frame`` columns: ``institution_id, year, month, carrier, quantity`` (canonical
    unit), ``cost_yuan`` (null allowed), ``entered_value, entered_unit`` (what was
    typed; optional). A key given twice in one frame counts once, the last row wins.
    """
    missing = [c for c in RECORD_COLUMNS[:5] if c not in frame.columns]
    if missing:
        raise ValueError(f"consumption frame lacks column(s) {missing}")
    if source not in t.SOURCES:
        raise ValueError(f"unknown source {source!r}; known: {t.SOURCES}")
    frame = (
        frame.with_columns(
            pl.lit(None, dtype=pl.Float64).alias(c) if c == "cost_yuan"
            else pl.lit(None, dtype=pl.String).alias(c)
            for c in ("cost_yuan", "entered_value", "entered_unit") if c not in frame.columns
        )
        .select(RECORD_COLUMNS)
        .unique(list(KEY_COLUMNS), keep="last", maintain_order=True)
        .sort(list(KEY_COLUMNS))
    )
    if frame.height == 0:
        return WriteCounts(0, 0, 0)
    lock_institution_years(conn, frame.select("institution_id", "year").unique().iter_rows())

    s = _stage
    if conn.dialect.name == "postgresql":
        # The hash aggregates of the roll-ups (24 sums per key) and the hash joins
        # over 10⁵–10⁶ staged rows spill to disk at the default 4 MB; for this
        # transaction only.
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
    ensure_temp(conn, s)
    bulk_insert(conn, s, frame)
    analyze(conn, s)
    _check_references(conn, import_id)
    now = datetime.now(UTC)

    # Institution-years of this write; also the keys of the year roll-up refresh.
    yk = year_keys
    ensure_temp(conn, yk)
    conn.execute(yk.insert().from_select(
        ["institution_id", "year"], select(s.c.institution_id, s.c.year).distinct()))
    analyze(conn, yk)
    if not _any_current(conn):
        present = set(frame.get_column("carrier").unique().to_list())
        carriers = [code for code in CARRIER_CODES if code in present]
        counts = _write_first(conn, frame.height, source=source, import_id=import_id, now=now,
                              carriers=carriers)
    else:
        counts = _write_general(conn, source=source, import_id=import_id, now=now)
    refresh_groups(conn)
    return counts


def _any_current(conn: Connection) -> bool:
    """Whether any staged institution-year already has a current record (one index
    probe per institution-year, stopping at the first hit)."""
    cr, yk = t.consumption_record, year_keys
    probe = select(literal(1)).where(
        cr.c.institution_id == yk.c.institution_id, cr.c.year == yk.c.year, is_current()
    ).exists()
    hit = conn.execute(select(literal(1)).select_from(yk).where(probe).limit(1)).first()
    return hit is not None


def _insert_records(
    conn: Connection, src: Table, *, source: str, import_id: int | None, now: datetime,
    revision: ColumnElement[Any], where: ColumnElement[bool] | None,
) -> None:
    cr = t.consumption_record
    q = select(
        *(src.c[c] for c in RECORD_COLUMNS),
        literal(source, String(8)),
        literal(import_id, Integer),
        revision,
        true(),
        literal(now, cr.c.recorded_at.type),
    )
    if where is not None:
        q = q.where(where)
    conn.execute(cr.insert().from_select(
        [*RECORD_COLUMNS, "source", "import_id", "revision", "is_current", "recorded_at"],
        q.order_by(*(src.c[k] for k in KEY_COLUMNS)),
    ))


def _write_first(
    conn: Connection, n: int, *, source: str, import_id: int | None, now: datetime,
    carriers: Sequence[str],
) -> WriteCounts:
    """No staged institution-year has a current record (the common first import):
    every figure is new (revision 1), nothing needs classifying, and the current
    records of every touched month key are exactly the staged figures, so the month
    roll-up is built from the stage — the same sums over the same records. Only the
    columns of the staged ``carriers`` are summed (into the month and year roll-ups of
    these institution-years): the others are NULL, as their sums over no figure."""
    s, cm, cy, yk = _stage, t.consumption_month, t.consumption_year, year_keys
    _insert_records(conn, s, source=source, import_id=import_id, now=now,
                    revision=literal(1, Integer), where=None)
    # Without current records these institution-years have no roll-up rows; delete
    # anyway, so the result is the rebuild's whatever the tables held.
    year_cols = ("institution_id", "year")
    conn.execute(delete(cm).where(in_keys(cm, yk, year_cols)))
    conn.execute(delete(cy).where(in_keys(cy, yk, year_cols)))
    month_cols = ("institution_id", "year", "month")
    conn.execute(cm.insert().from_select(
        rollup_columns(cm, *month_cols, carriers=carriers),
        month_rollup_select(None, source=s, carriers=carriers)))
    conn.execute(cy.insert().from_select(
        rollup_columns(cy, "institution_id", "year", "months_reported", carriers=carriers),
        year_rollup_select(yk, carriers=carriers)))
    return WriteCounts(inserted=n, revised=0, unchanged=0)


def _write_general(
    conn: Connection, *, source: str, import_id: int | None, now: datetime
) -> WriteCounts:
    if conn.dialect.name == "postgresql":
        return _write_general_pg(conn, source=source, import_id=import_id, now=now)
    s, cr = _stage, t.consumption_record
    key_match = and_(*(cr.c[k] == s.c[k] for k in KEY_COLUMNS), is_current())
    same = and_(cr.c.quantity == s.c.quantity, cr.c.cost_yuan.is_not_distinct_from(s.c.cost_yuan))
    # SQLite plans UPDATE … FROM as a scan of consumption_record; correlated
    # sub-selects driven by the (small) stage probe the index instead.
    status = case((same, literal(_UNCHANGED)), else_=literal(_REVISED))
    conn.execute(update(s).values(
        prev_id=select(cr.c.id).where(key_match).scalar_subquery(),
        prev_revision=select(cr.c.revision).where(key_match).scalar_subquery(),
        status=func.coalesce(select(status).where(key_match).scalar_subquery(), _NEW),
    ))
    counts = _apply(conn, s, source=source, import_id=import_id, now=now)
    refresh_from_month_keys(conn)
    return counts


def _apply(
    conn: Connection, src: Table, *, source: str, import_id: int | None, now: datetime
) -> WriteCounts:
    """Flag the revised rows not current, insert the new and revised figures, fill
    ``month_keys`` with the month keys they touch; ``src`` is the classified stage."""
    cr = t.consumption_record
    conn.execute(
        update(cr)
        .where(cr.c.id.in_(select(src.c.prev_id).where(src.c.status == _REVISED)))
        .values(is_current=False)
    )
    to_write = src.c.status.in_([_NEW, _REVISED])
    _insert_records(conn, src, source=source, import_id=import_id, now=now,
                    revision=func.coalesce(src.c.prev_revision, 0) + 1, where=to_write)
    counts: dict[str, int] = {
        str(status): int(n)
        for status, n in conn.execute(
            select(src.c.status, func.count()).group_by(src.c.status)
        ).all()
    }
    # Month keys touched by this write, straight from the stage (no round trip).
    ensure_temp(conn, month_keys)
    conn.execute(
        month_keys.insert().from_select(
            ["institution_id", "year", "month"],
            select(src.c.institution_id, src.c.year, src.c.month).where(to_write).distinct(),
        )
    )
    analyze(conn, month_keys)
    return WriteCounts(
        inserted=int(counts.get(_NEW, 0)),
        revised=int(counts.get(_REVISED, 0)),
        unchanged=int(counts.get(_UNCHANGED, 0)),
    )


def _write_general_pg(
    conn: Connection, *, source: str, import_id: int | None, now: datetime
) -> WriteCounts:
    """PostgreSQL: one ``INSERT … SELECT`` classifies every staged figure into a
    second table (cheaper than an ``UPDATE`` of the stage, which writes a new version
    of every staged row). It reads the current records of every staged *month key*
    once — one index probe per month key — and full-joins them with the stage, so the
    classified table also holds the current figures of those months the write leaves
    alone (status ``kept``). After the write, the current records of a touched month
    are exactly its classified rows (staged figures, whether new, revised or unchanged,
    plus kept ones), so the month roll-up is rebuilt from them without reading
    ``consumption_record`` again."""
    s, cr, c, cm, mk = (_stage, t.consumption_record, _classified, t.consumption_month,
                        month_keys)
    ensure_temp(conn, c)
    month_cols = ("institution_id", "year", "month")
    cur = (
        select(cr.c.id, cr.c.revision, *(cr.c[k] for k in RECORD_COLUMNS))
        .where(is_current(), in_keys(cr, s, month_cols))
        .subquery("cur")
    )
    on = and_(*(cur.c[k] == s.c[k] for k in KEY_COLUMNS))
    same = and_(cur.c.quantity == s.c.quantity,
                cur.c.cost_yuan.is_not_distinct_from(s.c.cost_yuan))
    status = case(
        (s.c.institution_id.is_(None), literal(_KEPT)),
        (cur.c.id.is_(None), literal(_NEW)),
        (same, literal(_UNCHANGED)),
        else_=literal(_REVISED),
    )
    conn.execute(c.insert().from_select(
        [*RECORD_COLUMNS, "prev_id", "prev_revision", "status"],
        select(
            *(func.coalesce(s.c[k], cur.c[k]) for k in KEY_COLUMNS),
            *(case((s.c.institution_id.is_(None), cur.c[k]), else_=s.c[k])
              for k in RECORD_COLUMNS[4:]),
            cur.c.id, cur.c.revision, status,
        ).select_from(s.outerjoin(cur, on, full=True)),
    ))
    analyze(conn, c)
    counts = _apply(conn, c, source=source, import_id=import_id, now=now)
    conn.execute(delete(cm).where(in_keys(cm, mk, month_cols)))
    conn.execute(cm.insert().from_select(
        rollup_columns(cm, *month_cols), month_rollup_select(mk, source=c)))
    refresh_years_from_month_keys(conn)
    return counts


def _check_references(conn: Connection, import_id: int | None) -> None:
    """Referential integrity of a write, set-based (the tables carry no FK constraints)."""
    s, i = _stage, t.institution
    orphans = conn.execute(
        select(func.count()).select_from(s.outerjoin(i, i.c.id == s.c.institution_id))
        .where(i.c.id.is_(None))
    ).scalar_one()
    if orphans:
        raise NotFound.of("consumption.orphan_figures", orphans=orphans)
    if import_id is not None and conn.execute(
        select(func.count()).where(t.import_batch.c.id == import_id)
    ).scalar_one() == 0:
        raise NotFound.of("consumption.import_batch_not_found", import_id=import_id)
