"""Key-value settings of a database (e.g. ``dataset_label = 演示数据``)."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from . import tables as t


def get_meta(conn: Connection, key: str, default: str | None = None) -> str | None:
    """The value stored under ``key``, or ``default``."""
    value = conn.execute(select(t.meta.c.value).where(t.meta.c.key == key)).scalar_one_or_none()
    return default if value is None else str(value)


def set_meta(conn: Connection, key: str, value: str) -> None:
    """Store ``value`` under ``key`` (insert or replace)."""
    m = t.meta
    if conn.execute(update(m).where(m.c.key == key).values(value=value)).rowcount == 0:
        conn.execute(m.insert().values(key=key, value=value))


def delete_meta(conn: Connection, key: str) -> None:
    """Remove ``key`` if present."""
    conn.execute(t.meta.delete().where(t.meta.c.key == key))


def all_meta(conn: Connection) -> dict[str, str]:
    """Every key and value."""
    return {str(k): str(v) for k, v in conn.execute(select(t.meta.c.key, t.meta.c.value))}
