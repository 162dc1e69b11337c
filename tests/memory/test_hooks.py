"""The turn hooks end to end: what one session teaches shapes the next session of the same user only."""

from __future__ import annotations

import threading
from typing import Any

from agent.preferences import apply_turn
from agent.state import Preferences
from memory.extract import MEMORY_SOFT_PREFIX
from memory.hooks import recall_for_turn, remember_session_summary, remember_turn, remember_turn_notes
from memory.store import MemoryStore
from tools.hard_filter import Constraints


def title_id(parser: Any, title: str) -> int:
    """The catalog id the parser grounds a title to (some titles have several catalog entries)."""
    return next(
        m.item_id
        for m in parser.parse(f"I loved {title}").mentions
        if parser.catalog.items[m.item_id].title == title
    )


def say(store: MemoryStore, parser: Any, user: str, session: str, message: str) -> list[str]:
    return remember_turn(store, user, session, message, parser.parse(message), {})


def test_session_one_shapes_session_two_for_the_same_user_only(store: MemoryStore, rule_parser: Any) -> None:
    written = say(store, rule_parser, "ann", "s1", "I hate horror. We watch with my kids on weekends")
    written += say(store, rule_parser, "ann", "s1", "I loved Heat, and I've already seen Alien")
    assert len(written) == 3
    heat, alien = title_id(rule_parser, "Heat"), title_id(rule_parser, "Alien")

    prefs, trace = recall_for_turn(store, "ann", "recommend a movie for the weekend", Preferences())
    assert prefs.constraints.genres_exclude == ["horror"]
    assert prefs.liked == [heat] and prefs.seen == [alien]
    assert (
        prefs.soft and prefs.soft[0].startswith(MEMORY_SOFT_PREFIX) and "watches on weekends" in prefs.soft[0]
    )
    used = {r["text"]: r for r in trace if r["fact_id"]}
    assert used["dislikes horror"]["use"] == "exclude"
    assert used["watches on weekends"]["source"] == "memory" and used["watches on weekends"]["score"] >= 0.3
    assert sum(r["tokens"] for r in trace) <= 200
    assert all({"fact_id", "text", "score"} <= r.keys() for r in trace)

    other, other_trace = recall_for_turn(store, "bob", "recommend a movie for the weekend", Preferences())
    assert other == Preferences() and other_trace == []

    # idempotent: applying memory again every turn piles nothing up
    again, _ = recall_for_turn(store, "ann", "recommend a movie for the weekend", prefs)
    assert again == prefs


def test_the_conversation_wins_over_memory(store: MemoryStore, rule_parser: Any) -> None:
    say(store, rule_parser, "cat", "s1", "I can't stand horror. I didn't like Heat")
    heat = title_id(rule_parser, "Heat")
    current = Preferences(liked=[heat], constraints=Constraints(genres_include=["horror"]))
    prefs, trace = recall_for_turn(store, "cat", "a horror movie like Heat", current)
    assert prefs.constraints.genres_exclude == [] and prefs.liked == [heat] and prefs.disliked == []
    assert any(r["text"] == "dislikes horror" and r["use"] == "overridden" for r in trace)
    # recalled before the parser runs: the parser's request lifts the remembered exclusion
    fresh, _ = recall_for_turn(store, "cat", "ok, I want a horror movie", Preferences())
    assert fresh.constraints.genres_exclude == ["horror"]
    after = apply_turn(fresh, rule_parser.parse("ok, I want a horror movie"), [])
    assert after.constraints.genres_exclude == [] and after.constraints.genres_include == ["horror"]


def test_a_newer_statement_replaces_the_remembered_one(store: MemoryStore, rule_parser: Any) -> None:
    say(store, rule_parser, "dan", "s1", "I hate horror")
    say(store, rule_parser, "dan", "s2", "I like horror now")
    assert [(f.key, f.polarity) for f in store.list_facts("dan")] == [("genre:horror", 1)]
    prefs, _ = recall_for_turn(store, "dan", "something scary", Preferences())
    assert prefs.constraints.genres_exclude == [] and "likes horror" in prefs.soft[0]


def test_reactions_to_shown_items_are_remembered(store: MemoryStore, rule_parser: Any) -> None:
    parsed = rule_parser.parse("not the first one, but the second looks good", [101, 102, 103])
    remember_turn(
        store,
        "eve",
        "s1",
        "not the first one, but the second looks good",
        parsed,
        {101: "rejected", 102: "liked"},
    )
    profile = store.structured("eve")
    assert profile["rejected"] == [101] and profile["liked"] == [102]
    prefs, _ = recall_for_turn(store, "eve", "more please", Preferences())
    assert prefs.disliked == [101] and prefs.liked == [102]  # both excluded from later recommendations


def test_two_users_talking_concurrently_keep_their_own_memory(store: MemoryStore, rule_parser: Any) -> None:
    said = {"fox": ("I hate horror", "horror"), "gil": ("I hate comedies", "comedy")}
    results: dict[str, Preferences] = {}
    errors: list[BaseException] = []

    def talk(user: str) -> None:
        try:
            for turn in range(3):
                say(store, rule_parser, user, f"s{turn}", said[user][0])
                prefs, _ = recall_for_turn(store, user, "what should I watch?", Preferences())
                results[user] = prefs
                assert prefs.constraints.genres_exclude == [said[user][1]]
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=talk, args=(u,)) for u in said]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert results["fox"].constraints.genres_exclude == ["horror"]
    assert results["gil"].constraints.genres_exclude == ["comedy"]
    assert len(store.list_facts("fox")) == len(store.list_facts("gil")) == 1


