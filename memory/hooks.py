"""The two calls that wire long-term memory into a turn: :func:`recall_for_turn` before the graph runs and
:func:`remember_turn` after it (plus :func:`remember_session_summary`, optional).

Both never raise for memory problems: a failing memory logs, leaves the preferences as they were and says so
in the trace, so a turn is answered even when the memory store is unavailable.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from agent.context import Remembered
from agent.parsers.patterns import soft_text
from agent.state import ParsedTurn, Preferences
from memory.extract import (
    MAX_MEMORY_LIKED,
    MEMORY_SOFT_PREFIX,
    extract_facts,
    extract_item_feedback,
    extract_requests,
    facts_to_preferences,
    session_summary,
    shown_feedback_items,
    stance_phrase,
)
from memory.facts import FactWrite
from memory.store import MemoryStore
from tools.genres import GENRE_WORDS
from tools.titles import fold

log = logging.getLogger(__name__)


def _message_is_vague(message: str) -> bool:
    """True when a message says nothing about taste ("recommend me something")."""
    low = fold(message)
    padded = f" {low} "
    if any(f" {w} " in padded for w in GENRE_WORDS):
        return False
    return not soft_text(low)


def memory_query(message: str, prefs: Preferences) -> str:
    """The text memory is searched with: the message plus the conversation's latest taste and genres."""
    soft = [s for s in prefs.soft if not s.startswith(MEMORY_SOFT_PREFIX)][-1:]
    parts = [message.strip(), *soft, *prefs.constraints.genres_include, *prefs.constraints.people_include]
    return " ".join(p for p in parts if p)[:500]


