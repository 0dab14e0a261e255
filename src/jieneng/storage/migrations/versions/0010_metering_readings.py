"""Meter readings (raw, unique per meter and time) and what is derived from them —
interval consumption and hour / day / month roll-ups (:mod:`jieneng.storage.meter_readings`).

On PostgreSQL ``metering_reading`` is partitioned by range of ``ts`` (epoch s); its
monthly partitions are created by the writer (``ensure_partitions``), not here.

Revision ID: 0010_metering_readings
Revises: 0009_metering_registry
Create Date: 2026-12-03

Hand-written to match ``jieneng.storage.meter_readings``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_metering_readings"
down_revision: str | None = "0009_metering_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOUBLE = sa.Float(53)


def upgrade() -> None:
    op.create_table(
        "metering_reading",
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("value", _DOUBLE, nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("meter_id", "ts", name="pk_metering_reading"),
        postgresql_partition_by="RANGE (ts)",
    )
    op.create_table(
        "metering_interval",
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("energy", _DOUBLE, nullable=True),
        sa.Column("flags", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("meter_id", "start", name="pk_metering_interval"),
    )
    op.create_table(
        "metering_rollup",
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(5), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("energy", _DOUBLE, nullable=True),
        sa.Column("present", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("flags", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("level IN ('hour', 'day', 'month')", name="ck_metering_rollup_level"),
        sa.PrimaryKeyConstraint("meter_id", "level", "start", name="pk_metering_rollup"),
    )


def downgrade() -> None:
    op.drop_table("metering_rollup")
    op.drop_table("metering_interval")
    op.drop_table("metering_reading")  # its partitions go with it
