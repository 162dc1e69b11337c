"""Tests of training and loading the persisted recommender set."""

from __future__ import annotations

import gzip
import json
import logging
import time
from pathlib import Path

import pytest

from tests.tools.recommenders.tiny import ITEM_IDS, SHIPPED, tiny_interactions
from tools.catalog import INTERACTIONS_FILE, load_catalog, load_items
from tools.db.engine import make_engine
from tools.recommenders.base import Recommender
from tools.recommenders.training import MODEL_NAMES, interactions_checksum, load_recommenders, train_all
from tools.settings import PACKAGED_DATA_DIR, load_settings

log = logging.getLogger(__name__)


def test_checksum_changes_with_interactions_and_items() -> None:
    rows = tiny_interactions()
    base = interactions_checksum(rows, ITEM_IDS)
    assert base == interactions_checksum(list(rows), list(ITEM_IDS))
    assert base != interactions_checksum(rows[:-1], ITEM_IDS)
    assert base != interactions_checksum(rows, [*ITEM_IDS, 100])


class _FakeToolkit:
    """The three things train_all uses: settings, a real SQLite engine and the catalog snapshot."""

    def __init__(self, home: Path, data_dir: Path) -> None:
        self.settings = load_settings(home=home, data_dir=data_dir)
        self.engine = make_engine(self.settings)
        load_catalog(self.engine, data_dir)
        self.catalog = load_items(self.engine)


def _write_tiny_data(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    with gzip.open(data_dir / "catalog.jsonl.gz", "wt", encoding="utf-8") as fh:
        for i in ITEM_IDS:
            fh.write(
                json.dumps({"id": i, "title": f"Movie {i}", "year": 2000 + i, "popularity": float(i)}) + "\n"
            )
    with gzip.open(data_dir / INTERACTIONS_FILE, "wt", encoding="utf-8") as fh:
        fh.write("user,item_id,weight,source,kind\n")
        for it in tiny_interactions():
            fh.write(f"{it.user},{it.item_id},{it.weight},{it.source},{it.kind}\n")


def test_train_all_persists_skips_and_loads(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _write_tiny_data(tmp_path / "data")
    toolkit = _FakeToolkit(tmp_path / "home", tmp_path / "data")
    assert load_recommenders(toolkit.settings) == {}  # nothing trained yet: empty, no error
    names = train_all(toolkit)  # type: ignore[arg-type]
    assert names == list(MODEL_NAMES)
    models_dir = toolkit.settings.models_dir
    assert all((models_dir / f"{n}.npz").exists() for n in names)
    stamp = (models_dir / "itemknn.npz").stat().st_mtime_ns
    with caplog.at_level(logging.INFO, logger="tools.recommenders"):
        assert train_all(toolkit) == names  # type: ignore[arg-type]
    assert "up to date" in caplog.text
    assert (models_dir / "itemknn.npz").stat().st_mtime_ns == stamp
    loaded = load_recommenders(toolkit.settings)
    assert set(loaded) == set(names)
    assert all(isinstance(m, Recommender) for m in loaded.values())
    assert [i for i, _ in loaded["itemknn"].recommend([10], 1)] == [11]
    assert [i for i, _ in loaded["blend"].recommend([10], 1)] == [11]
    assert loaded["popularity"].recommend([], 1)[0][0] == 2  # the most mentioned item
    assert [i for i, _ in loaded["popularity"].recommend([], 7)][-1] == 99  # TMDB fallback, uncounted
    train_all(toolkit, force=True)  # type: ignore[arg-type]
    assert (models_dir / "itemknn.npz").stat().st_mtime_ns != stamp
    (models_dir / "ease.npz").write_bytes(b"garbage")
    assert "ease" not in load_recommenders(toolkit.settings)  # a corrupt file is skipped, not fatal


@pytest.mark.skipif(
    not SHIPPED.exists(), reason=f"{SHIPPED} is missing (build it with `crsagent data build`)"
)
def test_train_and_load_on_shipped_data(tmp_path: Path) -> None:
    toolkit = _FakeToolkit(tmp_path / "home", PACKAGED_DATA_DIR)
    t0 = time.perf_counter()
    names = train_all(toolkit)  # type: ignore[arg-type]
    log.info("trained %s in %.1f s", names, time.perf_counter() - t0)
    t0 = time.perf_counter()
    loaded = load_recommenders(toolkit.settings)
    load_s = time.perf_counter() - t0
    assert set(loaded) == set(names) and load_s < 2.0, load_s
    matrix = next(i.id for i in toolkit.catalog.items.values() if i.title == "The Matrix" and i.year == 1999)
    for name in ("itemknn", "als", "ease", "blend"):
        recs = loaded[name].recommend([matrix], 10)
        assert len(recs) == 10 and matrix not in {i for i, _ in recs}, name
