"""Data-quality choices of the build (tools/data/quality.py) on the sources' real values, and the shipped
catalog's known bad cases (issue 16): Spirited Away, It (1990), Street Fighter, Heat, The Matrix, Star Wars."""

from __future__ import annotations

import json

import pytest

from tools.catalog import CATALOG_FILE, Catalog, read_catalog_file
from tools.data.catalog_build import Draft
from tools.data.quality import QualityLog, group_duplicates, lone_kind_genres, resolve_year
from tools.settings import PACKAGED_DATA_DIR


def test_a_year_changes_only_when_two_other_records_agree() -> None:
    # "Street Fighter  (1992)": MovieLens 393 and its combined_metadata row say 1994
    assert resolve_year(1992, {"movielens": 1994, "tmdb_csv": None, "combined": 1994}) == (
        1994,
        "agreement of combined, movielens",
    )
    # "Heat  (1996)": MovieLens 6 and the TMDB csv release date say 1995
    assert resolve_year(1996, {"movielens": 1995, "tmdb_csv": 1995})[0] == 1995
    assert resolve_year(2012, {"movielens": 2013}) == (2012, "unresolved")  # one record alone
    assert resolve_year(1995, {"movielens": 1995, "tmdb_csv": 1996}) == (1995, None)  # one agrees
    assert resolve_year(1950, {"movielens": 1939, "combined": 1939}) == (1950, "unresolved")  # too far
    assert resolve_year(None, {"movielens": 1999}) == (None, None)


def test_a_kind_genre_one_source_alone_gives_is_dropped() -> None:
    spirited_away = {  # the sources' genres of REDIAL 81860
        "imdb": ["animation", "adventure", "family"],
        "tmdb": ["documentary", "animation"],
        "combined": ["animation", "family", "fantasy"],
        "movielens": ["adventure", "animation", "fantasy"],
    }
    assert lone_kind_genres(spirited_away) == ["documentary"]
    assert lone_kind_genres({"imdb": ["drama"], "tmdb": ["documentary"]}) == []  # two sources decide nothing
    # a topical genre one source adds stays
    assert lone_kind_genres({"imdb": ["action"], "tmdb": ["thriller"], "movielens": ["action"]}) == []


def _draft(id_: int, title: str, year: int | None, mentions: int, imdb: str | None, ml: int | None) -> Draft:
    d = Draft(title=title, year=year, redial_id=id_ * 10, mentions=mentions, imdb_id=imdb, movielens_id=ml)
    d.id = id_
    return d


def test_one_film_under_several_ids_is_grouped_and_shares_its_facts() -> None:
    heat_95 = _draft(5228, "Heat", 1995, 8, "tt0113277", 6)
    heat_96 = _draft(6456, "Heat", 1995, 44, "tt0114151", 6)  # REDIAL's "Heat (1996)" after the year fix
    heat_96.runtime, heat_95.country = 170, "USA"
    heat_95.terms = ["heist"]
    heat_72 = _draft(9, "Heat", 1972, 1, "tt0068688", 73608)
    remake = _draft(10, "Heat", 2006, 1, None, 6)  # same MovieLens id, but another year: not grouped
    log = QualityLog()
    group_duplicates([heat_95, heat_96, heat_72, remake], log)
    assert heat_95.duplicate_of == 6456 and heat_96.duplicate_of is None  # the most mentioned is kept
    assert heat_72.duplicate_of is None and remake.duplicate_of is None
    assert heat_95.runtime == 170 and heat_96.country == "USA" and heat_96.terms == ["heist"]
    assert log.duplicates == [
        {"kept": 6456, "title": "Heat", "year": 1995, "duplicates": [5228], "redial_ids": [52280, 64560]}
    ]
    assert log.counts()["duplicate_items"] == 1


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    return Catalog.from_items(read_catalog_file(PACKAGED_DATA_DIR / CATALOG_FILE))


def _by_redial(catalog: Catalog, redial_id: int) -> int:
    return next(i for i, it in catalog.items.items() if it.redial_id == redial_id)


def test_the_shipped_catalog_fixes_the_known_bad_cases(shipped: Catalog) -> None:
    spirited = shipped.items[_by_redial(shipped, 81860)]
    assert "documentary" not in spirited.genres and "animation" in spirited.genres
    it_1990 = shipped.items[_by_redial(shipped, 204794)]
    assert it_1990.year == 1990 and "horror" in it_1990.genres and "comedy" not in it_1990.genres
    assert shipped.items[_by_redial(shipped, 112973)].year == 1994  # Street Fighter
    assert all(it.plot == "" or not it.plot.endswith("Col.") for it in shipped.items.values())


def test_the_shipped_duplicates_stay_groundable_and_are_twins(shipped: Catalog) -> None:
    for redial_ids in ((176314, 199038), (85036, 140395), (99276, 204292)):  # Heat, The Matrix, Star Wars
        ids = [_by_redial(shipped, r) for r in redial_ids]  # every REDIAL id keeps its own item
        kept = [i for i in ids if shipped.items[i].duplicate_of is None]
        assert len(kept) == 1
        assert set(ids) <= shipped.with_twins([kept[0]])
        assert len({shipped.items[i].year for i in ids}) == 1
    heat = [i for i in shipped.aliases.get("heat 1995", ())]
    assert len(heat) == 2  # both entries ground "Heat (1995)"; the ranker shows one (twins)


def test_quality_file_records_every_choice() -> None:
    quality = json.loads((PACKAGED_DATA_DIR / "quality.json").read_text(encoding="utf-8"))
    counts = quality["counts"]
    assert counts["years_resolved"] == len(quality["years"]) > 0
    assert counts["genres_resolved"] == len(quality["genres"]) > 0
    assert counts["duplicate_groups"] == len(quality["duplicates"]) > 0
    street = next(r for r in quality["years"] if r["redial_id"] == 112973)
    assert street["year"] == 1992 and street["chosen"] == 1994
