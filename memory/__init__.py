"""Long-term per-user memory (facts and item feedback in SQL, fact embeddings in Chroma) and its turn hooks.

- :mod:`memory.tables`: the SQL rows (on the shared declarative base, so the migrations cover them).
- :mod:`memory.facts`: the values written and recalled, fact kinds, key and token helpers.
- :mod:`memory.backend`: SQL transactions and the Chroma mirror of the facts, kept by a transactional outbox.
- :class:`memory.store.MemoryStore`: remember / recall / forget, transactional with a Chroma outbox.
- :mod:`memory.extract`: the offline rules from a parsed turn to facts, and from facts to preference hints.
- :func:`recall_for_turn` / :func:`remember_turn`: what the service calls around each turn.
- :func:`memory.sessions.open_checkpointer`: the persisted conversations (LangGraph checkpointer).
"""

from memory.extract import MemoryHints, extract_facts, facts_to_preferences, shown_feedback_items
from memory.facts import FactIn, RecalledFact
from memory.hooks import recall_for_turn, remember_session_summary, remember_turn
from memory.store import MemoryStore, UnknownFactError

__all__ = [
    "FactIn",
    "MemoryHints",
    "MemoryStore",
    "RecalledFact",
    "UnknownFactError",
    "extract_facts",
    "facts_to_preferences",
    "recall_for_turn",
    "remember_session_summary",
    "remember_turn",
    "shown_feedback_items",
]
