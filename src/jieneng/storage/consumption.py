"""Consumption records with revisions, and the exact monthly / yearly roll-ups.

Write path (:func:`write_consumption`), set-based for any number of figures:

1. the frame is bulk-loaded into a temporary stage (COPY / executemany);
2. one ``UPDATE … FROM`` classifies every staged figure against the current
   record of its key (institution, year, month, carrier): *new*, *unchanged*
   (same quantity and cost) or *revised*;
3. the revised current rows are flagged ``is_current = false`` and the new and
   revised figures are inserted as revision ``n + 1`` by one ``INSERT … SELECT``;
4. :func:`refresh_rollups` recomputes ``consumption_month`` for the touched
   (institution, year, month) keys from the current records and
   ``consumption_year`` for the touched (institution, year) keys from
   ``consumption_month`` — recomputed, never incremented, hence exact under revision.

All of it runs in the caller's transaction.
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
    tuple_,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from jieneng.core.carriers import CARRIER_CODES
from jieneng.core.exceptions import NotFound

from . import tables as t
from .bulk import analyze, bulk_insert, ensure_temp, temp_table

RECORD_COLUMNS: tuple[str, ...] = (
    "institution_id", "year", "month", "carrier", "quantity", "cost_yuan",
    "entered_value", "entered_unit",
)
KEY_COLUMNS: tuple[str, ...] = ("institution_id", "year", "month", "carrier")

_NEW, _UNCHANGED, _REVISED = "new", "unchanged", "revised"

_stage = temp_table(
    "_jn_consumption_stage",
    Column("institution_id", Integer, primary_key=True),
    Column("year", SmallInteger, primary_key=True),
    Column("month", SmallInteger, primary_key=True),
    Column("carrier", String(32), primary_key=True),
    Column("quantity", Float(53)),
    Column("cost_yuan", Float(53)),
    Column("entered_value", Text),
    Column("entered_unit", Text),
    Column("prev_id", BigInteger),
    Column("prev_revision", Integer),
    Column("status", String(9)),
)
_month_keys = temp_table(
    "_jn_month_keys",
    Column("institution_id", Integer, primary_key=True),
    Column("year", SmallInteger, primary_key=True),
    Column("month", SmallInteger, primary_key=True),
)
_year_keys = temp_table(
    "_jn_year_keys",
    Column("institution_id", Integer, primary_key=True),
    Column("year", SmallInteger, primary_key=True),
)


@dataclass(frozen=True, slots=True)
class WriteCounts:
    inserted: int
    revised: int
    unchanged: int


def _is_current() -> ColumnElement[bool]:
    # Rendered "is_current = 1" on SQLite, matching the partial index's WHERE.
    return t.consumption_record.c.is_current == true()


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

    s, cr = _stage, t.consumption_record
    ensure_temp(conn, s)
    bulk_insert(conn, s, frame)
    analyze(conn, s)
    _check_references(conn, import_id)

    key_match = and_(*(cr.c[k] == s.c[k] for k in KEY_COLUMNS), _is_current())
    same = and_(cr.c.quantity == s.c.quantity, cr.c.cost_yuan.is_not_distinct_from(s.c.cost_yuan))
    status = case((same, literal(_UNCHANGED)), else_=literal(_REVISED))
    if conn.dialect.name == "postgresql":
        # UPDATE … FROM: with the stage analysed, one probe of the current-row index
        # per figure (nested loop) or a hash join for large frames.
        classify = update(s).where(key_match).values(
            prev_id=cr.c.id, prev_revision=cr.c.revision, status=status)
    else:
        # SQLite plans UPDATE … FROM as a scan of consumption_record; correlated
        # sub-selects driven by the (small) stage probe the index instead.
        classify = update(s).values(
            prev_id=select(cr.c.id).where(key_match).scalar_subquery(),
            prev_revision=select(cr.c.revision).where(key_match).scalar_subquery(),
            status=select(status).where(key_match).scalar_subquery(),
        )
    conn.execute(classify)
    conn.execute(
        update(cr)
        .where(cr.c.id.in_(select(s.c.prev_id).where(s.c.status == _REVISED)))
        .values(is_current=False)
    )
    to_write = (s.c.status.is_(None)) | (s.c.status == _REVISED)
    now = datetime.now(UTC)
    conn.execute(
        cr.insert().from_select(
            [*RECORD_COLUMNS, "source", "import_id", "revision", "is_current", "recorded_at"],
            select(
                *(s.c[c] for c in RECORD_COLUMNS),
                literal(source, String(8)),
                literal(import_id, Integer),
                func.coalesce(s.c.prev_revision, 0) + 1,
                true(),
                literal(now, t.consumption_record.c.recorded_at.type),
            )
            .where(to_write)
            .order_by(*(s.c[k] for k in KEY_COLUMNS)),
        )
    )
    counts: dict[str, int] = {
        (status or _NEW): int(n)
        for status, n in conn.execute(
            select(s.c.status, func.count()).group_by(s.c.status)
        ).all()
    }
    # Month keys touched by this write, straight from the stage (no round trip).
    ensure_temp(conn, _month_keys)
    conn.execute(
        _month_keys.insert().from_select(
            ["institution_id", "year", "month"],
            select(s.c.institution_id, s.c.year, s.c.month).where(to_write).distinct(),
        )
    )
    _refresh_from_month_keys(conn)
    return WriteCounts(
        inserted=int(counts.get(_NEW, 0)),
        revised=int(counts.get(_REVISED, 0)),
        unchanged=int(counts.get(_UNCHANGED, 0)),
    )


def _check_references(conn: Connection, import_id: int | None) -> None:
    """Referential integrity of a write, set-based (the tables carry no FK constraints)."""
    s, i = _stage, t.institution
    orphans = conn.execute(
        select(func.count()).select_from(s.outerjoin(i, i.c.id == s.c.institution_id))
        .where(i.c.id.is_(None))
    ).scalar_one()
    if orphans:
        raise NotFound(
            f"{orphans} 条能耗数据的单位不在名录库中",
            f"{orphans} consumption figure(s) refer to institutions not in the directory",
        )
    if import_id is not None and conn.execute(
        select(func.count()).where(t.import_batch.c.id == import_id)
    ).scalar_one() == 0:
        raise NotFound(f"导入批次 {import_id} 不存在", f"import batch {import_id} does not exist")


def _month_rollup_select(keys: Table | None) -> Any:
    cr = t.consumption_record
    cols: list[ColumnElement[Any]] = []
    # SUM(…) FILTER (WHERE carrier = …): 2.3× faster than SUM(CASE …) on SQLite
    # (measured on 100,000 month keys), same result; PostgreSQL has it too.
    for code in CARRIER_CODES:
        cols.append(func.sum(cr.c.quantity).filter(cr.c.carrier == code))
        cols.append(func.sum(cr.c.cost_yuan).filter(cr.c.carrier == code))
    q = select(cr.c.institution_id, cr.c.year, cr.c.month, *cols).where(_is_current())
    if keys is not None:
        q = q.where(_in_keys(cr, keys, ("institution_id", "year", "month")))
    return q.group_by(cr.c.institution_id, cr.c.year, cr.c.month)


def _year_rollup_select(keys: Table | None) -> Any:
    cm = t.consumption_month
    cols: list[ColumnElement[Any]] = []
    for code in CARRIER_CODES:
        cols.append(func.sum(cm.c[t.quantity_column(code)]))
        cols.append(func.sum(cm.c[t.cost_column(code)]))
    q = select(cm.c.institution_id, cm.c.year, func.count(), *cols)
    if keys is not None:
        q = q.where(_in_keys(cm, keys, ("institution_id", "year")))
    return q.group_by(cm.c.institution_id, cm.c.year)


def _in_keys(table: Table, keys: Table, cols: tuple[str, ...]) -> ColumnElement[bool]:
    """``(a, b, c) IN (SELECT a, b, c FROM keys)``: both SQLite and PostgreSQL then
    probe ``table``'s index once per key instead of scanning ``table``."""
    return tuple_(*(table.c[c] for c in cols)).in_(select(*(keys.c[c] for c in cols)))


