"""Spot checks, publicity, awards and titles, re-checks (helper R2).

Revision ID: 0023_campaign_titles
Revises: 0022_campaign_rounds
Create Date: 2026-12-04

Hand-written to match the storage module's tables (placeholder until filled).
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0023_campaign_titles"
down_revision: str | None = "0022_campaign_rounds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
