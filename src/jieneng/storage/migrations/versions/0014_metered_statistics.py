"""Metered monthly figures into NY201, overrides with their reasons, the per-region
rule of which source comes first (:mod:`jieneng.storage.metered_statistics`).

Revision ID: 0014_metered_statistics
Revises: 0013_datacentre_heating
Create Date: 2026-12-03

Hand-written to match ``jieneng.storage.metered_statistics``. The figures are written
into ``consumption_record`` with the source ``meter`` that migration 0001 already
allows, so that table (the largest) is not rebuilt.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_metered_statistics"
down_revision: str | None = "0013_datacentre_heating"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_DOUBLE = sa.Float(53)


def upgrade() -> None:
    op.create_table(
        "metered_figure",
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("month", sa.SmallInteger(), nullable=False),
        sa.Column("carrier", sa.String(32), nullable=False),
        sa.Column("quantity", _DOUBLE, nullable=False),
        sa.Column("cost_yuan", _DOUBLE, nullable=True),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("completeness", _DOUBLE, nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("origin IN ('accounts', 'meters')", name="ck_metered_figure_origin"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_metered_figure_institution_id_institution"),
        sa.PrimaryKeyConstraint("institution_id", "year", "month", "carrier",
                                name="pk_metered_figure"),
    )
    op.create_table(
        "metered_override",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("month", sa.SmallInteger(), nullable=False),
        sa.Column("carrier", sa.String(32), nullable=False),
        sa.Column("metered_quantity", _DOUBLE, nullable=True),
        sa.Column("quantity", _DOUBLE, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_by", sa.String(64), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_metered_override_institution_id_institution"),
        sa.PrimaryKeyConstraint("id", name="pk_metered_override"),
    )
    op.create_index("ix_metered_override_key", "metered_override",
                    ["institution_id", "year", "month", "carrier"])
    op.create_table(
        "metered_rule",
        sa.Column("region_code", sa.CHAR(6), nullable=False),
        sa.Column("precedence", sa.String(16), nullable=False),
        sa.Column("min_completeness", _DOUBLE, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("precedence IN ('accounts_first', 'meters_first')",
                           name="ck_metered_rule_precedence"),
        sa.CheckConstraint("min_completeness >= 0 AND min_completeness <= 1",
                           name="ck_metered_rule_min_completeness"),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"],
                                name="fk_metered_rule_region_code_region"),
        sa.PrimaryKeyConstraint("region_code", name="pk_metered_rule"),
    )


def downgrade() -> None:
    op.drop_table("metered_rule")
    op.drop_index("ix_metered_override_key", table_name="metered_override")
    op.drop_table("metered_override")
    op.drop_table("metered_figure")
