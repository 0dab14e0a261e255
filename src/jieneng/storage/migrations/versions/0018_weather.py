"""Weather stations, the regions they serve and daily mean temperatures
(:mod:`jieneng.storage.weather`).

Revision ID: 0018_weather
Revises: 0017_project_settlement
Create Date: 2026-12-04

Hand-written to match ``jieneng.storage.weather``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_weather"
down_revision: str | None = "0017_project_settlement"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOUBLE = sa.Float(53)


def upgrade() -> None:
    op.create_table(
        "weather_station",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("latitude", _DOUBLE, nullable=True),
        sa.Column("longitude", _DOUBLE, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)",
                           name="ck_weather_station_latitude"),
        sa.CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)",
                           name="ck_weather_station_longitude"),
        sa.PrimaryKeyConstraint("id", name="pk_weather_station"),
        sa.UniqueConstraint("code", name="uq_weather_station_code"),
    )
    op.create_table(
        "weather_station_region",
        sa.Column("region_code", sa.CHAR(6), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"],
                                name="fk_weather_station_region_region_code_region"),
        sa.ForeignKeyConstraint(["station_id"], ["weather_station.id"],
                                name="fk_weather_station_region_station_id_weather_station"),
        sa.PrimaryKeyConstraint("region_code", name="pk_weather_station_region"),
    )
    op.create_table(
        "weather_day",
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("temperature_c", _DOUBLE, nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("coverage", _DOUBLE, nullable=False),
        sa.Column("hours", sa.SmallInteger(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("coverage > 0 AND coverage <= 1", name="ck_weather_day_coverage"),
        sa.CheckConstraint("source IN ('daily', 'hourly', 'demo')", name="ck_weather_day_source"),
        sa.ForeignKeyConstraint(["station_id"], ["weather_station.id"],
                                name="fk_weather_day_station_id_weather_station"),
        sa.PrimaryKeyConstraint("station_id", "day", name="pk_weather_day"),
    )


def downgrade() -> None:
    op.drop_table("weather_day")
    op.drop_table("weather_station_region")
    op.drop_table("weather_station")
