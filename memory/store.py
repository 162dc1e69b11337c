"""Long-term per-user memory: facts and item feedback in SQL, fact embeddings in Chroma (MR.Rec style).

Tables (on the shared :class:`tools.catalog.Base`, so ``init_db`` creates them):

- ``memory_facts``: one row per fact ("dislikes horror", "likes movies with Tom Hanks", "watches with kids").
  ``key`` is a normalised key for conflict detection (``genre:horror``, ``person:tom hanks``, ``free`` for
  context phrases, ``summary:<session>``); ``polarity`` is +1 / -1 / 0. ``slot`` (unique per user) is ``key``
  for keyed facts and ``free:<folded text>`` for free facts, so two writers can never store the same fact twice.
- ``item_feedback``: liked / disliked / seen / rejected per (user, item), unique per user and item.
- ``memory_outbox``: pending Chroma work (a transactional outbox). Every fact write adds its outbox row in the
  same SQL transaction; the row is removed once Chroma reflects the fact. When Chroma is down the rows stay and
  are flushed by the next call that reaches Chroma, from this or any later process: no write is ever lost.

Every fact is embedded (with the project's embedder; Chroma never embeds) into the ``crsagent_memory``
collection with metadata ``{"user_id", "fact_id", "kind", "key"}``; every query is filtered by
``where={"user_id": user}`` and every hit is re-checked against SQL (owner and existence), so a user never
recalls another user's fact nor a forgotten one.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import numpy as np
from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint, delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column

from tools.catalog import Base
from tools.titles import fold

log = logging.getLogger(__name__)

MEMORY_COLLECTION = "crsagent_memory"
FactKind = Literal["preference", "dislike", "context", "summary"]
FeedbackKind = Literal["liked", "disliked", "seen", "rejected"]
FACT_KINDS: tuple[str, ...] = ("preference", "dislike", "context", "summary")
FEEDBACK_KINDS: tuple[str, ...] = ("liked", "disliked", "seen", "rejected")
FREE_KEY = "free"
#: Free facts at least this similar (cosine) to a stored free fact of the same user are duplicates.
DEDUPE_COSINE = 0.92
#: Characters per token for the recall budget (a rough, model-independent estimate).
CHARS_PER_TOKEN = 4
#: After a Chroma failure, seconds before the store tries Chroma again (writes queue in the outbox meanwhile).
CHROMA_RETRY_S = 2.0
_MAX_TX_ATTEMPTS = 8
_USER_LOCK_STRIPES = 64
_SCHEMA_LOCK = threading.Lock()
T = TypeVar("T")


class ChromaUnavailable(RuntimeError):
    """Chroma failed moments ago; the store does not retry until :data:`CHROMA_RETRY_S` have passed."""


class UnknownFactError(ValueError):
    """``forget`` was given a fact id the user does not have (a one-line, user-facing message)."""


# ----------------------------------------------------------------------------- tables
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
    op: Mapped[str] = mapped_column(String(16))  # upsert | delete | reconcile (informational; sync is idempotent)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


Index("ix_memory_facts_user_key", MemoryFactRow.user_id, MemoryFactRow.key)


# ----------------------------------------------------------------------------- values
@dataclass(frozen=True, slots=True)
class FactIn:
    """A fact to remember. ``key`` is ``free`` for context phrases; ``value`` is the genre / person name."""

    text: str
    kind: FactKind = "context"
    key: str = FREE_KEY
    polarity: int = 0
    value: str = ""


@dataclass(frozen=True, slots=True)
class FactWrite:
    """What :meth:`MemoryStore.remember_facts` did with one fact.

    ``status``: ``added`` (new fact), ``replaced`` (a contradicted fact was removed, ``replaced_id``),
    ``merged`` (same key and polarity, wording updated), ``kept`` (a duplicate: the stored fact was only touched).
    """

    fact_id: str
    status: Literal["added", "replaced", "merged", "kept"]
    text: str
    replaced_id: str | None = None


@dataclass(frozen=True, slots=True)
class FactRecord:
    """A stored fact, as ``crsagent memory`` shows it."""

    id: str
    text: str
    kind: str
    key: str
    value: str
    polarity: int
    created_at: str
    updated_at: str
    source_session: str | None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class RecalledFact:
    """A fact retrieved for the current request, with its relevance (cosine similarity) and source."""

    id: str
    text: str
    score: float
    source: str = "memory"
    kind: str = "context"
    key: str = FREE_KEY
    value: str = ""
    polarity: int = 0

    @property
    def tokens(self) -> int:
        """Estimated tokens of the fact's text."""
        return estimate_tokens(self.text)