class _DownStore:
    """A memory store whose database is gone."""

    def __getattr__(self, name: str) -> Any:
        def fail(*_: Any, **__: Any) -> Any:
            raise RuntimeError("database is gone")

        return fail


def test_a_failing_memory_never_breaks_a_turn(rule_parser: Any) -> None:
    prefs = Preferences(liked=[1])
    out, trace = recall_for_turn(_DownStore(), "hal", "hello", prefs)  # type: ignore[arg-type]
    assert out == prefs and trace[0]["error"] == "RuntimeError"
    assert (
        remember_turn(_DownStore(), "hal", "s", "I hate horror", rule_parser.parse("I hate horror"), {}) == []
    )  # type: ignore[arg-type]


def test_session_summary_is_one_fact_per_session(store: MemoryStore) -> None:
    prefs = Preferences(constraints=Constraints(genres_include=["crime"]), soft=["heist"])
    first = remember_session_summary(store, "ivy", "s1", prefs)
    second = remember_session_summary(store, "ivy", "s1", prefs.model_copy(update={"soft": ["bank robbery"]}))
    assert first == second
    facts = store.list_facts("ivy")
    assert [(f.kind, f.key) for f in facts] == [("summary", "summary:s1")] and "bank robbery" in facts[0].text


# ----------------------------------------------------------------------------- the memory policy
def test_one_off_requests_stay_in_their_session_until_repeated(store: MemoryStore, rule_parser: Any) -> None:
    assert say(store, rule_parser, "eve", "s1", "a comedy from the 80s") == []
    assert say(store, rule_parser, "eve", "s1", "another comedy please") == []  # same session: still one-off
    assert store.list_facts("eve") == []
    prefs, trace = recall_for_turn(
        store, "eve", "a drama", apply_turn(Preferences(), rule_parser.parse("a drama"), [])
    )
    assert not any("comedy" in s for s in prefs.soft) and not [r for r in trace if r["fact_id"]]
    assert len(say(store, rule_parser, "eve", "s2", "a comedy tonight")) == 1  # the second session: a taste
    [fact] = store.list_facts("eve")
    assert (fact.text, fact.strength, fact.source_session, fact.source_text) == (
        "likes comedy",
        2,
        "s2",
        "a comedy tonight",
    )


def test_a_newer_opposite_statement_is_noted_once(store: MemoryStore, rule_parser: Any) -> None:
    def notes(session: str, message: str, shown: dict[int, str] | None = None) -> list[str]:
        return remember_turn_notes(store, "fay", session, message, rule_parser.parse(message), shown)[1]

    assert notes("s1", "I hate horror movies") == []
    assert notes("s2", "Actually I love horror") == ["Noted: you now like horror (before: no horror)."]
    assert notes("s2", "I love horror") == []  # confirmed, not replaced again
    assert notes("s3", "I can't stand Adam Sandler") == []
    assert notes("s3", "I love Adam Sandler") == [
        "Noted: you now like Adam Sandler (before: no Adam Sandler)."
    ]
    heat = title_id(rule_parser, "Heat")
    assert notes("s4", "I loved Heat") == []
    assert notes("s4", "I didn't like Heat") == ["Noted: you now dislike Heat (1995) (before: you liked it)."]
    assert notes("s4", "", {heat: "liked"}) == ["Noted: you now like Heat (1995) (before: you disliked it)."]
    [horror] = [f for f in store.list_facts("fay") if f.key == "genre:horror"]
    assert (horror.polarity, horror.strength, horror.source_text) == (1, 2, "I love horror")


def test_the_current_request_outweighs_recalled_facts(store: MemoryStore, rule_parser: Any) -> None:
    say(store, rule_parser, "gus", "s1", "I love comedies. I hate horror. I love Tom Hanks")
    drama = apply_turn(Preferences(), rule_parser.parse("a drama"), [])
    prefs, trace = recall_for_turn(store, "gus", "a drama", drama)
    uses = {r["text"]: r["use"] for r in trace if r["fact_id"]}
    assert uses["likes comedy"] == "outweighed" and uses["dislikes horror"] == "exclude"
    assert not any("comedy" in s for s in prefs.soft)
    assert prefs.constraints.genres_include == ["drama"] and prefs.constraints.genres_exclude == ["horror"]
    # a remembered exclusion is lifted by asking for it now, and the fact stays
    horror = apply_turn(Preferences(), rule_parser.parse("ok, a horror movie"), [])
    prefs, trace = recall_for_turn(store, "gus", "ok, a horror movie", horror)
    assert prefs.constraints.genres_exclude == [] and prefs.constraints.genres_include == ["horror"]
    assert any(r["text"] == "dislikes horror" and r["use"] == "overridden" for r in trace)
    assert "dislikes horror" in {f.text for f in store.list_facts("gus")}


def test_a_remembered_content_dislike_excludes_until_asked_for(store: MemoryStore, rule_parser: Any) -> None:
    say(store, rule_parser, "hal", "s1", "I can't stand gore")
    assert [f.key for f in store.list_facts("hal")] == ["qualifier:gore"]
    prefs, _ = recall_for_turn(
        store, "hal", "a thriller", apply_turn(Preferences(), rule_parser.parse("a thriller"), [])
    )
    assert prefs.constraints.qualifiers_exclude == ["gore"]
    wanted = Preferences(qualifiers_boost=["gore"])
    prefs, trace = recall_for_turn(store, "hal", "something gory", wanted)
    assert prefs.constraints.qualifiers_exclude == []
    assert any(r["text"] == "dislikes movies with gore" and r["use"] == "overridden" for r in trace)
