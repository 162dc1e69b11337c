"""tools/titles.py: the one title parser (folding, years, articles, subtitles)."""

from __future__ import annotations

from tools.titles import (
    fold_title,
    normalize_title,
    plain_title,
    split_bare_year,
    split_year,
    straighten_apostrophes,
    subtitle_parts,
)


def test_years_are_split_off() -> None:
    assert split_year("Heat (1995)") == ("Heat", 1995)
    assert split_year("Heat") == ("Heat", None)
    assert split_bare_year("Heat 1995") == ("Heat", 1995)
    assert split_bare_year("Heat, 1995") == ("Heat,", 1995)  # folding drops the comma
    assert split_bare_year("Blade Runner 2049") == ("Blade Runner", 2049)  # callers decide
    assert split_bare_year("1995") == ("1995", None)


def test_articles_and_folding() -> None:
    assert plain_title("Matrix, The (1999)") == "The Matrix"
    assert fold_title("Matrix, The (1999)") == "the matrix"
    assert normalize_title("Matrix, The (1999)") == "matrix"
    assert normalize_title("Alien III") == "alien 3"
    assert straighten_apostrophes("Schindler’s List") == "Schindler's List"
    assert fold_title(straighten_apostrophes("Schindler’s List")) == "schindlers list"


def test_subtitle_parts() -> None:
    assert subtitle_parts("Star Wars: The Last Jedi (2017)") == ["Star Wars", "The Last Jedi"]
    assert subtitle_parts("Spider-Man - Homecoming") == ["Spider-Man", "Homecoming"]
    assert subtitle_parts("Spider-Man") == []