def _rollup_columns(table: Table, *lead: str) -> list[str]:
    out = list(lead)
    for code in CARRIER_CODES:
        out += [t.quantity_column(code), t.cost_column(code)]
    return out


def _refresh_from_month_keys(conn: Connection) -> None:
    cm, cy, mk, yk = t.consumption_month, t.consumption_year, _month_keys, _year_keys
    analyze(conn, mk)
    month_cols = ("institution_id", "year", "month")
    conn.execute(delete(cm).where(_in_keys(cm, mk, month_cols)))
    conn.execute(cm.insert().from_select(
        _rollup_columns(cm, *month_cols), _month_rollup_select(mk)))

    ensure_temp(conn, yk)
    conn.execute(yk.insert().from_select(
        ["institution_id", "year"], select(mk.c.institution_id, mk.c.year).distinct()))
    analyze(conn, yk)
    conn.execute(delete(cy).where(_in_keys(cy, yk, ("institution_id", "year"))))
    conn.execute(cy.insert().from_select(
        _rollup_columns(cy, "institution_id", "year", "months_reported"),
        _year_rollup_select(yk)))


def refresh_rollups(
    conn: Connection, keys: pl.DataFrame | Iterable[tuple[int, int, int]]
) -> None:
    """Recompute ``consumption_month`` for the (institution_id, year, month) ``keys``
    from the current records, and ``consumption_year`` for their (institution_id, year)."""
    if not isinstance(keys, pl.DataFrame):
        keys = pl.DataFrame(list(keys), schema=["institution_id", "year", "month"], orient="row")
    keys = keys.select("institution_id", "year", "month").unique()
    ensure_temp(conn, _month_keys)
    bulk_insert(conn, _month_keys, keys)
    _refresh_from_month_keys(conn)


