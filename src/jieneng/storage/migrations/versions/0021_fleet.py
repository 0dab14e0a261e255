"""Vehicles, parking and charging spaces, coal-fired equipment
(:mod:`jieneng.storage.fleet`).

Revision ID: 0021_fleet
Revises: 0020_project_generation
Create Date: 2026-12-04

Hand-written to match ``jieneng.storage.fleet``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_fleet"
down_revision: str | None = "0020_project_generation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOUBLE = sa.Float(53)


def _stamp() -> sa.Column[object]:
    return sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                     server_default=sa.func.current_timestamp())


def upgrade() -> None:
    op.create_table(
        "fleet_vehicle",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_no", sa.String(80), nullable=False),
        sa.Column("fuel", sa.String(16), nullable=False),
        sa.Column("purchase_year", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("disposed_year", sa.SmallInteger(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        _stamp(),
        sa.CheckConstraint("status IN ('in_service', 'disposed')",
                           name="ck_fleet_vehicle_status"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_fleet_vehicle_institution_id_institution"),
        sa.PrimaryKeyConstraint("id", name="pk_fleet_vehicle"),
        sa.UniqueConstraint("institution_id", "vehicle_no",
                            name="uq_fleet_vehicle_institution_id_vehicle_no"),
    )
    op.create_table(
        "fleet_parking",
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("parking_spaces", sa.Integer(), nullable=False),
        sa.Column("charging_spaces", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        _stamp(),
        sa.CheckConstraint("charging_spaces >= 0 AND charging_spaces <= parking_spaces",
                           name="ck_fleet_parking_spaces"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_fleet_parking_institution_id_institution"),
        sa.PrimaryKeyConstraint("institution_id", "year", name="pk_fleet_parking"),
    )
    op.create_table(
        "fleet_coal_equipment",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("equipment_no", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("capacity", _DOUBLE, nullable=True),
        sa.Column("capacity_unit", sa.String(16), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("removed_on", sa.Date(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        _stamp(),
        sa.CheckConstraint("status IN ('in_use', 'standby', 'removed')",
                           name="ck_fleet_coal_equipment_status"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_fleet_coal_equipment_institution_id_institution"),
        sa.PrimaryKeyConstraint("id", name="pk_fleet_coal_equipment"),
        sa.UniqueConstraint("institution_id", "equipment_no",
                            name="uq_fleet_coal_equipment_institution_id_equipment_no"),
    )


def downgrade() -> None:
    op.drop_table("fleet_coal_equipment")
    op.drop_table("fleet_parking")
    op.drop_table("fleet_vehicle")
