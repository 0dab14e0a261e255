"""Live monitoring state (silent meters, in-month warnings) — filled by the monitoring work.

Revision ID: 0015_monitoring
Revises: 0014_metered_statistics
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0015_monitoring"
down_revision: str | None = "0014_metered_statistics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
