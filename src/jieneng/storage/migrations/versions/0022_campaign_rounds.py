"""Evaluation rounds: members, self-assessments, evidence, reviews, scores (helper R1).

Revision ID: 0022_campaign_rounds
Revises: 0021_fleet
Create Date: 2026-12-04

Hand-written to match the storage module's tables (placeholder until filled).
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0022_campaign_rounds"
down_revision: str | None = "0021_fleet"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
