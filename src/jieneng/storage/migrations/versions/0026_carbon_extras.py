"""Event carbon and carbon-points ledger (:mod:`jieneng.storage.carbon`).

Revision ID: 0026_carbon_extras
Revises: 0025_assessment_sheets
Create Date: 2026-12-04

Hand-written to match the storage module's tables (the migration test compares them).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_carbon_extras"
down_revision: str | None = "0025_assessment_sheets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOUBLE = sa.Float(53)
_NOW = sa.func.current_timestamp()


def _fk(table: str, column: str, target: str, target_column: str = "id"
        ) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.{target_column}"],
                                   name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "carbon_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("attendees", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        _fk("carbon_event", "institution_id", "institution"),
        sa.PrimaryKeyConstraint("id", name="pk_carbon_event"),
    )
    op.create_index("ix_carbon_event_institution_id", "carbon_event", ["institution_id"])
    op.create_table(
        "carbon_event_line",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=40), nullable=False),
        sa.Column("quantity", _DOUBLE, nullable=False),
        _fk("carbon_event_line", "event_id", "carbon_event"),
        sa.PrimaryKeyConstraint("event_id", "mode", name="pk_carbon_event_line"),
    )
    op.create_table(
        "carbon_offset",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("quantity_t", _DOUBLE, nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=_NOW,
                  nullable=False),
        _fk("carbon_offset", "event_id", "carbon_event"),
        sa.PrimaryKeyConstraint("id", name="pk_carbon_offset"),
    )
    op.create_index("ix_carbon_offset_event_id", "carbon_offset", ["event_id"])
    op.create_table(
        "carbon_factor",
        sa.Column("mode", sa.String(length=40), nullable=False),
        sa.Column("value", _DOUBLE, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.PrimaryKeyConstraint("mode", name="pk_carbon_factor"),
    )
    op.create_table(
        "carbon_staff",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("staff_code", sa.String(length=40), nullable=False),
        sa.Column("display_name", sa.String(length=60), nullable=False),
        _fk("carbon_staff", "institution_id", "institution"),
        sa.PrimaryKeyConstraint("id", name="pk_carbon_staff"),
        sa.UniqueConstraint("institution_id", "staff_code",
                            name="uq_carbon_staff_institution_id_staff_code"),
    )
    op.create_table(
        "carbon_points_entry",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("quantity", _DOUBLE, nullable=False),
        sa.Column("counted", _DOUBLE, nullable=False),
        sa.Column("points", _DOUBLE, nullable=False),
        sa.Column("co2_kg", _DOUBLE, nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=_NOW,
                  nullable=False),
        _fk("carbon_points_entry", "staff_id", "carbon_staff"),
        _fk("carbon_points_entry", "institution_id", "institution"),
        sa.PrimaryKeyConstraint("id", name="pk_carbon_points_entry"),
        sa.UniqueConstraint("staff_id", "entry_date", "action",
                            name="uq_carbon_points_entry_staff_id_entry_date_action"),
    )
    op.create_index("ix_carbon_points_entry_institution_date", "carbon_points_entry",
                    ["institution_id", "entry_date"])


def downgrade() -> None:
    op.drop_index("ix_carbon_points_entry_institution_date", table_name="carbon_points_entry")
    op.drop_table("carbon_points_entry")
    op.drop_table("carbon_staff")
    op.drop_table("carbon_factor")
    op.drop_index("ix_carbon_offset_event_id", table_name="carbon_offset")
    op.drop_table("carbon_offset")
    op.drop_table("carbon_event_line")
    op.drop_index("ix_carbon_event_institution_id", table_name="carbon_event")
    op.drop_table("carbon_event")
