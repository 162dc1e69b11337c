"""Long-term per-user memory: facts and item feedback in SQL, fact embeddings in Chroma (MR.Rec style).

The tables are in :mod:`memory.tables` (``memory_facts``, ``item_feedback`` and the ``memory_outbox`` of pending
Chroma work), the values and key helpers in :mod:`memory.facts`, the SQL transactions and the Chroma outbox in
:mod:`memory.backend`.

Every fact is embedded (with the project's embedder; Chroma never embeds) into the ``crsagent_memory``
collection with metadata ``{"user_id", "fact_id", "kind", "key"}``; every query is filtered by
``where={"user_id": user}`` and every hit is re-checked against SQL (owner and existence), so a user never
recalls another user's fact nor a forgotten one.
"""

from __future__ import annotations

import logging
import threading
import uuid
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from memory.backend import MemoryBackend
from memory.facts import (
    FACT_KINDS,
    FEEDBACK_KINDS,
    FREE_KEY,
    FactIn,
    FactRecord,
    FactWrite,
    RecalledFact,
    estimate_tokens,
    normalize_key,
)
from memory.tables import ItemFeedbackRow, MemoryFactRow, MemoryRequestRow
from tools.titles import fold

log = logging.getLogger(__name__)

#: Free facts at least this similar (cosine) to a stored free fact of the same user are duplicates.
DEDUPE_COSINE = 0.92
#: A one-off request made in this many different sessions becomes a long-term fact.
REPEAT_SESSIONS = 2
_USER_LOCK_STRIPES = 64


class UnknownFactError(ValueError):
    """``forget`` was given a fact id the user does not have (a one-line, user-facing message)."""


def _rowcount(result: Any) -> int:
    """Rows affected by a DML statement's result."""
    return int(getattr(result, "rowcount", 0) or 0)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat(timespec="seconds")


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
    return FactIn(
        text=text[:1000],
        kind=fact.kind,
        key=key,
        polarity=polarity,
        value=fact.value.strip()[:256],
        source=" ".join(fact.source.split())[:1000],
        strength=max(1, int(fact.strength)),
        explicit=fact.explicit,
    )


