"""The chat's /memory and /forget (``chat_command``)."""

from __future__ import annotations

from memory.facts import FactIn
from memory.store import MemoryStore
from ui.cli.memory_view import chat_command


def test_chat_commands(store: MemoryStore) -> None:
    fact = store.remember_facts("cy", [FactIn("watches for date night")])[0]
    assert "watches for date night" in chat_command(store, "cy", "memory")
    assert "no memory fact" in chat_command(store, "cy", "forget", "nope")
    assert chat_command(store, "cy", "forget", fact.fact_id).startswith("Forgotten: 1 fact")
    assert chat_command(store, "cy", "memory") == "I don't remember anything about you yet."
    assert chat_command(store, "cy", "forget", "all").startswith("Forgotten")


def test_chat_memory_shows_each_facts_words_session_and_strength(store: MemoryStore) -> None:
    said = FactIn("likes comedy", "preference", "genre:comedy", 1, source="I love comedies")
    store.remember_facts("dee", [said], session="s1")
    store.remember_facts("dee", [said], session="s2")
    shown = chat_command(store, "dee", "memory")
    assert "likes comedy  (from \u201cI love comedies\u201d, session s2, said 2 times)" in shown
