"""Forms NY202 (data-centre rooms) and NY203 (heating): rooms, their IT / total
sub-meters, and the figures as revisions (:mod:`jieneng.storage.forms_ny`).

Revision ID: 0013_datacentre_heating
Revises: 0012_utility_data
Create Date: 2026-12-03

Hand-written to match ``jieneng.storage.forms_ny``; the value columns are the fields
current at the 2025 revision (UPS装机容量 and 其他能源 are not stored).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_datacentre_heating"
down_revision: str | None = "0012_utility_data"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_DOUBLE = sa.Float(53)

_NY202_VALUES = (
    ("area", _DOUBLE), ("cabinets", sa.Integer()), ("cabinets_reserved", sa.Integer()),
    ("power_total", _DOUBLE), ("power_it", _DOUBLE), ("power_cooling", _DOUBLE),
    ("power_distribution", _DOUBLE), ("elec_total", _DOUBLE), ("elec_it", _DOUBLE),
    ("elec_cooling", _DOUBLE), ("elec_distribution", _DOUBLE),
)
_NY203_VALUES = (
    ("heated_area", _DOUBLE), ("area_independent", _DOUBLE),
    ("area_central_by_area", _DOUBLE), ("area_central_by_heat", _DOUBLE),
    ("heating_days", sa.Integer()), ("hot_water_boiler_mw", _DOUBLE),
    ("steam_boiler_th", _DOUBLE),
    *((name, _DOUBLE) for q in ("water", "electricity", "coal", "natural_gas", "diesel",
                                "heat", "other") for name in (q, f"{q}_cost")),
    ("central_fee_by_area", _DOUBLE),
)


def _record_columns(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("entered_by", sa.String(64), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True),
                  server_default=sa.func.current_timestamp(), nullable=False),
        sa.CheckConstraint("month BETWEEN 0 AND 12", name=f"ck_{table}_month"),
        sa.CheckConstraint("revision >= 1", name=f"ck_{table}_revision"),
        sa.CheckConstraint("source IN ('manual', 'file', 'meter', 'demo')",
                           name=f"ck_{table}_source"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name=f"fk_{table}_institution_id_institution"),
    ]


def upgrade() -> None:
    op.create_table(
        "datacentre_room",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(8), server_default=sa.text("'existing'"),
                  nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True),
                  server_default=sa.func.current_timestamp(), nullable=False),
        sa.CheckConstraint("status IN ('new', 'existing')", name="ck_datacentre_room_status"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_datacentre_room_institution_id_institution"),
        sa.PrimaryKeyConstraint("id", name="pk_datacentre_room"),
        sa.UniqueConstraint("institution_id", "code",
                            name="uq_datacentre_room_institution_id_code"),
    )
    op.create_table(
        "datacentre_room_meter",
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(5), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("role IN ('it', 'total')", name="ck_datacentre_room_meter_role"),
        sa.ForeignKeyConstraint(["room_id"], ["datacentre_room.id"],
                                name="fk_datacentre_room_meter_room_id_datacentre_room"),
        sa.ForeignKeyConstraint(["meter_id"], ["metering_meter.id"],
                                name="fk_datacentre_room_meter_meter_id_metering_meter"),
        sa.PrimaryKeyConstraint("room_id", "role", name="pk_datacentre_room_meter"),
    )
    op.create_table(
        "datacentre_record",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("month", sa.SmallInteger(), nullable=False),
        *(sa.Column(name, type_, nullable=True) for name, type_ in _NY202_VALUES),
        *_record_columns("datacentre_record"),
        sa.ForeignKeyConstraint(["room_id"], ["datacentre_room.id"],
                                name="fk_datacentre_record_room_id_datacentre_room"),
    )
    op.create_index("uq_datacentre_record_key_revision", "datacentre_record",
                    ["room_id", "year", "month", "revision"], unique=True)
    op.create_index("ix_datacentre_record_year_month", "datacentre_record", ["year", "month"])
    op.create_index("uq_datacentre_record_current", "datacentre_record",
                    ["room_id", "year", "month"], unique=True,
                    sqlite_where=sa.text("is_current = 1"),
                    postgresql_where=sa.text("is_current"))
    op.create_table(
        "heating_record",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("month", sa.SmallInteger(), nullable=False),
        *(sa.Column(name, type_, nullable=True) for name, type_ in _NY203_VALUES),
        *_record_columns("heating_record"),
    )
    op.create_index("uq_heating_record_key_revision", "heating_record",
                    ["institution_id", "year", "month", "revision"], unique=True)
    op.create_index("ix_heating_record_year_month", "heating_record", ["year", "month"])
    op.create_index("uq_heating_record_current", "heating_record",
                    ["institution_id", "year", "month"], unique=True,
                    sqlite_where=sa.text("is_current = 1"),
                    postgresql_where=sa.text("is_current"))


def downgrade() -> None:
    op.drop_table("heating_record")
    op.drop_table("datacentre_record")
    op.drop_table("datacentre_room_meter")
    op.drop_table("datacentre_room")
