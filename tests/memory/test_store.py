"""MemoryStore on real SQLite + a real persistent Chroma + the real model: conflicts, dedupe, isolation,
concurrency, forget, restart, Chroma outages (outbox) and the recall token budget."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from memory.facts import FactIn, estimate_tokens
from memory.store import MemoryStore, UnknownFactError
from memory.tables import MemoryFactRow
from tools.toolkit import Toolkit

HORROR_NO = FactIn("dislikes horror", "dislike", "genre:horror", -1, "horror")
HORROR_YES = FactIn("likes horror now", "preference", "genre:horror", 1, "horror")


def chroma_ids(store: MemoryStore, user: str) -> set[str]:
    """The ids Chroma holds for a user (a direct ``where`` query, as a user's data would be inspected)."""
    return set(store.collection().get(where={"user_id": user}, include=[])["ids"])


def sql_ids(store: MemoryStore, user: str) -> set[str]:
    return {f.id for f in store.list_facts(user)}


def test_contradicted_fact_is_replaced_by_the_newer_one(store: MemoryStore) -> None:
    first = store.remember_facts("ann", [HORROR_NO], session="s1")[0]
    assert first.status == "added"
    second = store.remember_facts("ann", [HORROR_YES], session="s2")[0]
    assert second.status == "replaced" and second.replaced_id == first.fact_id
    facts = store.list_facts("ann")
    assert len(facts) == 1
    assert (facts[0].key, facts[0].polarity, facts[0].text, facts[0].source_session) == (
        "genre:horror",
        1,
        "likes horror now",
        "s2",
    )
    assert chroma_ids(store, "ann") == {second.fact_id}  # the old embedding is gone too
    assert store.structured("ann")["genres"] == {"horror": 1}
    # and back again: still one fact
    store.remember_facts("ann", [HORROR_NO])
    assert [(f.key, f.polarity) for f in store.list_facts("ann")] == [("genre:horror", -1)]


def test_near_identical_facts_are_deduplicated(store: MemoryStore) -> None:
    store.remember_facts("bob", [FactIn("watches with kids"), HORROR_NO])
    again = store.remember_facts(
        "bob",
        [
            FactIn("Watches with kids!"),  # same folded text
            FactIn("watches with the kids"),  # cosine >= 0.92
            FactIn("dislikes horror movies", "dislike", "genre:horror", -1),  # same key and polarity: merged
            FactIn("watches on weekends"),  # new
        ],
    )
    assert [w.status for w in again] == ["kept", "kept", "merged", "added"]
    texts = sorted(f.text for f in store.list_facts("bob"))
    assert texts == ["dislikes horror movies", "watches on weekends", "watches with kids"]
    assert chroma_ids(store, "bob") == sql_ids(store, "bob")
    # duplicates inside one batch collapse too
    batch = store.remember_facts(
        "carl", [FactIn("watches before bed"), FactIn("watches before bed."), FactIn("Watches before bed")]
    )
    assert len(store.list_facts("carl")) == 1 and len({w.fact_id for w in batch}) == 1


def test_recall_is_isolated_per_user(store: MemoryStore) -> None:
    store.remember_facts("alice", [HORROR_NO, FactIn("watches with kids on weekends")])
    store.remember_facts(
        "bert", [FactIn("likes movies with Tom Hanks", "preference", "person:Tom Hanks", 1, "Tom Hanks")]
    )
    # even with no threshold at all, bert only ever gets bert's fact
    assert {f.text for f in store.recall("bert", "watches with kids on weekends", min_score=-1.0)} == {
        "likes movies with Tom Hanks"
    }
    assert store.recall("nobody", "dislikes horror", min_score=-1.0) == []
    assert store.structured("bert")["genres"] == {}
    assert store.structured("bert")["people"]["tom hanks"]["name"] == "Tom Hanks"
    hit = store.recall("alice", "something scary")[0]
    assert hit.text == "dislikes horror" and hit.source == "memory" and 0.3 <= hit.score <= 1.0


def test_concurrent_writers_never_mix_users_or_lose_facts(store: MemoryStore) -> None:
    users = ["u1", "u2"]
    genres = ["horror", "comedy", "drama", "western", "romance", "war"]
    topics = {
        "a": ["volcanoes", "jazz", "bicycles", "tax law", "penguins", "origami"],
        "b": ["sushi", "chess", "submarines", "tulips", "karate", "astronomy"],
    }
    errors: list[BaseException] = []

    def writer(user: str, session: str) -> None:
        try:
            for i, genre in enumerate(genres):
                store.remember_facts(
                    user,
                    [
                        FactIn(f"dislikes {genre}", "dislike", f"genre:{genre}", -1, genre),
                        FactIn(f"{user} remembers {topics[session][i]}"),
                    ],
                    session=session,
                )
                store.record_feedback(user, 100 + i, "seen", session=session)
                assert all(
                    f.text.startswith(("dislikes", user))
                    for f in store.recall(user, "remembers", min_score=-1.0)
                )
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(u, s)) for u in users for s in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    for user in users:
        facts = store.list_facts(user)
        keyed = sorted(f.key for f in facts if f.key != "free")
        assert keyed == sorted(f"genre:{g}" for g in genres)  # both sessions wrote them: stored once
        free = {f.text for f in facts if f.key == "free"}
        assert free == {f"{user} remembers {t}" for ts in topics.values() for t in ts}
        assert sorted(store.structured(user)["seen"]) == [100 + i for i in range(len(genres))]
        assert chroma_ids(store, user) == sql_ids(store, user)
        other = users[1 - users.index(user)]
        assert all(
            not f.text.startswith(other)
            for f in store.recall(user, f"{other} remembers jazz", k=50, min_score=-1.0)
        )
    assert store.pending_sync() == 0


