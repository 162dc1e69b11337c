"""The offline extraction rules on real messages, read by the real rule parser over the shipped catalog."""

from __future__ import annotations

from typing import Any

import pytest

from agent.state import ParsedTurn, ShownFeedback
from memory.extract import (
    context_facts,
    extract_facts,
    extract_item_feedback,
    facts_to_preferences,
    session_summary,
    shown_feedback_items,
)
from memory.facts import RecalledFact


def facts_of(parser: Any, message: str) -> set[tuple[str, str, int]]:
    return {(f.text, f.key, f.polarity) for f in extract_facts(message, parser.parse(message))}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("I hate horror movies", {("dislikes horror", "genre:horror", -1)}),
        ("I like horror now", {("likes horror", "genre:horror", 1)}),
        (
            "I really enjoy sci-fi, but no romance",
            {("likes sci-fi", "genre:sci-fi", 1), ("dislikes romance", "genre:romance", -1)},
        ),
        ("please nothing with gore, I can't stand it", {("dislikes gore (horror)", "genre:horror", -1)}),
        (
            "I love movies with Tom Hanks but I can't stand Adam Sandler",
            {
                ("likes movies with Tom Hanks", "person:tom hanks", 1),
                ("dislikes movies with Adam Sandler", "person:adam sandler", -1),
            },
        ),
        (
            "Anything by Denis Villeneuve?",
            {("likes movies with Denis Villeneuve", "person:denis villeneuve", 1)},
        ),
        (
            "We watch with my kids on weekends, something funny",
            {
                ("likes comedy", "genre:comedy", 1),
                ("watches with kids", "free", 0),
                ("watches on weekends", "free", 0),
            },
        ),
        (
            "looking for something for a date night with my wife",
            {("watches with wife", "free", 0), ("watches for date night", "free", 0)},
        ),
        # about tonight only: not a lasting taste
        ("no horror tonight please", set()),
        # ... unless worded as one
        ("I hate horror, what is good tonight?", {("dislikes horror", "genre:horror", -1)}),
        # implied by a command, never said: not kept
        ("something lighter please", set()),
        ("start over", set()),
        ("hi there", set()),
    ],
)
def test_facts_from_real_messages(
    rule_parser: Any, message: str, expected: set[tuple[str, str, int]]
) -> None:
    assert facts_of(rule_parser, message) == expected


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
