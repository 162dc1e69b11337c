"""The catalog store on a real SQLite database: loading, idempotence, errors, nothing half-written."""

from __future__ import annotations

import gzip
import pickle
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tools.catalog import (
    CatalogError,
    InteractionRow,
    ItemRow,
    TitleAliasRow,
    catalog_stats,
    load_catalog,
    load_items,
)
from tools.db.engine import make_engine
from tools.settings import load_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    with gzip.open(d / "catalog.jsonl.gz", "wb") as fh:
        fh.write((FIXTURES / "mini_catalog.jsonl").read_bytes())
    with gzip.open(d / "interactions.csv.gz", "wb") as fh:
        fh.write((FIXTURES / "mini_interactions.csv").read_bytes())
    return d


def test_load_is_idempotent_and_builds_aliases(tmp_path: Path, data_dir: Path) -> None:
    engine = make_engine(load_settings(home=tmp_path / "home"))
    assert load_catalog(engine, data_dir) is True
    assert load_catalog(engine, data_dir) is False  # unchanged files: nothing to do
    catalog = load_items(engine)
    assert len(catalog) == 24
    # "The Matrix (1999)" is found without the article and with the year
    assert 525 in catalog.aliases["matrix"]
    assert catalog.aliases["matrix 1999"] == (525,)
    # remakes share the bare key but not the year key
    assert set(catalog.aliases["dune"]) >= {4973}
    assert "amelie" in catalog.aliases  # accents folded
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(InteractionRow)) == 11
        assert s.scalar(select(func.count()).select_from(TitleAliasRow)) > 24
    stats = catalog_stats(engine)
    assert stats["items"] == 24 and stats["interactions"] == 11
    assert 0.9 <= stats["with_genres"] <= 1.0


def test_corrupt_catalog_fails_cleanly_and_keeps_previous_data(tmp_path: Path, data_dir: Path) -> None:
    engine = make_engine(load_settings(home=tmp_path / "home"))
    load_catalog(engine, data_dir)
    bad = tmp_path / "bad"
    shutil.copytree(data_dir, bad)
    with gzip.open(bad / "catalog.jsonl.gz", "wb") as fh:
        fh.write(b'{"id": 1, "title": "ok"}\n{not json\n')
    with pytest.raises(CatalogError, match=r"line 2"):
        load_catalog(engine, bad)
    with Session(engine) as s:  # the earlier catalog is untouched
        assert s.scalar(select(func.count()).select_from(ItemRow)) == 24


def test_missing_file_names_the_fix(tmp_path: Path) -> None:
    engine = make_engine(load_settings(home=tmp_path / "home"))
    with pytest.raises(CatalogError, match="missing data file .*crsagent data build"):
        load_catalog(engine, tmp_path / "nowhere")


def test_truncated_gzip_is_a_clear_error(tmp_path: Path, data_dir: Path) -> None:
    raw = (data_dir / "catalog.jsonl.gz").read_bytes()
    (data_dir / "catalog.jsonl.gz").write_bytes(raw[: len(raw) // 2])
    engine = make_engine(load_settings(home=tmp_path / "home"))
    with pytest.raises(CatalogError, match="catalog file"):
        load_catalog(engine, data_dir)


def test_unreachable_database_is_a_clear_error(tmp_path: Path, data_dir: Path) -> None:
    settings = load_settings(home=tmp_path, database_url="postgresql+psycopg://nobody:pw@127.0.0.1:1/none")
    engine = make_engine(settings)
    with pytest.raises(CatalogError, match="database unreachable .*DATABASE_URL") as info:
        load_catalog(engine, data_dir)
    assert "pw" not in str(info.value)  # the password is never echoed


def test_new_fields_round_trip_through_the_database(tmp_path: Path) -> None:
    """qualifiers, runtime, country and duplicate_of: catalog line -> database -> item; item_qualifiers rows;
    one film under two ids is a twin group."""
    import json

    from tools.catalog import ItemQualifierRow

    rows = [
        {
            "id": 1,
            "title": "Heat",
            "year": 1995,
            "genres": ["crime"],
            "keywords": ["heist"],
            "qualifiers": ["heist", "gangster"],
            "runtime": 170,
            "country": "USA",
            "duplicate_of": None,
        },
        {
            "id": 2,
            "title": "Heat",
            "year": 1996,
            "genres": ["crime"],
            "keywords": ["heist"],
            "qualifiers": ["heist", "gangster"],
            "runtime": 170,
            "country": "USA",
            "duplicate_of": 1,
        },
        {"id": 3, "title": "Thoracocare", "year": None, "genres": []},  # an old-format line, no new fields
        # a film only MovieLens lists, with too little metadata to be recommended unprompted
        {
            "id": 4,
            "title": "Looking Forward",
            "year": 1933,
            "genres": ["drama"],
            "origin": "movielens",
            "listed": False,
        },
    ]
    d = tmp_path / "data"
    d.mkdir()
    with gzip.open(d / "catalog.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(json.dumps(r) for r in rows) + "\n")
    engine = make_engine(load_settings(home=tmp_path / "home"))
    load_catalog(engine, d)
    catalog = load_items(engine)
    heat = catalog.items[1]
    assert heat.qualifiers == ("heist", "gangster") and heat.runtime == 170 and heat.country == "USA"
    assert catalog.items[2].duplicate_of == 1 and catalog.with_twins([1]) == {1, 2}
    odd = catalog.items[3]
    assert odd.qualifiers == () and odd.runtime is None and not odd.tagged and not odd.listed
    assert heat.origin == "" and heat.listed and not heat.thin
    thin = catalog.items[4]
    assert (
        thin.origin == "movielens" and thin.thin and not thin.listed
    )  # year and genre known, still unlisted
    assert pickle.loads(pickle.dumps(thin)) == thin  # the start-up copy (Item.__reduce__)
    with Session(engine) as s:
        pairs = set(s.execute(select(ItemQualifierRow.item_id, ItemQualifierRow.qualifier)).all())
        assert pairs == {(1, "heist"), (1, "gangster"), (2, "heist"), (2, "gangster")}
        assert s.scalar(select(ItemRow.listed).where(ItemRow.id == 3)) is False
    assert catalog_stats(engine)["unlisted"] == 2  # Thoracocare and the thin MovieLens-only film
