"""Metered monthly figures into NY201, overrides — filled by the statistics work.

Revision ID: 0014_metered_statistics
Revises: 0013_datacentre_heating
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0014_metered_statistics"
down_revision: str | None = "0013_datacentre_heating"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
