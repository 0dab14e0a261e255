"""Project M&V runs, non-routine adjustments, statements and settlements
(:mod:`jieneng.storage.project_settlement`).

Revision ID: 0017_project_settlement
Revises: 0016_projects
Create Date: 2026-12-04

Hand-written to match ``jieneng.storage.project_settlement``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_project_settlement"
down_revision: str | None = "0016_projects"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOUBLE = sa.Float(53)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _created() -> list[sa.Column[object]]:
    return [sa.Column("created_by", sa.String(64), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True),
                      server_default=sa.func.current_timestamp(), nullable=False)]


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "project_mv_run",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(24), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("baseline_start", sa.Date(), nullable=False),
        sa.Column("baseline_end", sa.Date(), nullable=False),
        sa.Column("reporting_start", sa.Date(), nullable=True),
        sa.Column("reporting_end", sa.Date(), nullable=True),
        sa.Column("qualified", sa.Boolean(), nullable=False),
        sa.Column("cvrmse", _DOUBLE, nullable=True),
        sa.Column("sufficiency", _DOUBLE, nullable=True),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("sufficiency_report", sa.Text(), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("factor_set", sa.String(40), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        *_created(),
        sa.CheckConstraint(_in("method", ("monthly", "caltrack-daily", "caltrack-billing")),
                           name="ck_project_mv_run_method"),
        sa.CheckConstraint(_in("source", ("statistics", "meters", "file")),
                           name="ck_project_mv_run_source"),
        sa.CheckConstraint("baseline_end > baseline_start", name="ck_project_mv_run_baseline"),
        _fk("project_mv_run", "project_id", "project"),
        sa.PrimaryKeyConstraint("id", name="pk_project_mv_run"),
    )
    op.create_index("ix_project_mv_run_project_id_carrier", "project_mv_run",
                    ["project_id", "carrier"])
    op.create_index("uq_project_mv_run_current", "project_mv_run", ["project_id", "carrier"],
                    unique=True, sqlite_where=sa.text("is_current = 1"),
                    postgresql_where=sa.text("is_current"))
    op.create_table(
        "project_adjustment",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(24), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("value", _DOUBLE, nullable=False),
        sa.Column("factor", _DOUBLE, server_default=sa.text("1"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(10), server_default=sa.text("'proposed'"),
                  nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        *_created(),
        sa.CheckConstraint(_in("kind", ("area", "occupants", "hours", "added_load")),
                           name="ck_project_adjustment_kind"),
        sa.CheckConstraint(_in("state", ("proposed", "approved", "rejected")),
                           name="ck_project_adjustment_state"),
        sa.CheckConstraint("period_end > period_start", name="ck_project_adjustment_period"),
        _fk("project_adjustment", "project_id", "project"),
        _fk("project_adjustment", "document_id", "project_document"),
        sa.PrimaryKeyConstraint("id", name="pk_project_adjustment"),
    )
    op.create_index("ix_project_adjustment_project_id", "project_adjustment", ["project_id"])
    op.create_table(
        "project_statement",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("first_month", sa.SmallInteger(), nullable=False),
        sa.Column("last_month", sa.SmallInteger(), nullable=False),
        sa.Column("run_ids", sa.Text(), nullable=False),
        sa.Column("factor_set", sa.String(40), nullable=False),
        sa.Column("savings_tce", _DOUBLE, nullable=True),
        sa.Column("savings_yuan", _DOUBLE, nullable=True),
        sa.Column("savings_co2_t", _DOUBLE, nullable=True),
        sa.Column("savings_pct", _DOUBLE, nullable=True),
        sa.Column("figures", sa.Text(), nullable=False),
        *_created(),
        sa.CheckConstraint(_in("kind", ("monthly", "quarterly", "annual")),
                           name="ck_project_statement_kind"),
        _fk("project_statement", "project_id", "project"),
        sa.PrimaryKeyConstraint("id", name="pk_project_statement"),
        sa.UniqueConstraint("project_id", "kind", "period",
                            name="uq_project_statement_project_id_kind_period"),
    )
    op.create_table(
        "project_settlement",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("amount_yuan", _DOUBLE, nullable=False),
        sa.Column("esco_margin_yuan", _DOUBLE, nullable=True),
        sa.Column("amounts", sa.Text(), nullable=False),
        sa.Column("state", sa.String(10), server_default=sa.text("'draft'"), nullable=False),
        sa.Column("confirmed_by", sa.String(64), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        *_created(),
        sa.CheckConstraint(_in("mode", ("trusteeship", "shared_savings",
                                        "guaranteed_savings")),
                           name="ck_project_settlement_mode"),
        sa.CheckConstraint(_in("state", ("draft", "confirmed")),
                           name="ck_project_settlement_state"),
        _fk("project_settlement", "project_id", "project"),
        _fk("project_settlement", "statement_id", "project_statement"),
        sa.PrimaryKeyConstraint("id", name="pk_project_settlement"),
        sa.UniqueConstraint("project_id", "period",
                            name="uq_project_settlement_project_id_period"),
    )


def downgrade() -> None:
    op.drop_table("project_settlement")
    op.drop_table("project_statement")
    op.drop_index("ix_project_adjustment_project_id", table_name="project_adjustment")
    op.drop_table("project_adjustment")
    op.drop_index("uq_project_mv_run_current", table_name="project_mv_run")
    op.drop_index("ix_project_mv_run_project_id_carrier", table_name="project_mv_run")
    op.drop_table("project_mv_run")
