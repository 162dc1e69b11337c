"""The memory policy as a user meets it, through the service (real SQLite, Chroma, bundled model, rule parser):
lasting tastes carry over to a new session, one-off requests do not, what is asked now outweighs what is
remembered, and a changed mind is noted once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ui.service import Service, TurnResult


@pytest.fixture()
def user(fresh_user: str) -> str:
    """A user id unique to this run (a reused test home keeps earlier runs' memory)."""
    return f"{fresh_user}-{uuid.uuid4().hex[:8]}"


def _ask(service: Service, user: str, text: str, session: str) -> TurnResult:
    result = service.ask(text, user=user, session=session)
    assert result.error is None, result.reply
    return result


def _items(service: Service, result: TurnResult) -> list[Any]:
    return [service.toolkit.catalog.items[it["id"]] for it in result.items]


def _memory_uses(result: TurnResult) -> dict[str, str]:
    recall = [t for t in result.trace if t["step"] == "recall" and t.get("tool") == "memory"]
    return {f["text"]: f["use"] for r in recall for f in r["facts"] if f.get("fact_id")}


def test_a_stated_dislike_and_love_carry_over_to_a_new_session(service: Service, user: str) -> None:
    _ask(service, user, "I hate horror movies. I love Tom Hanks.", "s1")
    later = _ask(service, user, "recommend me a movie", "s2")
    items = _items(service, later)
    assert items and all("horror" not in it.genres for it in items)
    assert any("Tom Hanks" in (*it.stars, *it.directors) for it in items)
    assert _memory_uses(later) == {"dislikes horror": "exclude", "likes movies with Tom Hanks": "soft"}
    facts = {f.text: f for f in service.memory.list_facts(user)}  # type: ignore[union-attr]
    assert set(facts) == {"dislikes horror", "likes movies with Tom Hanks"}
    assert facts["dislikes horror"].source_text == "I hate horror movies"
    assert facts["likes movies with Tom Hanks"].source_text == "I love Tom Hanks"
    assert {f.source_session for f in facts.values()} == {"s1"}


def test_a_one_off_request_does_not_steer_the_next_session(service: Service, user: str) -> None:
    _ask(service, user, "a comedy from the 80s", "s1")
    assert service.memory.list_facts(user) == []  # type: ignore[union-attr]
    later = _ask(service, user, "a drama", "s2")
    newcomer = _ask(service, f"{user}-new", "a drama", "s2")
    assert [it["id"] for it in later.items] == [it["id"] for it in newcomer.items]
    assert not any("comedy" in s for s in later.state["soft"])


def test_a_remembered_genre_like_does_not_override_a_different_request(service: Service, user: str) -> None:
    _ask(service, user, "I love comedies", "s1")
    later = _ask(service, user, "a drama", "s2")
    assert _memory_uses(later).get("likes comedy") in (None, "outweighed")
    newcomer = _ask(service, f"{user}-new", "a drama", "s2")
    assert [it["id"] for it in later.items] == [it["id"] for it in newcomer.items]
    vague = _ask(service, user, "recommend me something", "s3")  # nothing asked: the like applies
    assert any(s.startswith("memory: ") and "comedy" in s for s in vague.state["soft"])


def test_asking_for_a_remembered_dislike_lifts_it_for_that_conversation(service: Service, user: str) -> None:
    _ask(service, user, "I hate horror movies", "s1")
    later = _ask(service, user, "a horror movie", "s2")
    assert later.items and all("horror" in it.genres for it in _items(service, later))
    assert _memory_uses(later)["dislikes horror"] == "overridden" and "Noted" not in later.reply
    assert [f.text for f in service.memory.list_facts(user)] == ["dislikes horror"]  # type: ignore[union-attr]


def test_a_changed_mind_replaces_the_fact_and_is_noted_once(service: Service, user: str) -> None:
    _ask(service, user, "I hate horror movies", "s1")
    changed = _ask(service, user, "Actually I love horror", "s2")
    assert "Noted: you now like horror (before: no horror)." in changed.reply
    assert all("horror" in it.genres for it in _items(service, changed))
    again = _ask(service, user, "I love horror", "s3")
    assert "Noted" not in again.reply
    [fact] = service.memory.list_facts(user)  # type: ignore[union-attr]
    assert (fact.text, fact.strength, fact.source_session, fact.source_text) == (
        "likes horror",
        2,
        "s3",
        "I love horror",
    )


def test_a_taste_asked_for_in_two_sessions_is_remembered(service: Service, user: str) -> None:
    _ask(service, user, "a western", "s1")
    _ask(service, user, "another western please", "s1")
    assert service.memory.list_facts(user) == []  # type: ignore[union-attr]
    _ask(service, user, "a western", "s2")
    [fact] = service.memory.list_facts(user)  # type: ignore[union-attr]
    assert (fact.text, fact.strength, fact.source_session) == ("likes western", 2, "s2")
