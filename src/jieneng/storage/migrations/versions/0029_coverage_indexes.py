"""Covering indexes for the campaign coverage statement (issue 14, a work plan's first
view after a change): the institutions of a region by category and status
(``ix_institution_region_code_category_status`` replaces ``…_region_code_category``, a
prefix of it) and a round's members with their state, submission and institution
(``ix_campaign_round_member_round_state_submitted`` replaces ``…_round_id_state``), so
that :mod:`jieneng.services.campaigns.coverage` reads both from the index alone.

Revision ID: 0029_coverage_indexes
Revises: 0028_project_boundary_removal
Create Date: 2026-12-05

Hand-written to match the storage module's tables (the migration test compares them).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0029_coverage_indexes"
down_revision: str | None = "0028_project_boundary_removal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_institution_region_code_category_status", "institution",
                    ["region_code", "category", "status"])
    op.drop_index("ix_institution_region_code_category", table_name="institution")
    op.create_index("ix_campaign_round_member_round_state_submitted", "campaign_round_member",
                    ["round_id", "state", "submitted_at", "institution_id"])
    op.drop_index("ix_campaign_round_member_round_id_state", table_name="campaign_round_member")


def downgrade() -> None:
    op.create_index("ix_campaign_round_member_round_id_state", "campaign_round_member",
                    ["round_id", "state"])
    op.drop_index("ix_campaign_round_member_round_state_submitted",
                  table_name="campaign_round_member")
    op.create_index("ix_institution_region_code_category", "institution",
                    ["region_code", "category"])
    op.drop_index("ix_institution_region_code_category_status", table_name="institution")
