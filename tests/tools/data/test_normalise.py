"""The value cleaners of tools/data/normalise.py: titles and years, genres, ids, plots, keywords, dialog keys."""

from __future__ import annotations

import pytest

from tests.tools.data.excerpts import REDIAL_IEVALM, REDIAL_PARTIAL
from tools.data.normalise import (
    dialog_text_key,
    display_title,
    imdb_str,
    merge_keywords,
    ml_title_parts,
    normalize_genres,
    parse_title_year,
    parse_year,
    truncate_plot,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Headhunter  (2009)", ("Headhunter", 2009)),
        ("Why Him%3F (2016)", ("Why Him?", 2016)),
        ("%22Crocodile%22 Dundee (1986)", ('"Crocodile" Dundee', 1986)),
        ("Matrix, The (1999)", ("The Matrix", 1999)),
        ("Okja", ("Okja", None)),
        ("Outbreak (1995", ("Outbreak", 1995)),
        ("The Witch (2015 film)", ("The Witch", 2015)),
        ("Dirty Dancing (2017 film", ("Dirty Dancing", 2017)),
        ("Rose Red ()", ("Rose Red", None)),
        ("Star Wars: Episode VIII – The Last Jedi (2017)", ("Star Wars: Episode VIII – The Last Jedi", 2017)),
    ],
)
def test_parse_title_year(raw: str, expected: tuple[str, int | None]) -> None:
    assert parse_title_year(raw) == expected


def test_display_title_decodes_and_moves_article() -> None:
    assert display_title("What's Up, Doc%3F ") == "What's Up, Doc?"
    assert display_title("American President, The") == "The American President"


def test_ml_title_parts() -> None:
    assert ml_title_parts("City of Lost Children, The (Cité des enfants perdus, La) (1995)") == (
        "The City of Lost Children",
        ["La Cité des enfants perdus"],
        1995,
    )
    assert ml_title_parts("Seven (a.k.a. Se7en) (1995)") == ("Seven", ["Se7en"], 1995)
    assert ml_title_parts("(500) Days of Summer (2009)") == ("(500) Days of Summer", [], 2009)
    assert ml_title_parts("DEAD RISING : ENDGAME") == ("DEAD RISING : ENDGAME", [], None)


def test_normalize_genres_maps_synonyms_to_the_vocabulary() -> None:
    raw = [
        "Science Fiction",
        "Children's",
        "Children",
        "Musical",
        "IMAX",
        "(no genres listed)",
        "Film-Noir",
        "TV Movie",
        "Comedy",
    ]
    assert normalize_genres(raw) == ["sci-fi", "family", "music", "film-noir", "tv-movie", "comedy"]


def test_parse_year_and_ids() -> None:
    assert parse_year("1995") == 1995
    assert parse_year(2009.0) == 2009
    assert parse_year("1995-11-22") == 1995
    assert parse_year(0) is None
    assert parse_year("failed") is None
    assert imdb_str("0114709") == imdb_str(114709) == imdb_str("tt0114709") == "tt0114709"
    assert imdb_str("") is None


def test_truncate_plot_and_keywords() -> None:
    plot = "A short sentence. " * 60
    cut = truncate_plot(plot)
    assert len(cut) <= 600 and cut.endswith(".")
    assert truncate_plot("word " * 200).endswith("…")
    assert len(truncate_plot("word " * 200)) <= 600
    kws = merge_keywords(
        ["science fiction", "sci fi", "Cyberpunk"], ["scifi", "cyberpunk", "hacker"], limit=3
    )
    assert kws == ["science fiction", "cyberpunk", "hacker"]


def test_dialog_text_key_survives_merged_messages() -> None:
    assert dialog_text_key(REDIAL_PARTIAL[1]["messages"]) == dialog_text_key(REDIAL_IEVALM[0]["messages"])
