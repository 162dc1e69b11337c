"""Films only MovieLens lists (``Item.origin == "movielens"``): found by name, never by accident.

56k obscure titles include everyday phrases ("Looking Forward", "Caught Up", "Have a Nice Day"): in free text
they need title case, quotes or a year, typo repair never aims at them, and a title is matched exactly.
"""

from __future__ import annotations

import pytest

from tests.tools.grounding.small_catalog import ITEMS
from tools.catalog import Catalog, Item
from tools.grounding import Grounder

MOVIELENS = [
    Item(901, "Looking Forward", 1933, genres=("Drama",), origin="movielens", thin=True),
    Item(
        902, "Caught Up", 1998, genres=("Action",), keywords=("heist", "chase", "prison"), origin="movielens"
    ),
    Item(903, "The Squid and the Whale", 2005, genres=("Comedy", "Drama"), origin="movielens"),
    Item(904, "Have a Nice Day", 2017, genres=("Animation",), origin="movielens", thin=True),
    Item(905, "After", 2009, genres=("Drama",), origin="movielens", thin=True),
]


@pytest.fixture(scope="module")
def grounder() -> Grounder:
    return Grounder(Catalog.from_items([*ITEMS, *MOVIELENS]))


def _found(grounder: Grounder, text: str) -> list[int]:
    return [m.match.item_id for m in grounder.find_titles(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Im looking forward to seeing Inception",
        "I'm all caught up on that series",
        "Have a nice day, i will try that movie",
        "the squid and the whael",  # a typo: no repair towards MovieLens-only films
        "movies after 2010",  # a loose year is a year expression, not After (2009)
    ],
)
def test_everyday_phrases_are_not_movielens_films(grounder: Grounder, text: str) -> None:
    assert not set(_found(grounder, text)) & {901, 902, 903, 904, 905}


@pytest.mark.parametrize(
    ("text", "item_id"),
    [
        ("I watched The Squid and the Whale last week", 903),  # title case
        ('Have you seen "Caught Up"?', 902),  # quotes
        ("what about looking forward (1933)?", 901),  # a year
    ],
)
def test_a_movielens_film_written_as_a_title_is_found(grounder: Grounder, text: str, item_id: int) -> None:
    assert item_id in _found(grounder, text)


def test_named_directly_they_ground_but_only_exactly(grounder: Grounder) -> None:
    match = grounder.ground("Looking Forward (1933)")
    assert match is not None and match.item_id == 901
    caught = grounder.ground("caught up (1998)")
    assert caught is not None and caught.item_id == 902
    assert (
        grounder.ground("Lookin Forward") is None and grounder.ground("Caugt Up (1998)") is None
    )  # no fuzzy


def test_thin_films_are_not_listed() -> None:
    assert not MOVIELENS[0].listed and MOVIELENS[1].listed