# ----------------------------------------------------------------------------- the store
class MemoryStore(MemoryBackend):
    """Per-user long-term memory over the toolkit's engine, Chroma client and embedder.

    Thread-safe: writes for one user are serialised in this process (a lock per user) and, across processes,
    by unique constraints plus retried transactions. Chroma is reached lazily; when it is unreachable, writes
    still commit to SQL (with outbox rows) and recall scores the user's facts with the embedder directly.
    """

    def __init__(self, toolkit: Any) -> None:
        """``toolkit`` is a :class:`tools.toolkit.Toolkit` (``.engine``, ``.chroma``, ``.embedder``)."""
        super().__init__(toolkit)
        self._user_locks = [threading.Lock() for _ in range(_USER_LOCK_STRIPES)]

    def _user_lock(self, user: str) -> threading.Lock:
        """The lock serialising this process's writes for one user (striped: bounded for any number of users)."""
        return self._user_locks[zlib.crc32(user.encode("utf-8")) % _USER_LOCK_STRIPES]

    @staticmethod
    def _check_user(user: str) -> str:
        user = (user or "").strip()
        if not user:
            raise ValueError("a user id is required")
        if len(user) > 128:
            raise ValueError("user ids are at most 128 characters")
        return user

    # ------------------------------------------------------------------ write path
    def remember_facts(
        self, user: str, facts: Iterable[FactIn], session: str | None = None
    ) -> list[FactWrite]:
        """Store facts with conflict resolution, in one transaction, then mirror them into Chroma.

        Per fact: a keyed fact with the same key and polarity confirms the stored one (strength + 1, confirmed
        now, the newest source words and session; wording updated when it differs); with the opposite polarity
        the newer fact replaces the older one (strength starts again), unless the newer one is only inferred
        (``explicit=False``: then the stored fact stays, ``skipped``); a free fact identical (folded text) or
        near-identical (cosine >= 0.92) to a stored free fact confirms the stored one.
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
                            query_embeddings=[vec.tolist()],
                            n_results=1,
                            where={"$and": [{"user_id": user}, {"key": FREE_KEY}]},
                            include=["distances", "metadatas"],
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
                select(MemoryFactRow.id, MemoryFactRow.text).where(
                    MemoryFactRow.user_id == user, MemoryFactRow.key == FREE_KEY
                )
            ).all()
        return [(fid, self._embed(text)) for fid, text in rows]

    def _write_facts(
        self, s: Session, user: str, facts: list[FactIn], near: dict[str, str], session: str | None
    ) -> list[FactWrite]:
        now = _now()
        results: list[FactWrite] = []
        for fact in facts:
            slot = _slot(fact.key, fact.text)
            existing = s.scalar(
                select(MemoryFactRow).where(MemoryFactRow.user_id == user, MemoryFactRow.slot == slot)
            )
            if existing is None and slot in near:
                existing = s.scalar(
                    select(MemoryFactRow).where(MemoryFactRow.user_id == user, MemoryFactRow.id == near[slot])
                )
            if existing is not None and (existing.polarity == fact.polarity or fact.key == FREE_KEY):
                same = existing.text == fact.text or fact.key == FREE_KEY
                existing.updated_at = existing.confirmed_at = now
                existing.strength = (existing.strength or 1) + 1
                existing.source_session = session or existing.source_session
                existing.source_text = fact.source or existing.source_text
                if not same:
                    existing.text, existing.kind, existing.value = (
                        fact.text,
                        fact.kind,
                        fact.value or existing.value,
                    )
                    self._outbox(s, user, existing.id, "upsert", now)
                results.append(_stored_write(existing, "kept" if same else "merged"))
                continue
            if existing is not None and not fact.explicit:  # an inferred taste never overrules a statement
                results.append(_stored_write(existing, "skipped"))
                continue
            replaced_id = replaced_text = None
            if existing is not None:  # same key, opposite polarity: the newer statement replaces the older
                replaced_id, replaced_text = existing.id, existing.text
                s.delete(existing)
                s.flush()
                self._outbox(s, user, replaced_id, "delete", now)
            fact_id = str(uuid.uuid4())
            s.add(
                MemoryFactRow(
                    id=fact_id,
                    user_id=user,
                    text=fact.text,
                    kind=fact.kind,
                    key=fact.key,
                    value=fact.value,
                    slot=slot,
                    polarity=fact.polarity,
                    created_at=now,
                    updated_at=now,
                    source_session=session,
                    source_text=fact.source,
                    strength=fact.strength,
                    confirmed_at=now,
                )
            )
            s.flush()
            self._outbox(s, user, fact_id, "upsert", now)
            results.append(
                FactWrite(
                    fact_id,
                    "replaced" if replaced_id else "added",
                    fact.text,
                    replaced_id,
                    replaced_text,
                    key=fact.key,
                    value=fact.value,
                    polarity=fact.polarity,
                    strength=fact.strength,
                )
            )
        return results

    def record_requests(self, user: str, session: str, requests: Iterable[FactIn]) -> list[FactIn]:
        """Count one-off taste requests ("a comedy": keyed facts that were not stated as lasting) per session;
        return, as facts to remember, those that this call made reach :data:`REPEAT_SESSIONS` different
        sessions or more (``strength`` = the number of sessions, ``explicit=False``). A request repeated in the
        same session counts once; requests are never recalled themselves."""
        user = self._check_user(user)
        session = (session or "default")[:128]
        cleaned = [f for f in (_clean(r) for r in requests) if f.key != FREE_KEY and f.polarity != 0]
        if not cleaned:
            return []

        def work(s: Session) -> list[FactIn]:
            now = _now()
            promoted: list[FactIn] = []
            for req in cleaned:
                row = s.scalar(
                    select(MemoryRequestRow).where(
                        MemoryRequestRow.user_id == user,
                        MemoryRequestRow.key == req.key,
                        MemoryRequestRow.polarity == req.polarity,
                        MemoryRequestRow.session == session,
                    )
                )
                if row is not None:  # already counted for this session
                    row.text = req.source or row.text
                    continue
                s.add(
                    MemoryRequestRow(
                        user_id=user,
                        key=req.key,
                        polarity=req.polarity,
                        value=req.value,
                        session=session,
                        text=req.source,
                        created_at=now,
                    )
                )
                s.flush()
                sessions = int(
                    s.scalar(
                        select(func.count(func.distinct(MemoryRequestRow.session))).where(
                            MemoryRequestRow.user_id == user,
                            MemoryRequestRow.key == req.key,
                            MemoryRequestRow.polarity == req.polarity,
                        )
                    )
                    or 0
                )
                if sessions >= REPEAT_SESSIONS:
                    promoted.append(replace(req, strength=sessions, explicit=False))
            return promoted

        with self._user_lock(user):
            return self._tx(work)

    def record_feedback(self, user: str, item_id: int, kind: str, session: str | None = None) -> str:
        """Record a stance on one item; returns ``added``, ``updated`` or ``kept``. A newer stance replaces an
        older one, except that ``seen`` never overrides liked / disliked / rejected."""
        return self.record_feedback_many(user, {int(item_id): kind}, session)[int(item_id)]

    def record_feedback_many(
        self, user: str, stances: dict[int, str], session: str | None = None
    ) -> dict[int, str]:
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
                row = s.scalar(
                    select(ItemFeedbackRow).where(
                        ItemFeedbackRow.user_id == user, ItemFeedbackRow.item_id == int(item_id)
                    )
                )
                if row is None:
                    s.add(
                        ItemFeedbackRow(
                            user_id=user,
                            item_id=int(item_id),
                            kind=kind,
                            updated_at=now,
                            source_session=session,
                        )
                    )
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
        return self.remember_facts(
            user, [FactIn(text=text, kind="summary", key=f"summary:{session}")], session
        )[0]

    # ------------------------------------------------------------------ read path
    def recall(
        self,
        user: str,
        query_text: str,
        k: int = 8,
        min_score: float = 0.3,
        token_budget: int = 200,
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
            out.append(
                RecalledFact(
                    fid,
                    row.text,
                    round(score, 4),
                    "memory",
                    row.kind,
                    row.key,
                    row.value,
                    row.polarity,
                    row.strength or 1,
                    row.source_text or "",
                )
            )
            if len(out) >= k:
                break
        return out

    def _chroma_hits(self, user: str, qvec: np.ndarray, k: int) -> list[tuple[str, float]] | None:
        try:
            collection = self.collection()
            with self._chroma_lock:
                got = collection.query(
                    query_embeddings=[qvec.tolist()],
                    n_results=max(k * 3, 10),
                    where={"user_id": user},
                    include=["distances", "metadatas"],
                )
        except Exception as exc:  # chromadb raises many kinds
            self._chroma_failed(exc, "query (scoring SQL facts directly)")
            return None
        hits: list[tuple[str, float]] = []
        for fid, dist, meta in zip(
            got["ids"][0], got["distances"][0], got["metadatas"][0] or [], strict=False
        ):
            if (meta or {}).get("user_id") != user:  # never trust a hit of another user
                continue
            hits.append((fid, 1.0 - float(dist)))
        return hits

    def _sql_hits(self, user: str, qvec: np.ndarray) -> list[tuple[str, float]]:
        with Session(self.engine) as s:
            rows = s.execute(
                select(MemoryFactRow.id, MemoryFactRow.text)
                .where(MemoryFactRow.user_id == user)
                .order_by(MemoryFactRow.updated_at.desc())
                .limit(200)
            ).all()
        return [(fid, float(self._embed(text) @ qvec)) for fid, text in rows]

    def _facts_by_id(self, user: str, ids: Sequence[str]) -> dict[str, MemoryFactRow]:
        if not ids:
            return {}
        with Session(self.engine, expire_on_commit=False) as s:
            rows = s.scalars(
                select(MemoryFactRow).where(MemoryFactRow.user_id == user, MemoryFactRow.id.in_(list(ids)))
            ).all()
            s.expunge_all()
        return {r.id: r for r in rows}

    def structured(self, user: str) -> dict[str, Any]:
        """The structured profile: item ids per stance (oldest first) and genre / person affinities.

        ``{"liked": [..], "disliked": [..], "seen": [..], "rejected": [..], "genres": {"horror": -1},
        "people": {"tom hanks": {"name": "Tom Hanks", "polarity": 1, "fact_id": ".."}},
        "qualifiers": {"gore": -1}, "countries": {"France": 1},
        "facts": {"genre:horror": {"fact_id": "..", "text": "dislikes horror", "polarity": -1, "value": "horror",
        "strength": 2, "source": "I hate horror movies"}}}`` (``facts``: every keyed fact with a polarity,
        oldest first).
        """
        user = self._check_user(user)
        out: dict[str, Any] = {k: [] for k in FEEDBACK_KINDS}
        out.update({"genres": {}, "people": {}, "qualifiers": {}, "countries": {}, "facts": {}})
        with Session(self.engine) as s:
            for item_id, kind in s.execute(
                select(ItemFeedbackRow.item_id, ItemFeedbackRow.kind)
                .where(ItemFeedbackRow.user_id == user)
                .order_by(ItemFeedbackRow.updated_at, ItemFeedbackRow.id)
            ):
                out.setdefault(kind, []).append(int(item_id))
            facts = s.execute(
                select(
                    MemoryFactRow.id,
                    MemoryFactRow.key,
                    MemoryFactRow.value,
                    MemoryFactRow.polarity,
                    MemoryFactRow.text,
                    MemoryFactRow.strength,
                    MemoryFactRow.source_text,
                )
                .where(MemoryFactRow.user_id == user, MemoryFactRow.polarity != 0)
                .order_by(MemoryFactRow.updated_at)
            ).all()
        for fid, key, value, polarity, text, strength, source in facts:
            prefix, _, rest = key.partition(":")
            out["facts"][key] = {
                "fact_id": fid,
                "text": text,
                "polarity": polarity,
                "value": value or rest,
                "strength": strength or 1,
                "source": source or "",
            }
            if prefix == "genre" and rest:
                out["genres"][value or rest] = polarity
            elif prefix == "person" and rest:
                out["people"][rest] = {"name": value or rest, "polarity": polarity, "fact_id": fid}
            elif prefix == "qualifier" and rest:
                out["qualifiers"][value or rest] = polarity
            elif prefix == "country" and rest:
                out["countries"][value or rest] = polarity
        return out

    def list_facts(self, user: str) -> list[FactRecord]:
        """Every fact of the user, oldest first."""
        user = self._check_user(user)
        with Session(self.engine) as s:
            rows = s.scalars(
                select(MemoryFactRow)
                .where(MemoryFactRow.user_id == user)
                .order_by(MemoryFactRow.created_at, MemoryFactRow.id)
            ).all()
            return [
                FactRecord(
                    r.id,
                    r.text,
                    r.kind,
                    r.key,
                    r.value,
                    r.polarity,
                    _iso(r.created_at),
                    _iso(r.updated_at),
                    r.source_session,
                    r.source_text or "",
                    r.strength or 1,
                    _iso(r.confirmed_at or r.updated_at),
                )
                for r in rows
            ]

    def list_feedback(self, user: str) -> list[dict[str, Any]]:
        """Every item stance of the user, oldest first: ``{"item_id", "kind", "updated_at", "source_session"}``."""
        user = self._check_user(user)
        with Session(self.engine) as s:
            rows = s.scalars(
                select(ItemFeedbackRow)
                .where(ItemFeedbackRow.user_id == user)
                .order_by(ItemFeedbackRow.updated_at, ItemFeedbackRow.id)
            ).all()
            return [
                {
                    "item_id": r.item_id,
                    "kind": r.kind,
                    "updated_at": _iso(r.updated_at),
                    "source_session": r.source_session,
                }
                for r in rows
            ]

    # ------------------------------------------------------------------ user control
    def forget(self, user: str, fact_id: str | None = None, all: bool = False) -> dict[str, int]:  # noqa: A002
        """Delete one fact (``fact_id``, with the one-off requests counted towards it; ``item:<id>`` deletes one
        item stance) or everything of the user (``all=True``: facts, requests and item feedback) from SQL, then
        from Chroma. Returns the counts deleted.

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
                s.execute(delete(MemoryRequestRow).where(MemoryRequestRow.user_id == user))
                self._outbox(s, user, None, "reconcile", now)
                return {"facts": int(n_facts), "items": int(n_items)}
            assert fact_id is not None
            if fact_id.startswith("item:"):
                raw = fact_id[5:]
                n = 0
                if raw.lstrip("-").isdigit():
                    n = _rowcount(
                        s.execute(
                            delete(ItemFeedbackRow).where(
                                ItemFeedbackRow.user_id == user, ItemFeedbackRow.item_id == int(raw)
                            )
                        )
                    )
                if not n:
                    raise UnknownFactError(
                        f"no item feedback {fact_id!r} for user {user!r} (see `crsagent memory --user {user}`)"
                    )
                return {"facts": 0, "items": int(n)}
            row = s.scalar(
                select(MemoryFactRow).where(MemoryFactRow.user_id == user, MemoryFactRow.id == fact_id)
            )
            n = 0
            if row is not None:  # its one-off requests go too, or they would bring it back
                s.execute(
                    delete(MemoryRequestRow).where(
                        MemoryRequestRow.user_id == user,
                        MemoryRequestRow.key == row.key,
                        MemoryRequestRow.polarity == row.polarity,
                    )
                )
                s.delete(row)
                n = 1
            if not n:
                raise UnknownFactError(
                    f"no memory fact {fact_id!r} for user {user!r} (see `crsagent memory --user {user}`)"
                )
            self._outbox(s, user, fact_id, "delete", now)
            return {"facts": int(n), "items": 0}

        with self._user_lock(user):
            counts = self._tx(work)
        self.flush_outbox()
        log.info("memory: forgot %s for %s", counts, user)
        return counts


def _stored_write(row: MemoryFactRow, status: Literal["merged", "kept", "skipped"]) -> FactWrite:
    """What happened to a fact that left the stored row in place (its values are reported)."""
    return FactWrite(
        row.id, status, row.text, key=row.key, value=row.value, polarity=row.polarity, strength=row.strength
    )