@dataclass
class _Sync:
    """Outbox rows to apply: row ids, fact ids per user, users to reconcile."""

    row_ids: list[int] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)  # fact_id -> user_id
    users: set[str] = field(default_factory=set)


def estimate_tokens(text: str) -> int:
    """Tokens of a text at about four characters per token (at least one for a non-empty text)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


def _rowcount(result: Any) -> int:
    """Rows affected by a DML statement's result."""
    return int(getattr(result, "rowcount", 0) or 0)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat(timespec="seconds")


def normalize_key(key: str) -> str:
    """``"Genre: Sci-Fi"`` -> ``"genre:sci-fi"``; ``"person:Denis Villeneuve"`` -> ``"person:denis villeneuve"``
    (people folded as the catalog folds them for matching)."""
    prefix, sep, rest = key.strip().partition(":")
    prefix = fold(prefix)
    if not sep:
        return prefix or FREE_KEY
    if prefix == "person":
        return f"person:{fold(rest)}"
    return f"{prefix}:{' '.join(rest.lower().split())}"


def _slot(key: str, text: str) -> str:
    return key if key != FREE_KEY else f"free:{fold(text)}"[:512]


def _clean(fact: FactIn) -> FactIn:
    """Validate and normalise a fact: kind, key, polarity consistent with the kind."""
    text = " ".join(fact.text.split())
    if not text:
        raise ValueError("a memory fact needs a text")
    if fact.kind not in FACT_KINDS:
        raise ValueError(f"unknown fact kind {fact.kind!r}: use one of {', '.join(FACT_KINDS)}")
    key = normalize_key(fact.key)
    polarity = int(np.sign(fact.polarity))
    if fact.kind == "dislike":
        polarity = -1
    elif fact.kind == "preference" and polarity == 0:
        polarity = 1
    elif fact.kind in ("context", "summary"):
        polarity = 0
    return FactIn(text=text[:1000], kind=fact.kind, key=key, polarity=polarity, value=fact.value.strip()[:256])


