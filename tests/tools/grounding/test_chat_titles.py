"""Titles in chat on the shipped catalog: typos, the guard against ordinary words, and ambiguous titles
(same title, several films) told apart by notability, with alternatives when the choice is close."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.tools.grounding.ordinary_sentences import ORDINARY_SENTENCES
from tools.catalog import Catalog, read_catalog_file, read_interactions_file
from tools.grounding import Grounder, Mention
from tools.settings import PACKAGED_DATA_DIR

SHIPPED_CATALOG = PACKAGED_DATA_DIR / "catalog.jsonl.gz"
SHIPPED_INTERACTIONS = PACKAGED_DATA_DIR / "interactions.csv.gz"


@pytest.fixture(scope="module")
def chat_grounder() -> Grounder:
    if not SHIPPED_CATALOG.exists() or not SHIPPED_INTERACTIONS.exists():
        pytest.skip("the shipped catalog is missing: build it with `crsagent data build`")
    catalog = Catalog.from_items(read_catalog_file(SHIPPED_CATALOG))
    counts = Counter(i.item_id for i in read_interactions_file(SHIPPED_INTERACTIONS))
    return Grounder(catalog, interaction_counts=counts)


def _found(grounder: Grounder, text: str) -> list[tuple[str, str, int | None]]:
    mentions = grounder.find_titles(text)
    for m in mentions:
        assert text[m.start : m.end] == m.text
    return [(m.text, m.match.title, m.match.year) for m in mentions]


def _one(grounder: Grounder, text: str) -> Mention:
    mentions = grounder.find_titles(text)
    assert len(mentions) == 1, (text, mentions)
    return mentions[0]


def _display(grounder: Grounder, ids: tuple[int, ...]) -> list[str]:
    return [grounder.catalog.items[i].display for i in ids]


@pytest.mark.parametrize(
    ("text", "span", "expected"),
    [
        ("somethign like the matrx", "the matrx", ("The Matrix", 1999)),
        ("i loved the dark knigt", "the dark knigt", ("The Dark Knight", 2008)),
        ("shawshank redemtion", "shawshank redemtion", ("The Shawshank Redemption", 1994)),
        ("I liked incepton a lot", "incepton", ("Inception", 2010)),
        ("jurasic park was great", "jurasic park", ("Jurassic Park", 1993)),
        ("i love harry poter movies", "harry poter", ("Harry Potter", 2001)),
        ("I did see Maid in Manhatten, very good", "Maid in Manhatten", ("Maid in Manhattan", 2002)),
        ("Jumangi is good for you", "Jumangi", ("Jumanji", 2017)),
    ],
)
def test_typos_in_chat_are_grounded(
    chat_grounder: Grounder, text: str, span: str, expected: tuple[str, int]
) -> None:
    mention = _one(chat_grounder, text)
    assert (mention.text, mention.match.title, mention.match.year) == (span, *expected)
    assert mention.match.method == "fuzzy"


@pytest.mark.parametrize("text", ORDINARY_SENTENCES)
def test_ordinary_sentences_name_no_title(chat_grounder: Grounder, text: str) -> None:
    assert _found(chat_grounder, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "it's a decent movie",
        "I think we can submit now",
        "sorry, my computer froze",
        "it was like a slice of life",
        "I am on the fence about it",
        "you must be a superhero fanboy",
        "I imagine it's about a robery?",
        "I'm looking for a comedy for this snowy day",
        "it's good escapism",
    ],
)
def test_ordinary_words_near_titles_are_not_repaired_into_titles(chat_grounder: Grounder, text: str) -> None:
    assert [m for m in chat_grounder.find_titles(text) if m.match.method == "fuzzy"] == []


def test_parasite_means_the_2019_film_unless_a_year_says_otherwise(chat_grounder: Grounder) -> None:
    mention = _one(chat_grounder, "something like Parasite")
    assert (mention.match.title, mention.match.year) == ("Parasite", 2019)
    assert set(_display(chat_grounder, mention.match.alternatives)) <= {"Parasite (1982)"}
    match = chat_grounder.ground("parasite")
    assert match is not None and match.year == 2019
    for text in ("Parasite (1982)", "I liked the 1982 parasite", "1982's Parasite was odd", "parasite 82"):
        assert [(m.match.title, m.match.year) for m in chat_grounder.find_titles(text)] == [
            ("Parasite", 1982)
        ], text
        assert chat_grounder.find_titles(text)[0].match.alternatives == ()


def test_an_explicit_year_decides(chat_grounder: Grounder) -> None:
    assert _found(chat_grounder, "something like Heat (1995) but newer") == [("Heat (1995)", "Heat", 1995)]
    assert _found(chat_grounder, "i loved heat 95, great cast") == [("heat 95", "Heat", 1995)]
    assert _found(chat_grounder, "heat '95") == [("heat '95", "Heat", 1995)]
    assert _found(chat_grounder, "The Thing 82 or the newer one?") == [("The Thing 82", "The Thing", 1982)]
    assert _found(chat_grounder, "it's 95 degrees and the heat is bad") == []
    assert _found(chat_grounder, "area 51") == [("area 51", "Area 51", 2015)]  # a number in the title


def test_it_is_the_stephen_king_film_only_when_written_as_a_title(chat_grounder: Grounder) -> None:
    assert _found(chat_grounder, "I loved It, so scary") == [("It", "It", 2017)]
    assert _found(chat_grounder, "have you seen It (1990)?") == [("It (1990)", "It", 1990)]
    for text in ("i loved it", "It was great", "I LOVE IT", "is it scary?", "I have It was great"):
        assert _found(chat_grounder, text) == [], text


def test_well_known_films_win_over_obscure_ones_of_the_same_title(chat_grounder: Grounder) -> None:
    for query, year in (
        ("Halloween", 1978),
        ("Home Alone", 1990),
        ("Titanic", 1997),
        ("The Notebook", 2004),
        ("Ghostbusters", 1984),
    ):
        match = chat_grounder.ground(query)
        assert match is not None and match.year == year, (query, match)


def test_close_calls_carry_the_alternatives(chat_grounder: Grounder) -> None:
    mention = _one(chat_grounder, "something like Carrie please")
    assert (mention.match.title, mention.match.year) == ("Carrie", 1976)
    assert _display(chat_grounder, mention.match.alternatives) == ["Carrie (2013)"]
    # an explicit year: no question to ask
    assert _one(chat_grounder, "something like Carrie (2013)").match.alternatives == ()