def test_two_processes_writing_the_same_user_do_not_duplicate(
    tmp_path: Path, make_toolkit: Callable[..., Toolkit]
) -> None:
    # two stores with their own engines and locks, as two processes would have: only SQL constraints serialise them
    home = tmp_path / "home"
    stores = [MemoryStore(make_toolkit(home)), MemoryStore(make_toolkit(home))]
    barrier = threading.Barrier(2, timeout=120)
    errors: list[BaseException] = []

    def writer(store: MemoryStore, session: str) -> None:
        try:
            for genre in ("horror", "comedy", "drama", "crime"):
                barrier.wait()  # both write the same new fact at the same moment: one insert wins, one retries
                store.remember_facts(
                    "same",
                    [
                        FactIn(f"likes {genre}", "preference", f"genre:{genre}", 1, genre),
                        FactIn("watches with kids"),
                    ],
                    session,
                )
                store.record_feedback("same", 7, "liked", session)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(s, f"s{i}")) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    facts = stores[0].list_facts("same")
    assert sorted(f.text for f in facts) == [
        "likes comedy",
        "likes crime",
        "likes drama",
        "likes horror",
        "watches with kids",
    ]
    assert stores[0].list_feedback("same")[0]["kind"] == "liked" and len(stores[0].list_feedback("same")) == 1
    stores[0].flush_outbox(force=True)
    assert chroma_ids(stores[0], "same") == {f.id for f in facts}


def test_forget_deletes_from_sql_and_chroma(store: MemoryStore) -> None:
    written = store.remember_facts(
        "dora", [HORROR_NO, FactIn("watches with kids"), FactIn("watches for date night")]
    )
    store.record_feedback("dora", 42, "disliked")
    other = store.remember_facts("eve", [HORROR_NO])[0]
    gone = written[1].fact_id
    assert store.forget("dora", fact_id=gone) == {"facts": 1, "items": 0}
    assert gone not in sql_ids(store, "dora") and gone not in chroma_ids(store, "dora")
    assert store.collection().get(ids=[gone])["ids"] == []
    assert all(f.id != gone for f in store.recall("dora", "watches with kids", min_score=-1.0))
    with pytest.raises(UnknownFactError):
        store.forget("dora", fact_id=gone)
    with pytest.raises(UnknownFactError):  # another user's fact cannot be forgotten through this user
        store.forget("dora", fact_id=other.fact_id)
    assert store.forget("dora", fact_id="item:42") == {"facts": 0, "items": 1}
    store.record_feedback("dora", 43, "seen")
    assert store.forget("dora", all=True) == {"facts": 2, "items": 1}
    assert store.list_facts("dora") == [] and store.list_feedback("dora") == []
    assert store.collection().get(where={"user_id": "dora"})["ids"] == []
    assert store.recall("dora", "dislikes horror", min_score=-1.0) == []
    assert chroma_ids(store, "eve") == {other.fact_id}  # the other user is untouched


