"""Storage layer: SQLAlchemy Core tables, Alembic migrations, bulk writes, roll-ups, queries.

Nothing here connects to a database at import time; callers pass a
:class:`sqlalchemy.engine.Connection` (one transaction per command, owned by the
service layer). Modules:

- :mod:`.tables` — the tables and their naming convention
- :mod:`.engine` — :func:`make_engine` (SQLite pragmas, PostgreSQL driver)
- :mod:`.migrate` — run the Alembic migrations programmatically
- :mod:`.bulk` — bulk loading of polars frames (COPY on PostgreSQL, executemany on SQLite)
- :mod:`.regions`, :mod:`.institutions`, :mod:`.consumption`, :mod:`.indicators`,
  :mod:`.batches`, :mod:`.meta` — repositories
"""
