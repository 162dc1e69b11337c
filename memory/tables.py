"""The memory tables, declared on the shared :class:`tools.catalog.Base` so the Alembic migrations cover them.

- ``memory_facts``: one row per fact ("dislikes horror", "likes movies with Tom Hanks", "watches with kids").
  ``key`` is a normalised key for conflict detection (``genre:horror``, ``person:tom hanks``, ``free`` for
  context phrases, ``summary:<session>``); ``polarity`` is +1 / -1 / 0. ``slot`` (unique per user) is ``key``
  for keyed facts and ``free:<folded text>`` for free facts, so two writers can never store the same fact twice.
- ``item_feedback``: liked / disliked / seen / rejected per (user, item), unique per user and item.
- ``memory_outbox``: pending Chroma work (a transactional outbox). Every fact write adds its outbox row in the
  same SQL transaction; the row is removed once Chroma reflects the fact. When Chroma is down the rows stay and
  are flushed by the next call that reaches Chroma, from this or any later process: no write is ever lost.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tools.catalog import Base


class MemoryFactRow(Base):
    """One long-term fact about a user."""

    __tablename__ = "memory_facts"
    __table_args__ = (UniqueConstraint("user_id", "slot", name="uq_memory_facts_user_slot"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(256))
    value: Mapped[str] = mapped_column(String(256), default="")
    slot: Mapped[str] = mapped_column(String(512))
    polarity: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source_session: Mapped[str | None] = mapped_column(String(128), nullable=True)


class ItemFeedbackRow(Base):
    """A user's stance on one catalog item (latest wins, except that "seen" never hides a stronger stance)."""

    __tablename__ = "item_feedback"
    __table_args__ = (UniqueConstraint("user_id", "item_id", name="uq_item_feedback_user_item"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    item_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source_session: Mapped[str | None] = mapped_column(String(128), nullable=True)


class MemoryOutboxRow(Base):
    """Pending Chroma work: make Chroma match SQL for one fact (``fact_id``) or a whole user (``fact_id`` NULL)."""

    __tablename__ = "memory_outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(128))
    fact_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    #: upsert | delete | reconcile (informational; sync is idempotent)
    op: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


Index("ix_memory_facts_user_key", MemoryFactRow.user_id, MemoryFactRow.key)
