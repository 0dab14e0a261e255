"""Energy-saving projects: registry, owners, ESCOs, boundary, measures, contracts and
lifecycle events — filled by the projects registry work.

Revision ID: 0016_projects
Revises: 0015_monitoring
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0016_projects"
down_revision: str | None = "0015_monitoring"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
