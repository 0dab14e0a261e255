"""Carbon corrections and local points rules (:mod:`jieneng.storage.carbon`): an event,
an offset and a ledger entry may be withdrawn (who, when, why; kept, out of totals);
a ledger entry records the version of the points rules that scored it and when it was
corrected by hand; the rule sets an administrator loaded are kept, one row per version.

Revision ID: 0027_carbon_corrections
Revises: 0026_carbon_extras
Create Date: 2026-12-04

Hand-written to match the storage module's tables (the migration test compares them).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_carbon_corrections"
down_revision: str | None = "0026_carbon_extras"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOW = sa.func.current_timestamp()
_WITHDRAWN = ("carbon_event", "carbon_offset", "carbon_points_entry")


def upgrade() -> None:
    for table in _WITHDRAWN:
        op.add_column(table, sa.Column("withdrawn_at", sa.DateTime(timezone=True),
                                       nullable=True))
        op.add_column(table, sa.Column("withdrawn_by", sa.String(length=64), nullable=True))
        op.add_column(table, sa.Column("withdrawn_reason", sa.String(length=500),
                                       nullable=True))
    op.add_column("carbon_points_entry", sa.Column(
        "rule_version", sa.Integer(), server_default=sa.text("0"), nullable=False))
    op.add_column("carbon_points_entry", sa.Column("corrected_at", sa.DateTime(timezone=True),
                                                   nullable=True))
    op.create_table(
        "carbon_point_rule_set",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("loaded_by", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), server_default=_NOW,
                  nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_carbon_point_rule_set"),
    )


def downgrade() -> None:
    op.drop_table("carbon_point_rule_set")
    for table in reversed(_WITHDRAWN):
        with op.batch_alter_table(table) as batch:
            if table == "carbon_points_entry":
                batch.drop_column("corrected_at")
                batch.drop_column("rule_version")
            batch.drop_column("withdrawn_reason")
            batch.drop_column("withdrawn_by")
            batch.drop_column("withdrawn_at")
