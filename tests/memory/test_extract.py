"""The memory policy's extraction rules: on constructed parses (spans with lasting flags, mentions, shown
feedback) and on real messages read by the real rule parser over the shipped catalog."""

from __future__ import annotations

from typing import Any

import pytest

from agent.state import ParsedTurn, Preferences, ShownFeedback, Span, TitleMention
from memory.extract import (
    context_facts,
    extract_facts,
    extract_item_feedback,
    extract_requests,
    facts_to_preferences,
    outweighed,
    session_summary,
    shown_feedback_items,
    source_words,
    taste_spans,
)
from memory.facts import RecalledFact
from tools.hard_filter import Constraints


def facts_of(parser: Any, message: str) -> set[tuple[str, str, int]]:
    return {(f.text, f.key, f.polarity) for f in extract_facts(message, parser.parse(message))}


def requests_of(parser: Any, message: str) -> set[tuple[str, int]]:
    return {(f.key, f.polarity) for f in extract_requests(message, parser.parse(message))}


# ----------------------------------------------------------------------------- constructed parses
def test_only_lasting_spans_become_facts_with_their_words() -> None:
    turn = ParsedTurn(
        genres_include=["comedy"],
        genres_exclude=["horror"],
        people_include=["Tom Hanks"],
        year_min=1980,
        year_max=1989,
        spans=[
            Span(slot="genres_exclude", value="horror", text="I hate horror movies", lasting=True),
            Span(slot="people_include", value="Tom Hanks", text="I love Tom Hanks", lasting=True),
            Span(slot="genres_include", value="comedy", text="a comedy from the 80s"),
            Span(slot="year_min", value="1980", text="a comedy from the 80s"),
        ],
    )
    message = "I hate horror movies. I love Tom Hanks. Tonight a comedy from the 80s"
    facts = {f.key: f for f in extract_facts(message, turn)}
    assert set(facts) == {"genre:horror", "person:tom hanks"}
    assert (facts["genre:horror"].text, facts["genre:horror"].polarity) == ("dislikes horror", -1)
    assert facts["genre:horror"].source == "I hate horror movies" and facts["genre:horror"].explicit
    assert facts["person:tom hanks"].text == "likes movies with Tom Hanks"
    assert facts["person:tom hanks"].source == "I love Tom Hanks"
    # the one-off request is only counted, never a fact
    assert [(r.key, r.polarity, r.source, r.explicit) for r in extract_requests(message, turn)] == [
        ("genre:comedy", 1, "Tonight a comedy from the 80s", False)
    ]


@pytest.mark.parametrize(
    ("slot", "value", "text", "key", "polarity"),
    [
        ("genres_include", "sci-fi", "likes sci-fi", "genre:sci-fi", 1),
        ("people_exclude", "Adam Sandler", "dislikes movies with Adam Sandler", "person:adam sandler", -1),
        ("qualifiers_exclude", "gore", "dislikes movies with gore", "qualifier:gore", -1),
        ("qualifiers_include", "feel-good", "likes feel-good movies", "qualifier:feel-good", 1),
        ("countries", "France", "likes movies from France", "country:france", 1),
    ],
)
def test_every_taste_slot_gives_a_keyed_fact(
    slot: str, value: str, text: str, key: str, polarity: int
) -> None:
    spans = [{"slot": slot, "value": value, "text": "my words", "lasting": True}]
    turn = ParsedTurn.model_validate({slot: [value], "spans": spans})
    [fact] = extract_facts("my words", turn)
    assert (fact.text, fact.key, fact.polarity, fact.value, fact.source) == (
        text,
        key,
        polarity,
        value,
        "my words",
    )


def test_a_fact_keeps_the_sentence_that_holds_its_words() -> None:
    turn = ParsedTurn(
        genres_exclude=["horror"],
        people_include=["Tom Hanks"],
        spans=[
            Span(slot="genres_exclude", value="horror", text="hate horror", lasting=True),
            Span(slot="people_include", value="Tom Hanks", text="love tom hanks", lasting=True),
        ],
    )
    facts = extract_facts("I hate horror movies. I love Tom Hanks!", turn)
    assert [f.source for f in facts] == ["I hate horror movies", "I love Tom Hanks"]
    assert source_words("I can't stand gore", "cant stand gore") == "I can't stand gore"
    assert source_words("something else", "hate horror") == "hate horror"  # not found: the span's own words


