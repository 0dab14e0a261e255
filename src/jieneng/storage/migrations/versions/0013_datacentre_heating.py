"""Forms NY202 (data-centre rooms) and NY203 (heating) — filled by the forms work.

Revision ID: 0013_datacentre_heating
Revises: 0012_utility_data
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0013_datacentre_heating"
down_revision: str | None = "0012_utility_data"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
