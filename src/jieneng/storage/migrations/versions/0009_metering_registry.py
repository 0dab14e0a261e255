"""The metering registry (issue 12 §1): utility accounts (户号), their bindings to
institutions over time, meters and their install / replace / remove events
(:mod:`jieneng.storage.metering`).

Revision ID: 0009_metering_registry
Revises: 0008_notify_outbox
Create Date: 2026-12-03

Hand-written to match ``jieneng.storage.metering``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_metering_registry"
down_revision: str | None = "0008_notify_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOUBLE = sa.Float(53)
_NOW = sa.func.current_timestamp()


def upgrade() -> None:
    op.create_table(
        "metering_account",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("carrier", sa.String(32), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("utility", sa.String(100), nullable=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW,
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_metering_account"),
        sa.UniqueConstraint("carrier", "number", name="uq_metering_account_carrier_number"),
    )
    op.create_table(
        "metering_binding",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW,
                  nullable=False),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from",
                           name="ck_metering_binding_period"),
        sa.ForeignKeyConstraint(["account_id"], ["metering_account.id"],
                                name="fk_metering_binding_account_id_metering_account"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_metering_binding_institution_id_institution"),
        sa.PrimaryKeyConstraint("id", name="pk_metering_binding"),
    )
    op.create_index("ix_metering_binding_institution_id", "metering_binding",
                    ["institution_id"])
    op.create_index("ix_metering_binding_account_id_valid_from", "metering_binding",
                    ["account_id", "valid_from"])
    op.create_index("uq_metering_binding_open", "metering_binding", ["account_id"],
                    unique=True, sqlite_where=sa.text("valid_to IS NULL"),
                    postgresql_where=sa.text("valid_to IS NULL"))
    op.create_table(
        "metering_meter",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("carrier", sa.String(32), nullable=False),
        sa.Column("item_code", sa.String(5), nullable=True),
        sa.Column("ct", _DOUBLE, server_default=sa.text("1"), nullable=False),
        sa.Column("pt", _DOUBLE, server_default=sa.text("1"), nullable=False),
        sa.Column("register", sa.String(12), nullable=True),
        sa.Column("unit", sa.String(16), nullable=True),
        sa.Column("interval_s", sa.Integer(), server_default=sa.text("900"), nullable=False),
        sa.Column("register_digits", sa.SmallInteger(), nullable=True),
        sa.Column("max_rate", _DOUBLE, nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("formula", sa.Text(), nullable=True),
        sa.Column("status", sa.String(8), server_default=sa.text("'active'"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW,
                  nullable=False),
        sa.CheckConstraint("status IN ('active', 'removed')", name="ck_metering_meter_status"),
        sa.CheckConstraint("(formula IS NULL AND register IN ('cumulative', 'interval')) "
                           "OR (formula IS NOT NULL AND register IS NULL)",
                           name="ck_metering_meter_kind"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_metering_meter_institution_id_institution"),
        sa.ForeignKeyConstraint(["parent_id"], ["metering_meter.id"],
                                name="fk_metering_meter_parent_id_metering_meter"),
        sa.ForeignKeyConstraint(["account_id"], ["metering_account.id"],
                                name="fk_metering_meter_account_id_metering_account"),
        sa.PrimaryKeyConstraint("id", name="pk_metering_meter"),
        sa.UniqueConstraint("institution_id", "number",
                            name="uq_metering_meter_institution_id_number"),
    )
    op.create_index("ix_metering_meter_account_id", "metering_meter", ["account_id"])
    op.create_table(
        "metering_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("final", _DOUBLE, nullable=True),
        sa.Column("initial", _DOUBLE, nullable=True),
        sa.Column("ct", _DOUBLE, nullable=True),
        sa.Column("pt", _DOUBLE, nullable=True),
        sa.Column("register_digits", sa.SmallInteger(), nullable=True),
        sa.Column("device", sa.String(64), nullable=True),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=_NOW,
                  nullable=False),
        sa.CheckConstraint("kind IN ('install', 'replace', 'remove')",
                           name="ck_metering_event_kind"),
        sa.ForeignKeyConstraint(["meter_id"], ["metering_meter.id"],
                                name="fk_metering_event_meter_id_metering_meter"),
        sa.PrimaryKeyConstraint("id", name="pk_metering_event"),
        sa.UniqueConstraint("meter_id", "ts", name="uq_metering_event_meter_id_ts"),
    )


def downgrade() -> None:
    op.drop_table("metering_event")
    op.drop_index("ix_metering_meter_account_id", table_name="metering_meter")
    op.drop_table("metering_meter")
    op.drop_index("uq_metering_binding_open", table_name="metering_binding")
    op.drop_index("ix_metering_binding_account_id_valid_from", table_name="metering_binding")
    op.drop_index("ix_metering_binding_institution_id", table_name="metering_binding")
    op.drop_table("metering_binding")
    op.drop_table("metering_account")
