"""Notability (which of several same-title films people mean), the close-call alternatives, and the
typo repair's word lists, on tiny hand-made catalogs."""

from __future__ import annotations

import math

from tools.catalog import Catalog, Interaction, Item
from tools.grounding import Grounder
from tools.grounding.notability import (
    CLOSE_MARGIN,
    duplicate_groups,
    interaction_counts,
    notability_scores,
    notable_threshold,
)
from tools.grounding.speller import Speller

ITEMS = [
    Item(1, "Parasite", 1982, popularity=0.0, tmdb_id=48311, movielens_id=2256),
    Item(2, "Parasite", 2019, popularity=0.0, tmdb_id=496243, movielens_id=202439),
    Item(3, "Heat", 1995, popularity=28.0, tmdb_id=949, movielens_id=6),
    Item(4, "Heat", 1996, popularity=28.0, tmdb_id=949, movielens_id=6),  # the same film listed twice
    Item(5, "Heat", 2006, popularity=4.0, tmdb_id=71381),
    Item(6, "Carrie", 1976, popularity=20.0),
    Item(7, "Carrie", 2013, popularity=18.0),
    Item(8, "Halloween", 1978, popularity=10.0),
    Item(9, "Halloween", 2007, popularity=12.0),
    Item(10, "The Matrix", 1999, popularity=60.0),
    Item(11, "The Dark Knight", 2008, popularity=60.0),
    Item(12, "Inception", 2010, popularity=60.0),
]


def _interactions(counts: dict[int, int]) -> list[Interaction]:
    return [
        Interaction(f"u{k}", item, 1.0, "redial", "mention") for item, n in counts.items() for k in range(n)
    ]


def _grounder(counts: dict[int, int] | None = None) -> Grounder:
    return Grounder(Catalog.from_items(ITEMS), interaction_counts=counts)


def test_duplicate_groups_join_entries_that_share_an_id() -> None:
    groups = duplicate_groups(ITEMS)
    assert groups[3] == groups[4] == 3
    assert groups[5] == 5 and groups[1] != groups[2]


def test_notability_adds_popularity_and_interactions_over_the_duplicate_group() -> None:
    counts = interaction_counts(_interactions({3: 2, 4: 10, 2: 13, 1: 1}))
    assert counts == {3: 2, 4: 10, 2: 13, 1: 1}
    scores, _ = notability_scores(Catalog.from_items(ITEMS), counts)
    assert math.isclose(scores[3], math.log1p(28.0) + math.log1p(12), abs_tol=0.02)
    assert math.isclose(scores[3], scores[4], abs_tol=0.001)  # one film: one notability
    assert scores[2] > scores[1]
    # with nothing known about either, the newer film wins by a hair (a tie-break only)
    bare, _ = notability_scores(Catalog.from_items(ITEMS), None)
    assert 0 < bare[2] - bare[1] < 0.01
    assert notable_threshold([]) == 0.0
    assert notable_threshold([float(i) for i in range(10)]) == 7.0


def test_the_well_known_film_wins_and_an_explicit_year_decides() -> None:
    grounder = _grounder({1: 1, 2: 13})
    match = grounder.ground("Parasite")
    assert match is not None and (match.year, match.alternatives) == (2019, ())
    match = grounder.ground("Parasite (1982)")
    assert match is not None and (match.year, match.alternatives) == (1982, ())
    # no figures at all: the newer film, and the other one named (a close call)
    match = _grounder().ground("Parasite")
    assert match is not None and (match.year, match.alternatives) == (2019, (1,))


def test_close_calls_name_the_alternatives_but_not_duplicates() -> None:
    grounder = _grounder({6: 5, 7: 5, 3: 40, 4: 40, 8: 50, 9: 0})
    match = grounder.ground("Carrie")
    assert match is not None and match.year == 1976 and match.alternatives == (7,)
    match = grounder.ground("Heat")
    assert match is not None and match.year == 1995
    assert 4 not in match.alternatives  # the same film listed twice is no alternative
    match = grounder.ground("Halloween")
    assert match is not None and (match.year, match.alternatives) == (1978, ())
    mention = grounder.find_titles("something like Carrie please")[0]
    assert (mention.match.item_id, mention.match.alternatives) == (6, (7,))
    assert CLOSE_MARGIN > 0


def test_typo_repair_in_text_on_a_small_catalog() -> None:
    grounder = _grounder({10: 300, 11: 200, 12: 180})
    assert [(m.text, m.match.title) for m in grounder.find_titles("somethign like the matrx")] == [
        ("the matrx", "The Matrix")
    ]
    assert [(m.text, m.match.title) for m in grounder.find_titles("i loved the dark knigt")] == [
        ("the dark knigt", "The Dark Knight")
    ]
    assert [(m.text, m.match.title) for m in grounder.find_titles("I liked incepton")] == [
        ("incepton", "Inception")
    ]
    assert grounder.find_titles("I want something fun tonight") == []


def test_the_speller_repairs_only_unknown_words() -> None:
    speller = Speller(["matrix", "dark knight", "inception", "descent", "summit"], ["robert englund"])
    assert speller.fixes("matrx") == ("matrix",)
    assert speller.fixes("knigt") == ("knight",)
    assert speller.fixes("incepton") == ("inception",)
    assert speller.fixes("decent") == ()  # an ordinary word people use
    assert speller.fixes("submit") == ()
    assert speller.fixes("englund") == ()  # part of a name
    assert speller.fixes("matrixs") == ()  # an inflection of a known word
    assert speller.fixes("natrix") == ()  # typos keep the first letter
    assert speller.fixes("matrio") == ()  # ... and the last one
    assert speller.fixes("dark") == ()  # known, and too short
