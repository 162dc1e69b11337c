"""The memory store's plumbing: SQL transactions, and the Chroma mirror of the facts kept by an outbox.

Every fact write adds a ``memory_outbox`` row in the same SQL transaction (:meth:`MemoryBackend._outbox`);
:meth:`MemoryBackend.flush_outbox` makes Chroma match SQL for those rows and removes them. When Chroma is down
the rows stay, with the error recorded, and the next call that reaches Chroma applies them: no write is lost.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from memory.tables import MemoryFactRow, MemoryOutboxRow

log = logging.getLogger(__name__)

MEMORY_COLLECTION = "crsagent_memory"
#: After a Chroma failure, seconds before the store tries Chroma again (writes queue in the outbox meanwhile).
CHROMA_RETRY_S = 2.0
_MAX_TX_ATTEMPTS = 8
T = TypeVar("T")


class ChromaUnavailable(RuntimeError):
    """Chroma failed moments ago; the store does not retry until :data:`CHROMA_RETRY_S` have passed."""


@dataclass
class _Sync:
    """Outbox rows to apply: row ids, fact ids per user, users to reconcile."""

    row_ids: list[int] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)  # fact_id -> user_id
    users: set[str] = field(default_factory=set)


class MemoryBackend:
    """SQL transactions with retries, the lazily reached Chroma collection (with a back-off after a failure)
    and the outbox that keeps Chroma matching SQL. :class:`memory.store.MemoryStore` builds on it."""

    def __init__(self, toolkit: Any) -> None:
        """``toolkit`` is a :class:`tools.toolkit.Toolkit` (``.engine``, ``.chroma``, ``.embedder``)."""
        self.toolkit = toolkit
        self._collection: Any | None = None
        self._chroma_lock = threading.RLock()
        self._flush_lock = threading.Lock()
        self._down_until = 0.0
        #: One-shot processes (``crsagent ask``) set this: writes stay in the outbox instead of opening Chroma
        #: (about a second in a cold process); the first Chroma read of this or any later process applies
        #: them before it queries, so a recall never misses a fact.
        self.defer_sync = False

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine: the toolkit's, whose schema (the memory tables included) the migrations made."""
        return self.toolkit.engine

    def collection(self) -> Any:
        """The Chroma collection of fact embeddings (cosine space, no embedding function); raises when
        Chroma is unreachable, and without trying for a few seconds after a failure."""
        with self._chroma_lock:
            if time.monotonic() < self._down_until:
                raise ChromaUnavailable("Chroma failed moments ago; retrying shortly")
            opened = self._collection is None
            if opened:
                self._collection = self.toolkit.chroma.get_or_create_collection(
                    MEMORY_COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
                )
            collection = self._collection
        if opened and self.defer_sync:
            self.flush_outbox()  # what earlier deferred writes left, before anything reads Chroma
        return collection

    def _chroma_failed(self, exc: BaseException, what: str) -> None:
        """Forget the collection handle and back off for a moment (the outbox keeps the pending work)."""
        with self._chroma_lock:
            self._collection = None
            self._down_until = time.monotonic() + CHROMA_RETRY_S
        if not isinstance(exc, ChromaUnavailable):
            log.warning("memory: Chroma %s failed (%s: %s)", what, type(exc).__name__, str(exc)[:200])

    def _tx(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one transaction; retry on unique-constraint races and busy databases."""
        for attempt in range(1, _MAX_TX_ATTEMPTS + 1):
            try:
                with Session(self.engine, expire_on_commit=False) as session, session.begin():
                    return work(session)
            except (IntegrityError, OperationalError) as exc:
                if attempt == _MAX_TX_ATTEMPTS:
                    raise
                log.debug("memory transaction retry %d (%s)", attempt, type(exc).__name__)
                time.sleep(random.uniform(0.005, 0.03) * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _embed(self, text: str) -> np.ndarray:
        return np.asarray(self.toolkit.embedder.query(text), dtype=np.float32)

    @staticmethod
    def _outbox(s: Session, user: str, fact_id: str | None, op: str, now: datetime) -> None:
        s.add(MemoryOutboxRow(user_id=user, fact_id=fact_id, op=op, created_at=now, attempts=0))

    def has_facts(self, user: str) -> bool:
        """Whether ``user`` has any stored fact (one indexed SQL lookup: recall skips Chroma and the embedder
        for users without memory)."""
        with Session(self.engine) as s:
            return (
                s.scalar(select(MemoryFactRow.id).where(MemoryFactRow.user_id == user).limit(1)) is not None
            )

    def pending_sync(self, user: str | None = None) -> int:
        """Outbox rows not yet applied to Chroma (all users when ``user`` is None); 0 while writes are deferred
        and Chroma was not opened (nothing failed: see ``defer_sync``)."""
        if self.defer_sync and self._collection is None:
            return 0
        with Session(self.engine) as s:
            q = select(func.count()).select_from(MemoryOutboxRow)
            if user is not None:
                q = q.where(MemoryOutboxRow.user_id == user)
            return int(s.scalar(q) or 0)

    # ------------------------------------------------------------------ the outbox
    def flush_outbox(self, limit: int = 500, *, force: bool = False) -> int:
        """Apply pending outbox rows to Chroma (idempotent: Chroma is made to match SQL for each fact / user).
        Returns the rows applied; 0 (rows kept, with the error recorded) when Chroma is unreachable.
        ``force`` retries at once even right after a failure."""
        if force:
            self._down_until = 0.0
        elif self.defer_sync and self._collection is None:
            return 0  # applied when Chroma is first opened (see ``defer_sync``)
        with self._flush_lock:  # one flusher at a time; the next one sees what the previous left
            with Session(self.engine) as s:
                rows = s.execute(
                    select(MemoryOutboxRow.id, MemoryOutboxRow.user_id, MemoryOutboxRow.fact_id)
                    .order_by(MemoryOutboxRow.id)
                    .limit(limit)
                ).all()
            if not rows:
                return 0
            sync = _Sync()
            for row_id, user_id, fact_id in rows:
                sync.row_ids.append(row_id)
                if fact_id is None:
                    sync.users.add(user_id)
                else:
                    sync.facts[fact_id] = user_id
            try:
                self._apply(sync)
            except Exception as exc:  # chromadb raises many kinds
                self._chroma_failed(exc, f"sync ({len(rows)} change(s) kept in the outbox)")
                if not isinstance(exc, ChromaUnavailable):
                    message = f"{type(exc).__name__}: {exc}"[:500]
                    self._tx(lambda s: self._mark_failed(s, sync.row_ids, message))
                return 0
            self._tx(lambda s: s.execute(delete(MemoryOutboxRow).where(MemoryOutboxRow.id.in_(sync.row_ids))))
            return len(rows)

    @staticmethod
    def _mark_failed(s: Session, row_ids: list[int], message: str) -> None:
        for row in s.scalars(select(MemoryOutboxRow).where(MemoryOutboxRow.id.in_(row_ids))):
            row.attempts += 1
            row.last_error = message

    def _apply(self, sync: _Sync) -> None:
        """Make Chroma match SQL for the listed facts and users."""
        collection = self.collection()
        with Session(self.engine) as s:
            current = (
                {
                    r.id: (r.user_id, r.text, r.kind, r.key)
                    for r in s.execute(
                        select(
                            MemoryFactRow.id,
                            MemoryFactRow.user_id,
                            MemoryFactRow.text,
                            MemoryFactRow.kind,
                            MemoryFactRow.key,
                        ).where(MemoryFactRow.id.in_(list(sync.facts)))
                    )
                }
                if sync.facts
                else {}
            )
            user_facts: dict[str, set[str]] = {}
            for user in sync.users:
                user_facts[user] = set(
                    s.scalars(select(MemoryFactRow.id).where(MemoryFactRow.user_id == user))
                )
        with self._chroma_lock:
            for user, keep in user_facts.items():
                got = collection.get(where={"user_id": user}, include=[])
                stale = [i for i in got["ids"] if i not in keep]
                if stale:
                    collection.delete(ids=stale)
                missing = [i for i in keep if i not in set(got["ids"]) and i not in sync.facts]
                for fid in missing:  # e.g. a fact written while a reconcile was pending
                    sync.facts[fid] = user
                if missing:
                    with Session(self.engine) as s:
                        for r in s.execute(
                            select(
                                MemoryFactRow.id,
                                MemoryFactRow.user_id,
                                MemoryFactRow.text,
                                MemoryFactRow.kind,
                                MemoryFactRow.key,
                            ).where(MemoryFactRow.id.in_(missing))
                        ):
                            current[r.id] = (r.user_id, r.text, r.kind, r.key)
            gone = [fid for fid in sync.facts if fid not in current]
            if gone:
                collection.delete(ids=gone)
            live = [fid for fid in sync.facts if fid in current]
            if live:
                vecs = np.stack([self._embed(current[f][1]) for f in live])
                collection.upsert(
                    ids=live,
                    embeddings=vecs,
                    documents=[current[f][1] for f in live],
                    metadatas=[
                        {"user_id": current[f][0], "fact_id": f, "kind": current[f][2], "key": current[f][3]}
                        for f in live
                    ],
                )
