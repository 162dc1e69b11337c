"""baseline: catalog, interactions and memory tables

Revision ID: 0001
Revises:
Create Date: 2026-11-22 07:36:33.710684
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "item_feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_session", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "item_id", name="uq_item_feedback_user_item"),
    )
    with op.batch_alter_table("item_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_feedback_user_id"), ["user_id"], unique=False)

    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title", sa.String(length=512), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("genres", sa.JSON(), nullable=False),
        sa.Column("directors", sa.JSON(), nullable=False),
        sa.Column("writers", sa.JSON(), nullable=False),
        sa.Column("stars", sa.JSON(), nullable=False),
        sa.Column("plot", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("popularity", sa.Float(), nullable=False),
        sa.Column("rating", sa.Float(), nullable=True),
        sa.Column("redial_id", sa.Integer(), nullable=True),
        sa.Column("imdb_id", sa.String(length=16), nullable=True),
        sa.Column("movielens_id", sa.Integer(), nullable=True),
        sa.Column("tmdb_id", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_items_redial_id"), ["redial_id"], unique=False)
        batch_op.create_index("ix_items_title", ["title"], unique=False)
        batch_op.create_index(batch_op.f("ix_items_year"), ["year"], unique=False)

    op.create_table(
        "memory_facts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.Column("slot", sa.String(length=512), nullable=False),
        sa.Column("polarity", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_session", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "slot", name="uq_memory_facts_user_slot"),
    )
    with op.batch_alter_table("memory_facts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memory_facts_user_id"), ["user_id"], unique=False)
        batch_op.create_index("ix_memory_facts_user_key", ["user_id", "key"], unique=False)

    op.create_table(
        "memory_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("fact_id", sa.String(length=36), nullable=True),
        sa.Column("op", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "interactions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user", sa.String(length=128), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_interactions_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_interactions_user"), ["user"], unique=False)

    op.create_table(
        "item_genres",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("genre", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id", "genre"),
    )
    with op.batch_alter_table("item_genres", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_genres_genre"), ["genre"], unique=False)

    op.create_table(
        "item_people",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("name_key", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id", "role", "name"),
    )
    with op.batch_alter_table("item_people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_people_name_key"), ["name_key"], unique=False)

    op.create_table(
        "title_aliases",
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key", "item_id"),
    )


def downgrade() -> None:
    op.drop_table("title_aliases")
    with op.batch_alter_table("item_people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_people_name_key"))

    op.drop_table("item_people")
    with op.batch_alter_table("item_genres", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_genres_genre"))

    op.drop_table("item_genres")
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interactions_user"))
        batch_op.drop_index(batch_op.f("ix_interactions_item_id"))

    op.drop_table("interactions")
    op.drop_table("meta")
    op.drop_table("memory_outbox")
    with op.batch_alter_table("memory_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_memory_facts_user_key")
        batch_op.drop_index(batch_op.f("ix_memory_facts_user_id"))

    op.drop_table("memory_facts")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_year"))
        batch_op.drop_index("ix_items_title")
        batch_op.drop_index(batch_op.f("ix_items_redial_id"))

    op.drop_table("items")
    with op.batch_alter_table("item_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_feedback_user_id"))

    op.drop_table("item_feedback")
