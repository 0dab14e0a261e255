"""Alembic environment of jieneng; see :mod:`jieneng.storage.migrate`.

The connection normally comes from ``config.attributes["connection"]``; when run
from the ``alembic`` command line, ``sqlalchemy.url`` (or ``JIENENG_DATABASE_URL``)
is used instead.
"""

from __future__ import annotations

import os

from alembic import context

from jieneng.storage.engine import make_engine
from jieneng.storage.meter_readings import include_name
from jieneng.storage.schema import metadata

config = context.config


def _run(connection):  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,  # reading partitions (PostgreSQL) are not in the metadata
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("JIENENG_DATABASE_URL")
    if not url:
        raise RuntimeError("no database: set sqlalchemy.url or JIENENG_DATABASE_URL")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) mode is not supported")
run_migrations_online()
