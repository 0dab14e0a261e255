"""Bulk loading of polars frames, the temporary tables the set-based writes stage into,
and bulk reading of a query into a frame (:func:`read_frame`).

PostgreSQL: ``COPY … FROM STDIN (FORMAT csv)`` fed by :meth:`polars.DataFrame.write_csv`
(floats are written shortest-round-trip, so values arrive bit-identical).
SQLite: one ``executemany`` per chunk on the driver cursor, inside the caller's
transaction.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any, cast

import polars as pl
from sqlalchemy import Column, ColumnElement, Connection, MetaData, Table, select
from sqlalchemy.schema import CreateTable
from sqlalchemy.sql import Select

#: Rows per COPY / executemany call; bounds the memory of the CSV text.
CHUNK_ROWS = 500_000

#: Above this many values an ``IN`` goes through a temporary table, not a literal list
#: (:func:`in_values`).
IN_LIST_LIMIT = 500

_temp_metadata = MetaData()


def temp_table(name: str, *columns: Column[object], **dialect_kw: Any) -> Table:
    """Declare a connection-local ``TEMPORARY`` table (created by :func:`ensure_temp`);
    ``dialect_kw`` as :class:`sqlalchemy.Table` takes them (``sqlite_with_rowid=False``)."""
    return Table(name, _temp_metadata, *columns, prefixes=["TEMPORARY"], **dialect_kw)


def ensure_temp(conn: Connection, table: Table) -> None:
    """Create the temporary table if this connection lacks it, and empty it."""
    conn.execute(CreateTable(table, if_not_exists=True))
    conn.execute(table.delete())


def analyze(conn: Connection, table: Table) -> None:
    """Give the planner statistics of a freshly loaded table (PostgreSQL never
    auto-analyses temporary tables, and a join planned blind can scan millions of rows)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ANALYZE {conn.dialect.identifier_preparer.format_table(table)}")


def bulk_insert(
    conn: Connection, table: Table, frame: pl.DataFrame, *, columns: Sequence[str] | None = None
) -> int:
    """Append the rows of ``frame`` to ``table`` in bulk; returns the number of rows.

    ``columns`` (default: the frame's columns, in order) must name columns of
    ``table``; the frame is selected to them.
    """
    cols = list(columns) if columns is not None else list(frame.columns)
    unknown = [c for c in cols if c not in table.c]
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {unknown}")
    if frame.height == 0:
        return 0
    frame = frame.select(cols)
    prep = conn.dialect.identifier_preparer
    target = prep.format_table(table)
    col_sql = ", ".join(prep.quote(c) for c in cols)
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    if conn.dialect.name == "postgresql":
        sql = f"COPY {target} ({col_sql}) FROM STDIN (FORMAT csv, NULL '\\N')"
        with dbapi.cursor() as cur:
            for chunk in frame.iter_slices(CHUNK_ROWS):
                data = chunk.write_csv(
                    include_header=False, null_value="\\N", quote_style="non_numeric"
                )
                with cur.copy(sql) as copy:
                    copy.write(data)
    else:
        placeholders = ", ".join("?" for _ in cols)
        sql = f"INSERT INTO {target} ({col_sql}) VALUES ({placeholders})"
        cur = dbapi.cursor()
        try:
            for chunk in frame.iter_slices(CHUNK_ROWS):
                cur.executemany(sql, chunk.iter_rows())
        finally:
            cur.close()
    return frame.height


def read_frame(conn: Connection, query: Select[Any], schema: Mapping[str, Any]) -> pl.DataFrame:
    """The result of ``query`` as a polars frame of ``schema`` (column order of the
    query). PostgreSQL streams it with ``COPY … TO STDOUT`` (CSV), SQLite fetches rows."""
    names = list(schema)
    if conn.dialect.name == "postgresql":
        sql = str(query.compile(conn.engine, compile_kwargs={"literal_binds": True}))
        buffer = io.BytesIO()
        dbapi = conn.connection.driver_connection
        assert dbapi is not None
        with dbapi.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
            for block in copy:
                buffer.write(block)
        if buffer.tell() == 0:
            return pl.DataFrame(schema=dict(schema))
        buffer.seek(0)
        return pl.read_csv(buffer, has_header=False, new_columns=names,
                           schema_overrides=dict(schema))
    rows = conn.execute(query).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=dict(schema), orient="row",
                        strict=False)


def in_values(conn: Connection, column: Any, values: Sequence[Any], temp: Table
              ) -> ColumnElement[bool]:
    """``column IN (values)``: a literal list, or above :data:`IN_LIST_LIMIT` values
    a sub-select of the temporary table ``temp`` (one column) loaded with them."""
    distinct = sorted(set(values))
    if len(distinct) <= IN_LIST_LIMIT:
        return cast(ColumnElement[bool], column.in_(distinct))
    ensure_temp(conn, temp)
    name = next(iter(temp.c)).name
    conn.execute(temp.insert(), [{name: v} for v in distinct])
    analyze(conn, temp)
    return cast(ColumnElement[bool], column.in_(select(*temp.c)))
