"""Feedback on one shown item (the others stay, the gap is filled) and the truthful "that's every …" reply."""

from __future__ import annotations

from agent.feedback import (
    Exhaustion,
    exhausted_text,
    feedback_intro,
    keeps_others,
    removed_items,
    top_up,
)
from agent.state import ParsedTurn, ShownFeedback, TitleMention


def _items(*ids: int) -> list[dict[str, int]]:
    return [{"id": i} for i in ids]


def test_removed_items_by_position_and_by_title() -> None:
    parsed = ParsedTurn(
        intent="feedback",
        shown_feedback=[
            ShownFeedback(position=2, sentiment="dislike"),
            ShownFeedback(position=9, sentiment="seen"),
        ],
        mentions=[TitleMention(item_id=5, sentiment="seen"), TitleMention(item_id=77, sentiment="dislike")],
    )
    assert removed_items(parsed, [1, 2, 3, 4, 5]) == [2, 5]  # position 9 and item 77 were not shown


def test_only_pure_feedback_keeps_the_others() -> None:
    shown = [1, 2, 3]
    no = ParsedTurn(intent="feedback", shown_feedback=[ShownFeedback(position=1, sentiment="dislike")])
    assert keeps_others(no, shown) == [1]
    older = no.model_copy(update={"year_max": 1980})  # "not the first one, something older": a new list
    assert keeps_others(older, shown) == []
    like = ParsedTurn(intent="feedback", shown_feedback=[ShownFeedback(position=1, sentiment="like")])
    assert keeps_others(like, shown) == []
    assert (
        keeps_others(no, []) == [] and keeps_others(no.model_copy(update={"intent": "chitchat"}), shown) == []
    )


def test_top_up_keeps_places_and_closes_gaps_when_nothing_is_new() -> None:
    assert top_up(_items(1, 2, 3, 4), [2], _items(9, 8)) == _items(1, 9, 3, 4)
    assert top_up(_items(1, 2, 3, 4), [2, 4], _items(3, 9)) == _items(1, 9, 3)  # 3 is already on the list
    assert top_up(_items(1, 2, 3), [1], []) == _items(2, 3)


def test_the_reply_tells_the_truth() -> None:
    ex = Exhaustion(["comedy", "1990-1999", "with Meg Ryan"], 6, 0, [("dropping comedy", 2)])
    text = exhausted_text(ex)
    assert text.startswith("That's every movie I have for comedy, 1990-1999, with Meg Ryan: 6 shown.")
    assert "relax one constraint? Dropping comedy gives 2 more." in text
    assert "1 you told me about" in exhausted_text(Exhaustion(["comedy"], 3, 1, []))
    assert (
        feedback_intro(["Heat (1995)"], 1)
        == "Heat (1995) is off the list; I kept the others and added a new pick:"
    )
    assert feedback_intro(["Heat (1995)"], 0) == "Heat (1995) is off the list. Here are the others again:"
