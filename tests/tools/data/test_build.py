"""The whole build (tools/data/build.py): a tiny build on real-format excerpts (tests/tools/data/excerpts.py),
clear errors for missing or corrupt source files, and the real build from ../shared/data.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.tools.data.excerpts import read_catalog, read_interactions, write_mini_source
from tools.data.build import MANIFEST_FILE, NOTICE_FILE, OUTPUT_FILES, build_data
from tools.data.sources import DataBuildError
from tools.titles import normalize_title, split_year

SHARED_DATA = Path(__file__).resolve().parents[4] / "shared" / "data"
SKIP_REASON = "needs ../shared/data (REDIAL/INSPIRED/MovieLens); absent in a user's clone"


# --------------------------------------------------------------------------- tiny build


@pytest.fixture()
def mini_build(tmp_path: Path) -> tuple[Path, dict]:
    source = write_mini_source(tmp_path / "src")
    out = tmp_path / "out"
    return out, build_data(source, out)


def test_mini_build_catalog(mini_build: tuple[Path, dict]) -> None:
    out, manifest = mini_build
    items = read_catalog(out)
    by_title = {(r["title"], r["year"]): r for r in items}
    # REDIAL items first, numbered in REDIAL id order; then new INSPIRED train items in title order; then the
    # MovieLens films no item is yet, in MovieLens id order
    assert [r["redial_id"] for r in items[:6]] == [75815, 76660, 79851, 80067, 100493, 106233]
    assert [r["id"] for r in items] == list(range(1, len(items) + 1))
    assert [r["origin"] for r in items] == ["redial"] * 6 + ["inspired"] * 2 + ["movielens"]
    inspired = [(r["title"], r["year"]) for r in items[6:8]]
    assert inspired == sorted(inspired)
    assert ("Knives Out", 2019) in inspired and ("Toy Story", 1995) not in inspired  # matched to REDIAL
    halloween = items[8]
    assert (halloween["title"], halloween["year"], halloween["movielens_id"]) == (
        "Halloween 4: The Return of Michael Myers",
        1988,
        1985,
    )
    assert "listed" not in halloween and "slasher" in halloween["keywords"]  # year, genre, 3+ keywords
    assert list(items[0]) == [
        "id",
        "title",
        "year",
        "genres",
        "directors",
        "writers",
        "stars",
        "plot",
        "keywords",
        "popularity",
        "rating",
        "redial_id",
        "imdb_id",
        "movielens_id",
        "tmdb_id",
        "aliases",
        "qualifiers",
        "runtime",
        "country",
        "duplicate_of",
        "origin",
    ]

    toy = by_title[("Toy Story", 1995)]
    assert toy["plot"].startswith("A cowboy doll")
    assert toy["genres"] == ["animation", "adventure", "comedy", "family"]
    assert toy["directors"] == ["John Lasseter"] and toy["stars"][0] == "Tom Hanks"
    assert (toy["imdb_id"], toy["movielens_id"], toy["tmdb_id"]) == ("tt0114709", 1, 862)
    assert toy["popularity"] == 103.183 and toy["rating"] == 7.9
    assert "pixar animation" in toy["keywords"] and "rescue" in toy["keywords"]

    why = by_title[("Why Him?", 2016)]
    assert "Why Him%3F" in why["aliases"]

    # id2info's record for "The Mask (1988)" describes Halloween 4 (its imdb id): rejected.
    mask = by_title[("The Mask", 1988)]
    assert mask["movielens_id"] == 156708 and mask["imdb_id"] == "tt0095598"
    assert "Michael Myers" not in mask["plot"] and "Dwight H. Little" not in mask["directors"]

    # combined_metadata matched the 1951 film to the 1994 one: its people are not used.
    angels = by_title[("Angels in the Outfield", 1994)]
    assert angels["directors"] == [] and angels["genres"] == ["comedy", "drama"]

    batman = by_title[("Batman: Revenge", 2003)]
    assert batman["popularity"] == 0.0 and batman["rating"] is None  # movies.json says "failed"

    knives = by_title[("Knives Out", 2019)]
    assert knives["redial_id"] is None and knives["movielens_id"] == 207313 and knives["tmdb_id"] == 546554
    assert knives["directors"] == ["Rian Johnson"] and set(knives["stars"]) == {"Ana de Armas", "Chris Evans"}
    assert {"comedy", "mystery"} <= set(knives["genres"])
    # INSPIRED dev titles and KG-only titles are no source: whether they are in the catalog is measured
    assert not {("The Future", 2011), ("Mine", 2016), ("Full Metal Jacket", 1987)} & set(by_title)

    assert manifest["items"]["total"] == len(items)
    assert (
        "redial/test_data.jsonl" not in manifest["sources"] and "inspired/dev.tsv" not in manifest["sources"]
    )
    assert set(manifest["sources"]) >= {"redial/id2info.json", "movielens/ml-25m/links.csv"}


def test_mini_build_interactions(mini_build: tuple[Path, dict]) -> None:
    out, manifest = mini_build
    items = {r["redial_id"]: r["id"] for r in read_catalog(out) if r["redial_id"]}
    titles = {r["title"]: r["id"] for r in read_catalog(out)}
    rows = {(r["user"], int(r["item_id"])): r for r in read_interactions(out)}
    assert rows[("redial:11681", items[80067])]["kind"] == "like"
    assert rows[("redial:11681", items[80067])]["weight"] == "2"
    assert rows[("redial:14843", items[106233])]["kind"] == "mention"  # seeker did not like it
    assert rows[("redial:14329", items[80067])]["kind"] == "like"
    assert manifest["details"]["redial_dialogs"]["duplicates"] == 1
    assert rows[("inspired:1", titles["Knives Out"])]["source"] == "inspired"
    assert rows[("inspired:2", items[80067])]["weight"] == "1"
    assert rows[("ml:1", items[80067])]["weight"] == "1"  # 4.0 stars -> 1.0
    assert ("ml:18", items[106233]) not in rows  # 3.0 stars dropped
    assert manifest["interactions"]["by_source"] == {
        "inspired": sum(1 for u, _ in rows if u.startswith("inspired:")),
        "movielens": sum(1 for u, _ in rows if u.startswith("ml:")),
        "redial": sum(1 for u, _ in rows if u.startswith("redial:")),
    }


def test_mini_build_is_reproducible_and_writes_notice(tmp_path: Path) -> None:
    source = write_mini_source(tmp_path / "src")
    build_data(source, tmp_path / "a")
    build_data(source, tmp_path / "b")
    for name in OUTPUT_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    notice = (tmp_path / "a" / NOTICE_FILE).read_text()
    assert "CC BY 4.0" in notice and "Harper" in notice and "Hayati" in notice
    assert "This product uses the TMDB API but is not endorsed or certified by TMDB" in notice


def test_missing_source_file_raises_and_writes_nothing(tmp_path: Path) -> None:
    source = write_mini_source(tmp_path / "src")
    (source / "redial" / "id2info.json").unlink()
    out = tmp_path / "out"
    with pytest.raises(DataBuildError, match=r"missing source file .*id2info\.json"):
        build_data(source, out)
    assert not any((out / name).exists() for name in OUTPUT_FILES)


def test_corrupt_source_file_raises_one_line_error(tmp_path: Path) -> None:
    source = write_mini_source(tmp_path / "src")
    (source / "redial" / "ievalm" / "valid_data.jsonl").write_text('{"movieMentions": {\n', encoding="utf-8")
    with pytest.raises(DataBuildError) as info:
        build_data(source, tmp_path / "out")
    message = str(info.value)
    assert "valid_data.jsonl" in message and "\n" not in message and "PROVENANCE.md" in message


def test_csv_missing_column_is_reported(tmp_path: Path) -> None:
    source = write_mini_source(tmp_path / "src")
    (source / "movielens" / "ml-25m" / "links.csv").write_text("movieId,imdb\n1,0114709\n", encoding="utf-8")
    with pytest.raises(DataBuildError, match=r"links\.csv .*missing column"):
        build_data(source, tmp_path / "out")


# --------------------------------------------------------------------------- the real build


def _dev_coverage(items: list[dict]) -> tuple[float, int]:
    """Share of distinct INSPIRED dev movies (dev.tsv ``movies``) found by normalised title + year (±1)."""
    index: dict[str, list[int | None]] = {}
    for item in items:
        for name in (item["title"], *item["aliases"]):
            index.setdefault(normalize_title(name), []).append(item["year"])
    csv.field_size_limit(1 << 27)
    movies: set[str] = set()
    with open(SHARED_DATA / "inspired" / "dev.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            movies.update(m.strip() for m in (row["movies"] or "").split("; ") if m.strip())
    found = 0
    for movie in movies:
        title, year = split_year(movie)
        years = index.get(normalize_title(title), [])
        if any(y is None or year is None or abs(y - year) <= 1 for y in years):
            found += 1
    return found / len(movies), len(movies)


def _redial_test_coverage(items: list[dict]) -> tuple[float, int, set[str]]:
    """Share of movie mentions in the official REDIAL test split whose REDIAL id is in the catalog."""
    redial_ids = {item["redial_id"] for item in items if item["redial_id"] is not None}
    total = hit = 0
    conversations: set[str] = set()
    with open(SHARED_DATA / "redial" / "test_data.jsonl", encoding="utf-8") as fh:
        for line in fh:
            dialog = json.loads(line)
            conversations.add(str(dialog["conversationId"]))
            for movie_id in dialog["movieMentions"]:
                total += 1
                hit += int(movie_id) in redial_ids
    return hit / total, total, conversations


@pytest.mark.shared_data
def test_build_on_shared_data(tmp_path: Path) -> None:
    if not SHARED_DATA.is_dir():
        pytest.skip(SKIP_REASON)
    manifest = build_data(SHARED_DATA, tmp_path / "a")
    items = read_catalog(tmp_path / "a")
    interactions = read_interactions(tmp_path / "a")

    assert len(items) == manifest["items"]["total"] >= 60000  # every ml-25m film
    assert manifest["items"]["redial"] == 6924 and manifest["items"]["movielens"] > 50000
    assert manifest["items"]["listed"] > 15000
    cov = manifest["coverage"]  # of the dialogue films (REDIAL and INSPIRED train)
    assert cov["genres"] >= 0.90
    assert cov["plot"] >= 0.80
    assert cov["people"] >= 0.85
    assert all(len(r["plot"]) <= 600 and len(r["keywords"]) <= 15 for r in items)
    assert all(r["popularity"] >= 0 and (r["rating"] is None or 0 <= r["rating"] <= 10) for r in items)
    vocab = {g for r in items for g in r["genres"]}
    assert len(vocab) <= 25 and "sci-fi" in vocab and "science fiction" not in vocab

    test_cov, n_mentions, test_conversations = _redial_test_coverage(items)
    assert test_cov >= 0.99
    dev_cov, n_dev = _dev_coverage(items)
    assert (
        dev_cov >= 0.90
    )  # INSPIRED dev is no source: its films are there through MovieLens (TV, 2020+ missing)

    by_source = manifest["interactions"]["by_source"]
    assert by_source["redial"] >= 15000 and by_source["inspired"] >= 2000 and by_source["movielens"] >= 40000
    assert len(interactions) == manifest["interactions"]["total"]
    redial_users = {r["user"].split(":", 1)[1] for r in interactions if r["source"] == "redial"}
    assert not redial_users & test_conversations, "REDIAL test dialogs leaked into training interactions"
    assert "redial/test_data.jsonl" not in manifest["sources"]

    size = sum((tmp_path / "a" / name).stat().st_size for name in OUTPUT_FILES)
    assert size < 12 * 1024 * 1024

    build_data(SHARED_DATA, tmp_path / "b")
    for name in OUTPUT_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert json.loads((tmp_path / "a" / MANIFEST_FILE).read_text())["items"] == manifest["items"]

    print(
        f"\nitems={len(items)} genres={cov['genres']:.3f} plot={cov['plot']:.3f} people={cov['people']:.3f} "
        f"redial_test_mentions_in_catalog={test_cov:.4f} (n={n_mentions}) inspired_dev_mapped={dev_cov:.4f} "
        f"(n={n_dev}) interactions={by_source} size_bytes={size}"
    )
