"""Work plans: plans, items, assignments, progress reports (:mod:`jieneng.storage.workplans`).

Revision ID: 0024_work_plans
Revises: 0023_campaign_titles
Create Date: 2026-12-04

Hand-written to match ``jieneng.storage.workplans``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_work_plans"
down_revision: str | None = "0023_campaign_titles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOUBLE = sa.Float(53)


def _stamp(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False,
                     server_default=sa.func.current_timestamp())


def _plan() -> None:
    op.create_table(
        "work_plan",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("region_code", sa.CHAR(6), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("document_no", sa.String(100), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("status", sa.String(12), nullable=False, server_default="active"),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        _stamp("created_at"),
        _stamp("updated_at"),
        sa.CheckConstraint("status IN ('active', 'closed')", name="ck_work_plan_status"),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"],
                                name="fk_work_plan_region_code_region"),
        sa.PrimaryKeyConstraint("id", name="pk_work_plan"),
        sa.UniqueConstraint("region_code", "year", "title",
                            name="uq_work_plan_region_code_year_title"),
    )
    op.create_index("ix_work_plan_year_region_code", "work_plan", ["year", "region_code"])


def _item() -> None:
    op.create_table(
        "work_plan_item",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("item_no", sa.String(40), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("section", sa.String(200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("responsible_region", sa.CHAR(6), nullable=False),
        sa.Column("responsible_department", sa.String(200), nullable=True),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("indicator_code", sa.String(64), nullable=True),
        sa.Column("indicator_param", sa.String(200), nullable=True),
        sa.Column("comparison", sa.String(2), nullable=True),
        sa.Column("target_value", _DOUBLE, nullable=True),
        sa.Column("target_unit", sa.String(32), nullable=True),
        sa.Column("source_quote", sa.Text(), nullable=True),
        sa.Column("state", sa.String(12), nullable=False, server_default="not_started"),
        sa.Column("state_at", sa.DateTime(timezone=True), nullable=True),
        _stamp("created_at"),
        _stamp("updated_at"),
        sa.CheckConstraint("state IN ('not_started', 'in_progress', 'done')",
                           name="ck_work_plan_item_state"),
        sa.CheckConstraint("comparison IS NULL OR comparison IN ('>=', '<=', '>', '<')",
                           name="ck_work_plan_item_comparison"),
        sa.ForeignKeyConstraint(["plan_id"], ["work_plan.id"],
                                name="fk_work_plan_item_plan_id_work_plan"),
        sa.ForeignKeyConstraint(["parent_id"], ["work_plan_item.id"],
                                name="fk_work_plan_item_parent_id_work_plan_item"),
        sa.ForeignKeyConstraint(["responsible_region"], ["region.code"],
                                name="fk_work_plan_item_responsible_region_region"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_work_plan_item_institution_id_institution"),
        sa.PrimaryKeyConstraint("id", name="pk_work_plan_item"),
        sa.UniqueConstraint("plan_id", "item_no", name="uq_work_plan_item_plan_id_item_no"),
    )
    op.create_index("ix_work_plan_item_responsible_region", "work_plan_item",
                    ["responsible_region"])
    op.create_index("ix_work_plan_item_parent_id", "work_plan_item", ["parent_id"])


def _report() -> None:
    op.create_table(
        "work_plan_report",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("claimed_state", sa.String(12), nullable=False),
        sa.Column("value", _DOUBLE, nullable=True),
        sa.Column("percent", _DOUBLE, nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("reported_by", sa.String(64), nullable=False),
        sa.Column("reported_by_id", sa.Integer(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review", sa.String(12), nullable=False, server_default="pending"),
        sa.Column("reviewed_by", sa.String(64), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("claimed_state IN ('in_progress', 'done')",
                           name="ck_work_plan_report_claimed_state"),
        sa.CheckConstraint("review IN ('pending', 'accepted', 'returned')",
                           name="ck_work_plan_report_review"),
        sa.ForeignKeyConstraint(["item_id"], ["work_plan_item.id"],
                                name="fk_work_plan_report_item_id_work_plan_item"),
        sa.PrimaryKeyConstraint("id", name="pk_work_plan_report"),
    )
    op.create_index("ix_work_plan_report_item_id", "work_plan_report", ["item_id"])
    op.create_table(
        "work_plan_evidence",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.CHAR(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        _stamp("uploaded_at"),
        sa.ForeignKeyConstraint(["report_id"], ["work_plan_report.id"],
                                name="fk_work_plan_evidence_report_id_work_plan_report"),
        sa.PrimaryKeyConstraint("id", name="pk_work_plan_evidence"),
    )
    op.create_index("ix_work_plan_evidence_report_id", "work_plan_evidence", ["report_id"])
    op.create_table(
        "work_plan_reminder",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["work_plan_item.id"],
                                name="fk_work_plan_reminder_item_id_work_plan_item"),
        sa.PrimaryKeyConstraint("item_id", "day", name="pk_work_plan_reminder"),
    )


def upgrade() -> None:
    _plan()
    _item()
    _report()
    # the work plans' campaign fingerprint reads the members' last change from it
    op.create_index("ix_campaign_round_member_updated_at", "campaign_round_member",
                    ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_campaign_round_member_updated_at", table_name="campaign_round_member")
    op.drop_table("work_plan_reminder")
    op.drop_index("ix_work_plan_evidence_report_id", table_name="work_plan_evidence")
    op.drop_table("work_plan_evidence")
    op.drop_index("ix_work_plan_report_item_id", table_name="work_plan_report")
    op.drop_table("work_plan_report")
    op.drop_index("ix_work_plan_item_parent_id", table_name="work_plan_item")
    op.drop_index("ix_work_plan_item_responsible_region", table_name="work_plan_item")
    op.drop_table("work_plan_item")
    op.drop_index("ix_work_plan_year_region_code", table_name="work_plan")
    op.drop_table("work_plan")
