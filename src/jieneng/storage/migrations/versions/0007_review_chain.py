"""The county step of the review chain (区县初审): ``reporting_period.region_step`` and
the task state ``region_approved``.

Revision ID: 0007_review_chain
Revises: 0006_sessions
Create Date: 2026-12-03

Hand-written to match ``jieneng.storage.tables``. The state list of
``reporting_task`` only grows, so the CHECK constraint is widened in place:
PostgreSQL drops and re-creates it; SQLite rewrites the table's stored SQL under
``writable_schema`` (the procedure of the SQLite documentation for relaxing a
CHECK constraint, https://sqlite.org/lang_altertable.html §7) and bumps the schema
version, because recreating the table would need ``foreign_keys=OFF`` outside the
migration's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_review_chain"
down_revision: str | None = "0006_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = ("not_started", "in_progress", "submitted", "dept_approved", "approved", "returned")
_NEW = ("not_started", "in_progress", "submitted", "dept_approved", "region_approved",
        "approved", "returned")


def _in_list(states: Sequence[str]) -> str:
    return "state IN (" + ", ".join(f"'{s}'" for s in states) + ")"


def _states(old: Sequence[str], new: Sequence[str]) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar_one())
        bind.exec_driver_sql("PRAGMA writable_schema=ON")
        bind.execute(
            sa.text("UPDATE sqlite_master SET sql = replace(sql, :old, :new) "
                    "WHERE type = 'table' AND name = 'reporting_task'"),
            {"old": _in_list(old), "new": _in_list(new)})
        bind.exec_driver_sql(f"PRAGMA schema_version={version + 1}")
        bind.exec_driver_sql("PRAGMA writable_schema=OFF")
        return
    op.drop_constraint(op.f("ck_reporting_task_state"), "reporting_task", type_="check")
    op.create_check_constraint(op.f("ck_reporting_task_state"), "reporting_task", _in_list(new))


def upgrade() -> None:
    op.add_column("reporting_period", sa.Column(
        "region_step", sa.Boolean(), server_default=sa.text("false"), nullable=False))
    _states(_OLD, _NEW)


def downgrade() -> None:
    op.execute("UPDATE reporting_task SET state = 'dept_approved' "
               "WHERE state = 'region_approved'")
    _states(_NEW, _OLD)
    with op.batch_alter_table("reporting_period") as batch:
        batch.drop_column("region_step")
