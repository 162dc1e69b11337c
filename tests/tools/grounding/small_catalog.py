"""A small hand-made catalog for the grounding tests: remakes, articles, common-word and genre-word titles,
sequels, subtitles, accents and people's names."""

from __future__ import annotations

from tools.catalog import Item
from tools.grounding import ItemMatch

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


def title_year(match: ItemMatch | None) -> tuple[str, int | None] | None:
    """``(title, year)`` of a match, or None."""
    return None if match is None else (match.title, match.year)
