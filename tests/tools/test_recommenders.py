"""Tests of the collaborative recommenders: hand-made interactions, persistence, and the REDIAL dev split."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tools.catalog import (
    CATALOG_FILE,
    INTERACTIONS_FILE,
    Catalog,
    Interaction,
    Item,
    read_catalog_file,
    read_interactions_file,
)
from tools.recommenders import (
    ALS,
    EASE,
    REGISTRY,
    Blend,
    InteractionMatrix,
    ItemKNN,
    Popularity,
    Recommender,
    dev_samples,
    evaluate_on_redial_dev,
    interactions_checksum,
    split_redial_dev,
)
from tools.settings import PACKAGED_DATA_DIR

log = logging.getLogger(__name__)

CF_CLASSES: list[type[Any]] = [ItemKNN, ALS, EASE]


def _inter(
    user: str, item: int, weight: float = 1.0, source: str = "redial", kind: str = "mention"
) -> Interaction:
    return Interaction(user, item, weight, source, kind)


def _tiny() -> list[Interaction]:
    """Two clusters: {1, 2, 3} (chained through 2) and {10, 11}; item 4 is seen once, with 1."""
    rows = [
        ("u1", [1, 2]),
        ("u2", [2, 3]),
        ("u3", [1, 2, 3]),
        ("u4", [2, 3]),
        ("u5", [1, 2]),
        ("u6", [10, 11]),
        ("u7", [10, 11]),
        ("u8", [11, 10]),
        ("u9", [1, 4]),
    ]
    return [_inter(u, i) for u, items in rows for i in items]


ITEM_IDS = [1, 2, 3, 4, 10, 11, 99]  # 99 is in the catalog but has no interactions


def _fitted(cls: type[Any]) -> Recommender:
    kwargs = {"factors": 2, "iterations": 30, "regularization": 0.1} if cls is ALS else {}
    if cls is EASE:
        kwargs = {"lam": 0.5, "min_support": 1}
    if cls is ItemKNN:
        kwargs = {"shrink": 0.0}
    model = cls(**kwargs)
    model.fit(_tiny(), ITEM_IDS)
    return model


def test_matrix_is_user_by_item_with_sorted_item_columns() -> None:
    data = InteractionMatrix.build(_tiny(), ITEM_IDS)
    assert data.matrix.shape == (9, 6)  # users x items; item 99 has no column
    assert data.item_ids.tolist() == [1, 2, 3, 4, 10, 11]
    row = data.users.index("u2")
    assert sorted(data.item_ids[data.matrix[row].indices].tolist()) == [2, 3]


def test_source_weights_and_user_norm_scale_values() -> None:
    rows = [_inter("ml:1", 1, source="movielens"), _inter("ml:1", 2, source="movielens"), _inter("r", 1, 2.0)]
    data = InteractionMatrix.build(rows, [1, 2], source_weights={"movielens": 0.5}, user_norm="sqrt")
    dense = data.matrix.toarray()
    assert np.allclose(dense[data.users.index("ml:1")], [0.5 / np.sqrt(2), 0.5 / np.sqrt(2)])
    assert np.allclose(dense[data.users.index("r")], [2.0, 0.0])


def test_two_user_neighbourhood_recommends_the_co_occurring_item() -> None:
    rows = [_inter("u1", 1), _inter("u1", 2), _inter("u2", 2), _inter("u2", 3)]
    for cls in CF_CLASSES:
        kwargs: dict[str, Any] = {}
        if cls is ALS:
            kwargs = {"factors": 2, "iterations": 20}
        elif cls is EASE:
            kwargs = {"min_support": 1, "lam": 0.5}
        model = cls(**kwargs)
        model.fit(rows, [1, 2, 3])
        recs = [i for i, _ in model.recommend([2], 2)]
        assert set(recs) == {1, 3}, cls.__name__
        recs13 = model.recommend([3], 3)
        assert recs13 and recs13[0][0] == 2, cls.__name__  # 3's only co-occurring item is 2


@pytest.mark.parametrize("cls", CF_CLASSES, ids=lambda c: c.name)
def test_cluster_structure(cls: type[Any]) -> None:
    model = _fitted(cls)
    top = [i for i, _ in model.recommend([10], 1)]
    assert top == [11]
    top = [i for i, _ in model.recommend([1, 3], 1)]
    assert top == [2]


@pytest.mark.parametrize("cls", CF_CLASSES, ids=lambda c: c.name)
def test_seeds_exclusions_and_candidates(cls: type[Any]) -> None:
    model = _fitted(cls)
    recs = [i for i, _ in model.recommend([1, 2], 10)]
    assert 1 not in recs and 2 not in recs  # seeds are never recommended
    assert 3 in recs
    assert 3 not in [i for i, _ in model.recommend([1, 2], 10, exclude={3})]
    restricted = model.recommend([1, 2], 10, candidates=[3, 11, 12345])
    assert {i for i, _ in restricted} <= {3, 11}
    assert restricted[0][0] == 3
    assert model.recommend([1, 2], 10, candidates=[]) == []
    scores = [s for _, s in model.recommend([1, 2], 10)]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("cls", CF_CLASSES, ids=lambda c: c.name)
def test_bad_and_unknown_ids_never_raise(cls: type[Any]) -> None:
    model = _fitted(cls)
    assert model.recommend([], 5) == []
    assert model.recommend([99, 12345], 5) == []  # 99 has no interactions, 12345 is not in the catalog
    assert model.recommend(["x", None, 2.5, True], 5) == []  # type: ignore[list-item]
    good = model.recommend([10], 5)
    assert model.recommend([10, 12345, "x", None], 5) == good  # type: ignore[list-item]
    assert model.recommend([10], 5, exclude=["x", None, 12345], candidates={11, "y"}) == [good[0]]  # type: ignore[arg-type,list-item]
    assert model.recommend([10], 0) == []
    assert model.recommend([10], -3) == []
    assert model.recommend([10], 5, seed_weights=[1.0, 2.0]) == good  # mismatched weights: ignored
    assert model.similar_items(12345, 5) == []
    assert model.similar_items("x", 5) == []  # type: ignore[arg-type]
    assert [i for i, _ in model.similar_items(10, 1)] == [11]


@pytest.mark.parametrize("cls", CF_CLASSES, ids=lambda c: c.name)
def test_numpy_inputs_are_accepted(cls: type[Any]) -> None:
    model: Any = _fitted(cls)  # numpy arrays and scalars stand in for the typed sequences
    plain = model.recommend([1, 2], 5, exclude=[3], candidates=[3, 4, 10, 11])
    arrays = model.recommend(
        np.array([1, 2]), np.int64(5), exclude=np.array([3]), candidates=np.array([3, 4, 10, 11])
    )
    assert arrays == plain
    assert model.recommend([np.int32(10)], 1) == model.recommend([10], 1)


@pytest.mark.parametrize("cls", CF_CLASSES, ids=lambda c: c.name)
def test_seed_weights_shift_the_ranking(cls: type[Any]) -> None:
    model = _fitted(cls)
    towards_films = model.recommend([2, 10], 1, seed_weights=[0.01, 5.0])
    assert towards_films[0][0] == 11


@pytest.mark.parametrize("cls", [*CF_CLASSES, Popularity], ids=lambda c: c.name)
def test_save_load_round_trip(cls: type[Any], tmp_path: Path) -> None:
    model = _fitted(cls)
    path = tmp_path / f"{cls.name}.npz"
    model.save(path)
    again = cls.load(path)
    for seeds in ([1], [2, 3], [10], [1, 10, 12345], []):
        assert again.recommend(seeds, 10) == model.recommend(seeds, 10)
        assert again.recommend(seeds, 10, exclude={3}, candidates={1, 2, 3, 11}) == model.recommend(
            seeds, 10, exclude={3}, candidates={1, 2, 3, 11}
        )
    assert again.similar_items(2, 5) == model.similar_items(2, 5)
    with np.load(path, allow_pickle=False) as data:  # pickle-free
        assert "meta" in data.files


def test_popularity_counts_sources_and_falls_back_to_tmdb() -> None:
    catalog = Catalog.from_items(
        [
            Item(1, "A"),
            Item(2, "B"),
            Item(3, "C", popularity=50.0),
            Item(4, "D", popularity=10.0),
            Item(5, "E"),
        ]
    )
    rows = [
        _inter("redial:1", 1),
        _inter("redial:2", 1),
        _inter("redial:3", 2),
        *[_inter(f"ml:{u}", 2, source="movielens") for u in range(10)],
    ]
    model = Popularity(catalog, source_weights={"redial": 1.0, "movielens": 0.05})
    model.fit(rows, catalog.ids())
    ranked = [i for i, _ in model.recommend([], 10)]
    assert ranked == [1, 2, 3, 4, 5]  # counted items, then TMDB popularity, then the rest
    assert [i for i, _ in model.recommend([1], 2)] == [2, 3]  # seeds filtered
    assert [i for i, _ in model.recommend([], 10, exclude={2}, candidates={2, 4, 5, 77})] == [4, 5]
    assert Popularity().recommend([], 3) == []  # unfitted: empty, no error
    plain = Popularity()  # default source weights, no catalog: uncounted items score 0 but stay rankable
    plain.fit(rows, [1, 2, 3])
    assert [i for i, _ in plain.recommend([], 3)][2:] == [3]


def test_blend_fuses_and_falls_back_to_popularity(tmp_path: Path) -> None:
    components = {"itemknn": _fitted(ItemKNN), "ease": _fitted(EASE), "popularity": _fitted(Popularity)}
    blend = Blend(components, {"itemknn": 1.0, "ease": 1.0, "popularity": 0.1})
    assert blend.recommend([10], 1)[0][0] == 11
    assert (
        blend.recommend([], 2) == components["popularity"].recommend([], 2)
        or len(blend.recommend([], 2)) == 2
    )
    assert [i for i, _ in blend.recommend([], 6)] == [i for i, _ in components["popularity"].recommend([], 6)]
    for name, model in components.items():
        model.save(tmp_path / f"{name}.npz")
    blend.save(tmp_path / "blend.npz")
    again = Blend.load(tmp_path / "blend.npz")
    assert again.recommend([1, 10], 5, exclude={2}) == blend.recommend([1, 10], 5, exclude={2})


def test_registry_and_protocol() -> None:
    assert set(REGISTRY) == {"itemknn", "als", "ease", "popularity", "blend"}
    for name, cls in REGISTRY.items():
        assert cls.name == name
        assert isinstance(cls() if cls is not Blend else Blend({}), Recommender)


def test_empty_training_data_gives_empty_models(tmp_path: Path) -> None:
    for cls in CF_CLASSES:
        model = cls()
        model.fit([], [1, 2, 3])
        assert model.recommend([1], 5) == []
        model.save(tmp_path / "m.npz")
        assert cls.load(tmp_path / "m.npz").recommend([1], 5) == []


def test_checksum_changes_with_interactions_and_items() -> None:
    rows = _tiny()
    base = interactions_checksum(rows, ITEM_IDS)
    assert base == interactions_checksum(list(rows), list(ITEM_IDS))
    assert base != interactions_checksum(rows[:-1], ITEM_IDS)
    assert base != interactions_checksum(rows, [*ITEM_IDS, 100])


def test_dev_split_is_deterministic_and_only_redial() -> None:
    rows = [
        _inter(f"redial:{n}", i, kind="like" if i == 1 else "mention") for n in range(200) for i in (1, 2, 3)
    ]
    rows += [_inter(f"ml:{n}", 1, source="movielens") for n in range(50)]
    train, dev = split_redial_dev(rows)
    assert 5 < len(dev) < 40 and all(u.startswith("redial:") for u in dev)
    assert split_redial_dev(rows)[1].keys() == dev.keys()
    assert len(train) + sum(len(v) for v in dev.values()) == len(rows)
    samples = dev_samples(
        {"redial:x": [_inter("redial:x", 1, kind="like"), _inter("redial:x", 2), _inter("redial:x", 3)]}
    )
    assert samples == [([2, 3], 1), ([1], 2), ([1], 3)]  # liked seeds when any, else all others


# --------------------------------------------------------------------------- the shipped data

SHIPPED = PACKAGED_DATA_DIR / INTERACTIONS_FILE


@pytest.mark.skipif(
    not SHIPPED.exists(), reason=f"{SHIPPED} is missing (build it with `crsagent data build`)"
)
def test_cf_models_beat_popularity_on_redial_dev() -> None:
    """The dev protocol of :func:`evaluate_on_redial_dev` on the shipped data (REDIAL train dialogs only)."""
    catalog_file = PACKAGED_DATA_DIR / CATALOG_FILE
    catalog = Catalog.from_items(read_catalog_file(catalog_file)) if catalog_file.exists() else None
    t0 = time.perf_counter()
    report = evaluate_on_redial_dev(read_interactions_file(SHIPPED), catalog=catalog)
    elapsed = time.perf_counter() - t0
    models = report["models"]
    for name, row in models.items():
        log.info("%-36s R@10 %.4f  R@50 %.4f", name, row["recall@10"], row["recall@50"])
    assert report["n_samples"] > 500
    pop = models["popularity"]["recall@50"]
    for name in ("itemknn", "als", "ease"):
        assert models[name]["recall@50"] > pop + 0.1, (name, models)
    best_single = max(models[n]["recall@50"] for n in ("itemknn", "als", "ease"))
    assert models["blend"]["recall@50"] >= best_single - 0.01, models
    assert elapsed < 60, elapsed


# --------------------------------------------------------------------------- training and loading


class _FakeToolkit:
    """The three things train_all uses: settings, a real SQLite engine and the catalog snapshot."""

    def __init__(self, home: Path, data_dir: Path) -> None:
        from tools.catalog import load_catalog, load_items, make_engine
        from tools.settings import load_settings

        self.settings = load_settings(home=home, data_dir=data_dir)
        self.engine = make_engine(self.settings)
        load_catalog(self.engine, data_dir)
        self.catalog = load_items(self.engine)


def _write_tiny_data(data_dir: Path) -> None:
    import gzip
    import json

    data_dir.mkdir(parents=True, exist_ok=True)
    with gzip.open(data_dir / "catalog.jsonl.gz", "wt", encoding="utf-8") as fh:
        for i in ITEM_IDS:
            fh.write(
                json.dumps({"id": i, "title": f"Movie {i}", "year": 2000 + i, "popularity": float(i)}) + "\n"
            )
    with gzip.open(data_dir / INTERACTIONS_FILE, "wt", encoding="utf-8") as fh:
        fh.write("user,item_id,weight,source,kind\n")
        for it in _tiny():
            fh.write(f"{it.user},{it.item_id},{it.weight},{it.source},{it.kind}\n")


def test_train_all_persists_skips_and_loads(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from tools.recommenders import MODEL_NAMES, load_recommenders, train_all

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
    from tools.recommenders import load_recommenders, train_all

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
