"""The mapping of source keywords and tags onto the qualifier vocabulary (tools/data/qualifier_map.py), on
values written as the sources write them, and the qualifiers of a tiny build from real-format excerpts."""

from __future__ import annotations

from pathlib import Path

from tests.tools.data.excerpts import read_catalog, write_mini_source
from tools.data.build import build_data
from tools.data.qualifier_map import (
    SOURCE_TERMS,
    mapping_rows,
    normal_term,
    qualifiers_for,
    term_forms,
    term_table,
)
from tools.data.sources import Sources, read_movielens
from tools.qualifiers import QUALIFIER_NAMES


def test_every_mapped_name_is_in_the_vocabulary() -> None:
    assert set(SOURCE_TERMS) <= QUALIFIER_NAMES
    assert {name for _, name in mapping_rows()} == QUALIFIER_NAMES  # every qualifier can be found
    assert all(term == normal_term(term) for term in term_table())


def test_normal_forms_of_source_spellings() -> None:
    assert normal_term("Twists & Turns") == "twists and turns"
    assert normal_term("adapted from:book") == "adapted from book"
    assert normal_term("super-hero") == "super hero"
    assert term_forms("Nudity (Topless)") == ("nudity topless", "nudity")
    assert term_forms("central intelligence agency (cia)")[-1] == "central intelligence agency"


def test_movielens_tmdb_and_tag_spellings_map_to_qualifiers() -> None:
    # ml-25m keywords (movies_w_keywords.csv), as in Pulp Fiction's and Fight Club's rows
    assert qualifiers_for(["nonlinear timeline", "splatter", "Palme d'Or", "organized crime"]) == [
        "gore",
        "violence",
        "mind-bending",
        "gangster",
        "award-winning",
    ]
    assert qualifiers_for(["adapted from:book", "Nudity (Topless)", "twists & turns"]) == [
        "sex",
        "twist",
        "based-on-book",
    ]
    # TMDB keywords (movielens_movies_tmdb.csv)
    assert qualifiers_for(["based on novel or book", "time travel", "central intelligence agency (cia)"]) == [
        "time-travel",
        "based-on-book",
        "spy",
    ]
    # ml-latest-small tags.csv
    assert qualifiers_for(["mindfuck", "heartwarming", "oscar (best picture)"]) == [
        "feel-good",
        "mind-bending",
        "award-winning",
    ]


def test_matching_is_exact_not_by_substring() -> None:
    assert qualifiers_for(["dark comedy", "black comedy", "musicality", "spacey", "heavy", "happy"]) == []
    assert qualifiers_for(["dark"]) == ["dark"] and qualifiers_for(["musical"]) == ["music"]
    assert qualifiers_for([]) == []


def test_tiny_build_stores_qualifiers_runtime_and_country(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_data(write_mini_source(tmp_path / "src"), out)
    items = {r["title"]: r for r in read_catalog(out)}
    assert items["Why Him?"]["qualifiers"] == ["sex"]  # ml-25m keyword "pornography"
    assert items["Toy Story"]["runtime"] == 81 and items["Jumanji"]["runtime"] == 104  # TMDB csv
    assert items["Toy Story"]["country"] == "USA"  # combined_metadata.csv
    assert items["Knives Out"]["runtime"] is None and items["Knives Out"]["country"] is None
    assert all(r["duplicate_of"] is None for r in items.values())


def test_ml_latest_small_tags_are_read(tmp_path: Path) -> None:
    ml = read_movielens(Sources(write_mini_source(tmp_path / "src")))
    assert ml.movies[2].small_tags == ["fantasy", "magic board game", "Robin Williams", "game"]
    assert ml.movies[1].runtime == 81 and ml.movies[1].tmdb_year == 1995