def recall_for_turn(
    store: MemoryStore,
    user: str,
    message: str,
    prefs: Preferences,
    *,
    k: int = 8,
    min_score: float = 0.3,
    token_budget: int = 200,
) -> tuple[Preferences, list[dict[str, Any]]]:
    """The conversation's preferences with the user's long-term memory applied, and trace records.

    ``prefs`` are the conversation's preferences with this turn's request already applied. What the user asks in
    this conversation (this turn included) always outweighs what is remembered:

    - Item feedback always applies: liked items seed the conversation (the most recent
      ``MAX_MEMORY_LIKED``, placed before the conversation's own likes; older ones are only excluded, as
      seen), disliked and rejected items become dislikes, seen items stay seen; all are excluded from results.
      An item the conversation already judged otherwise keeps the conversation's judgement.
    - Lasting genre / person / qualifier dislikes become exclusions unless this conversation asks for them
      ("I hate horror" remembered + "ok, a horror movie" now: horror is wanted, the exclusion is lifted; a
      remembered "no gore" + "not too gory" now: only the conversation's penalty applies; trace use
      ``overridden``).
    - Facts recalled for this message (top ``k`` above ``min_score`` within ``token_budget`` tokens) that are
      not negative become one soft preference, ``"memory: ..."``, placed first (the conversation's own soft
      preferences come after it and win the query), except likes the conversation outweighs (a remembered
      genre like when other genres are asked for, a person like when other people are named, anything ruled
      out now; trace use ``outweighed``, see :func:`memory.extract.outweighed`); a request that says nothing
      about taste uses the latest profile likes instead when nothing was recalled.

    Idempotent: calling it every turn (before or after the parser) does not pile anything up. Trace records:
    ``{"fact_id", "text", "score", "source" ("memory" | "profile"), "use" ("soft" | "exclude" |
    "overridden" | "outweighed" | "context"), "tokens", "words"}`` (``words``: the user's words the fact came
    from); one record with ``fact_id`` None counts the items applied.
    """
    t0 = time.perf_counter()
    try:
        structured = store.structured(user)
        query = memory_query(message, prefs)
        recalled = (  # a user without facts: no Chroma, no query embedding
            store.recall(user, query, k=k, min_score=min_score, token_budget=token_budget)
            if query and store.has_facts(user)
            else []
        )
    except Exception as exc:  # memory must never break a turn
        log.warning("memory recall failed for %s (%s: %s)", user, type(exc).__name__, exc)
        return prefs, [
            {
                "fact_id": None,
                "text": "memory unavailable",
                "score": 0.0,
                "source": "memory",
                "error": type(exc).__name__,
            }
        ]

    p = prefs.model_copy(deep=True)
    c = p.constraints
    vague = _message_is_vague(message) and not (
        [s for s in p.soft if not s.startswith(MEMORY_SOFT_PREFIX)] or c.genres_include or c.people_include
    )
    hints = facts_to_preferences(recalled, structured, profile_likes_in_soft=vague, current=p)

    # lasting dislikes, unless this conversation asked for them
    overridden: set[str] = set()
    excl = list(c.genres_exclude)
    for g in hints.genres_exclude:
        if g in c.genres_include:
            overridden.add(f"genre:{g}")
        elif g not in excl:
            excl.append(g)
    wanted_people = {fold(x) for x in c.people_include}
    people_out = list(c.people_exclude)
    for name in hints.people_exclude:
        if fold(name) in wanted_people:
            overridden.add(f"person:{fold(name)}")
        elif fold(name) not in {fold(x) for x in people_out}:
            people_out.append(name)
    qualifiers_out = list(c.qualifiers_exclude)
    for q in hints.qualifiers_exclude:  # a remembered "no gore", unless wanted (or only "not too") now
        if q in p.qualifiers_boost or q in p.qualifiers_penalty:
            overridden.add(f"qualifier:{q}")
        elif q not in qualifiers_out:
            qualifiers_out.append(q)
    p.constraints = c.model_copy(
        update={
            "genres_exclude": sorted(excl),
            "people_exclude": people_out,
            "qualifiers_exclude": sorted(qualifiers_out),
        }
    )

    # item feedback: the conversation's own judgement wins
    judged = set(p.liked) | set(p.disliked)
    recent, older = hints.liked_ids[-MAX_MEMORY_LIKED:], hints.liked_ids[:-MAX_MEMORY_LIKED]
    p.liked = [i for i in recent if i not in judged] + p.liked
    p.disliked = [i for i in hints.disliked_ids if i not in judged] + p.disliked
    known = set(p.liked) | set(p.disliked) | set(p.seen)
    p.seen = [i for i in dict.fromkeys([*older, *hints.seen_ids]) if i not in known] + p.seen

    # recalled taste as one soft preference, first
    p.soft = [s for s in p.soft if not s.startswith(MEMORY_SOFT_PREFIX)]
    if hints.soft_text:
        p.soft.insert(0, MEMORY_SOFT_PREFIX + hints.soft_text)

    key_of = {f["fact_id"]: key for key, f in structured.get("facts", {}).items()}
    trace = []
    for rec in hints.trace:
        if rec["use"] == "exclude" and key_of.get(rec["fact_id"]) in overridden:
            rec = {**rec, "use": "overridden"}
        trace.append(rec)
    n_items = len(hints.liked_ids) + len(hints.disliked_ids) + len(hints.seen_ids)
    if n_items:
        trace.append(
            {
                "fact_id": None,
                "text": f"{len(hints.liked_ids)} liked, {len(hints.disliked_ids)} disliked, "
                f"{len(hints.seen_ids)} seen items from earlier sessions",
                "score": 1.0,
                "source": "profile",
                "use": "exclude",
                "tokens": 0,
            }
        )
    log.debug(
        "memory recall for %s: %d records in %.1f ms", user, len(trace), (time.perf_counter() - t0) * 1000
    )
    return p, trace


def remember_turn(
    store: MemoryStore,
    user: str,
    session: str,
    message: str,
    parsed: ParsedTurn | Mapping[str, Any],
    shown_feedback_items: Mapping[int, str] | None = None,
) -> list[str]:
    """Write what one user message taught about the user; returns the ids of facts added, replaced or merged
    (see :func:`remember_turn_notes`, which also returns the notes to show). Failures are logged and give
    ``[]``."""
    return remember_turn_notes(store, user, session, message, parsed, shown_feedback_items)[0]


def remember_turn_notes(
    store: MemoryStore,
    user: str,
    session: str,
    message: str,
    parsed: ParsedTurn | Mapping[str, Any],
    shown_feedback_items: Mapping[int, str] | None = None,
) -> tuple[list[str], list[str]]:
    """Write what one user message taught about the user (the memory policy of :mod:`memory.extract`): its
    explicit statements of taste, its item feedback, and its one-off requests (counted; a request made in two or
    more sessions becomes a fact). Returns the ids of facts added, replaced or merged (reworded) and the notes
    for the reply: one per remembered stance that a newer opposite one replaced ("Noted: you now like horror
    (before: no horror)."), said once, when it happens.

    ``parsed`` is the turn's :class:`ParsedTurn` (or its dict from the graph state); ``shown_feedback_items``
    maps item ids of the previous reply to ``liked`` / ``rejected`` / ``seen`` (see
    :func:`memory.extract.shown_feedback_items`). Failures are logged and give ``([], [])``."""
    try:
        turn = parsed if isinstance(parsed, ParsedTurn) else ParsedTurn.model_validate(dict(parsed))
        max_chars = getattr(getattr(store.toolkit, "settings", None), "max_message_chars", 4000)
        if turn.intent in ("reset", "observe") or len(message) > max_chars:
            return [], []
        facts = extract_facts(message, turn)
        promoted = store.record_requests(user, session, extract_requests(message, turn))
        items = {
            **extract_item_feedback(turn),
            **{int(k): v for k, v in (shown_feedback_items or {}).items()},
        }
        before = _item_stances(store, user, items) if items else {}
        writes = store.remember_facts(user, [*facts, *promoted], session) if facts or promoted else []
        if items:
            store.record_feedback_many(user, items, session)
        notes = [n for n in (_fact_note(w) for w in writes) if n]
        notes += _item_notes(store, before, items)
        return [w.fact_id for w in writes if w.status not in ("kept", "skipped")], notes
    except Exception as exc:  # memory must never break a turn
        log.error("memory write failed for %s (%s: %s)", user, type(exc).__name__, exc)
        return [], []


