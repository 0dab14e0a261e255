"""Server-side login sessions (``user_session``) and demo accounts (``app_user.is_demo``).

Revision ID: 0006_sessions
Revises: 0005_targets
Create Date: 2026-12-02

Hand-written to match ``jieneng.storage.tables``: a session row per login (only the
SHA-256 of the cookie's token is stored), checked on every request, so logout,
a password change, a lock and an administrator can end a session on the server.
Sessions signed before this revision carry no token and are simply signed out.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_sessions"
down_revision: str | None = "0005_targets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_session",
        sa.Column("id", sa.CHAR(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(16), nullable=True),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.Column("user_agent", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"],
                                name="fk_user_session_user_id_app_user"),
        sa.PrimaryKeyConstraint("id", name="pk_user_session"),
    )
    op.create_index("ix_user_session_user_id", "user_session", ["user_id"])
    op.create_index("ix_user_session_expires_at", "user_session", ["expires_at"])
    op.add_column("app_user", sa.Column("is_demo", sa.Boolean(),
                                        server_default=sa.text("false"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("is_demo")
    op.drop_index("ix_user_session_expires_at", table_name="user_session")
    op.drop_index("ix_user_session_user_id", table_name="user_session")
    op.drop_table("user_session")
