"""The offline parser on real messages, with the real catalog and grounding."""

from __future__ import annotations

import pytest

from agent.parsers.rules import RuleParser
from agent.state import ParsedTurn
from ui.service import Service


@pytest.fixture(scope="module")
def parser(service: Service) -> RuleParser:
    return service.context.parser


def _titles(service: Service, ids: list[int]) -> set[str]:
    return {service.toolkit.catalog.items[i].title for i in ids}


def test_titles_with_sentiment(service: Service, parser: RuleParser) -> None:
    p = parser.parse("I loved The Matrix and Heat, but I hated Titanic. I've already seen Inception.")
    stance = {service.toolkit.catalog.items[m.item_id].title: m.sentiment for m in p.mentions}
    assert stance == {"The Matrix": "like", "Heat": "like", "Titanic": "dislike", "Inception": "seen"}


def test_genres_and_negations(parser: RuleParser) -> None:
    p = parser.parse("a funny sci-fi movie, no horror and nothing too romantic")
    assert set(p.genres_include) == {"comedy", "sci-fi"}
    assert set(p.genres_exclude) == {"horror", "romance"}
    assert parser.parse("I want a horror movie").mentions == []  # a genre is not a title


@pytest.mark.parametrize(
    ("text", "year_min", "year_max"),
    [
        ("something from the 90s", 1990, 1999),
        ("an 80's classic", 1980, 1989),
        ("movies after 2010", 2011, None),
        ("made before 1980", None, 1979),
        ("nothing before 1990", 1990, None),
        ("between 1995 and 2005", 1995, 2005),
        ("the nineties", 1990, 1999),
    ],
)
def test_years_and_decades(parser: RuleParser, text: str, year_min: int | None, year_max: int | None) -> None:
    p = parser.parse(text)
    assert (p.year_min, p.year_max) == (year_min, year_max)


def test_recent_is_relative_to_the_catalog(parser: RuleParser) -> None:
    p = parser.parse("only new releases please")
    assert p.year_min == parser.current_year - 2 == 2020 and "only recent movies" in p.commands


def test_people_from_the_catalog(parser: RuleParser) -> None:
    p = parser.parse("something directed by Christopher Nolan but without Tom Cruise")
    assert p.people_include == ["Christopher Nolan"] and p.people_exclude == ["Tom Cruise"]


def test_rating_words(parser: RuleParser) -> None:
    assert parser.parse("a highly rated drama").min_rating == 7.0
    assert parser.parse("rated above 8").min_rating == 8.0


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("hello!", "chitchat"),
        ("thanks", "chitchat"),
        ("let's start over", "reset"),
        ("more please", "more"),
        ("something else", "more"),
        ("I want a thriller", "recommend"),
    ],
)
def test_intents(parser: RuleParser, text: str, intent: str) -> None:
    assert parser.parse(text).intent == intent


def test_feedback_on_shown_items(parser: RuleParser) -> None:
    p = parser.parse("seen the first one, the second sounds good, not the last one", [11, 12, 13])
    assert {(f.position, f.sentiment) for f in p.shown_feedback} == {(1, "seen"), (2, "like"), (3, "dislike")}
    assert p.intent == "feedback"


def test_item_questions(service: Service, parser: RuleParser) -> None:
    p = parser.parse("who directed Pulp Fiction?")
    assert p.intent == "item_question" and p.question_aspect == "director"
    assert _titles(service, [p.question_item or 0]) == {"Pulp Fiction"}
    q = parser.parse("what is the second one about?", [5, 6, 7])
    assert q.intent == "item_question" and q.question_item == 6 and q.question_aspect == "plot"


def test_commands(parser: RuleParser) -> None:
    p = parser.parse("no more horror")
    assert "horror" in p.genres_exclude and any(c.startswith("no more") for c in p.commands)
    lighter = parser.parse("something lighter")
    assert lighter.qualifiers_include == ["feel-good"] and not lighter.genres_exclude
    light = parser.parse("Tonight I want something light, I'm exhausted.")
    assert light.qualifiers_include == ["feel-good"]


def test_soft_text_drops_filler_and_negated_parts(parser: RuleParser) -> None:
    p = parser.parse("I'd like a slow-burn space thriller with a twist, but no gore")
    assert "slow" in p.soft and "twist" in p.soft and "gore" not in p.soft


@pytest.mark.parametrize(
    ("text", "title", "sentiment"),
    [
        ("I haven't seen Titanic", "Titanic", "neutral"),  # not seen is no dislike: it stays a candidate
        ("I have not seen Heat but I heard it's good", "Heat", "neutral"),
        ("not sure if I've seen Inception", "Inception", "neutral"),
        ("I never watched The Matrix", "The Matrix", "neutral"),
        ("I haven't seen Titanic and don't want to", "Titanic", "dislike"),
        ("I've seen Titanic and loved it!", "Titanic", "like"),  # seen and liked: a positive seed
        ("I saw Heat last week, it was great", "Heat", "like"),
        ("I saw Heat", "Heat", "seen"),
        ("Have you seen The Matrix?", "The Matrix", "like"),
        ("something similar to Inception", "Inception", "like"),
        ("it was good but not as good as The Matrix", "The Matrix", "like"),
        ("I don't like Titanic", "Titanic", "dislike"),
        ("anything but Titanic", "Titanic", "dislike"),
        ("Titanic was boring", "Titanic", "dislike"),
    ],
)
def test_title_stances(service: Service, parser: RuleParser, text: str, title: str, sentiment: str) -> None:
    stance = {
        service.toolkit.catalog.items[m.item_id].title: m.sentiment for m in parser.parse(text).mentions
    }
    assert stance == {title: sentiment}