def test_a_value_without_a_span_is_a_request_and_a_parse_without_spans_is_read_whole() -> None:
    partial = ParsedTurn(
        genres_include=["drama", "war"],
        spans=[Span(slot="genres_include", value="drama", text="I love dramas", lasting=True)],
    )
    assert [f.key for f in extract_facts("I love dramas, a war one", partial)] == ["genre:drama"]
    assert [f.key for f in extract_requests("I love dramas, a war one", partial)] == ["genre:war"]
    # no spans at all (the LLM parser): lasting when worded as taste, else a request
    llm = ParsedTurn(genres_exclude=["horror"])
    assert [f.text for f in extract_facts("I hate horror", llm)] == ["dislikes horror"]
    assert extract_facts("no horror please", llm) == []
    assert [f.key for f in extract_requests("no horror please", llm)] == ["genre:horror"]
    assert {s.text for s in taste_spans("I hate horror", llm)} == {"I hate horror"}


def test_questions_resets_and_observed_messages_teach_nothing() -> None:
    lasting = [Span(slot="genres_include", value="horror", text="I love horror", lasting=True)]
    for intent in ("item_question", "reset", "observe"):
        turn = ParsedTurn(intent=intent, genres_include=["horror"], spans=lasting)
        assert extract_facts("I love horror", turn) == [] and extract_requests("I love horror", turn) == []


def test_item_feedback_is_always_kept() -> None:
    turn = ParsedTurn(
        intent="feedback",
        mentions=[TitleMention(item_id=7, text="Heat"), TitleMention(item_id=8, sentiment="seen")],
        shown_feedback=[ShownFeedback(position=1, sentiment="dislike")],
    )
    assert extract_item_feedback(turn) == {7: "liked", 8: "seen"}
    assert shown_feedback_items(turn, [42]) == {42: "rejected"}


def test_context_is_kept_only_as_a_habit() -> None:
    habit = {f.text for f in extract_facts("We usually watch with my kids on weekends", ParsedTurn())}
    assert habit == {"watches with kids", "watches on weekends"}
    assert extract_facts("a movie for date night with my wife", ParsedTurn()) == []
    assert extract_facts("something tonight with my kids", ParsedTurn()) == []


# ----------------------------------------------------------------------------- real messages, real parser
@pytest.mark.parametrize(
    ("message", "facts", "requests"),
    [
        (
            "I hate horror movies. I love Tom Hanks.",
            {("dislikes horror", "genre:horror", -1), ("likes movies with Tom Hanks", "person:tom hanks", 1)},
            set(),
        ),
        ("a comedy from the 80s", set(), {("genre:comedy", 1)}),
        ("a drama", set(), {("genre:drama", 1)}),
        ("I like horror now", {("likes horror", "genre:horror", 1)}, set()),
        ("no horror tonight please", set(), {("genre:horror", -1)}),
        (
            "I love horror but not gore",
            {("likes horror", "genre:horror", 1), ("dislikes movies with gore", "qualifier:gore", -1)},
            set(),
        ),
        ("something lighter please", set(), {("qualifier:feel-good", 1)}),  # a mood for now: counted only
        ("start over", set(), set()),
        ("hi there", set(), set()),
    ],
)
def test_facts_and_requests_from_real_messages(
    rule_parser: Any, message: str, facts: set[tuple[str, str, int]], requests: set[tuple[str, int]]
) -> None:
    assert facts_of(rule_parser, message) == facts
    assert requests_of(rule_parser, message) == requests


def test_item_feedback_from_title_mentions(rule_parser: Any) -> None:
    parsed = rule_parser.parse("I loved Heat and I've already seen Alien. I didn't like Titanic")
    titles = {rule_parser.catalog.items[i].title: kind for i, kind in extract_item_feedback(parsed).items()}
    assert titles == {"Heat": "liked", "Alien": "seen", "Titanic": "disliked"}
    question = rule_parser.parse("who directed Heat?")
    assert extract_item_feedback(question) == {}


def test_reactions_to_shown_items() -> None:
    parsed = ParsedTurn(
        intent="feedback",
        shown_feedback=[
            ShownFeedback(position=1, sentiment="dislike"),
            ShownFeedback(position=2, sentiment="like"),
            ShownFeedback(position=3, sentiment="seen"),
            ShownFeedback(position=9, sentiment="like"),
        ],
    )
    assert shown_feedback_items(parsed, [11, 22, 33]) == {11: "rejected", 22: "liked", 33: "seen"}


def test_context_phrases() -> None:
    texts = {
        f.text for f in context_facts("Something short we can watch with the children before bed on Fridays")
    }
    assert texts == {
        "watches with kids",
        "prefers shorter movies",
        "watches before bed",
        "watches on fridays",
    }
    assert context_facts("a thriller with Tom Hanks") == []