# ----------------------------------------------------------------------------- the store
class MemoryStore:
    """Per-user long-term memory over the toolkit's engine, Chroma client and embedder.

    Thread-safe: writes for one user are serialised in this process (a lock per user) and, across processes,
    by unique constraints plus retried transactions. Chroma is reached lazily; when it is unreachable, writes
    still commit to SQL (with outbox rows) and recall scores the user's facts with the embedder directly.
    """

    def __init__(self, toolkit: Any) -> None:
        """``toolkit`` is a :class:`tools.toolkit.Toolkit` (``.engine``, ``.chroma``, ``.embedder``)."""
        self.toolkit = toolkit
        self._collection: Any | None = None
        self._chroma_lock = threading.RLock()
        self._user_locks = [threading.Lock() for _ in range(_USER_LOCK_STRIPES)]
        self._flush_lock = threading.Lock()
        self._engine: Engine | None = None
        self._down_until = 0.0

    # ------------------------------------------------------------------ plumbing
    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (the memory tables exist once the toolkit's engine is opened)."""
        if self._engine is None:
            with _SCHEMA_LOCK:
                if self._engine is None:
                    engine = self.toolkit.engine
                    tables = [Base.metadata.tables[n] for n in ("memory_facts", "item_feedback", "memory_outbox")]
                    Base.metadata.create_all(engine, tables=tables)
                    self._engine = engine
        return self._engine

    def collection(self) -> Any:
        """The Chroma collection of fact embeddings (cosine space, no embedding function); raises when
        Chroma is unreachable, and without trying for a few seconds after a failure."""
        with self._chroma_lock:
            if time.monotonic() < self._down_until:
                raise ChromaUnavailable("Chroma failed moments ago; retrying shortly")
            if self._collection is None:
                self._collection = self.toolkit.chroma.get_or_create_collection(
                    MEMORY_COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
                )
            return self._collection

    def _chroma_failed(self, exc: BaseException, what: str) -> None:
        """Forget the collection handle and back off for a moment (the outbox keeps the pending work)."""
        with self._chroma_lock:
            self._collection = None
            self._down_until = time.monotonic() + CHROMA_RETRY_S
        if not isinstance(exc, ChromaUnavailable):
            log.warning("memory: Chroma %s failed (%s: %s)", what, type(exc).__name__, str(exc)[:200])

    def _user_lock(self, user: str) -> threading.Lock:
        """The lock serialising this process's writes for one user (striped: bounded for any number of users)."""
        return self._user_locks[zlib.crc32(user.encode("utf-8")) % _USER_LOCK_STRIPES]

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
    def _check_user(user: str) -> str:
        user = (user or "").strip()
        if not user:
            raise ValueError("a user id is required")
        if len(user) > 128:
            raise ValueError("user ids are at most 128 characters")
        return user

    # ------------------------------------------------------------------ write path
    def remember_facts(self, user: str, facts: Iterable[FactIn], session: str | None = None) -> list[FactWrite]:
        """Store facts with conflict resolution, in one transaction, then mirror them into Chroma.

        Per fact: a keyed fact with the same key and polarity is merged (wording updated, or only touched when
        identical); with the opposite polarity the newer fact replaces the older one; a free fact identical
        (folded text) or near-identical (cosine >= 0.92) to a stored free fact is kept as the stored one.
        """
        user = self._check_user(user)
        cleaned: list[FactIn] = []
        seen_slots: set[str] = set()
        for fact in facts:
            clean = _clean(fact)
            slot = _slot(clean.key, clean.text)
            if slot in seen_slots:  # within one batch the later statement wins
                cleaned = [f for f in cleaned if _slot(f.key, f.text) != slot]
            seen_slots.add(slot)
            cleaned.append(clean)
        if not cleaned:
            self.flush_outbox()
            return []
        self.flush_outbox()
        with self._user_lock(user):
            near, repeats = self._near_duplicates(user, [f for f in cleaned if f.key == FREE_KEY])
            cleaned = [f for f in cleaned if _slot(f.key, f.text) not in repeats]
            results = self._tx(lambda s: self._write_facts(s, user, cleaned, near, session))
        self.flush_outbox()
        for res in results:
            log.info("memory %s for %s: %s (%s)", res.status, user, res.text, res.fact_id)
        return results

    def _near_duplicates(self, user: str, facts: Sequence[FactIn]) -> tuple[dict[str, str], set[str]]:
        """Map the slot of each new free fact to the id of a stored near-identical free fact (cosine >= 0.92);
        also return the slots that repeat an earlier fact of the same batch (dropped)."""
        out: dict[str, str] = {}
        repeats: set[str] = set()
        if not facts:
            return out, repeats
        batch: list[tuple[str, np.ndarray]] = []
        try:
            collection = self.collection()
        except Exception as exc:  # chromadb raises many kinds
            self._chroma_failed(exc, "connection (dedupe against SQL facts)")
            collection = None
        stored = self._free_fact_vectors(user) if collection is None else None
        for fact in facts:
            slot = _slot(fact.key, fact.text)
            vec = self._embed(fact.text)
            if any(float(vec @ other) >= DEDUPE_COSINE for _, other in batch):
                repeats.add(slot)
                continue
            batch.append((slot, vec))
            if collection is not None:
                try:
                    with self._chroma_lock:
                        got = collection.query(
                            query_embeddings=[vec.tolist()], n_results=1,
                            where={"$and": [{"user_id": user}, {"key": FREE_KEY}]}, include=["distances", "metadatas"],
                        )
                except Exception as exc:  # chromadb raises many kinds
                    self._chroma_failed(exc, "dedupe query")
                    collection, stored = None, self._free_fact_vectors(user)
                else:
                    ids, dists = got["ids"][0], got["distances"][0]
                    if ids and 1.0 - float(dists[0]) >= DEDUPE_COSINE:
                        out[slot] = ids[0]
                    continue
            for fact_id, other in stored or []:
                if float(vec @ other) >= DEDUPE_COSINE:
                    out[slot] = fact_id
                    break
        return out, repeats

    def _free_fact_vectors(self, user: str) -> list[tuple[str, np.ndarray]]:
        with Session(self.engine) as s:
            rows = s.execute(
                select(MemoryFactRow.id, MemoryFactRow.text).where(MemoryFactRow.user_id == user, MemoryFactRow.key == FREE_KEY)
            ).all()
        return [(fid, self._embed(text)) for fid, text in rows]

    def _write_facts(
        self, s: Session, user: str, facts: list[FactIn], near: dict[str, str], session: str | None
    ) -> list[FactWrite]:
        now = _now()
        results: list[FactWrite] = []
        for fact in facts:
            slot = _slot(fact.key, fact.text)
            existing = s.scalar(select(MemoryFactRow).where(MemoryFactRow.user_id == user, MemoryFactRow.slot == slot))
            if existing is None and slot in near:
                existing = s.scalar(
                    select(MemoryFactRow).where(MemoryFactRow.user_id == user, MemoryFactRow.id == near[slot])
                )
            if existing is not None and (existing.polarity == fact.polarity or fact.key == FREE_KEY):
                same = existing.text == fact.text or fact.key == FREE_KEY
                existing.updated_at = now
                existing.source_session = session or existing.source_session
                if not same:
                    existing.text, existing.kind, existing.value = fact.text, fact.kind, fact.value or existing.value
                    self._outbox(s, user, existing.id, "upsert", now)
                results.append(FactWrite(existing.id, "kept" if same else "merged", existing.text))
                continue
            replaced_id = None
            if existing is not None:  # same key, opposite polarity: the newer statement replaces the older
                replaced_id = existing.id
                s.delete(existing)
                s.flush()
                self._outbox(s, user, replaced_id, "delete", now)
            fact_id = str(uuid.uuid4())
            s.add(
                MemoryFactRow(
                    id=fact_id, user_id=user, text=fact.text, kind=fact.kind, key=fact.key, value=fact.value, slot=slot,
                    polarity=fact.polarity, created_at=now, updated_at=now, source_session=session,
                )
            )
            s.flush()
            self._outbox(s, user, fact_id, "upsert", now)
            results.append(FactWrite(fact_id, "replaced" if replaced_id else "added", fact.text, replaced_id))
        return results

    @staticmethod
    def _outbox(s: Session, user: str, fact_id: str | None, op: str, now: datetime) -> None:
        s.add(MemoryOutboxRow(user_id=user, fact_id=fact_id, op=op, created_at=now, attempts=0))

    def record_feedback(self, user: str, item_id: int, kind: str, session: str | None = None) -> str:
        """Record a stance on one item; returns ``added``, ``updated`` or ``kept``. A newer stance replaces an
        older one, except that ``seen`` never overrides liked / disliked / rejected."""
        return self.record_feedback_many(user, {int(item_id): kind}, session)[int(item_id)]

    def record_feedback_many(self, user: str, stances: dict[int, str], session: str | None = None) -> dict[int, str]:
        """Record several item stances in one transaction; returns the status per item id."""
        user = self._check_user(user)
        for kind in stances.values():
            if kind not in FEEDBACK_KINDS:
                raise ValueError(f"unknown feedback kind {kind!r}: use one of {', '.join(FEEDBACK_KINDS)}")
        if not stances:
            return {}

        def work(s: Session) -> dict[int, str]:
            now = _now()
            out: dict[int, str] = {}
            for item_id, kind in stances.items():
                row = s.scalar(select(ItemFeedbackRow).where(ItemFeedbackRow.user_id == user, ItemFeedbackRow.item_id == int(item_id)))
                if row is None:
                    s.add(ItemFeedbackRow(user_id=user, item_id=int(item_id), kind=kind, updated_at=now, source_session=session))
                    s.flush()
                    out[item_id] = "added"
                elif row.kind == kind or (kind == "seen" and row.kind != "seen"):
                    row.updated_at = now
                    out[item_id] = "kept"
                else:
                    row.kind, row.updated_at, row.source_session = kind, now, session or row.source_session
                    out[item_id] = "updated"
            return out

        with self._user_lock(user):
            result = self._tx(work)
        self.flush_outbox()
        return result

    def remember_summary(self, user: str, session: str, text: str) -> FactWrite | None:
        """Store (or update) the short summary of one session (one summary fact per session)."""
        if not text.strip():
            return None
        return self.remember_facts(user, [FactIn(text=text, kind="summary", key=f"summary:{session}")], session)[0]

    # ------------------------------------------------------------------ read path
    def recall(
        self, user: str, query_text: str, k: int = 8, min_score: float = 0.3, token_budget: int = 200,
        kinds: Sequence[str] | None = None,
    ) -> list[RecalledFact]:
        """The user's facts most relevant to ``query_text``: top ``k`` above ``min_score`` (cosine), best first,
        fitting ``token_budget`` (about four characters per token; a fact that does not fit is skipped)."""
        user = self._check_user(user)
        self.flush_outbox()
        query_text = " ".join((query_text or "").split())
        if not query_text or k <= 0:
            return []
        qvec = self._embed(query_text)
        hits = self._chroma_hits(user, qvec, k)
        if hits is None:  # Chroma unreachable: score the user's facts with the embedder directly
            hits = self._sql_hits(user, qvec)
        facts = self._facts_by_id(user, [fid for fid, _ in hits])  # owner and existence re-checked in SQL
        out: list[RecalledFact] = []
        used = 0
        for fid, score in sorted(hits, key=lambda h: -h[1]):
            row = facts.get(fid)
            if row is None or score < min_score or (kinds is not None and row.kind not in kinds):
                continue
            cost = estimate_tokens(row.text)
            if used + cost > token_budget:
                continue
            used += cost
            out.append(RecalledFact(fid, row.text, round(score, 4), "memory", row.kind, row.key, row.value, row.polarity))
            if len(out) >= k:
                break
        return out

    def _chroma_hits(self, user: str, qvec: np.ndarray, k: int) -> list[tuple[str, float]] | None:
        try:
            collection = self.collection()
            with self._chroma_lock:
                got = collection.query(
                    query_embeddings=[qvec.tolist()], n_results=max(k * 3, 10), where={"user_id": user},
                    include=["distances", "metadatas"],
                )
        except Exception as exc:  # chromadb raises many kinds
            self._chroma_failed(exc, "query (scoring SQL facts directly)")
            return None
        hits: list[tuple[str, float]] = []
        for fid, dist, meta in zip(got["ids"][0], got["distances"][0], got["metadatas"][0] or [], strict=False):
            if (meta or {}).get("user_id") != user:  # never trust a hit of another user
                continue
            hits.append((fid, 1.0 - float(dist)))
        return hits

    def _sql_hits(self, user: str, qvec: np.ndarray) -> list[tuple[str, float]]:
        with Session(self.engine) as s:
            rows = s.execute(
                select(MemoryFactRow.id, MemoryFactRow.text).where(MemoryFactRow.user_id == user)
                .order_by(MemoryFactRow.updated_at.desc()).limit(200)
            ).all()
        return [(fid, float(self._embed(text) @ qvec)) for fid, text in rows]

    def _facts_by_id(self, user: str, ids: Sequence[str]) -> dict[str, MemoryFactRow]:
        if not ids:
            return {}
        with Session(self.engine, expire_on_commit=False) as s:
            rows = s.scalars(select(MemoryFactRow).where(MemoryFactRow.user_id == user, MemoryFactRow.id.in_(list(ids)))).all()
            s.expunge_all()
        return {r.id: r for r in rows}

    def structured(self, user: str) -> dict[str, Any]:
        """The structured profile: item ids per stance (oldest first) and genre / person affinities.

        ``{"liked": [..], "disliked": [..], "seen": [..], "rejected": [..], "genres": {"horror": -1},
        "people": {"tom hanks": {"name": "Tom Hanks", "polarity": 1, "fact_id": ".."}},
        "facts": {"genre:horror": {"fact_id": "..", "text": "dislikes horror", "polarity": -1}}}`` (``facts``: every
        keyed fact with a polarity, oldest first).
        """
        user = self._check_user(user)
        out: dict[str, Any] = {k: [] for k in FEEDBACK_KINDS}
        out.update({"genres": {}, "people": {}, "facts": {}})
        with Session(self.engine) as s:
            for item_id, kind in s.execute(
                select(ItemFeedbackRow.item_id, ItemFeedbackRow.kind).where(ItemFeedbackRow.user_id == user)
                .order_by(ItemFeedbackRow.updated_at, ItemFeedbackRow.id)
            ):
                out.setdefault(kind, []).append(int(item_id))
            facts = s.execute(
                select(MemoryFactRow.id, MemoryFactRow.key, MemoryFactRow.value, MemoryFactRow.polarity, MemoryFactRow.text)
                .where(MemoryFactRow.user_id == user, MemoryFactRow.polarity != 0).order_by(MemoryFactRow.updated_at)
            ).all()
        for fid, key, value, polarity, text in facts:
            prefix, _, rest = key.partition(":")
            out["facts"][key] = {"fact_id": fid, "text": text, "polarity": polarity}
            if prefix == "genre" and rest:
                out["genres"][value or rest] = polarity
            elif prefix == "person" and rest:
                out["people"][rest] = {"name": value or rest, "polarity": polarity, "fact_id": fid}
        return out

    def list_facts(self, user: str) -> list[FactRecord]:
        """Every fact of the user, oldest first."""
        user = self._check_user(user)
        with Session(self.engine) as s:
            rows = s.scalars(
                select(MemoryFactRow).where(MemoryFactRow.user_id == user).order_by(MemoryFactRow.created_at, MemoryFactRow.id)
            ).all()
            return [
                FactRecord(r.id, r.text, r.kind, r.key, r.value, r.polarity, _iso(r.created_at), _iso(r.updated_at), r.source_session)
                for r in rows
            ]

    def list_feedback(self, user: str) -> list[dict[str, Any]]:
        """Every item stance of the user, oldest first: ``{"item_id", "kind", "updated_at", "source_session"}``."""
        user = self._check_user(user)
        with Session(self.engine) as s:
            rows = s.scalars(
                select(ItemFeedbackRow).where(ItemFeedbackRow.user_id == user).order_by(ItemFeedbackRow.updated_at, ItemFeedbackRow.id)
            ).all()
            return [
                {"item_id": r.item_id, "kind": r.kind, "updated_at": _iso(r.updated_at), "source_session": r.source_session}
                for r in rows
            ]

    def pending_sync(self, user: str | None = None) -> int:
        """Outbox rows not yet applied to Chroma (all users when ``user`` is None)."""
        with Session(self.engine) as s:
            q = select(func.count()).select_from(MemoryOutboxRow)
            if user is not None:
                q = q.where(MemoryOutboxRow.user_id == user)
            return int(s.scalar(q) or 0)

    # ------------------------------------------------------------------ user control
    def forget(self, user: str, fact_id: str | None = None, all: bool = False) -> dict[str, int]:  # noqa: A002
        """Delete one fact (``fact_id``; ``item:<id>`` deletes one item stance) or everything of the user
        (``all=True``: facts and item feedback) from SQL, then from Chroma. Returns the counts deleted.

        An unknown id raises :class:`UnknownFactError`. When Chroma is unreachable the SQL delete still
        commits, the fact is never recalled again, and the Chroma delete is retried by the outbox."""
        user = self._check_user(user)
        if not all and not fact_id:
            raise ValueError("give a fact id or all=True")

        def work(s: Session) -> dict[str, int]:
            now = _now()
            if all:
                n_facts = _rowcount(s.execute(delete(MemoryFactRow).where(MemoryFactRow.user_id == user)))
                n_items = _rowcount(s.execute(delete(ItemFeedbackRow).where(ItemFeedbackRow.user_id == user)))
                self._outbox(s, user, None, "reconcile", now)
                return {"facts": int(n_facts), "items": int(n_items)}
            assert fact_id is not None
            if fact_id.startswith("item:"):
                raw = fact_id[5:]
                n = 0
                if raw.lstrip("-").isdigit():
                    n = _rowcount(s.execute(
                        delete(ItemFeedbackRow).where(ItemFeedbackRow.user_id == user, ItemFeedbackRow.item_id == int(raw))
                    ))
                if not n:
                    raise UnknownFactError(f"no item feedback {fact_id!r} for user {user!r} (see `crsagent memory --user {user}`)")
                return {"facts": 0, "items": int(n)}
            n = _rowcount(s.execute(delete(MemoryFactRow).where(MemoryFactRow.user_id == user, MemoryFactRow.id == fact_id)))
            if not n:
                raise UnknownFactError(f"no memory fact {fact_id!r} for user {user!r} (see `crsagent memory --user {user}`)")
            self._outbox(s, user, fact_id, "delete", now)
            return {"facts": int(n), "items": 0}

        with self._user_lock(user):
            counts = self._tx(work)
        self.flush_outbox()
        log.info("memory: forgot %s for %s", counts, user)
        return counts

    # ------------------------------------------------------------------ the outbox
    def flush_outbox(self, limit: int = 500, *, force: bool = False) -> int:
        """Apply pending outbox rows to Chroma (idempotent: Chroma is made to match SQL for each fact / user).
        Returns the rows applied; 0 (rows kept, with the error recorded) when Chroma is unreachable.
        ``force`` retries at once even right after a failure."""
        if force:
            self._down_until = 0.0
        with self._flush_lock:  # one flusher at a time; the next one sees what the previous left
            with Session(self.engine) as s:
                rows = s.execute(
                    select(MemoryOutboxRow.id, MemoryOutboxRow.user_id, MemoryOutboxRow.fact_id)
                    .order_by(MemoryOutboxRow.id).limit(limit)
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
            current = {
                r.id: (r.user_id, r.text, r.kind, r.key)
                for r in s.execute(
                    select(MemoryFactRow.id, MemoryFactRow.user_id, MemoryFactRow.text, MemoryFactRow.kind, MemoryFactRow.key)
                    .where(MemoryFactRow.id.in_(list(sync.facts)))
                )
            } if sync.facts else {}
            user_facts: dict[str, set[str]] = {}
            for user in sync.users:
                user_facts[user] = set(s.scalars(select(MemoryFactRow.id).where(MemoryFactRow.user_id == user)))
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
                            select(MemoryFactRow.id, MemoryFactRow.user_id, MemoryFactRow.text, MemoryFactRow.kind, MemoryFactRow.key)
                            .where(MemoryFactRow.id.in_(missing))
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
                    metadatas=[{"user_id": current[f][0], "fact_id": f, "kind": current[f][2], "key": current[f][3]} for f in live],
                )
