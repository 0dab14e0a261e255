"""Campaign and evaluation schemes, versioned, and their items
(:mod:`jieneng.storage.campaigns`).

Revision ID: 0019_campaign_schemes
Revises: 0018_weather
Create Date: 2026-12-04

Hand-written to match ``jieneng.storage.campaigns``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_campaign_schemes"
down_revision: str | None = "0018_weather"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOUBLE = sa.Float(53)


def upgrade() -> None:
    op.create_table(
        "campaign_scheme",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_scheme"),
        sa.UniqueConstraint("code", name="uq_campaign_scheme_code"),
    )
    op.create_table(
        "campaign_scheme_version",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("region_code", sa.CHAR(6), nullable=True),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("total", _DOUBLE, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sha256", sa.CHAR(64), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("origin IN ('shipped', 'local')",
                           name="ck_campaign_scheme_version_origin"),
        sa.CheckConstraint("version >= 1", name="ck_campaign_scheme_version_version"),
        sa.ForeignKeyConstraint(["scheme_id"], ["campaign_scheme.id"],
                                name="fk_campaign_scheme_version_scheme_id_campaign_scheme"),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"],
                                name="fk_campaign_scheme_version_region_code_region"),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_scheme_version"),
        sa.UniqueConstraint("scheme_id", "version",
                            name="uq_campaign_scheme_version_scheme_id_version"),
    )
    op.create_table(
        "campaign_scheme_item",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("parent_code", sa.String(64), nullable=True),
        sa.Column("is_block", sa.Boolean(), nullable=False),
        sa.Column("name_zh", sa.String(300), nullable=False),
        sa.Column("name_en", sa.String(300), nullable=False),
        sa.Column("points", _DOUBLE, nullable=False),
        sa.Column("rule", sa.String(12), nullable=True),
        sa.Column("measure", sa.String(64), nullable=True),
        sa.Column("veto", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"], ["campaign_scheme_version.id"],
            name="fk_campaign_scheme_item_version_id_campaign_scheme_version"),
        sa.PrimaryKeyConstraint("version_id", "code", name="pk_campaign_scheme_item"),
    )


def downgrade() -> None:
    op.drop_table("campaign_scheme_item")
    op.drop_table("campaign_scheme_version")
    op.drop_table("campaign_scheme")