def test_hints_from_recalled_facts_and_profile() -> None:
    structured = {
        "liked": [1, 2],
        "disliked": [3],
        "seen": [4],
        "rejected": [5],
        "genres": {"horror": -1, "comedy": 1},
        "people": {"adam sandler": {"name": "Adam Sandler", "polarity": -1, "fact_id": "p1"}},
        "facts": {
            "genre:horror": {"fact_id": "g1", "text": "dislikes horror", "polarity": -1},
            "genre:comedy": {"fact_id": "g2", "text": "likes comedy", "polarity": 1},
            "person:adam sandler": {
                "fact_id": "p1",
                "text": "dislikes movies with Adam Sandler",
                "polarity": -1,
            },
        },
    }
    recalled = [
        RecalledFact("c1", "watches with kids", 0.52, kind="context"),
        RecalledFact("g1", "dislikes horror", 0.41, kind="dislike", key="genre:horror", polarity=-1),
    ]
    hints = facts_to_preferences(recalled, structured)
    genres_exclude, genres_include, people_include, liked, disliked, seen, soft = hints.as_tuple()
    assert (genres_exclude, genres_include, people_include) == (["horror"], ["comedy"], [])
    assert hints.people_exclude == ["Adam Sandler"]
    assert (liked, disliked, seen) == ([1, 2], [3, 5], [4])
    assert soft == "watches with kids"  # a dislike never becomes soft text (its embedding is close to horror)
    uses = {r["fact_id"]: (r["source"], r["use"]) for r in hints.trace}
    assert uses == {"c1": ("memory", "soft"), "g1": ("memory", "exclude"), "p1": ("profile", "exclude")}
    vague = facts_to_preferences([], structured, profile_likes_in_soft=True)
    assert vague.soft_text == "likes comedy"


def test_the_current_request_outweighs_remembered_likes() -> None:
    drama = Preferences(constraints=Constraints(genres_include=["drama"]))
    assert outweighed("genre:comedy", "comedy", 1, drama)  # "likes comedy" + "a drama"
    assert outweighed("genre:drama", "drama", 1, drama)  # asked already: the hint would only repeat it
    assert not outweighed("person:tom hanks", "Tom Hanks", 1, drama)  # no person asked: Tom Hanks still fits
    no_comedy = Preferences(constraints=Constraints(genres_exclude=["comedy"]))
    assert outweighed("genre:comedy", "comedy", 1, no_comedy)
    streep = Preferences(constraints=Constraints(people_include=["Meryl Streep"]))
    assert outweighed("person:tom hanks", "Tom Hanks", 1, streep)
    assert outweighed("qualifier:dark", "dark", 1, Preferences(qualifiers_penalty=["dark"]))
    assert outweighed(
        "qualifier:gore", "gore", 1, Preferences(constraints=Constraints(qualifiers_exclude=["gore"]))
    )
    italy = Preferences(constraints=Constraints(countries=["Italy"]))
    assert outweighed("country:france", "France", 1, italy) and not outweighed(
        "country:italy", "Italy", 1, italy
    )
    assert not outweighed("genre:horror", "horror", -1, drama)  # dislikes are lifted elsewhere, by a request
    assert not outweighed("free", "", 0, drama) and not outweighed("genre:comedy", "comedy", 1, None)

    recalled = [
        RecalledFact(
            "g2", "likes comedy", 0.6, kind="preference", key="genre:comedy", value="comedy", polarity=1
        ),
        RecalledFact("c1", "watches with kids", 0.5, kind="context"),
    ]
    structured = {"facts": {"genre:comedy": {"fact_id": "g2", "text": "likes comedy", "polarity": 1}}}
    hints = facts_to_preferences(recalled, structured, current=drama)
    assert hints.soft_text == "watches with kids"
    assert {r["fact_id"]: r["use"] for r in hints.trace} == {"g2": "outweighed", "c1": "soft"}
    vague = facts_to_preferences([], structured, profile_likes_in_soft=True, current=drama)
    assert vague.soft_text == ""


def test_session_summary() -> None:
    from agent.state import Preferences
    from tools.hard_filter import Constraints

    prefs = Preferences(
        liked=[1],
        constraints=Constraints(genres_include=["crime"], genres_exclude=["horror"]),
        soft=["heist"],
    )
    assert (
        session_summary(prefs, {1: "Heat (1995)"})
        == "liked Heat (1995); wanted crime; no horror; asked for heist"
    )
