"""One genre vocabulary: the catalog, the parsers, the filter, the simulators and the benchmarks agree."""

from __future__ import annotations

import gzip
import json

from tools.genres import GENRE_SYNONYMS, GENRE_WORDS, GENRES, canonical_genre
from tools.settings import PACKAGED_DATA_DIR


def test_every_catalog_genre_is_in_the_vocabulary() -> None:
    with gzip.open(PACKAGED_DATA_DIR / "catalog.jsonl.gz", "rt", encoding="utf-8") as fh:
        used = {g for line in fh for g in json.loads(line).get("genres") or ()}
    assert used <= set(GENRES), sorted(used - set(GENRES))
    assert "tv-movie" in used  # the spelling the LLM parser once dropped ("tv movie")


def test_words_and_synonyms_name_genres_of_the_vocabulary() -> None:
    assert set(GENRE_WORDS.values()) <= set(GENRES)
    assert set(GENRE_SYNONYMS.values()) <= set(GENRES)
    assert len(set(GENRES)) == len(GENRES) == 23


def test_source_labels_map_onto_the_vocabulary() -> None:
    assert canonical_genre("science fiction") == "sci-fi"
    assert canonical_genre("tv movie") == "tv-movie"
    assert canonical_genre("film noir") == "film-noir"
    assert canonical_genre("war") == "war"
    assert canonical_genre("superhero") is None
