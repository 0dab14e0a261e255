"""A project's boundary member may be removed after registration (issue 13 follow-up):
``project_boundary`` gains the day it stops counting (``removed_on``, that day excluded
from the member's data), why, who removed it and when (:mod:`jieneng.storage.projects`).

Revision ID: 0028_project_boundary_removal
Revises: 0027_carbon_corrections
Create Date: 2026-12-04

Hand-written to match the storage module's tables (the migration test compares them).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028_project_boundary_removal"
down_revision: str | None = "0027_carbon_corrections"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("removed_on", "removed_reason", "removed_by", "removed_at")


def upgrade() -> None:
    op.add_column("project_boundary", sa.Column("removed_on", sa.Date(), nullable=True))
    op.add_column("project_boundary", sa.Column("removed_reason", sa.Text(), nullable=True))
    op.add_column("project_boundary",
                  sa.Column("removed_by", sa.String(length=64), nullable=True))
    op.add_column("project_boundary",
                  sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("project_boundary") as batch:
        for column in reversed(_COLUMNS):
            batch.drop_column(column)
