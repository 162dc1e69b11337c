"""The memory tables, declared on the shared :class:`tools.catalog.Base` so the Alembic migrations cover them.

- ``memory_facts``: one row per fact ("dislikes horror", "likes movies with Tom Hanks", "watches with kids").
  ``key`` is a normalised key for conflict detection (``genre:horror``, ``person:tom hanks``, ``free`` for
  context phrases, ``summary:<session>``); ``polarity`` is +1 / -1 / 0. ``slot`` (unique per user) is ``key``
  for keyed facts and ``free:<folded text>`` for free facts, so two writers can never store the same fact twice.
  Each fact keeps the user's own words it came from (``source_text``), its session (``source_session``), a
  ``strength`` (1 when first stated; +1 each time it is confirmed again) and when it was last confirmed
  (``confirmed_at``).
- ``memory_requests``: one-off taste requests ("a comedy", "no horror tonight"), one row per (user, key, polarity,
  session). They are never recalled; a request repeated in two or more sessions becomes a fact.
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
    #: the user's words the fact came from ("I hate horror movies")
    source_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: 1 when first stated, +1 each time the fact is confirmed again
    strength: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: when the fact was last stated or confirmed (NULL for facts older than this column: use updated_at)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class MemoryRequestRow(Base):
    """A one-off taste request of one session ("a comedy"): counted, never recalled. The same key and
    polarity requested in two or more sessions becomes a long-term fact."""

    __tablename__ = "memory_requests"
    __table_args__ = (
        UniqueConstraint("user_id", "key", "polarity", "session", name="uq_memory_requests_user_key_session"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    key: Mapped[str] = mapped_column(String(256))
    polarity: Mapped[int] = mapped_column(Integer)
    value: Mapped[str] = mapped_column(String(256), default="")
    session: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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
