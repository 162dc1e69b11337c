"""The data-quality report of a catalog (tools/catalog_check.py) on tiny catalogs."""

from __future__ import annotations

from tools.catalog import Item
from tools.catalog_check import check_catalog


def test_remaining_conflicts_are_found_and_counted() -> None:
    items = [
        Item(1, "Heat", 1995, ("crime",), popularity=28.38, plot="A heist. It ends."),
        Item(2, "Heat", 1996, ("crime",), popularity=28.38, plot="A heist cut at Col"),  # same popularity
        Item(3, "Heat", 1995, ("crime",), popularity=28.38, duplicate_of=1),  # linked: no conflict with 1
        Item(4, "Spirited Away", 2001, ("animation", "documentary"), qualifiers=("award-winning",)),
        Item(5, "Thoracocare"),  # no year, no genre
        Item(6, "The Take", 2007, ("crime",)),
        Item(7, "Take", 2007, ("drama",)),  # same normalised title and year, not linked
    ]
    report = check_catalog(items, {"counts": {"years_resolved": 1}, "years_unresolved": [{"id": 9}]})
    remaining = report["remaining"]
    assert remaining["unlisted"]["examples"] == [{"id": 5, "title": "Thoracocare", "redial_id": None}]
    assert remaining["same_popularity"]["count"] == 1
    assert [x["id"] for x in remaining["same_popularity"]["examples"][0]] == [1, 2, 3]
    assert remaining["kind_genre_mix"]["count"] == 1 and remaining["plot_cut"]["count"] == 1
    assert remaining["same_title_year"]["count"] == 1  # The Take / Take; Heat 1 and 3 are one film
    assert remaining["years_unresolved"]["count"] == 1 and report["resolved"] == {"years_resolved": 1}
    assert report["counts"]["with_qualifiers"] == 1 and report["qualifiers"]["award-winning"] == 1
    assert report["remaining_total"] == 6
