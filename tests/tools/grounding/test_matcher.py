"""The lexical stages through ``Grounder.ground``: exact keys and their variants, years, articles, typos, and
plausible titles that are not in the catalog."""

from __future__ import annotations

import pytest

from tests.tools.grounding.small_catalog import title_year
from tools.grounding import Grounder


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("The Matrix", ("The Matrix", 1999)),
        ("the matrix", ("The Matrix", 1999)),
        ("Matrix", ("The Matrix", 1999)),
        ("Matrix, The (1999)", ("The Matrix", 1999)),
        ("THE MATRIX (1999)", ("The Matrix", 1999)),
        ("  *The Matrix*  ", ("The Matrix", 1999)),
        ("The Matrix 1999", ("The Matrix", 1999)),
        ("The Matrix (2000)", ("The Matrix", 1999)),
        ("The Matrix (2001)", ("The Matrix", 1999)),
        ("Alien³", ("Alien 3", 1992)),
        ("alien III", ("Alien 3", 1992)),
        ("Alien 3", ("Alien 3", 1992)),
        ("Blade Runner 2049", ("Blade Runner 2049", 2017)),
    ],
)
def test_exact_variants(grounder: Grounder, query: str, expected: tuple[str, int]) -> None:
    match = grounder.ground(query)
    assert title_year(match) == expected
    assert match is not None and match.method == "exact"


def test_remakes_are_told_apart_by_year(grounder: Grounder) -> None:
    assert title_year(grounder.ground("Dune (1984)")) == ("Dune", 1984)
    assert title_year(grounder.ground("Dune (2021)")) == ("Dune", 2021)
    assert title_year(grounder.ground("Dune (1985)")) == ("Dune", 1984)  # one year off is tolerated
    assert title_year(grounder.ground("Dune")) == ("Dune", 2021)  # no year: the most popular
    assert grounder.ground("Dune (1960)") is None  # a remake that is not in the catalog
    one_off = grounder.ground("Dune (1985)")
    exact = grounder.ground("Dune (1984)")
    assert one_off is not None and exact is not None and one_off.score <= exact.score


def test_articles_pick_the_title_written(grounder: Grounder) -> None:
    assert title_year(grounder.ground("Heat")) == ("Heat", 1995)
    assert title_year(grounder.ground("The Heat")) == ("The Heat", 2013)
    assert title_year(grounder.ground("Godfather")) == ("The Godfather", 1972)  # far more popular
    assert title_year(grounder.ground("Godfather (1991)")) == ("Godfather", 1991)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Amelie", ("Amélie", 2001)),
        ("AMÉLIE (2001)", ("Amélie", 2001)),
        ("Schindler’s List", ("Schindler's List", 1993)),
        ("Schindlers List", ("Schindler's List", 1993)),
        ("Spiderman Homecoming", ("Spider-Man: Homecoming", 2017)),
        ("Spider Man - Homecoming", ("Spider-Man: Homecoming", 2017)),
        ("The Godfather Part 2", ("The Godfather Part II", 1974)),
        ("Godfather 2", ("The Godfather Part II", 1974)),
        ("Toy Story II", ("Toy Story 2", 1999)),
        ("The Last Jedi", ("Star Wars: The Last Jedi", 2017)),
    ],
)
def test_spelling_and_punctuation_variants(grounder: Grounder, query: str, expected: tuple[str, int]) -> None:
    assert title_year(grounder.ground(query)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Incepton", ("Inception", 2010)),
        ("Inceptoin (2010)", ("Inception", 2010)),
        ("Jurrasic Park", ("Jurassic Park", 1993)),
        ("Teh Shining", ("The Shining", 1980)),
        ("the shinning (1980)", ("The Shining", 1980)),
        ("Shcindler's List", ("Schindler's List", 1993)),
        ("Blaade Runner 2049", ("Blade Runner 2049", 2017)),
    ],
)
def test_typos_ground_fuzzily(grounder: Grounder, query: str, expected: tuple[str, int]) -> None:
    match = grounder.ground(query)
    assert title_year(match) == expected
    assert match is not None and match.method == "fuzzy" and 0.0 < match.score < 1.0


@pytest.mark.parametrize(
    "query",
    [
        "The Matrix 5",
        "Toy Story 5",
        "Toy Story 3",
        "Inception 2: Dreams",
        "Jurassic Park: The Final Roar (2027)",
        "The Silent Harbor (2016)",
        "The Matrix Reborn",
        "Heat Wave",
        "Alien 5",
        "The Shining (2019)",
    ],
)
def test_plausible_but_missing_titles_are_none(grounder: Grounder, query: str) -> None:
    assert grounder.ground(query) is None
