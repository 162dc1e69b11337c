"""The contract every item model keeps (ItemKNN, ALS, EASE over the shared base): the interaction matrix,
seeds, exclusions, candidates, bad ids, persistence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.tools.recommenders.tiny import CF_CLASSES, ITEM_IDS, fitted, interaction, tiny_interactions
from tools.recommenders.als import ALS
from tools.recommenders.base import InteractionMatrix
from tools.recommenders.ease import EASE
from tools.recommenders.popularity import Popularity


def test_matrix_is_user_by_item_with_sorted_item_columns() -> None:
    data = InteractionMatrix.build(tiny_interactions(), ITEM_IDS)
    assert data.matrix.shape == (9, 6)  # users x items; item 99 has no column
    assert data.item_ids.tolist() == [1, 2, 3, 4, 10, 11]
    row = data.users.index("u2")
    assert sorted(data.item_ids[data.matrix[row].indices].tolist()) == [2, 3]


def test_source_weights_and_user_norm_scale_values() -> None:
    rows = [
        interaction("ml:1", 1, source="movielens"),
        interaction("ml:1", 2, source="movielens"),
        interaction("r", 1, 2.0),
    ]
    data = InteractionMatrix.build(rows, [1, 2], source_weights={"movielens": 0.5}, user_norm="sqrt")
    dense = data.matrix.toarray()
    assert np.allclose(dense[data.users.index("ml:1")], [0.5 / np.sqrt(2), 0.5 / np.sqrt(2)])
    assert np.allclose(dense[data.users.index("r")], [2.0, 0.0])


def test_two_user_neighbourhood_recommends_the_co_occurring_item() -> None:
    rows = [interaction("u1", 1), interaction("u1", 2), interaction("u2", 2), interaction("u2", 3)]
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
    model = fitted(cls)
    top = [i for i, _ in model.recommend([10], 1)]
    assert top == [11]
    top = [i for i, _ in model.recommend([1, 3], 1)]
    assert top == [2]


@pytest.mark.parametrize("cls", CF_CLASSES, ids=lambda c: c.name)
def test_seeds_exclusions_and_candidates(cls: type[Any]) -> None:
    model = fitted(cls)
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
    model = fitted(cls)
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
    model: Any = fitted(cls)  # numpy arrays and scalars stand in for the typed sequences
    plain = model.recommend([1, 2], 5, exclude=[3], candidates=[3, 4, 10, 11])
    arrays = model.recommend(
        np.array([1, 2]), np.int64(5), exclude=np.array([3]), candidates=np.array([3, 4, 10, 11])
    )
    assert arrays == plain
    assert model.recommend([np.int32(10)], 1) == model.recommend([10], 1)


@pytest.mark.parametrize("cls", CF_CLASSES, ids=lambda c: c.name)
def test_seed_weights_shift_the_ranking(cls: type[Any]) -> None:
    model = fitted(cls)
    towards_films = model.recommend([2, 10], 1, seed_weights=[0.01, 5.0])
    assert towards_films[0][0] == 11


@pytest.mark.parametrize("cls", [*CF_CLASSES, Popularity], ids=lambda c: c.name)
def test_save_load_round_trip(cls: type[Any], tmp_path: Path) -> None:
    model = fitted(cls)
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


def test_empty_training_data_gives_empty_models(tmp_path: Path) -> None:
    for cls in CF_CLASSES:
        model = cls()
        model.fit([], [1, 2, 3])
        assert model.recommend([1], 5) == []
        model.save(tmp_path / "m.npz")
        assert cls.load(tmp_path / "m.npz").recommend([1], 5) == []