def _fact_note(write: FactWrite) -> str | None:
    """ "Noted: you now like horror (before: no horror)." for a fact that replaced an opposite one."""
    if write.status != "replaced" or not write.polarity:
        return None
    label = stance_phrase(write.key.partition(":")[0], 1, write.value)
    if write.polarity > 0:
        return f"Noted: you now like {label} (before: no {label})."
    return f"Noted: you now dislike {label} (before: you liked {label})."


_POSITIVE, _NEGATIVE = {"liked"}, {"disliked", "rejected"}


def _item_stances(store: MemoryStore, user: str, items: Mapping[int, str]) -> dict[int, str]:
    """The remembered stances on these items, before this turn."""
    return {int(f["item_id"]): f["kind"] for f in store.list_feedback(user) if int(f["item_id"]) in items}


def _item_notes(store: MemoryStore, before: Mapping[int, str], items: Mapping[int, str]) -> list[str]:
    """One note per item whose remembered like became a dislike, or the other way round."""
    notes: list[str] = []
    for item_id, kind in items.items():
        old = before.get(int(item_id))
        if old is None or not (
            (old in _POSITIVE and kind in _NEGATIVE) or (old in _NEGATIVE and kind in _POSITIVE)
        ):
            continue
        item = None
        try:
            item = store.toolkit.catalog.get(int(item_id))
        except Exception:  # no catalog at hand: name it by id
            log.debug("memory: no catalog for the note on item %s", item_id)
        name = getattr(item, "display", None) or f"item {item_id}"
        if kind in _POSITIVE:
            notes.append(f"Noted: you now like {name} (before: you disliked it).")
        else:
            notes.append(f"Noted: you now dislike {name} (before: you liked it).")
    return notes


def remember_session_summary(
    store: MemoryStore, user: str, session: str, prefs: Preferences, titles: Mapping[int, str] | None = None
) -> str | None:
    """Store (or update) the one-line summary of this session; returns its fact id (None when empty or failed).
    ``titles`` maps item ids to display titles (e.g. ``{i: catalog.items[i].display for i in ...}``)."""
    try:
        text = session_summary(prefs, dict(titles or {}))
        if not text:
            return None
        write = store.remember_summary(user, session, f"in session {session}: {text}")
        return write.fact_id if write else None
    except Exception as exc:  # memory must never break a turn
        log.error("memory summary failed for %s (%s: %s)", user, type(exc).__name__, exc)
        return None


class MemoryHooks:
    """The agent's :class:`agent.context.TurnMemory` over a :class:`MemoryStore`: what the graph's recall and
    remember nodes call."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def recall(self, user: str, message: str, prefs: Preferences) -> tuple[Preferences, list[dict[str, Any]]]:
        """The preferences with the user's long-term memory merged in, and the recalled facts (see
        :func:`recall_for_turn`)."""
        return recall_for_turn(self.store, user, message, prefs)

    def remember(
        self, user: str, session: str, message: str, parsed: ParsedTurn, prev_shown: list[int]
    ) -> Remembered:
        """Write what the message taught (and the feedback on the previously shown items); the number of facts
        written and the notes for the reply (a remembered stance replaced by a newer opposite one)."""
        ids, notes = remember_turn_notes(
            self.store, user, session, message, parsed, shown_feedback_items(parsed, prev_shown)
        )
        return Remembered(len(ids), notes)

    def pending_sync(self, user: str) -> int:
        """Memory writes of ``user`` still waiting for the vector store."""
        return self.store.pending_sync(user)
