"""Work plans: plans, items, assignments, progress reports (helper W1).

Revision ID: 0024_work_plans
Revises: 0023_campaign_titles
Create Date: 2026-12-04

Hand-written to match the storage module's tables (placeholder until filled).
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0024_work_plans"
down_revision: str | None = "0023_campaign_titles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
