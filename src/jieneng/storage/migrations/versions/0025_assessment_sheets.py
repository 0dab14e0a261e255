"""Performance assessment sheets and scores (helper A).

Revision ID: 0025_assessment_sheets
Revises: 0024_work_plans
Create Date: 2026-12-04

Hand-written to match the storage module's tables (placeholder until filled).
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0025_assessment_sheets"
down_revision: str | None = "0024_work_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
