"""Key-value settings of a database (e.g. ``dataset_label = 演示数据``), and the
data version that invalidates cached dashboard results
(:mod:`jieneng.services.result_cache`)."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, select, update

from . import tables as t


def get_meta(conn: Connection, key: str, default: str | None = None) -> str | None:
    """The value stored under ``key``, or ``default``."""
    value = conn.execute(select(t.meta.c.value).where(t.meta.c.key == key)).scalar_one_or_none()
    return default if value is None else str(value)


#: Key of the data version: a new random value with every write that can change a
#: dashboard figure (figures, directory, profiles, regions, any other meta key).
DATA_VERSION_KEY = "data_version"


def data_version(conn: Connection) -> str | None:
    """The current data version, or None if nothing stored one yet."""
    return get_meta(conn, DATA_VERSION_KEY)


def touch_data_version(conn: Connection) -> None:
    """Store a new data version (in the caller's transaction)."""
    _put(conn, DATA_VERSION_KEY, uuid.uuid4().hex)


def set_meta(conn: Connection, key: str, value: str) -> None:
    """Store ``value`` under ``key`` (insert or replace); a new data version too."""
    _put(conn, key, value)
    touch_data_version(conn)


def _put(conn: Connection, key: str, value: str) -> None:
    m = t.meta
    if conn.execute(update(m).where(m.c.key == key).values(value=value)).rowcount == 0:
        conn.execute(m.insert().values(key=key, value=value))


def delete_meta(conn: Connection, key: str) -> None:
    """Remove ``key`` if present; a new data version too."""
    conn.execute(t.meta.delete().where(t.meta.c.key == key))
    touch_data_version(conn)


def all_meta(conn: Connection) -> dict[str, str]:
    """Every key and value."""
    return {str(k): str(v) for k, v in conn.execute(select(t.meta.c.key, t.meta.c.value))}
