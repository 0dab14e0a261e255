"""The outbox of channel messages (``notify_outbox``): e-mail and group-robot messages
are recorded in the transaction that decides to notify and delivered after the commit
(:mod:`jieneng.services.notifications.outbox`).

Revision ID: 0008_notify_outbox
Revises: 0007_review_chain
Create Date: 2026-12-03

Hand-written to match ``jieneng.storage.tables``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_notify_outbox"
down_revision: str | None = "0007_review_chain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(500), nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("ref", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notify_outbox"),
    )
    op.create_index("ix_notify_outbox_status_next_at", "notify_outbox", ["status", "next_at"])


def downgrade() -> None:
    op.drop_index("ix_notify_outbox_status_next_at", table_name="notify_outbox")
    op.drop_table("notify_outbox")