def test_it_after_a_named_film_is_that_film(service: Service, parser: RuleParser) -> None:
    p = parser.parse('Have you seen "Greta"? I liked it, something creepy like that', [11, 12, 13])
    assert not p.shown_feedback  # "it" is Greta, not the first shown item
    assert [(m.sentiment, service.toolkit.catalog.items[m.item_id].title) for m in p.mentions] == [
        ("like", "Greta")
    ]
    q = parser.parse("loved it, more like that", [11, 12, 13])  # no film named: "it" is the first shown one
    assert [(f.position, f.sentiment) for f in q.shown_feedback] == [(1, "like")]


@pytest.mark.parametrize(
    ("text", "position"), [("is the second one long?", 2), ("is it too long?", 1), ("is number 3 short?", 3)]
)
def test_is_it_long_asks_for_the_running_time(parser: RuleParser, text: str, position: int) -> None:
    p = parser.parse(text, [11, 12, 13])
    assert (p.intent, p.question_aspect, p.question_item, p.runtime_max) == (
        "item_question",
        "runtime",
        10 + position,
        None,
    )


def test_unseen_shown_item_is_no_feedback(parser: RuleParser) -> None:
    p = parser.parse("I haven't seen the first one, the second sounds good", [11, 12, 13])
    assert {(f.position, f.sentiment) for f in p.shown_feedback} == {(2, "like")}


def _lasting(p: ParsedTurn) -> set[str]:
    return {f"{s.slot}:{s.value}" for s in p.spans if s.lasting}


def test_a_stance_stays_in_its_sentence(parser: RuleParser) -> None:
    p = parser.parse("I hate horror movies. I love Tom Hanks.")
    assert p.genres_exclude == ["horror"] and p.people_include == ["Tom Hanks"] and not p.people_exclude
    assert _lasting(p) == {"genres_exclude:horror", "people_include:Tom Hanks"}


@pytest.mark.parametrize(
    ("text", "include", "exclude", "less"),
    [
        ("I want a horror movie that isn't gory", ["horror"], ["gore"], []),
        ("I can't stand gore but I love a good scary movie", ["horror"], ["gore"], []),
        ("I hate movies with gore", [], ["gore"], []),
        ("a comedy, not too depressing", ["comedy"], [], ["dark"]),
        ("a movie about music", [], [], []),
        ("no horror and a comedy please", ["comedy"], ["horror"], []),
    ],
)
def test_negation_scope_and_qualifiers(
    parser: RuleParser, text: str, include: list[str], exclude: list[str], less: list[str]
) -> None:
    p = parser.parse(text)
    assert p.genres_include == include
    assert sorted(p.qualifiers_exclude + p.genres_exclude) == exclude
    assert p.qualifiers_less == less


def test_qualifiers_keep_their_words(parser: RuleParser) -> None:
    p = parser.parse("I want a horror movie that isn't gory")
    assert p.qualifiers_exclude == ["gore"] and "gory" not in p.soft
    assert any(s.slot == "qualifiers_exclude" and "gory" in s.text for s in p.spans)
    assert not _lasting(p)  # a request for now, not a lasting taste
    music = parser.parse("a movie about music")
    assert music.qualifiers_include == ["music"]


def test_runtime_language_country_and_obscurity(parser: RuleParser) -> None:
    assert parser.parse("something not so long").runtime_max == 120
    assert parser.parse("a heist movie under 90 minutes").runtime_max == 90
    assert parser.parse("a movie in English").language == "en"
    korean = parser.parse("a Korean thriller")
    assert korean.countries == ["South Korea"] and korean.genres_include == ["thriller"]
    nolan = parser.parse("a Nolan film I might not have seen")
    assert nolan.people_include == ["Christopher Nolan"] and nolan.avoid_popular


def test_newer_is_relative_to_the_named_title(service: Service, parser: RuleParser) -> None:
    p = parser.parse("Something like Heat (1995) but newer")
    heat = service.toolkit.catalog.items[p.mentions[0].item_id]
    assert heat.year == 1995 and p.mentions[0].sentiment == "like"
    assert (p.year_min, p.year_max) == (1996, None)


def test_questions_about_shown_items_are_not_wishes(parser: RuleParser) -> None:
    shown = [5, 6, 7]
    twist = parser.parse("has the first one got a twist?", shown)
    assert (twist.intent, twist.question_item, twist.question_qualifier) == ("item_question", 5, "twist")
    violent = parser.parse("did the third one have a lot of violence?", shown)
    assert (violent.intent, violent.question_item, violent.question_qualifier) == (
        "item_question",
        7,
        "violence",
    )
    long = parser.parse("how long is the first one?", shown)
    assert (long.intent, long.question_item, long.question_aspect) == ("item_question", 5, "runtime")
    scary = parser.parse("is the first one scary?", shown)
    assert (scary.intent, scary.question_aspect, scary.question_qualifier) == (
        "item_question",
        "content",
        "scary",
    )
    assert not scary.genres_include


def test_more_like_a_shown_item_centres_on_it(parser: RuleParser) -> None:
    p = parser.parse("more like the second one", [5, 6, 7])
    assert p.anchor_item == 6 and not p.shown_feedback
