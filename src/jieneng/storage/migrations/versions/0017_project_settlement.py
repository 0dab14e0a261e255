"""Project M&V runs, non-routine adjustments, statements and settlements — filled by
the projects settlement work.

Revision ID: 0017_project_settlement
Revises: 0016_projects
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0017_project_settlement"
down_revision: str | None = "0016_projects"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
