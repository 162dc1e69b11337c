"""Tests of the Popularity recommender: source-weighted counts, then TMDB popularity."""

from __future__ import annotations

from tests.tools.recommenders.tiny import interaction
from tools.catalog import Catalog, Item
from tools.recommenders.popularity import Popularity


def test_popularity_counts_sources_and_falls_back_to_tmdb() -> None:
    catalog = Catalog.from_items(
        [
            Item(1, "A"),
            Item(2, "B"),
            Item(3, "C", popularity=50.0),
            Item(4, "D", popularity=10.0),
            Item(5, "E"),
        ]
    )
    rows = [
        interaction("redial:1", 1),
        interaction("redial:2", 1),
        interaction("redial:3", 2),
        *[interaction(f"ml:{u}", 2, source="movielens") for u in range(10)],
    ]
    model = Popularity(catalog, source_weights={"redial": 1.0, "movielens": 0.05})
    model.fit(rows, catalog.ids())
    ranked = [i for i, _ in model.recommend([], 10)]
    assert ranked == [1, 2, 3, 4, 5]  # counted items, then TMDB popularity, then the rest
    assert [i for i, _ in model.recommend([1], 2)] == [2, 3]  # seeds filtered
    assert [i for i, _ in model.recommend([], 10, exclude={2}, candidates={2, 4, 5, 77})] == [4, 5]
    assert Popularity().recommend([], 3) == []  # unfitted: empty, no error
    plain = Popularity()  # default source weights, no catalog: uncounted items score 0 but stay rankable
    plain.fit(rows, [1, 2, 3])
    assert [i for i, _ in plain.recommend([], 3)][2:] == [3]
