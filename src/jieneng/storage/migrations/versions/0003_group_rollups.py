"""Group roll-ups for the region dashboards; the region_admin role.

Revision ID: 0003_group_rollups
Revises: 0002_accounts
Create Date: 2026-11-22

Hand-written to match ``jieneng.storage.tables`` (``consumption_group_year``,
``consumption_group_month``, ``institution_group``; ``app_user.role`` accepts
``region_admin``). The
group tables are filled from the institution roll-ups already present, with the
same grouping as :mod:`jieneng.storage.groups` (decision 0004).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_group_rollups"
down_revision: str | None = "0002_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Carrier codes at this revision (the roll-up columns of 0001), frozen here.
CARRIERS_0003 = (
    "electricity", "water", "coal", "natural_gas", "lpg", "gasoline_vehicle",
    "gasoline_other", "diesel_vehicle", "diesel_other", "heat", "other_energy", "solar_pv",
)
ROLES_0002 = ("admin", "region", "department", "institution", "viewer")
ROLES_0003 = ("admin", "region_admin", "region", "department", "institution", "viewer")
DOUBLE = sa.Float(53)


def _carrier_columns() -> list[sa.Column[float]]:
    cols: list[sa.Column[float]] = []
    for code in CARRIERS_0003:
        cols += [sa.Column(f"q_{code}", DOUBLE, nullable=True),
                 sa.Column(f"c_{code}", DOUBLE, nullable=True)]
    return cols


def _sums(prefix: str) -> str:
    return ", ".join(f"SUM({prefix}.q_{c}), SUM({prefix}.c_{c})" for c in CARRIERS_0003)


def _names() -> str:
    return ", ".join(f"q_{c}, c_{c}" for c in CARRIERS_0003)


#: 0002 passed an already-prefixed name through the naming convention; the
#: metadata's name is ``ck_app_user_role``. 0003 puts the metadata's name in place.
CHECK_0002 = "ck_app_user_ck_app_user_role"
CHECK_0003 = "ck_app_user_role"


def _role_check(roles: Sequence[str], *, old: str, new: str) -> None:
    condition = "role IN (" + ", ".join(repr(r) for r in roles) + ")"
    # op.f: the names are final (not passed through the naming convention again).
    with op.batch_alter_table("app_user") as batch:
        batch.drop_constraint(op.f(old), type_="check")
        batch.create_check_constraint(op.f(new), condition)


def upgrade() -> None:
    _role_check(ROLES_0003, old=CHECK_0002, new=CHECK_0003)
    op.create_table(
        "consumption_group_year",
        sa.Column("region_code", sa.CHAR(6), nullable=False),
        sa.Column("category", sa.String(3), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("has_occupants", sa.SmallInteger(), nullable=False),
        sa.Column("has_area", sa.SmallInteger(), nullable=False),
        sa.Column("institutions_reported", sa.Integer(), nullable=False),
        sa.Column("institutions_closed", sa.Integer(), nullable=False),
        *_carrier_columns(),
        sa.Column("occupants", DOUBLE, nullable=True),
        sa.Column("floor_area_m2", DOUBLE, nullable=True),
        sa.PrimaryKeyConstraint("region_code", "category", "year", "has_occupants", "has_area",
                                name="pk_consumption_group_year"),
    )
    op.create_index("ix_consumption_group_year_year", "consumption_group_year", ["year"])
    op.create_table(
        "consumption_group_month",
        sa.Column("region_code", sa.CHAR(6), nullable=False),
        sa.Column("category", sa.String(3), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("month", sa.SmallInteger(), nullable=False),
        sa.Column("institutions_reported", sa.Integer(), nullable=False),
        *_carrier_columns(),
        sa.PrimaryKeyConstraint("region_code", "category", "year", "month",
                                name="pk_consumption_group_month"),
    )
    op.create_index("ix_consumption_group_month_year", "consumption_group_month", ["year"])
    op.create_table(
        "institution_group",
        sa.Column("region_code", sa.CHAR(6), nullable=False),
        sa.Column("category", sa.String(3), nullable=False),
        sa.Column("institutions_active", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("region_code", "category", name="pk_institution_group"),
    )
    op.execute(
        "INSERT INTO institution_group (region_code, category, institutions_active) "
        "SELECT region_code, category, COUNT(*) FROM institution WHERE status = 'active' "
        "GROUP BY region_code, category"
    )
    occ = "CASE WHEN p.occupants > 0 THEN 1 ELSE 0 END"
    area = "CASE WHEN p.floor_area_m2 > 0 THEN 1 ELSE 0 END"
    op.execute(
        "INSERT INTO consumption_group_year (region_code, category, year, has_occupants, "
        f"has_area, institutions_reported, institutions_closed, {_names()}, occupants, "
        "floor_area_m2) "
        f"SELECT i.region_code, i.category, cy.year, {occ}, {area}, COUNT(*), "
        f"SUM(CASE WHEN i.status = 'closed' THEN 1 ELSE 0 END), {_sums('cy')}, "
        "SUM(p.occupants), SUM(p.floor_area_m2) "
        "FROM consumption_year cy JOIN institution i ON i.id = cy.institution_id "
        "LEFT OUTER JOIN institution_profile p ON p.institution_id = cy.institution_id "
        "AND p.year = cy.year WHERE cy.months_reported > 0 "
        f"GROUP BY i.region_code, i.category, cy.year, {occ}, {area}"
    )
    # The first data version (jieneng.services.result_cache): results are cached from now on.
    op.execute(f"INSERT INTO meta (key, value) VALUES ('data_version', '{uuid.uuid4().hex}')")
    op.execute(
        "INSERT INTO consumption_group_month (region_code, category, year, month, "
        f"institutions_reported, {_names()}) "
        f"SELECT i.region_code, i.category, cm.year, cm.month, COUNT(*), {_sums('cm')} "
        "FROM consumption_month cm JOIN institution i ON i.id = cm.institution_id "
        "GROUP BY i.region_code, i.category, cm.year, cm.month"
    )


def downgrade() -> None:
    op.execute("DELETE FROM meta WHERE key = 'data_version'")
    op.drop_table("institution_group")
    op.drop_index("ix_consumption_group_month_year", table_name="consumption_group_month")
    op.drop_table("consumption_group_month")
    op.drop_index("ix_consumption_group_year_year", table_name="consumption_group_year")
    op.drop_table("consumption_group_year")
    # A region administrator keeps its data scope as a plain region user.
    op.execute("UPDATE app_user SET role = 'region' WHERE role = 'region_admin'")
    _role_check(ROLES_0002, old=CHECK_0003, new=CHECK_0002)