def rebuild_rollups(conn: Connection) -> None:
    """Recompute both roll-up tables from scratch (after a bulk load; set-based)."""
    cm, cy = t.consumption_month, t.consumption_year
    conn.execute(delete(cy))
    conn.execute(delete(cm))
    conn.execute(cm.insert().from_select(
        _rollup_columns(cm, "institution_id", "year", "month"), _month_rollup_select(None)))
    conn.execute(cy.insert().from_select(
        _rollup_columns(cy, "institution_id", "year", "months_reported"),
        _year_rollup_select(None)))


def history(
    conn: Connection, institution_id: int, *, year: int | None = None,
    carrier: str | None = None,
) -> list[dict[str, Any]]:
    """Every revision of an institution's figures, by key, newest revision first."""
    cr = t.consumption_record
    q = select(cr).where(cr.c.institution_id == institution_id)
    if year is not None:
        q = q.where(cr.c.year == year)
    if carrier is not None:
        q = q.where(cr.c.carrier == carrier)
    q = q.order_by(cr.c.year, cr.c.month, cr.c.carrier, cr.c.revision.desc())
    out = []
    for r in conn.execute(q).mappings():
        d = dict(r)
        d["is_current"] = bool(d["is_current"])
        out.append(d)
    return out


def monthly_series(
    conn: Connection, institution_id: int, years: Sequence[int]
) -> list[dict[str, Any]]:
    """One institution's monthly roll-ups for ``years``, in time order.

    Each item: ``year, month, quantity`` and ``cost_yuan`` (dicts keyed by carrier
    code; ``None`` where nothing was reported). Months without any figure are absent.
    """
    cm = t.consumption_month
    q = (
        select(cm)
        .where(cm.c.institution_id == institution_id, cm.c.year.in_(list(years)))
        .order_by(cm.c.year, cm.c.month)
    )
    out: list[dict[str, Any]] = []
    for r in conn.execute(q).mappings():
        out.append({
            "year": int(r["year"]),
            "month": int(r["month"]),
            "quantity": {c: r[t.quantity_column(c)] for c in CARRIER_CODES},
            "cost_yuan": {c: r[t.cost_column(c)] for c in CARRIER_CODES},
        })
    return out
