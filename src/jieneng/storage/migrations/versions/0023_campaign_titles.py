"""Spot checks, publicity, objections and 回头看 re-checks of campaign rounds
(:mod:`jieneng.storage.campaign_titles`, helper R2).

Revision ID: 0023_campaign_titles
Revises: 0022_campaign_rounds
Create Date: 2026-12-04

Hand-written to match ``jieneng.storage.campaign_titles``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_campaign_titles"
down_revision: str | None = "0022_campaign_rounds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOUBLE = sa.Float(53)
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "campaign_spot_check",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("rate", _DOUBLE, nullable=False),
        sa.Column("rule_rate", _DOUBLE, nullable=True),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("population_sha256", sa.CHAR(64), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("preferred", sa.Integer(), nullable=False),
        sa.Column("drawn_by", sa.String(64), nullable=False),
        sa.Column("drawn_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["campaign_round.id"],
                                name="fk_campaign_spot_check_round_id_campaign_round"),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_spot_check"),
    )
    op.create_index("ix_campaign_spot_check_round_id", "campaign_spot_check", ["round_id"])
    op.create_table(
        "campaign_spot_check_member",
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("preferred", sa.Boolean(), nullable=False),
        sa.Column("verdict", sa.String(4), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("inspected_by", sa.String(64), nullable=True),
        sa.Column("inspected_at", _TS, nullable=True),
        sa.CheckConstraint("verdict IS NULL OR verdict IN ('pass', 'fail')",
                           name="ck_campaign_spot_check_member_verdict"),
        sa.ForeignKeyConstraint(
            ["check_id"], ["campaign_spot_check.id"],
            name="fk_campaign_spot_check_member_check_id_campaign_spot_check"),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institution.id"],
            name="fk_campaign_spot_check_member_institution_id_institution"),
        sa.PrimaryKeyConstraint("check_id", "institution_id",
                                name="pk_campaign_spot_check_member"),
    )
    op.create_index("ix_campaign_spot_check_member_institution_id",
                    "campaign_spot_check_member", ["institution_id"])
    op.create_table(
        "campaign_publicity",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("published_by", sa.String(64), nullable=False),
        sa.Column("published_at", _TS, nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name="ck_campaign_publicity_period"),
        sa.ForeignKeyConstraint(["round_id"], ["campaign_round.id"],
                                name="fk_campaign_publicity_round_id_campaign_round"),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_publicity"),
        sa.UniqueConstraint("round_id", name="uq_campaign_publicity_round_id"),
    )
    op.create_table(
        "campaign_objection",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("publicity_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("raised_by", sa.String(64), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("resolution", sa.String(10), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.Column("resolved_at", _TS, nullable=True),
        sa.CheckConstraint("resolution IS NULL OR resolution IN ('upheld', 'dismissed')",
                           name="ck_campaign_objection_resolution"),
        sa.ForeignKeyConstraint(
            ["publicity_id"], ["campaign_publicity.id"],
            name="fk_campaign_objection_publicity_id_campaign_publicity"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_campaign_objection_institution_id_institution"),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_objection"),
    )
    op.create_index("ix_campaign_objection_publicity_id", "campaign_objection",
                    ["publicity_id"])
    op.create_table(
        "campaign_recheck",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("scheme_code", sa.String(64), nullable=False),
        sa.Column("region_code", sa.CHAR(6), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=True),
        sa.Column("selected_by", sa.String(64), nullable=False),
        sa.Column("selected_at", _TS, nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=True),
        sa.Column("finding", sa.Text(), nullable=True),
        sa.Column("checked_by", sa.String(64), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("rectification", sa.Text(), nullable=True),
        sa.Column("rectified_on", sa.Date(), nullable=True),
        sa.Column("rectified_by", sa.String(64), nullable=True),
        sa.Column("concluded_on", sa.Date(), nullable=True),
        sa.Column("concluded_by", sa.String(64), nullable=True),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'passed', 'rectifying', 'rectified', 'revoked')",
            name="ck_campaign_recheck_state"),
        sa.ForeignKeyConstraint(["title_id"], ["campaign_title.id"],
                                name="fk_campaign_recheck_title_id_campaign_title"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_campaign_recheck_institution_id_institution"),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"],
                                name="fk_campaign_recheck_region_code_region"),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_recheck"),
    )
    op.create_index("ix_campaign_recheck_scheme_code_year", "campaign_recheck",
                    ["scheme_code", "year"])
    op.create_index("ix_campaign_recheck_title_id", "campaign_recheck", ["title_id"])


def downgrade() -> None:
    for name in ("campaign_recheck", "campaign_objection", "campaign_publicity",
                 "campaign_spot_check_member", "campaign_spot_check"):
        op.drop_table(name)
