"""Tests of tools/grounding.py: title -> item grounding, titles inside text, the embedding cache, the CLI,
and the dev set ``grounding_cases.jsonl`` against the shipped catalog and the bundled embedding model."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from tools.catalog import Catalog, Item, read_catalog_file
from tools.embeddings import Embedder
from tools.grounding import Grounder, ItemMatch
from tools.settings import PACKAGED_DATA_DIR, Settings

CASES = Path(__file__).with_name("grounding_cases.jsonl")
SHIPPED_CATALOG = PACKAGED_DATA_DIR / "catalog.jsonl.gz"

ITEMS = [
    Item(1, "Dune", 1984, popularity=20.0),
    Item(2, "Dune", 2021, popularity=80.0),
    Item(3, "The Matrix", 1999, popularity=60.0, genres=("Sci-Fi",)),
    Item(4, "The Matrix Reloaded", 2003, popularity=30.0),
    Item(5, "Heat", 1995, popularity=28.0),
    Item(6, "The Heat", 2013, popularity=30.0),
    Item(7, "Up", 2009, popularity=60.0),
    Item(8, "It", 2017, popularity=56.0),
    Item(9, "Her", 2013, popularity=34.0),
    Item(10, "Us", 2019, popularity=40.0),
    Item(11, "Go", 1999, popularity=10.0),
    Item(12, "Yes", 2004, popularity=3.0),
    Item(13, "Love", 2015, popularity=9.0),
    Item(14, "Horror", 2003, popularity=1.0),
    Item(15, "Action", 1980, popularity=1.0),
    Item(16, "Movies", 2010, popularity=1.0),
    Item(17, "Drama", 2012, popularity=1.0),
    Item(18, "Alien", 1979, popularity=50.0),
    Item(19, "Alien 3", 1992, popularity=40.0, aliases=("Alien³",)),
    Item(20, "Aliens", 1986, popularity=45.0),
    Item(21, "Amélie", 2001, popularity=30.0),
    Item(22, "Inception", 2010, popularity=80.0),
    Item(23, "The Godfather", 1972, popularity=50.0),
    Item(24, "The Godfather Part II", 1974, popularity=40.0),
    Item(25, "Godfather", 1991, popularity=5.0),
    Item(26, "Spider-Man: Homecoming", 2017, popularity=70.0),
    Item(27, "Star Wars: The Last Jedi", 2017, popularity=70.0, directors=("Rian Johnson",)),
    Item(28, "Schindler's List", 1993, popularity=40.0),
    Item(29, "Lucas", 1986, popularity=5.0),
    Item(30, "Paul", 2011, popularity=15.0, stars=("Simon Pegg", "Nick Frost")),
    Item(31, "Get Out", 2017, popularity=50.0),
    Item(32, "Toy Story", 1995, popularity=60.0),
    Item(33, "Toy Story 2", 1999, popularity=50.0),
    Item(34, "Jurassic Park", 1993, popularity=60.0),
    Item(35, "The Shining", 1980, popularity=50.0),
    Item(
        36,
        "Star Wars",
        1977,
        popularity=70.0,
        directors=("George Lucas",),
        aliases=("Star Wars: Episode IV - A New Hope",),
    ),
    Item(37, "Knocked Up", 2007, popularity=20.0, stars=("Paul Rudd", "Seth Rogen")),
    Item(38, "Halloween", 1978, popularity=40.0),
    Item(39, "Scary Movie", 2000, popularity=30.0),
    Item(40, "Blade Runner 2049", 2017, popularity=60.0),
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.from_items(ITEMS)


@pytest.fixture(scope="module")
def grounder(catalog: Catalog) -> Grounder:
    return Grounder(catalog)


def _got(match: ItemMatch | None) -> tuple[str, int | None] | None:
    return None if match is None else (match.title, match.year)


# --------------------------------------------------------------------------- ground()


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
    assert _got(match) == expected
    assert match is not None and match.method == "exact"


def test_remakes_are_told_apart_by_year(grounder: Grounder) -> None:
    assert _got(grounder.ground("Dune (1984)")) == ("Dune", 1984)
    assert _got(grounder.ground("Dune (2021)")) == ("Dune", 2021)
    assert _got(grounder.ground("Dune (1985)")) == ("Dune", 1984)  # one year off is tolerated
    assert _got(grounder.ground("Dune")) == ("Dune", 2021)  # no year: the most popular
    assert grounder.ground("Dune (1960)") is None  # a remake that is not in the catalog
    one_off = grounder.ground("Dune (1985)")
    exact = grounder.ground("Dune (1984)")
    assert one_off is not None and exact is not None and one_off.score <= exact.score


def test_articles_pick_the_title_written(grounder: Grounder) -> None:
    assert _got(grounder.ground("Heat")) == ("Heat", 1995)
    assert _got(grounder.ground("The Heat")) == ("The Heat", 2013)
    assert _got(grounder.ground("Godfather")) == ("The Godfather", 1972)  # far more popular
    assert _got(grounder.ground("Godfather (1991)")) == ("Godfather", 1991)


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
    assert _got(grounder.ground(query)) == expected


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
    assert _got(match) == expected
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


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "x" * 301, "(1999)", "***", "Inception " * 40])
def test_empty_and_huge_inputs_are_none(grounder: Grounder, query: str) -> None:
    assert grounder.ground(query) is None


def test_non_string_input_is_none(grounder: Grounder) -> None:
    assert grounder.ground(None) is None  # type: ignore[arg-type]
    assert grounder.find_titles(None) == []  # type: ignore[arg-type]


def test_id_lookup(grounder: Grounder) -> None:
    match = grounder.ground("#22")
    assert match is not None and match.method == "id" and match.title == "Inception"
    assert grounder.ground("id:9999") is None


def test_ground_many_keeps_order(grounder: Grounder) -> None:
    got = grounder.ground_many(["Heat", "nothing like this exists", "Heat", "Up"])
    assert [_got(m) for m in got] == [("Heat", 1995), None, ("Heat", 1995), ("Up", 2009)]


# --------------------------------------------------------------------------- find_titles()


def _found(grounder: Grounder, text: str) -> list[tuple[str, str]]:
    mentions = grounder.find_titles(text)
    for m in mentions:
        assert text[m.start : m.end] == m.text
    starts = [m.start for m in mentions]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in zip(mentions, mentions[1:], strict=False))
    return [(m.text, m.match.title) for m in mentions]


def test_find_titles_in_a_user_message(grounder: Grounder) -> None:
    text = "i loved the matrix and heat but not alien 3"
    assert _found(grounder, text) == [("the matrix", "The Matrix"), ("alien 3", "Alien 3")]
    mentions = grounder.find_titles(text)
    assert (mentions[0].start, mentions[0].end) == (8, 18)
    assert (mentions[1].start, mentions[1].end) == (36, 43)


def test_find_titles_in_a_generated_reply(grounder: Grounder) -> None:
    text = 'You might enjoy **Inception (2010)** and "Heat"'
    mentions = grounder.find_titles(text)
    assert [(m.text, m.match.title, m.match.year) for m in mentions] == [
        ("Inception (2010)", "Inception", 2010),
        ("Heat", "Heat", 1995),
    ]
    assert text[mentions[0].start - 2 : mentions[0].start] == "**"


def test_common_word_titles_need_a_capital_mid_sentence(grounder: Grounder) -> None:
    assert _found(grounder, "I loved Up and Her, but not It.") == [("Up", "Up"), ("Her", "Her"), ("It", "It")]
    assert _found(grounder, "i loved up and her but not it") == []
    assert _found(grounder, "Up was great") == []  # a capital that only starts the sentence
    assert _found(grounder, "we should go see it with her, yes, i love us") == []
    assert _found(grounder, "I LOVE IT") == []  # shouting is no title
    assert _found(grounder, "I have It was great") == []  # a pronoun at work


def test_common_word_titles_match_when_quoted_bold_or_with_a_year(grounder: Grounder) -> None:
    assert _found(grounder, 'have you seen "go"?') == [("go", "Go")]
    assert _found(grounder, "try **Yes** tonight") == [("Yes", "Yes")]
    assert _found(grounder, "heat (1995) is a classic") == [("heat (1995)", "Heat")]
    assert _found(grounder, "i want to get out of the house") == []
    assert _found(grounder, "I really liked Get Out") == [("Get Out", "Get Out")]


def test_genre_words_are_never_titles_as_genres(grounder: Grounder) -> None:
    for text in (
        "i want a horror movie",
        "I want a Horror movie",
        "any good action or drama movies?",
        "**Drama**: slow and moving",
        "I love Movies",
        "a halloween movie please",
        "I want a Halloween movie",
        "a scary movie for tonight",
    ):
        assert _found(grounder, text) == [], text
    assert _found(grounder, "Horror (2003) was odd") == [("Horror (2003)", "Horror")]
    assert _found(grounder, "I watched Halloween yesterday") == [("Halloween", "Halloween")]


def test_people_names_are_not_titles(grounder: Grounder) -> None:
    assert _found(grounder, "movies with Paul Rudd please") == []
    assert _found(grounder, "anything by George Lucas") == []
    assert _found(grounder, "anything by george lucas") == []


def test_unknown_sequels_and_subtitles_do_not_ground_the_original(grounder: Grounder) -> None:
    assert _found(grounder, "I recommend The Matrix 5 and Jurassic Park: The Final Roar") == []
    assert _found(grounder, 'Try "The Matrix Reborn" instead') == []
    assert _found(grounder, "Toy Story 2 beats Toy Story") == [
        ("Toy Story 2", "Toy Story 2"),
        ("Toy Story", "Toy Story"),
    ]


def test_longest_match_wins(grounder: Grounder) -> None:
    assert _found(grounder, "the matrix reloaded was weaker") == [
        ("the matrix reloaded", "The Matrix Reloaded")
    ]
    assert _found(grounder, "Star Wars: The Last Jedi split fans") == [
        ("Star Wars: The Last Jedi", "Star Wars: The Last Jedi")
    ]


def test_title_with_year_and_typo(grounder: Grounder) -> None:
    assert _found(grounder, "Have you seen The Shinning (1980)? It is scary") == [
        ("The Shinning (1980)", "The Shining")
    ]


def test_accents_possessives_and_spans(grounder: Grounder) -> None:
    text = "Amelie and Inception's ending"
    assert _found(grounder, text) == [("Amelie", "Amélie"), ("Inception's", "Inception")]
    assert _found(grounder, "") == []
    assert _found(grounder, "   ") == []


# --------------------------------------------------------------------------- embeddings and cache


class _CountingEmbedder(Embedder):
    """A deterministic bag-of-words embedder (no model) that counts its encode calls."""

    def __init__(self) -> None:
        super().__init__(Settings())
        self.calls = 0
        self._model_ref = "test:bag-of-words"

    @property
    def dim(self) -> int:
        return 64

    def encode(self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().replace(":", " ").split():
                out[row, sum(map(ord, word)) % 64] += 1.0
            out[row] /= max(float(np.linalg.norm(out[row])), 1e-9)
        return out

    def query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def test_title_embeddings_are_cached(catalog: Catalog, tmp_path: Path) -> None:
    emb = _CountingEmbedder()
    grounder = Grounder(catalog, emb, cache_dir=tmp_path)
    assert emb.calls == 0  # lazy
    # "Star Wars 4" is no alias key; every word of it occurs in "Star Wars: Episode IV - A New Hope"
    assert _got(grounder.ground("Star Wars 4")) == ("Star Wars", 1977)
    assert list(tmp_path.glob("grounding-titles-*.npy"))
    emb2 = _CountingEmbedder()
    started = time.perf_counter()
    again = Grounder(catalog, emb2, cache_dir=tmp_path)
    assert time.perf_counter() - started < 2.0
    assert _got(again.ground("Star Wars 4")) == ("Star Wars", 1977)
    assert emb2.calls == 1  # the query only; titles came from the cache
    # another catalog gets another cache file
    Grounder(Catalog.from_items(ITEMS[:5]), _CountingEmbedder(), cache_dir=tmp_path).warm()
    assert len(list(tmp_path.glob("grounding-titles-*.npy"))) == 2


def test_embedding_stage_rejects_new_words_and_numbers(catalog: Catalog, tmp_path: Path) -> None:
    grounder = Grounder(catalog, _CountingEmbedder(), cache_dir=tmp_path)
    assert grounder.ground("Star Wars 9") is None
    assert grounder.ground("Star Wars: Dark Harbor") is None


def test_broken_embedder_disables_the_stage(catalog: Catalog) -> None:
    class Broken(_CountingEmbedder):
        def encode(
            self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False
        ) -> np.ndarray:
            raise RuntimeError("no model")

    grounder = Grounder(catalog, Broken())
    assert grounder.ground("Star Wars 4") is None
    assert _got(grounder.ground("Heat")) == ("Heat", 1995)


# --------------------------------------------------------------------------- CLI


@pytest.fixture()
def cli_app(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    from ui.cli import ground as cli_ground
    from ui.cli.main import app

    monkeypatch.setattr(cli_ground, "_build_grounder", lambda: Grounder(catalog))
    return app


def test_cli_titles_json(cli_app: typer.Typer) -> None:
    result = CliRunner().invoke(cli_app, ["ground", "--json", "Dune (1984)", "The Matrix 5"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out == {
        "results": [
            {"query": "Dune (1984)", "item_id": 1, "title": "Dune", "year": 1984, "score": 1.0},
            {"query": "The Matrix 5", "item_id": None, "title": None, "year": None, "score": None},
        ]
    }


def test_cli_table(cli_app: typer.Typer) -> None:
    result = CliRunner().invoke(cli_app, ["ground", "heat"])
    assert result.exit_code == 0
    assert "Heat" in result.stdout and "1995" in result.stdout


def test_cli_file_and_stdin(cli_app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "titles.txt"
    path.write_text("Heat (1995)\n\nincepton\nToy Story 5\n", encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["ground", "--file", str(path)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["query"] for r in rows] == ["Heat (1995)", "", "incepton", "Toy Story 5"]
    assert [r["item_id"] for r in rows] == [5, None, 22, None]
    stdin = CliRunner().invoke(cli_app, ["ground", "--file", "-"], input="up\n")
    assert [json.loads(line)["item_id"] for line in stdin.stdout.splitlines()] == [7]


def test_cli_bad_input_exits_2(cli_app: typer.Typer, tmp_path: Path) -> None:
    missing = CliRunner().invoke(cli_app, ["ground", "--file", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 2
    assert "no such file" in missing.output and "Traceback" not in missing.output
    assert CliRunner().invoke(cli_app, ["ground"]).exit_code == 2


# --------------------------------------------------------------------------- the dev set, real catalog + model


@pytest.fixture(scope="module")
def real_grounder(request: pytest.FixtureRequest) -> Grounder:
    if not SHIPPED_CATALOG.exists():
        pytest.skip(f"{SHIPPED_CATALOG} is missing: build it with `crsagent data build`")
    cache_dir = Path(request.config.cache.mkdir("grounding-title-embeddings"))
    return Grounder(
        Catalog.from_items(read_catalog_file(SHIPPED_CATALOG)), Embedder(Settings()), cache_dir=cache_dir
    )


def test_grounding_cases_meet_the_targets(real_grounder: Grounder) -> None:
    cases = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    real = [c for c in cases if c["expected_title"] is not None]
    fake = [c for c in cases if c["expected_title"] is None]
    assert len(real) >= 200 and len(fake) >= 100
    missed = []
    for case in real:
        match = real_grounder.ground(case["query"])
        if match is None or (match.title, match.year) != (case["expected_title"], case["expected_year"]):
            missed.append((case["query"], _got(match)))
    false = [(c["query"], _got(m)) for c in fake if (m := real_grounder.ground(c["query"])) is not None]
    accuracy = 1 - len(missed) / len(real)
    false_rate = len(false) / len(fake)
    print(
        f"grounding dev set: accuracy {accuracy:.3f} on {len(real)} real titles, "
        f"false matches {false_rate:.3f} on {len(fake)} non-existent titles"
    )
    assert accuracy >= 0.95, missed
    assert false_rate <= 0.01, false


def test_lexical_latency_on_the_real_catalog(real_grounder: Grounder) -> None:
    """Exact / fuzzy grounding and find_titles stay in the low milliseconds (generous bound for CI)."""
    lexical = Grounder(real_grounder.catalog)
    queries = [json.loads(line)["query"] for line in CASES.read_text(encoding="utf-8").splitlines()][:300]
    text = (
        "i loved the matrix and heat but not alien 3, what about **Inception (2010)** or "
        '"The Dark Knight"? my kids liked Toy Story 2 and frozen, no horror movies please!!'
    )
    for q in queries[:20]:
        lexical.ground(q)
    times = []
    for q in queries:
        started = time.perf_counter()
        lexical.ground(q)
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(50):
        lexical.find_titles(text)
    per_text = (time.perf_counter() - started) / 50
    assert float(np.percentile(times, 50)) < 0.005
    assert per_text < 0.02
