"""Event carbon and carbon-points ledger (helper C).

Revision ID: 0026_carbon_extras
Revises: 0025_assessment_sheets
Create Date: 2026-12-04

Hand-written to match the storage module's tables (placeholder until filled).
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0026_carbon_extras"
down_revision: str | None = "0025_assessment_sheets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
