"""Utility files: daily readings and billing periods per account (户号).

Revision ID: 0012_utility_data
Revises: 0011_gateways
Create Date: 2026-12-03

Hand-written to match ``jieneng.storage.utility_data``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_utility_data"
down_revision: str | None = "0011_gateways"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOUBLE = sa.Float(53)
_TZ = sa.DateTime(timezone=True)


def _tou() -> list[sa.Column[float]]:
    return [sa.Column(name, _DOUBLE, nullable=True) for name in ("tip", "peak", "flat",
                                                                 "valley")]


def upgrade() -> None:
    op.create_table(
        "metering_account_day",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("quantity", _DOUBLE, nullable=False),
        *_tou(),
        sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("received_at", _TZ, nullable=False),
        sa.CheckConstraint("quantity >= 0", name="ck_metering_account_day_quantity"),
        sa.PrimaryKeyConstraint("account_id", "day", name="pk_metering_account_day"),
    )
    op.create_table(
        "metering_account_day_history",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("quantity", _DOUBLE, nullable=False),
        *_tou(),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("received_at", _TZ, nullable=False),
        sa.Column("replaced_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("account_id", "day", "revision",
                                name="pk_metering_account_day_history"),
    )
    op.create_table(
        "metering_account_bill",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("quantity", _DOUBLE, nullable=False),
        sa.Column("cost_yuan", _DOUBLE, nullable=True),
        sa.Column("read_date", sa.Date(), nullable=True),
        sa.Column("bill_number", sa.String(64), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", _TZ, nullable=False),
        sa.CheckConstraint("period_end >= period_start", name="ck_metering_account_bill_period"),
        sa.CheckConstraint("revision >= 1", name="ck_metering_account_bill_revision"),
        sa.ForeignKeyConstraint(["account_id"], ["metering_account.id"],
                                name="fk_metering_account_bill_account_id_metering_account"),
        sa.PrimaryKeyConstraint("id", name="pk_metering_account_bill"),
    )
    op.create_index("uq_metering_account_bill_revision", "metering_account_bill",
                    ["account_id", "period_start", "revision"], unique=True)
    op.create_index("uq_metering_account_bill_current", "metering_account_bill",
                    ["account_id", "period_start"], unique=True,
                    sqlite_where=sa.text("is_current"), postgresql_where=sa.text("is_current"))
    op.create_table(
        "metering_month_rule",
        sa.Column("region_code", sa.CHAR(6), nullable=False),
        sa.Column("source_order", sa.String(16), nullable=False),
        sa.Column("allocation", sa.String(16), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.CheckConstraint("source_order IN ('daily_first', 'bills_first')",
                           name="ck_metering_month_rule_source_order"),
        sa.CheckConstraint("allocation IN ('days', 'daily', 'end_month')",
                           name="ck_metering_month_rule_allocation"),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"],
                                name="fk_metering_month_rule_region_code_region"),
        sa.PrimaryKeyConstraint("region_code", name="pk_metering_month_rule"),
    )


def downgrade() -> None:
    op.drop_table("metering_month_rule")
    op.drop_index("uq_metering_account_bill_current", table_name="metering_account_bill")
    op.drop_index("uq_metering_account_bill_revision", table_name="metering_account_bill")
    op.drop_table("metering_account_bill")
    op.drop_table("metering_account_day_history")
    op.drop_table("metering_account_day")
