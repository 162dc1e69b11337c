"""The constraints on the catalog's metadata from real sources -- qualifier exclusions, countries, running
time, unlisted items -- compiled to SQL and evaluated on the shipped catalog in a real SQLite database, and
the count of returned items whose data could not check a constraint."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tools.catalog import CATALOG_FILE, Catalog, load_catalog, read_catalog_file
from tools.db.engine import make_engine
from tools.hard_filter import (
    Constraints,
    HardFilter,
    canonical_country,
    compile_constraints,
    unchecked_sentence,
)
from tools.settings import PACKAGED_DATA_DIR, load_settings


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    return Catalog.from_items(read_catalog_file(PACKAGED_DATA_DIR / CATALOG_FILE))


@pytest.fixture(scope="module")
def hard_filter(tmp_path_factory: pytest.TempPathFactory) -> HardFilter:
    home: Path = tmp_path_factory.mktemp("hf-meta")
    engine = make_engine(load_settings(home=home))
    load_catalog(engine, PACKAGED_DATA_DIR)
    return HardFilter(engine)


def _sql_ids(hf: HardFilter, c: Constraints) -> set[int]:
    with Session(hf.engine) as session:
        return set(session.scalars(compile_constraints(c)))


def _find(catalog: Catalog, title: str, year: int) -> int:
    return next(
        i for i, it in catalog.items.items() if it.title == title and it.year == year and not it.duplicate_of
    )


def test_qualifier_exclusion_removes_tagged_items(hard_filter: HardFilter, shipped: Catalog) -> None:
    gory = {i for i, it in shipped.items.items() if "gore" in it.qualifiers}
    assert len(gory) > 100
    result = hard_filter.apply(Constraints(genres_include=["horror"], qualifiers_exclude=["gore"]))
    assert result.allowed is not None and not result.allowed & gory
    assert not result.permits(_find(shipped, "Saw", 2004))
    assert result.allowed == _sql_ids(
        hard_filter, Constraints(genres_include=["horror"], qualifiers_exclude=["gore"])
    )
    # untagged horror films pass (unknown, reported by unchecked), tagged ones without gore pass as checked
    assert any(not shipped.items[i].tagged for i in result.allowed)
    assert any(shipped.items[i].tagged for i in result.allowed)


def test_countries_keep_only_known_matching_countries(hard_filter: HardFilter, shipped: Catalog) -> None:
    korean = hard_filter.apply(Constraints(countries=["korea"]))  # an alias: South Korea
    assert korean.allowed and all(shipped.items[i].country == "South Korea" for i in korean.allowed)
    assert korean.allowed == _sql_ids(hard_filter, Constraints(countries=["South Korea"]))
    two = hard_filter.apply(Constraints(countries=["France", "Japan"]))
    assert two.allowed and {shipped.items[i].country for i in two.allowed} == {"France", "Japan"}
    assert canonical_country("United States") == "USA" and canonical_country("UK") == "UK"


def test_runtime_bounds_keep_unknown_running_times(hard_filter: HardFilter, shipped: Catalog) -> None:
    c = Constraints(runtime_max=100)
    short = hard_filter.apply(c)
    assert short.allowed == _sql_ids(hard_filter, c)
    heat = _find(shipped, "Heat", 1995)  # 170 minutes
    toy_story = _find(shipped, "Toy Story", 1995)  # 81 minutes
    assert shipped.items[heat].runtime == 170 and shipped.items[toy_story].runtime == 81
    assert not short.permits(heat) and short.permits(toy_story)
    unknown = next(i for i, it in shipped.items.items() if it.runtime is None and it.listed)
    assert short.permits(unknown)
    long = hard_filter.apply(Constraints(runtime_min=150))
    assert long.permits(heat) and not long.permits(toy_story)
    assert "impossible" in (Constraints(runtime_min=150, runtime_max=90).contradiction() or "")


def test_unlisted_items_are_never_recommended_unless_asked(hard_filter: HardFilter, shipped: Catalog) -> None:
    unlisted = {i for i, it in shipped.items.items() if not it.listed}
    # no year and no genre, or a thin MovieLens-only film
    assert unlisted and all(
        (shipped.items[i].year is None and not shipped.items[i].genres) or shipped.items[i].thin
        for i in unlisted
    )
    assert sum(1 for i in unlisted if shipped.items[i].thin) > 40000
    assert not any(hard_filter.apply(Constraints()).permits(i) for i in unlisted)
    assert not any(hard_filter.apply(Constraints(year_max=2000)).permits(i) for i in unlisted)
    assert not _sql_ids(hard_filter, Constraints()) & unlisted
    asked = hard_filter.apply(Constraints(include_unlisted=True))
    assert all(asked.permits(i) for i in unlisted)


def test_unchecked_counts_what_the_data_cannot_check(hard_filter: HardFilter, shipped: Catalog) -> None:
    heat, toy_story = _find(shipped, "Heat", 1995), _find(shipped, "Toy Story", 1995)
    no_runtime = [i for i, it in shipped.items.items() if it.runtime is None and it.tagged][:2]
    untagged = [i for i, it in shipped.items.items() if not it.tagged and it.runtime is None][:1]
    ids = [heat, toy_story, *no_runtime, *untagged, 10**9]  # an unknown id is ignored
    c = Constraints(runtime_max=120, qualifiers_exclude=["gore"])
    found = {u.constraint: u for u in hard_filter.unchecked(c, ids)}
    assert found["runtime"].count == 3 and found["runtime"].total == 5
    assert set(found["runtime"].ids) == {*no_runtime, *untagged}
    assert found["qualifiers"].count == 1 and found["qualifiers"].what == "gore"
    assert found["runtime"].sentence() == "I couldn't check the running time of 3 of these."
    assert found["qualifiers"].sentence() == "I couldn't check 1 of these for gore."
    assert unchecked_sentence(list(found.values())).count("I couldn't check") == 2
    # soft qualifiers (boosts and penalties) are counted too; checked constraints are not listed
    soft = hard_filter.unchecked(Constraints(), [heat, *untagged], soft_qualifiers=["dark", "feel-good"])
    assert [(u.constraint, u.count, u.what) for u in soft] == [
        ("qualifiers", 1, "dark / depressing or feel-good")
    ]
    assert hard_filter.unchecked(Constraints(runtime_max=200), [heat, toy_story]) == []
    assert hard_filter.unchecked(Constraints(countries=["USA"]), []) == []


def test_describe_in_plain_words() -> None:
    c = Constraints(
        qualifiers_exclude=["gore", "heist"],
        countries=["South Korea"],
        runtime_max=120,
        genres_include=["thriller"],
    )
    assert c.describe() == ["thriller", "no gore", "no heist", "from South Korea", "under 2 hours"]
    assert Constraints(runtime_max=90).describe() == ["under 90 minutes"]
    assert Constraints(runtime_min=150).describe() == ["over 2½ hours"]
    assert Constraints(countries=["usa", "UK"]).describe() == ["from the UK or the USA"]
    assert Constraints(runtime_min=90, runtime_max=120).describe() == ["90 minutes to 2 hours"]
    assert not Constraints(include_unlisted=False).describe()


@given(
    genre=st.sampled_from(["", "horror", "comedy", "drama"]),
    quals=st.lists(st.sampled_from(["gore", "violence", "dark", "music", "nope"]), max_size=2),
    countries=st.lists(st.sampled_from(["USA", "uk", "Japan", "Atlantis"]), max_size=2),
    rmax=st.one_of(st.none(), st.integers(60, 200)),
    rmin=st.one_of(st.none(), st.integers(60, 200)),
    unlisted=st.booleans(),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fast_evaluation_agrees_with_the_compiled_sql(
    hard_filter: HardFilter,
    genre: str,
    quals: list[str],
    countries: list[str],
    rmax: int | None,
    rmin: int | None,
    unlisted: bool,
) -> None:
    c = Constraints(
        genres_include=[genre] if genre else [],
        qualifiers_exclude=quals,
        countries=countries,
        runtime_max=rmax,
        runtime_min=rmin,
        include_unlisted=unlisted,
    )
    if c.contradiction():
        return
    every = _sql_ids(hard_filter, Constraints(include_unlisted=True))
    result = hard_filter.apply(c)
    assert {i for i in every if result.permits(i)} == _sql_ids(hard_filter, c)


def test_columns_from_the_snapshot_equal_the_database(hard_filter: HardFilter, shipped: Catalog) -> None:
    # the toolkit passes its in-memory catalog so a cold process does not read 64k rows
    import numpy as np

    fast = HardFilter(hard_filter.engine, catalog=shipped)
    a, b = fast._columns(), hard_filter._columns()
    for name in ("ids", "year", "rating", "runtime", "tagged", "listed"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=name in ("year", "runtime")), name
    assert list(a.country) == list(b.country)
    c = Constraints(year_min=1990, year_max=1999, runtime_max=120)
    assert fast.apply(c).allowed == hard_filter.apply(c).allowed
