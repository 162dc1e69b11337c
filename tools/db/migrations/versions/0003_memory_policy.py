"""memory policy: each fact's source words, strength and last confirmation; one-off requests per session

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 09:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "memory_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("polarity", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.Column("session", sa.String(length=128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "user_id", "key", "polarity", "session", name="uq_memory_requests_user_key_session"
        ),
    )
    with op.batch_alter_table("memory_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memory_requests_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("memory_facts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_text", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("strength", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("memory_facts", schema=None) as batch_op:
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("strength")
        batch_op.drop_column("source_text")

    with op.batch_alter_table("memory_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memory_requests_user_id"))

    op.drop_table("memory_requests")