def test_a_new_store_over_the_same_home_sees_everything(
    tmp_path: Path, make_toolkit: Callable[..., Toolkit]
) -> None:
    home = tmp_path / "home"
    first = MemoryStore(make_toolkit(home))
    first.remember_facts("fay", [HORROR_NO, FactIn("watches with kids on weekends")], session="s1")
    first.record_feedback("fay", 5, "liked")
    del first
    again = MemoryStore(make_toolkit(home))
    assert {f.text for f in again.list_facts("fay")} == {"dislikes horror", "watches with kids on weekends"}
    assert again.structured("fay")["liked"] == [5] and again.structured("fay")["genres"] == {"horror": -1}
    assert again.recall("fay", "family movie for the weekend")[0].text == "watches with kids on weekends"


class _Broken:
    """A Chroma client (and collection) whose server went away."""

    def __getattr__(self, name: str) -> Any:
        def fail(*_: Any, **__: Any) -> Any:
            raise ConnectionError("chroma is down")

        return fail


def test_chroma_outage_queues_writes_in_the_outbox_and_flushes_them_later(store: MemoryStore) -> None:
    store.remember_facts("gus", [FactIn("watches with kids")])
    real = store.toolkit.chroma
    store.toolkit.__dict__["chroma"] = _Broken()  # the Chroma server goes away ...
    store._collection = _Broken()  # noqa: SLF001 - ... under the live collection handle too
    written = store.remember_facts("gus", [HORROR_NO, FactIn("watches on weekends")])
    assert [w.status for w in written] == ["added", "added"]  # SQL committed
    assert store.pending_sync("gus") == 2
    # recall keeps working from SQL (scored with the embedder) while Chroma is down
    assert "dislikes horror" in {f.text for f in store.recall("gus", "scary movies")}
    kids = next(f.id for f in store.list_facts("gus") if f.text == "watches with kids")
    store.forget("gus", fact_id=kids)  # a delete during the outage is queued too
    assert store.pending_sync("gus") == 3
    store.toolkit.__dict__["chroma"] = real  # Chroma is back
    assert store.flush_outbox(force=True) == 3
    assert store.pending_sync() == 0
    assert chroma_ids(store, "gus") == sql_ids(store, "gus") == {w.fact_id for w in written}


def test_unreachable_chroma_at_start_loses_nothing(
    tmp_path: Path, make_toolkit: Callable[..., Toolkit]
) -> None:
    home = tmp_path / "home"
    down = MemoryStore(make_toolkit(home, chroma_url="http://127.0.0.1:9"))  # nothing listens there
    written = down.remember_facts("hal", [HORROR_NO, FactIn("watches with kids")], session="s1")
    down.forget("hal", fact_id=written[1].fact_id)
    down.remember_facts("hal", [FactIn("watches for date night")])
    assert down.pending_sync("hal") == 4
    assert {f.text for f in down.recall("hal", "romantic evening", min_score=0.2)} >= {
        "watches for date night"
    }
    up = MemoryStore(make_toolkit(home))  # a later process with Chroma reachable
    assert up.recall("hal", "scary")[0].text == "dislikes horror"  # the call flushes first
    assert up.pending_sync() == 0
    assert chroma_ids(up, "hal") == sql_ids(up, "hal") and len(sql_ids(up, "hal")) == 2


LONG_FACTS = [
    "enjoys slow-burning noir films about lonely detectives wandering rainy cities at night",
    "watches documentaries about deep sea creatures with the whole family on sunday mornings",
    "prefers animated adventures with talking animals when the grandchildren come to visit",
    "loves courtroom dramas where a lawyer fights a powerful corporation against all odds",
    "avoids films with graphic violence or long torture scenes because they cause nightmares",
    "likes quirky indie comedies set in small towns with eccentric neighbours and bakeries",
    "is fascinated by space exploration epics with realistic physics and long silent shots",
    "rewatches classic musicals from the fifties every christmas with a cup of hot cocoa",
    "enjoys heist movies where a clever crew plans an impossible casino robbery in detail",
    "likes sports underdog stories about small teams winning a national championship final",
]


def test_recall_respects_k_threshold_and_token_budget(store: MemoryStore) -> None:
    facts = [FactIn(t) for t in LONG_FACTS]
    assert [w.status for w in store.remember_facts("ivy", facts)] == ["added"] * len(LONG_FACTS)
    query = "a film for tonight"
    full = store.recall("ivy", query, k=8, min_score=-1.0, token_budget=10_000)
    assert len(full) == 8 and [f.score for f in full] == sorted((f.score for f in full), reverse=True)
    small = store.recall("ivy", query, k=8, min_score=-1.0, token_budget=50)
    assert 1 <= len(small) < len(full)
    assert sum(estimate_tokens(f.text) for f in small) <= 50
    default = store.recall("ivy", query, min_score=-1.0)
    assert sum(f.tokens for f in default) <= 200
    assert store.recall("ivy", "quantum chromodynamics lecture notes", min_score=0.5) == []


