"""Hard constraints compiled to SQLAlchemy, run on a real SQLite catalog."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tools.catalog import load_catalog
from tools.db.engine import make_engine
from tools.genres import GENRES
from tools.hard_filter import Constraints, HardFilter, compile_constraints
from tools.settings import load_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def hard_filter(tmp_path_factory: pytest.TempPathFactory) -> HardFilter:
    tmp = tmp_path_factory.mktemp("hf")
    (tmp / "data").mkdir()
    with gzip.open(tmp / "data" / "catalog.jsonl.gz", "wb") as fh:
        fh.write((FIXTURES / "mini_catalog.jsonl").read_bytes())
    engine = make_engine(load_settings(home=tmp / "home"))
    load_catalog(engine, tmp / "data")
    return HardFilter(engine)


def test_no_constraints_allows_everything(hard_filter: HardFilter) -> None:
    result = hard_filter.apply(Constraints())
    assert result.allowed is None and result.permits(525)


def test_genres_years_people_rating(hard_filter: HardFilter) -> None:
    horror_90s = hard_filter.apply(Constraints(genres_include=["horror"], year_min=1990, year_max=1999))
    assert horror_90s.allowed == {4892}  # Scream (1996)
    no_horror = hard_filter.apply(Constraints(genres_exclude=["horror"]))
    assert not no_horror.permits(6627) and no_horror.permits(525)
    nolan = hard_filter.apply(Constraints(people_include=["christopher nolan"]))
    assert nolan.allowed == {1379}
    no_kubrick = hard_filter.apply(Constraints(people_exclude=["Stanley Kubrick"]))
    assert not no_kubrick.permits(6627) and no_kubrick.permits(525)
    rated = hard_filter.apply(Constraints(min_rating=8.0))
    expected = {
        r["id"]
        for r in map(json.loads, (FIXTURES / "mini_catalog.jsonl").read_text().splitlines())
        if (r["rating"] or 0) >= 8
    }
    assert expected and rated.allowed == expected


def test_excluded_ids_and_all_genres_required(hard_filter: HardFilter) -> None:
    both = hard_filter.apply(Constraints(genres_include=["action", "sci-fi"], exclude_ids=[525]))
    assert both.permits(1379) and not both.permits(525) and not both.permits(6627)


def test_contradictions_give_an_empty_result_with_a_reason(hard_filter: HardFilter) -> None:
    years = hard_filter.apply(Constraints(year_min=2020, year_max=1990))
    assert years.allowed == frozenset() and "2020-1990" in (years.reason or "")
    genre = Constraints(genres_include=["horror"], genres_exclude=["horror"])
    assert "both wanted and excluded" in (hard_filter.apply(genre).reason or "")
    nothing = hard_filter.apply(Constraints(genres_include=["western"], year_min=2015))
    assert nothing.allowed == frozenset() and "no movie" in (nothing.reason or "")


def test_user_text_never_becomes_sql(hard_filter: HardFilter) -> None:
    evil = "horror'); DROP TABLE items; --"
    result = hard_filter.apply(Constraints(genres_include=[evil], people_include=["x' OR 1=1 --"]))
    assert result.allowed == frozenset()
    sql = str(compile_constraints(Constraints(genres_include=[evil])))
    assert "DROP" not in sql  # values are bound parameters
    assert hard_filter.apply(Constraints()).permits(525)  # the table is still there


def test_out_of_range_values_are_rejected() -> None:
    with pytest.raises(ValueError):
        Constraints(year_min=99999)
    with pytest.raises(ValueError):
        Constraints(min_rating=-1)


_PEOPLE = [
    "Ridley Scott",
    "Tom Hanks",
    "Christopher Nolan",
    "Stanley Kubrick",
    "Hayao Miyazaki",
    "Nobody At All",
]


@given(
    include=st.lists(st.sampled_from(GENRES[:12]), max_size=2),
    exclude=st.lists(st.sampled_from(GENRES[:12]), max_size=2),
    year_min=st.one_of(st.none(), st.integers(1950, 2020)),
    year_max=st.one_of(st.none(), st.integers(1950, 2020)),
    people=st.lists(st.sampled_from(_PEOPLE), max_size=2),
    no_people=st.lists(st.sampled_from(_PEOPLE), max_size=1),
    rating=st.one_of(st.none(), st.floats(0, 10)),
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fast_evaluation_agrees_with_the_compiled_sql(
    hard_filter: HardFilter,
    include: list[str],
    exclude: list[str],
    year_min: int | None,
    year_max: int | None,
    people: list[str],
    no_people: list[str],
    rating: float | None,
) -> None:
    """The array evaluation gives exactly the ids of the single SQLAlchemy statement, on random constraints."""
    c = Constraints(
        genres_include=include,
        genres_exclude=exclude,
        year_min=year_min,
        year_max=year_max,
        people_include=people,
        people_exclude=no_people,
        min_rating=rating,
    )
    if c.contradiction():
        return
    with Session(hard_filter.engine) as session:
        expected = set(session.scalars(compile_constraints(c)))
        every = set(session.scalars(compile_constraints(Constraints())))
    result = hard_filter.apply(c)
    assert {i for i in every if result.permits(i)} == expected
