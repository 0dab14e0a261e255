"""Evaluation rounds: rounds, members, item scores, evidence, titles held
(:mod:`jieneng.storage.campaign_rounds`, helper R1).

Revision ID: 0022_campaign_rounds
Revises: 0021_fleet
Create Date: 2026-12-04

Hand-written to match ``jieneng.storage.campaign_rounds``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_campaign_rounds"
down_revision: str | None = "0021_fleet"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOUBLE = sa.Float(53)
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "campaign_round",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("scheme_code", sa.String(64), nullable=False),
        sa.Column("region_code", sa.CHAR(6), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("eval_year", sa.SmallInteger(), nullable=False),
        sa.Column("eval_month", sa.SmallInteger(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("factor_set", sa.String(64), nullable=True),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("opened_at", _TS, nullable=False),
        sa.Column("scored_at", _TS, nullable=True),
        sa.Column("closed_at", _TS, nullable=True),
        sa.CheckConstraint("state IN ('open', 'reviewing', 'checking', 'publicity', 'closed')",
                           name="ck_campaign_round_state"),
        sa.CheckConstraint("eval_month BETWEEN 1 AND 12", name="ck_campaign_round_eval_month"),
        sa.ForeignKeyConstraint(["version_id"], ["campaign_scheme_version.id"],
                                name="fk_campaign_round_version_id_campaign_scheme_version"),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"],
                                name="fk_campaign_round_region_code_region"),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_round"),
    )
    op.create_index("ix_campaign_round_region_code_year", "campaign_round",
                    ["region_code", "year"])
    op.create_table(
        "campaign_round_member",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("review_region", sa.CHAR(6), nullable=True),
        sa.Column("review_level", sa.SmallInteger(), nullable=True),
        sa.Column("total", _DOUBLE, nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("grade", sa.String(64), nullable=True),
        sa.Column("missing", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("computed", sa.Text(), nullable=True),
        sa.Column("submitted_at", _TS, nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["campaign_round.id"],
                                name="fk_campaign_round_member_round_id_campaign_round"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_campaign_round_member_institution_id_institution"),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_round_member"),
        sa.UniqueConstraint("round_id", "institution_id",
                            name="uq_campaign_round_member_round_id_institution_id"),
    )
    op.create_index("ix_campaign_round_member_round_id_state", "campaign_round_member",
                    ["round_id", "state"])
    op.create_index("ix_campaign_round_member_institution_id", "campaign_round_member",
                    ["institution_id"])
    op.create_table(
        "campaign_item_score",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(12), nullable=False),
        sa.Column("score", _DOUBLE, nullable=True),
        sa.Column("value", _DOUBLE, nullable=True),
        sa.Column("basis", _DOUBLE, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("by_user", sa.String(64), nullable=True),
        sa.Column("at", _TS, nullable=False),
        sa.CheckConstraint("stage IN ('self', 'review', 'inspection', 'computed')",
                           name="ck_campaign_item_score_stage"),
        sa.ForeignKeyConstraint(
            ["member_id"], ["campaign_round_member.id"],
            name="fk_campaign_item_score_member_id_campaign_round_member"),
        sa.PrimaryKeyConstraint("member_id", "item_code", "stage",
                                name="pk_campaign_item_score"),
    )
    op.create_table(
        "campaign_evidence",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.CHAR(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("uploaded_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["campaign_round_member.id"],
            name="fk_campaign_evidence_member_id_campaign_round_member"),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_evidence"),
    )
    op.create_index("ix_campaign_evidence_member_id", "campaign_evidence", ["member_id"])
    op.create_table(
        "campaign_title",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("scheme_code", sa.String(64), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("awarded_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('held', 'revoked', 'expired')",
                           name="ck_campaign_title_state"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_campaign_title_institution_id_institution"),
        sa.ForeignKeyConstraint(["round_id"], ["campaign_round.id"],
                                name="fk_campaign_title_round_id_campaign_round"),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_title"),
    )
    op.create_index("ix_campaign_title_scheme_code_institution_id", "campaign_title",
                    ["scheme_code", "institution_id"])


def downgrade() -> None:
    op.drop_index("ix_campaign_title_scheme_code_institution_id", table_name="campaign_title")
    op.drop_table("campaign_title")
    op.drop_index("ix_campaign_evidence_member_id", table_name="campaign_evidence")
    op.drop_table("campaign_evidence")
    op.drop_table("campaign_item_score")
    op.drop_index("ix_campaign_round_member_institution_id",
                  table_name="campaign_round_member")
    op.drop_index("ix_campaign_round_member_round_id_state", table_name="campaign_round_member")
    op.drop_table("campaign_round_member")
    op.drop_index("ix_campaign_round_region_code_year", table_name="campaign_round")
    op.drop_table("campaign_round")