def test_item_feedback_is_unique_per_user_and_item(store: MemoryStore) -> None:
    assert store.record_feedback("jo", 1, "liked") == "added"
    assert store.record_feedback("jo", 1, "seen") == "kept"  # seen never hides a like
    assert store.record_feedback("jo", 1, "disliked") == "updated"
    store.record_feedback_many("jo", {2: "rejected", 3: "seen"})
    store.record_feedback("kim", 1, "liked")
    profile = store.structured("jo")
    assert (profile["liked"], profile["disliked"], profile["rejected"], profile["seen"]) == (
        [],
        [1],
        [2],
        [3],
    )
    with pytest.raises(ValueError):
        store.record_feedback("jo", 4, "loved")
    with Session(store.engine) as s:
        assert s.scalar(select(func.count()).select_from(MemoryFactRow)) == 0


# ----------------------------------------------------------------------------- the memory policy
def test_a_fact_keeps_its_words_session_strength_and_last_confirmation(store: MemoryStore) -> None:
    said = FactIn("dislikes horror", "dislike", "genre:horror", -1, "horror", source="I hate horror movies")
    first = store.remember_facts("ann", [said], session="s1")[0]
    [fact] = store.list_facts("ann")
    assert (fact.source_text, fact.source_session, fact.strength) == ("I hate horror movies", "s1", 1)
    assert fact.confirmed_at == fact.created_at
    again = FactIn("dislikes horror", "dislike", "genre:horror", -1, "horror", source="never horror for me")
    second = store.remember_facts("ann", [again], session="s2")[0]
    assert (second.status, second.fact_id, second.strength) == ("kept", first.fact_id, 2)
    [fact] = store.list_facts("ann")
    assert (fact.source_text, fact.source_session, fact.strength) == ("never horror for me", "s2", 2)
    assert fact.confirmed_at >= fact.created_at
    recalled = store.recall("ann", "horror movies", min_score=0.0)
    assert recalled[0].strength == 2 and recalled[0].source_text == "never horror for me"
    assert store.structured("ann")["facts"]["genre:horror"]["strength"] == 2
    # a newer opposite statement replaces it, says what it replaced, and starts again at strength 1
    flip = store.remember_facts("ann", [FactIn("likes horror", "preference", "genre:horror", 1, "horror")])[0]
    assert (flip.status, flip.replaced_text, flip.strength) == ("replaced", "dislikes horror", 1)


def test_an_inferred_taste_never_overrules_an_explicit_statement(store: MemoryStore) -> None:
    store.remember_facts("bea", [HORROR_NO], session="s1")
    inferred = FactIn("likes horror", "preference", "genre:horror", 1, "horror", strength=2, explicit=False)
    [write] = store.remember_facts("bea", [inferred], session="s3")
    assert write.status == "skipped"
    assert [(f.polarity, f.strength) for f in store.list_facts("bea")] == [(-1, 1)]


def test_a_request_repeated_in_two_sessions_becomes_a_fact(store: MemoryStore) -> None:
    comedy = FactIn(
        "likes comedy", "preference", "genre:comedy", 1, "comedy", source="a comedy", explicit=False
    )
    assert store.record_requests("cy", "s1", [comedy]) == []
    assert store.record_requests("cy", "s1", [comedy]) == []  # the same session counts once
    assert store.record_requests("other", "s2", [comedy]) == []  # another user's sessions never count
    [promoted] = store.record_requests("cy", "s2", [comedy])
    assert (promoted.key, promoted.strength, promoted.explicit) == ("genre:comedy", 2, False)
    assert store.record_requests("cy", "s2", [comedy]) == []  # promoted once per new session
    assert store.list_facts("cy") == []  # the caller remembers it
    store.remember_facts("cy", [promoted], session="s2")
    assert [(f.text, f.strength) for f in store.list_facts("cy")] == [("likes comedy", 2)]
    # forgetting the fact forgets the requests that made it, or the next request would bring it back
    store.forget("cy", fact_id=store.list_facts("cy")[0].id)
    assert store.record_requests("cy", "s3", [comedy]) == []
    store.record_requests("cy", "s4", [comedy])
    store.forget("cy", all=True)
    assert store.record_requests("cy", "s5", [comedy]) == []
