"""Hard constraints compiled to SQLAlchemy, run on a real SQLite catalog."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tools.catalog import load_catalog, make_engine
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
    expected = {r["id"] for r in map(json.loads, (FIXTURES / "mini_catalog.jsonl").read_text().splitlines()) if (r["rating"] or 0) >= 8}
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
