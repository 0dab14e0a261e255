"""Initial schema: regions, institutions, profiles, consumption records and roll-ups.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-22

Hand-written to match ``jieneng.storage.tables`` (the test suite compares the
migrated schema with the metadata on SQLite and PostgreSQL). The carrier list is
frozen here on purpose: a carrier added later gets its own migration.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CARRIERS_0001 = (
    "electricity", "water", "coal", "natural_gas", "lpg", "gasoline_vehicle",
    "gasoline_other", "diesel_vehicle", "diesel_other", "heat", "other_energy", "solar_pv",
)
DOUBLE = sa.Float(53)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
NOW = sa.text("CURRENT_TIMESTAMP")


def _carrier_columns() -> list[sa.Column]:
    cols = []
    for code in CARRIERS_0001:
        cols.append(sa.Column(f"q_{code}", DOUBLE, nullable=True))
        cols.append(sa.Column(f"c_{code}", DOUBLE, nullable=True))
    return cols


def upgrade() -> None:
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.CHAR(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("rows", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("dry_run", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_import_batch"),
    )
    op.create_index("ix_import_batch_sha256", "import_batch", ["sha256"])

    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_meta"),
    )

    op.create_table(
        "region",
        sa.Column("code", sa.CHAR(6), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("parent_code", sa.CHAR(6), nullable=True),
        sa.CheckConstraint("level IN (1, 2, 3)", name="ck_region_level"),
        sa.ForeignKeyConstraint(["parent_code"], ["region.code"],
                                name="fk_region_parent_code_region"),
        sa.PrimaryKeyConstraint("code", name="pk_region"),
    )
    op.create_index("ix_region_parent_code", "region", ["parent_code"])

    op.create_table(
        "institution",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("credit_code", sa.CHAR(18), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("region_code", sa.CHAR(6), nullable=False),
        sa.Column("category", sa.String(3), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("key_energy_user", sa.Boolean(), server_default=sa.text("false"),
                  nullable=False),
        sa.Column("status", sa.String(8), server_default=sa.text("'active'"), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "category IN ('01', '021', '022', '023', '024', '025', '026', '03')",
            name="ck_institution_category",
        ),
        sa.CheckConstraint("status IN ('active', 'closed')", name="ck_institution_status"),
        sa.ForeignKeyConstraint(["department_id"], ["institution.id"],
                                name="fk_institution_department_id_institution"),
        sa.ForeignKeyConstraint(["import_id"], ["import_batch.id"],
                                name="fk_institution_import_id_import_batch"),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"],
                                name="fk_institution_region_code_region"),
        sa.PrimaryKeyConstraint("id", name="pk_institution"),
        sa.UniqueConstraint("credit_code", name="uq_institution_credit_code"),
    )
    op.create_index("ix_institution_name_key", "institution", ["name_key"])
    op.create_index("ix_institution_department_id", "institution", ["department_id"])
    op.create_index("ix_institution_region_code_category", "institution",
                    ["region_code", "category"])

    op.create_table(
        "institution_profile",
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("occupants", sa.Integer(), nullable=True),
        sa.Column("staff_quota", sa.Integer(), nullable=True),
        sa.Column("floor_area_m2", DOUBLE, nullable=True),
        sa.Column("heated_area_m2", DOUBLE, nullable=True),
        sa.Column("vehicles_gasoline", sa.Integer(), nullable=True),
        sa.Column("vehicles_diesel", sa.Integer(), nullable=True),
        sa.Column("vehicles_nev", sa.Integer(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["import_id"], ["import_batch.id"],
                                name="fk_institution_profile_import_id_import_batch"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_institution_profile_institution_id_institution"),
        sa.PrimaryKeyConstraint("institution_id", "year", name="pk_institution_profile"),
    )

    op.create_table(
        "consumption_record",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("month", sa.SmallInteger(), nullable=False),
        sa.Column("carrier", sa.String(32), nullable=False),
        sa.Column("quantity", DOUBLE, nullable=False),
        sa.Column("cost_yuan", DOUBLE, nullable=True),
        sa.Column("entered_value", sa.Text(), nullable=True),
        sa.Column("entered_unit", sa.Text(), nullable=True),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=NOW,
                  nullable=False),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name="ck_consumption_record_month"),
        sa.CheckConstraint("revision >= 1", name="ck_consumption_record_revision"),
        sa.CheckConstraint(
            "source IN ('manual', 'file', 'meter', 'grid', 'demo')",
            name="ck_consumption_record_source",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_consumption_record"),
    )
    op.create_index(
        "uq_consumption_record_key_revision", "consumption_record",
        ["institution_id", "year", "month", "carrier", "revision"], unique=True,
    )
    op.create_index(
        "uq_consumption_record_current", "consumption_record",
        ["institution_id", "year", "month", "carrier"], unique=True,
        sqlite_where=sa.text("is_current = 1"), postgresql_where=sa.text("is_current"),
    )

    op.create_table(
        "consumption_month",
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("month", sa.SmallInteger(), nullable=False),
        *_carrier_columns(),
        sa.PrimaryKeyConstraint("institution_id", "year", "month", name="pk_consumption_month"),
    )
    op.create_index("ix_consumption_month_year_month", "consumption_month", ["year", "month"])

    op.create_table(
        "consumption_year",
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("months_reported", sa.SmallInteger(), nullable=False),
        *_carrier_columns(),
        sa.PrimaryKeyConstraint("institution_id", "year", name="pk_consumption_year"),
    )
    op.create_index("ix_consumption_year_year", "consumption_year", ["year"])


def downgrade() -> None:
    for name in (
        "consumption_year", "consumption_month", "consumption_record", "institution_profile",
        "institution", "region", "meta", "import_batch",
    ):
        op.drop_table(name)
