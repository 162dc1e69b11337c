"""One-shot processes defer the memory's Chroma mirror; nothing is lost and a recall never misses a fact."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agent.state import Preferences
from memory.facts import FactIn
from memory.hooks import recall_for_turn
from memory.store import MemoryStore
from tools.toolkit import Toolkit


def test_deferred_writes_reach_chroma_before_any_read(
    tmp_path: Path, make_toolkit: Callable[..., Toolkit]
) -> None:
    home = tmp_path / "home"
    first = MemoryStore(make_toolkit(home))
    first.defer_sync = True
    first.remember_facts(
        "ann",
        [
            FactIn("loves slow-burn space operas", "preference", "genre:sci-fi", 1, "sci-fi"),
            FactIn("dislikes horror", "dislike", "genre:horror", -1, "horror"),
        ],
    )
    assert first._collection is None  # Chroma was never opened (keyed facts need no near-duplicate check)
    assert first.pending_sync("ann") == 0  # nothing failed: deferred
    first.defer_sync = False
    assert first.pending_sync("ann") > 0  # the rows wait in the outbox

    later = MemoryStore(make_toolkit(home))  # the next one-shot process
    later.defer_sync = True
    hits = later.recall("ann", "a space opera", min_score=0.2)
    assert [h.text for h in hits][:1] == ["loves slow-burn space operas"]
    later.defer_sync = False
    assert later.pending_sync("ann") == 0  # opening Chroma applied the outbox first


def test_recall_skips_chroma_for_a_user_without_facts(
    tmp_path: Path, make_toolkit: Callable[..., Toolkit]
) -> None:
    store = MemoryStore(make_toolkit(tmp_path / "home"))
    prefs, trace = recall_for_turn(store, "nobody", "a 90s comedy", Preferences())
    assert trace == [] and store._collection is None
    assert not store.has_facts("nobody")
