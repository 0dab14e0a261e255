"""Gateways, what they may write, their refusals, and the ranges of readings still to
derive (:mod:`jieneng.storage.gateways`).

Revision ID: 0011_gateways
Revises: 0010_metering_readings
Create Date: 2026-12-03

Hand-written to match ``jieneng.storage.gateways``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_gateways"
down_revision: str | None = "0010_metering_readings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "metering_gateway",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("protocol", sa.String(8), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("profile", sa.String(64), nullable=True),
        sa.Column("status", sa.String(8), server_default=sa.text("'active'"), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_seen", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("protocol IN ('mqtt', 'http', 'mohurd')",
                           name="ck_metering_gateway_protocol"),
        sa.CheckConstraint("status IN ('active', 'disabled')", name="ck_metering_gateway_status"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_metering_gateway_institution_id_institution"),
        sa.PrimaryKeyConstraint("id", name="pk_metering_gateway"),
        sa.UniqueConstraint("code", name="uq_metering_gateway_code"),
        sa.UniqueConstraint("token_hash", name="uq_metering_gateway_token_hash"),
    )
    op.create_index("ix_metering_gateway_region_code", "metering_gateway", ["region_code"])
    op.create_index("ix_metering_gateway_institution_id", "metering_gateway",
                    ["institution_id"])
    op.create_table(
        "metering_gateway_meter",
        sa.Column("gateway_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["gateway_id"], ["metering_gateway.id"],
                                name="fk_metering_gateway_meter_gateway_id_metering_gateway"),
        sa.ForeignKeyConstraint(["meter_id"], ["metering_meter.id"],
                                name="fk_metering_gateway_meter_meter_id_metering_meter"),
        sa.PrimaryKeyConstraint("gateway_id", "code", name="pk_metering_gateway_meter"),
        sa.UniqueConstraint("meter_id", name="uq_metering_gateway_meter_meter_id"),
    )
    op.create_table(
        "metering_gateway_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("gateway_id", sa.Integer(), nullable=True),
        sa.Column("gateway_code", sa.String(64), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("batch_id", sa.String(128), nullable=True),
        sa.Column("readings", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(["gateway_id"], ["metering_gateway.id"],
                                name="fk_metering_gateway_log_gateway_id_metering_gateway"),
        sa.PrimaryKeyConstraint("id", name="pk_metering_gateway_log"),
    )
    op.create_index("ix_metering_gateway_log_gateway_id_at", "metering_gateway_log",
                    ["gateway_id", "at"])
    op.create_table(
        "metering_dirty",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("low", sa.BigInteger(), nullable=False),
        sa.Column("high", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("high > low", name="ck_metering_dirty_range"),
        sa.PrimaryKeyConstraint("id", name="pk_metering_dirty"),
    )
    op.create_index("ix_metering_dirty_meter_id", "metering_dirty", ["meter_id"])


def downgrade() -> None:
    op.drop_index("ix_metering_dirty_meter_id", table_name="metering_dirty")
    op.drop_table("metering_dirty")
    op.drop_index("ix_metering_gateway_log_gateway_id_at", table_name="metering_gateway_log")
    op.drop_table("metering_gateway_log")
    op.drop_table("metering_gateway_meter")
    op.drop_index("ix_metering_gateway_institution_id", table_name="metering_gateway")
    op.drop_index("ix_metering_gateway_region_code", table_name="metering_gateway")
    op.drop_table("metering_gateway")
