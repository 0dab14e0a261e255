"""Utility files: daily readings and billing periods per account (户号).

Revision ID: 0012_utility_data
Revises: 0011_gateways
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0012_utility_data"
down_revision: str | None = "0011_gateways"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
