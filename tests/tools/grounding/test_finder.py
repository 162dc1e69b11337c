"""``Grounder.find_titles``: titles inside user messages and generated replies, and the precision rules."""

from __future__ import annotations

from tools.grounding import Grounder


def _found(grounder: Grounder, text: str) -> list[tuple[str, str]]:
    mentions = grounder.find_titles(text)
    for m in mentions:
        assert text[m.start : m.end] == m.text
    starts = [m.start for m in mentions]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in zip(mentions, mentions[1:], strict=False))
    return [(m.text, m.match.title) for m in mentions]


def test_find_titles_in_a_user_message(grounder: Grounder) -> None:
    text = "i loved the matrix and heat but not alien 3"
    assert _found(grounder, text) == [("the matrix", "The Matrix"), ("alien 3", "Alien 3")]
    mentions = grounder.find_titles(text)
    assert (mentions[0].start, mentions[0].end) == (8, 18)
    assert (mentions[1].start, mentions[1].end) == (36, 43)


def test_find_titles_in_a_generated_reply(grounder: Grounder) -> None:
    text = 'You might enjoy **Inception (2010)** and "Heat"'
    mentions = grounder.find_titles(text)
    assert [(m.text, m.match.title, m.match.year) for m in mentions] == [
        ("Inception (2010)", "Inception", 2010),
        ("Heat", "Heat", 1995),
    ]
    assert text[mentions[0].start - 2 : mentions[0].start] == "**"


def test_common_word_titles_need_a_capital_mid_sentence(grounder: Grounder) -> None:
    assert _found(grounder, "I loved Up and Her, but not It.") == [("Up", "Up"), ("Her", "Her"), ("It", "It")]
    assert _found(grounder, "i loved up and her but not it") == []
    assert _found(grounder, "Up was great") == []  # a capital that only starts the sentence
    assert _found(grounder, "we should go see it with her, yes, i love us") == []
    assert _found(grounder, "I LOVE IT") == []  # shouting is no title
    assert _found(grounder, "I have It was great") == []  # a pronoun at work


def test_common_word_titles_match_when_quoted_bold_or_with_a_year(grounder: Grounder) -> None:
    assert _found(grounder, 'have you seen "go"?') == [("go", "Go")]
    assert _found(grounder, "try **Yes** tonight") == [("Yes", "Yes")]
    assert _found(grounder, "heat (1995) is a classic") == [("heat (1995)", "Heat")]
    assert _found(grounder, "i want to get out of the house") == []
    assert _found(grounder, "I really liked Get Out") == [("Get Out", "Get Out")]


def test_genre_words_are_never_titles_as_genres(grounder: Grounder) -> None:
    for text in (
        "i want a horror movie",
        "I want a Horror movie",
        "any good action or drama movies?",
        "**Drama**: slow and moving",
        "I love Movies",
        "a halloween movie please",
        "I want a Halloween movie",
        "a scary movie for tonight",
    ):
        assert _found(grounder, text) == [], text
    assert _found(grounder, "Horror (2003) was odd") == [("Horror (2003)", "Horror")]
    assert _found(grounder, "I watched Halloween yesterday") == [("Halloween", "Halloween")]


def test_people_names_are_not_titles(grounder: Grounder) -> None:
    assert _found(grounder, "movies with Paul Rudd please") == []
    assert _found(grounder, "anything by George Lucas") == []
    assert _found(grounder, "anything by george lucas") == []


def test_unknown_sequels_and_subtitles_do_not_ground_the_original(grounder: Grounder) -> None:
    assert _found(grounder, "I recommend The Matrix 5 and Jurassic Park: The Final Roar") == []
    assert _found(grounder, 'Try "The Matrix Reborn" instead') == []
    assert _found(grounder, "Toy Story 2 beats Toy Story") == [
        ("Toy Story 2", "Toy Story 2"),
        ("Toy Story", "Toy Story"),
    ]


def test_longest_match_wins(grounder: Grounder) -> None:
    assert _found(grounder, "the matrix reloaded was weaker") == [
        ("the matrix reloaded", "The Matrix Reloaded")
    ]
    assert _found(grounder, "Star Wars: The Last Jedi split fans") == [
        ("Star Wars: The Last Jedi", "Star Wars: The Last Jedi")
    ]


def test_title_with_year_and_typo(grounder: Grounder) -> None:
    assert _found(grounder, "Have you seen The Shinning (1980)? It is scary") == [
        ("The Shinning (1980)", "The Shining")
    ]


def test_accents_possessives_and_spans(grounder: Grounder) -> None:
    text = "Amelie and Inception's ending"
    assert _found(grounder, text) == [("Amelie", "Amélie"), ("Inception's", "Inception")]
    assert _found(grounder, "") == []
    assert _found(grounder, "   ") == []
