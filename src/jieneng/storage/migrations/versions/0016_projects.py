"""Energy-saving projects (:mod:`jieneng.storage.projects`): registry, owners,
boundary, measures, contract, lifecycle events and documents.

Revision ID: 0016_projects
Revises: 0015_monitoring
Create Date: 2026-12-04

Hand-checked against ``jieneng.storage.projects`` (the migration test compares them).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_projects"
down_revision: str | None = "0015_monitoring"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOUBLE = sa.Float(53)
_NOW = sa.func.current_timestamp()


def upgrade() -> None:
    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("subtype", sa.String(length=24), nullable=True),
        sa.Column("region_code", sa.CHAR(length=6), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("esco_name", sa.String(length=200), nullable=True),
        sa.Column("esco_credit_code", sa.String(length=18), nullable=True),
        sa.Column("funding_source", sa.String(length=100), nullable=True),
        sa.Column("ipmvp_option", sa.String(length=1), nullable=True),
        sa.Column("area_m2", _DOUBLE, nullable=True),
        sa.Column("pv_kwp", _DOUBLE, nullable=True),
        sa.Column("heat_pumps", sa.Integer(), nullable=True),
        sa.Column("heat_pump_kw", _DOUBLE, nullable=True),
        sa.Column("investment_yuan", _DOUBLE, nullable=True),
        sa.Column("expected_tce", _DOUBLE, nullable=True),
        sa.Column("expected_yuan", _DOUBLE, nullable=True),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("planned_start", sa.Date(), nullable=True),
        sa.Column("planned_end", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.CheckConstraint(
            "ipmvp_option IS NULL OR ipmvp_option IN ('A', 'B', 'C', 'D')", name="ck_project_ipmvp"
        ),
        sa.CheckConstraint(
            "state IN ('declared', 'approval', 'procurement', 'contracted', 'baseline', "
            "'implementation', 'monitoring', 'adjustment', 'evaluation', 'settlement', "
            "'handover', 'closed', 'terminated')",
            name="ck_project_state",
        ),
        sa.CheckConstraint(
            "subtype IS NULL OR subtype IN ('shared_savings', 'guaranteed_savings', 'trusteeship')",
            name="ck_project_subtype",
        ),
        sa.CheckConstraint(
            "type IN ('retrofit', 'epc', 'water_contract', 'pv', 'heat_pump', "
            "'electrification', 'charging', 'datacentre')",
            name="ck_project_type",
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["region.code"], name="fk_project_region_code_region"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_project"),
        sa.UniqueConstraint("code", name="uq_project_code"),
    )
    op.create_index("ix_project_region_code", "project", ["region_code"])
    op.create_index("ix_project_year_type", "project", ["year", "type"])
    op.create_table(
        "project_contract",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("term_start", sa.Date(), nullable=False),
        sa.Column("term_end", sa.Date(), nullable=False),
        sa.Column("base_start", sa.Date(), nullable=False),
        sa.Column("base_end", sa.Date(), nullable=False),
        sa.Column("price_mode", sa.String(length=16), nullable=True),
        sa.Column("sharing_ratio", _DOUBLE, nullable=True),
        sa.Column("guaranteed_rate", _DOUBLE, nullable=True),
        sa.Column("guaranteed_tce", _DOUBLE, nullable=True),
        sa.Column("fee_base_yuan", _DOUBLE, nullable=True),
        sa.Column("ceiling_yuan", _DOUBLE, nullable=True),
        sa.Column("om_scope", sa.Text(), nullable=True),
        sa.Column("carbon_rights", sa.String(length=8), nullable=True),
        sa.Column("asset_handover", sa.Text(), nullable=True),
        sa.Column("heating_by_area", sa.SmallInteger(), nullable=True),
        sa.Column("rule_set", sa.String(length=32), nullable=True),
        sa.Column("check_result", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.CheckConstraint(
            "carbon_rights IS NULL OR carbon_rights IN ('owner', 'esco', 'shared')",
            name="ck_project_contract_carbon_rights",
        ),
        sa.CheckConstraint(
            "price_mode IS NULL OR price_mode IN ('base_year', 'pass_through')",
            name="ck_project_contract_price_mode",
        ),
        sa.CheckConstraint("base_end > base_start", name="ck_project_contract_base"),
        sa.CheckConstraint("term_end > term_start", name="ck_project_contract_term"),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name="fk_project_contract_project_id_project"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_project_contract"),
        sa.UniqueConstraint("project_id", name="uq_project_contract_project_id"),
    )
    op.create_table(
        "project_document",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("sha256", sa.CHAR(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name="fk_project_document_project_id_project"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_project_document"),
    )
    op.create_index("ix_project_document_project_id", "project_document", ["project_id"])
    op.create_table(
        "project_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name="fk_project_event_project_id_project"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_project_event"),
    )
    op.create_index("ix_project_event_project_id_at", "project_event", ["project_id", "at"])
    op.create_table(
        "project_measure",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("carrier", sa.String(length=32), nullable=True),
        sa.Column("investment_yuan", _DOUBLE, nullable=True),
        sa.Column("expected_saving", _DOUBLE, nullable=True),
        sa.Column("expected_tce", _DOUBLE, nullable=True),
        sa.Column("expected_yuan", _DOUBLE, nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name="fk_project_measure_project_id_project"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_project_measure"),
    )
    op.create_index("ix_project_measure_project_id", "project_measure", ["project_id"])
    op.create_table(
        "project_owner",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name="fk_project_owner_institution_id_institution",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name="fk_project_owner_project_id_project"
        ),
        sa.PrimaryKeyConstraint("project_id", "institution_id", name="pk_project_owner"),
    )
    op.create_index("ix_project_owner_institution_id", "project_owner", ["institution_id"])
    op.create_table(
        "project_boundary",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("meter_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("area_m2", _DOUBLE, nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.CheckConstraint(
            "(kind = 'account' AND account_id IS NOT NULL AND meter_id IS NULL) "
            "OR (kind = 'meter' AND meter_id IS NOT NULL AND account_id IS NULL) "
            "OR (kind IN ('building', 'system') AND account_id IS NULL "
            "AND meter_id IS NULL AND description IS NOT NULL)",
            name="ck_project_boundary_target",
        ),
        sa.CheckConstraint(
            "kind IN ('account', 'meter', 'building', 'system')", name="ck_project_boundary_kind"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["metering_account.id"],
            name="fk_project_boundary_account_id_metering_account",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name="fk_project_boundary_institution_id_institution",
        ),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["metering_meter.id"], name="fk_project_boundary_meter_id_metering_meter"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name="fk_project_boundary_project_id_project"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_project_boundary"),
        sa.UniqueConstraint(
            "project_id", "account_id", name="uq_project_boundary_project_id_account_id"
        ),
        sa.UniqueConstraint(
            "project_id", "meter_id", name="uq_project_boundary_project_id_meter_id"
        ),
    )
    op.create_index("ix_project_boundary_account_id", "project_boundary", ["account_id"])
    op.create_index("ix_project_boundary_meter_id", "project_boundary", ["meter_id"])
    op.create_index("ix_project_boundary_project_id", "project_boundary", ["project_id"])


def downgrade() -> None:
    op.drop_index("ix_project_boundary_account_id", table_name="project_boundary")
    op.drop_index("ix_project_boundary_meter_id", table_name="project_boundary")
    op.drop_index("ix_project_boundary_project_id", table_name="project_boundary")
    op.drop_table("project_boundary")
    op.drop_index("ix_project_owner_institution_id", table_name="project_owner")
    op.drop_table("project_owner")
    op.drop_index("ix_project_measure_project_id", table_name="project_measure")
    op.drop_table("project_measure")
    op.drop_index("ix_project_event_project_id_at", table_name="project_event")
    op.drop_table("project_event")
    op.drop_index("ix_project_document_project_id", table_name="project_document")
    op.drop_table("project_document")
    op.drop_table("project_contract")
    op.drop_index("ix_project_region_code", table_name="project")
    op.drop_index("ix_project_year_type", table_name="project")
    op.drop_table("project")
