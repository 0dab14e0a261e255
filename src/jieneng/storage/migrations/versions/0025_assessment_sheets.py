"""Performance assessment sheets, runs, subjects, figures and hand scores
(:mod:`jieneng.storage.assessments`, helper A).

Revision ID: 0025_assessment_sheets
Revises: 0024_work_plans
Create Date: 2026-12-04

Hand-written to match ``jieneng.storage.assessments``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_assessment_sheets"
down_revision: str | None = "0024_work_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOUBLE = sa.Float(53)


def upgrade() -> None:
    op.create_table(
        "assessment_sheet_version",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(12), nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("region_code", sa.CHAR(6), nullable=True),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("total", _DOUBLE, nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sha256", sa.CHAR(64), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("subject IN ('region', 'institution')",
                           name="ck_assessment_sheet_version_subject"),
        sa.CheckConstraint("origin IN ('shipped', 'local')",
                           name="ck_assessment_sheet_version_origin"),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"],
                                name="fk_assessment_sheet_version_region_code_region"),
        sa.PrimaryKeyConstraint("id", name="pk_assessment_sheet_version"),
        sa.UniqueConstraint("code", "version", name="uq_assessment_sheet_version_code_version"),
    )
    op.create_table(
        "assessment_run",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sheet_version_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.CHAR(6), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.String(64), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('open', 'confirmed')", name="ck_assessment_run_state"),
        sa.ForeignKeyConstraint(
            ["sheet_version_id"], ["assessment_sheet_version.id"],
            name="fk_assessment_run_sheet_version_id_assessment_sheet_version"),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"],
                                name="fk_assessment_run_region_code_region"),
        sa.PrimaryKeyConstraint("id", name="pk_assessment_run"),
        sa.UniqueConstraint("sheet_version_id", "region_code", "year",
                            name="uq_assessment_run_sheet_version_id_region_code_year"),
    )
    op.create_table(
        "assessment_subject",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("subject_key", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("region_code", sa.CHAR(6), nullable=False),
        sa.Column("category", sa.String(3), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["assessment_run.id"],
                                name="fk_assessment_subject_run_id_assessment_run"),
        sa.PrimaryKeyConstraint("run_id", "subject_key", name="pk_assessment_subject"),
    )
    op.create_table(
        "assessment_figure",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("subject_key", sa.String(16), nullable=False),
        sa.Column("measure", sa.String(64), nullable=False),
        sa.Column("value", _DOUBLE, nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["assessment_run.id"],
                                name="fk_assessment_figure_run_id_assessment_run"),
        sa.PrimaryKeyConstraint("run_id", "subject_key", "measure",
                                name="pk_assessment_figure"),
    )
    op.create_table(
        "assessment_hand_score",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("subject_key", sa.String(16), nullable=False),
        sa.Column("item_code", sa.String(64), nullable=False),
        sa.Column("score", _DOUBLE, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("scored_by", sa.String(64), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["assessment_run.id"],
                                name="fk_assessment_hand_score_run_id_assessment_run"),
        sa.PrimaryKeyConstraint("run_id", "subject_key", "item_code",
                                name="pk_assessment_hand_score"),
    )


def downgrade() -> None:
    for name in ("assessment_hand_score", "assessment_figure", "assessment_subject",
                 "assessment_run", "assessment_sheet_version"):
        op.drop_table(name)
