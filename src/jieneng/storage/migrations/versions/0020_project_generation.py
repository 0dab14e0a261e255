"""PV generation of projects and dated lifecycle moves (issue 13 §1), additive:

- ``project_generation`` — a PV project's reported monthly generation [kWh] (with
  self-consumed / exported when known) and its source, for months no generation meter
  of the boundary measures (:mod:`jieneng.storage.project_generation`);
- ``project_event.recorded_at`` — when a move with a stated past date was entered
  (NULL: the move was entered at its ``at``).

Revision ID: 0020_project_generation
Revises: 0019_campaign_schemes
Create Date: 2026-12-04

Hand-written to match ``jieneng.storage.projects`` / ``jieneng.storage.project_generation``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_project_generation"
down_revision: str | None = "0019_campaign_schemes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOUBLE = sa.Float(53)


def upgrade() -> None:
    op.add_column("project_event",
                  sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "project_generation",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("generation_kwh", _DOUBLE, nullable=False),
        sa.Column("self_consumed_kwh", _DOUBLE, nullable=True),
        sa.Column("exported_kwh", _DOUBLE, nullable=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("entered_by", sa.String(64), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("generation_kwh >= 0", name="ck_project_generation_kwh"),
        sa.CheckConstraint("self_consumed_kwh IS NULL OR self_consumed_kwh >= 0",
                           name="ck_project_generation_self"),
        sa.CheckConstraint("exported_kwh IS NULL OR exported_kwh >= 0",
                           name="ck_project_generation_exported"),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"],
                                name="fk_project_generation_project_id_project"),
        sa.PrimaryKeyConstraint("project_id", "month", name="pk_project_generation"),
    )


def downgrade() -> None:
    op.drop_table("project_generation")
    with op.batch_alter_table("project_event") as batch:
        batch.drop_column("recorded_at")
