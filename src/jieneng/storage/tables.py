"""SQLAlchemy Core tables of jieneng (the storage contract of ``docs/architecture.md``).

One :data:`metadata` with a naming convention, so that every constraint and index
has a stable name on SQLite and PostgreSQL and Alembic migrations can refer to it.

The roll-up tables ``consumption_month`` and ``consumption_year`` carry one
``q_<code>`` (quantity, canonical unit) and one ``c_<code>`` (cost, 元) column per
carrier of :data:`jieneng.core.carriers.CARRIER_CODES`; they are generated here.
Adding a carrier therefore needs a new migration adding its two columns (the
migration test compares the migrated schema with this metadata).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.types import CHAR, TypeEngine

from jieneng.core.carriers import CARRIER_CODES

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

#: IEEE double on every backend (``double precision`` on PostgreSQL, ``REAL`` on SQLite).
Double: TypeEngine[float] = Float(53)
#: 64-bit id; on SQLite it must be ``INTEGER`` to alias the rowid (autoincrement).
BigId: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")

INSTITUTION_CATEGORIES: tuple[str, ...] = ("01", "021", "022", "023", "024", "025", "026", "03")
SOURCES: tuple[str, ...] = ("manual", "file", "meter", "grid", "demo")


def _in_list(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def quantity_column(carrier_code: str) -> str:
    """Name of the roll-up quantity column of a carrier (``q_electricity``)."""
    return f"q_{carrier_code}"


def cost_column(carrier_code: str) -> str:
    """Name of the roll-up cost column of a carrier (``c_electricity``)."""
    return f"c_{carrier_code}"


def _carrier_columns() -> list[Column[float]]:
    cols: list[Column[float]] = []
    for code in CARRIER_CODES:
        cols.append(Column(quantity_column(code), Double, nullable=True))
        cols.append(Column(cost_column(code), Double, nullable=True))
    return cols


import_batch = Table(
    "import_batch",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("sha256", CHAR(64), nullable=False, index=True),
    Column("size_bytes", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("rows", Integer, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    Column("dry_run", Boolean, nullable=False, server_default=text("false")),
)

region = Table(
    "region",
    metadata,
    Column("code", CHAR(6), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("level", SmallInteger, nullable=False),
    Column("parent_code", CHAR(6), ForeignKey("region.code"), nullable=True, index=True),
    CheckConstraint("level IN (1, 2, 3)", name="level"),
)

institution = Table(
    "institution",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("credit_code", CHAR(18), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False, index=True),
    Column("region_code", CHAR(6), ForeignKey("region.code"), nullable=False),
    Column("category", String(3), nullable=False),
    Column("department_id", Integer, ForeignKey("institution.id"), nullable=True, index=True),
    Column("key_energy_user", Boolean, nullable=False, server_default=text("false")),
    Column("status", String(8), nullable=False, server_default=text("'active'")),
    Column("import_id", Integer, ForeignKey("import_batch.id"), nullable=True),
    CheckConstraint(_in_list("category", INSTITUTION_CATEGORIES), name="category"),
    CheckConstraint("status IN ('active', 'closed')", name="status"),
    Index("ix_institution_region_code_category", "region_code", "category"),
)

institution_profile = Table(
    "institution_profile",
    metadata,
    Column("institution_id", Integer, ForeignKey("institution.id"), primary_key=True),
    Column("year", SmallInteger, primary_key=True),
    Column("occupants", Integer, nullable=True),
    Column("staff_quota", Integer, nullable=True),
    Column("floor_area_m2", Double, nullable=True),
    Column("heated_area_m2", Double, nullable=True),
    Column("vehicles_gasoline", Integer, nullable=True),
    Column("vehicles_diesel", Integer, nullable=True),
    Column("vehicles_nev", Integer, nullable=True),
    Column("import_id", Integer, ForeignKey("import_batch.id"), nullable=True),
)

consumption_record = Table(
    "consumption_record",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # No FOREIGN KEY constraints on the consumption tables: on PostgreSQL each costs
    # ~1.5 s per 400,000 inserted rows (a trigger per row). Referential integrity
    # is checked set-based in storage.consumption.write_consumption (one join per
    # write), the only writer; institutions and import batches are never deleted.
    Column("institution_id", Integer, nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("month", SmallInteger, nullable=False),
    Column("carrier", String(32), nullable=False),
    Column("quantity", Double, nullable=False),
    Column("cost_yuan", Double, nullable=True),
    Column("entered_value", Text, nullable=True),
    Column("entered_unit", Text, nullable=True),
    Column("source", String(8), nullable=False),
    Column("import_id", Integer, nullable=True),
    Column("revision", Integer, nullable=False),
    Column("is_current", Boolean, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    CheckConstraint("month BETWEEN 1 AND 12", name="month"),
    CheckConstraint("revision >= 1", name="revision"),
    CheckConstraint(_in_list("source", SOURCES), name="source"),
    Index(
        "uq_consumption_record_key_revision",
        "institution_id", "year", "month", "carrier", "revision",
        unique=True,
    ),
)
#: At most one current row per key; also the index of every current-row lookup.
Index(
    "uq_consumption_record_current",
    consumption_record.c.institution_id,
    consumption_record.c.year,
    consumption_record.c.month,
    consumption_record.c.carrier,
    unique=True,
    # SQLite uses a partial index only when the query repeats its WHERE term
    # verbatim; SQLAlchemy renders a boolean filter as ``is_current = 1`` there.
    sqlite_where=text("is_current = 1"),
    postgresql_where=text("is_current"),
)

consumption_month = Table(
    "consumption_month",
    metadata,
    Column("institution_id", Integer, primary_key=True),
    Column("year", SmallInteger, primary_key=True),
    Column("month", SmallInteger, primary_key=True),
    *_carrier_columns(),
    Index("ix_consumption_month_year_month", "year", "month"),
)

consumption_year = Table(
    "consumption_year",
    metadata,
    Column("institution_id", Integer, primary_key=True),
    Column("year", SmallInteger, primary_key=True),
    Column("months_reported", SmallInteger, nullable=False),
    *_carrier_columns(),
    Index("ix_consumption_year_year", "year"),
)

#: Group roll-ups (decision 0004): the region-level dashboards read these instead
#: of 50,000 institution rows. One row per (region, category, year) and profile
#: flags (用能人数 > 0, 建筑面积 > 0) of the *reported* institutions: their count,
#: Σ of every carrier and Σ 用能人数 / 建筑面积 of the same year's profile. Rebuilt
#: set-based from ``consumption_year`` for the touched groups in every transaction
#: that changes figures, an institution's region or category, or a profile
#: (:mod:`jieneng.storage.groups`); never incremented.
consumption_group_year = Table(
    "consumption_group_year",
    metadata,
    Column("region_code", CHAR(6), primary_key=True),
    Column("category", String(3), primary_key=True),
    Column("year", SmallInteger, primary_key=True),
    Column("has_occupants", SmallInteger, primary_key=True),
    Column("has_area", SmallInteger, primary_key=True),
    Column("institutions_reported", Integer, nullable=False),
    Column("institutions_closed", Integer, nullable=False),
    *_carrier_columns(),
    Column("occupants", Double, nullable=True),
    Column("floor_area_m2", Double, nullable=True),
    Index("ix_consumption_group_year_year", "year"),
)

#: Active institutions per (region, category): the 应报 count of a region's
#: dashboard (with ``consumption_group_year.institutions_closed`` — reported in the
#: year, closed since). Rebuilt from ``institution`` by every directory write.
institution_group = Table(
    "institution_group",
    metadata,
    Column("region_code", CHAR(6), primary_key=True),
    Column("category", String(3), primary_key=True),
    Column("institutions_active", Integer, nullable=False),
)

#: Per (region, category, year, month): the institutions with a figure that month
#: and Σ of every carrier (the monthly trend of a region's overview).
consumption_group_month = Table(
    "consumption_group_month",
    metadata,
    Column("region_code", CHAR(6), primary_key=True),
    Column("category", String(3), primary_key=True),
    Column("year", SmallInteger, primary_key=True),
    Column("month", SmallInteger, primary_key=True),
    Column("institutions_reported", Integer, nullable=False),
    *_carrier_columns(),
    Index("ix_consumption_group_month_year", "year"),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

ROLES: tuple[str, ...] = (
    "admin", "region_admin", "region", "department", "institution", "viewer",
)

#: Accounts. ``region_code`` pins region and viewer accounts, ``institution_id``
#: department (the competent department itself) and institution accounts; admin
#: accounts have neither. ``failed_logins``/``locked_until`` implement the login
#: lockout, ``is_locked`` an administrator's lock.
app_user = Table(
    "app_user",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("region_code", CHAR(6), ForeignKey("region.code"), nullable=True),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=True),
    Column("is_locked", Boolean, nullable=False, server_default=text("false")),
    Column("failed_logins", Integer, nullable=False, server_default=text("0")),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    CheckConstraint(_in_list("role", ROLES), name="role"),
)

#: API tokens: only the SHA-256 of the token is stored; revoked tokens keep their row.
api_token = Table(
    "api_token",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("app_user.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("token_sha256", CHAR(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

#: Every write: who, when, what, before → after (JSON text).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("user_id", Integer, nullable=True),
    Column("username", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("object_type", String(32), nullable=False),
    Column("object_id", String(64), nullable=True),
    Column("before", Text, nullable=True),
    Column("after", Text, nullable=True),
)

__all__ = [
    "INSTITUTION_CATEGORIES",
    "NAMING_CONVENTION",
    "ROLES",
    "SOURCES",
    "api_token",
    "app_user",
    "audit_log",
    "consumption_group_month",
    "consumption_group_year",
    "consumption_month",
    "consumption_record",
    "consumption_year",
    "cost_column",
    "import_batch",
    "institution",
    "institution_group",
    "institution_profile",
    "meta",
    "metadata",
    "quantity_column",
    "region",
]
