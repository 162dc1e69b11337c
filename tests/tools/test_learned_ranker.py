"""The learned ranker's features, its re-ordering and its loading, on hand-made items and a tiny real model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tools.catalog import Catalog, Item
from tools.item_index import ItemVectors
from tools.learned_ranker import (
    FEATURES,
    MODEL_FILE,
    RECORD_FILE,
    LearnedRanker,
    TurnEvidence,
    feature_matrix,
    reorder,
)
from tools.ranking import Scored


def _catalog() -> Catalog:
    return Catalog.from_items(
        [
            Item(1, "Seed", 1999, genres=("Comedy",), directors=("Ann Lee",)),
            Item(2, "Same Director", 2001, genres=("Comedy",), directors=("Ann Lee",)),
            Item(3, "Other", 1960, genres=("Horror",)),
            Item(4, "Agent Pick", 2010, genres=("Drama",)),
        ]
    )


def _vectors() -> ItemVectors:
    m = np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    return ItemVectors(np.array([1, 2, 3, 4]), m)


def _evidence() -> TurnEvidence:
    return TurnEvidence(
        cf={"itemknn": {2: 0.8, 3: 0.2}, "ease": {3: 0.5}},
        co_last={2: 1.0},
        seeds=[1],
        signals={2: {"collaborative": 0.8}, 3: {"semantic": 0.3, "popularity": 0.1}},
        popularity={"redial": {2: 0.5, 3: 1.0}},
        query=np.array([1, 0, 0], dtype=np.float32),
        mentioned_by_agent=[4, 3],
        asked=[4],
        n_liked=1,
    )


def test_feature_rows_describe_each_candidate() -> None:
    ranking = [Scored(2, 0.9, {"collaborative": 0.8}), Scored(3, 0.5, {"semantic": 0.3}), Scored(4, 0.1)]
    x = feature_matrix(ranking, _evidence(), _catalog(), _vectors())
    assert x.shape == (3, len(FEATURES))
    row = {name: dict(zip(FEATURES, x[j], strict=True)) for j, name in enumerate(("same", "other", "agent"))}
    assert row["same"]["cf_itemknn"] == pytest.approx(1.0) and row["other"]["cf_ease"] == pytest.approx(1.0)
    assert row["same"]["rank_itemknn"] < row["other"]["rank_itemknn"] < row["agent"]["rank_itemknn"]
    assert row["same"]["co_last"] == pytest.approx(1.0) and row["other"]["co_last"] == 0
    assert row["same"]["genre_overlap"] == pytest.approx(1.0) and row["other"]["genre_overlap"] == 0
    assert row["same"]["people_overlap"] == 1 and row["same"]["year_gap"] == pytest.approx(2)
    assert row["same"]["sim_last"] > 0.9 and row["other"]["sim_query"] == pytest.approx(0)
    assert row["other"]["agent_mention_recency"] == 1 and row["agent"]["agent_mention_recency"] == 0.5
    assert row["agent"]["asked"] == 1 and row["same"]["asked"] == 0
    assert row["other"]["proposed_semantic"] == 1 and row["same"]["proposed_semantic"] == 0
    assert row["other"]["pop_redial"] == 1 and row["agent"]["n_seeds"] == 1


def test_reorder_moves_items_and_keeps_the_score_scale() -> None:
    ranking = [Scored(1, 0.9, {"semantic": 0.9}), Scored(2, 0.5), Scored(3, 0.1)]
    out = reorder(ranking, np.array([0.0, 2.0, 1.0]))
    assert [s.item_id for s in out] == [2, 3, 1]
    assert [s.score for s in out] == [0.9, 0.5, 0.1]
    assert out[2].parts["semantic"] == 0.9 and out[0].parts["learned"] == 2.0


def _tiny_model(folder: Path, features: list[str]) -> None:
    import lightgbm as lgb

    rng = np.random.default_rng(0)
    x = rng.random((200, len(FEATURES)))
    y = (x[:, FEATURES.index("co_last")] > 0.8).astype(float)
    booster = lgb.train(
        {"objective": "lambdarank", "verbose": -1, "min_data_in_leaf": 5, "num_threads": 1},
        lgb.Dataset(x, y, group=[20] * 10),
        num_boost_round=20,
    )
    booster.save_model(str(folder / MODEL_FILE))
    (folder / RECORD_FILE).write_text(json.dumps({"features": features, "depth": 40}), encoding="utf-8")


def test_a_shipped_model_loads_and_ranks_by_what_it_learned(tmp_path: Path) -> None:
    _tiny_model(tmp_path, list(FEATURES))
    ranker = LearnedRanker.load([tmp_path / "missing", tmp_path])
    assert ranker is not None and ranker.depth == 40
    x = np.zeros((2, len(FEATURES)), dtype=np.float32)
    x[1, FEATURES.index("co_last")] = 0.95
    out = ranker.rerank([Scored(7, 1.0), Scored(8, 0.5)], x)
    assert [s.item_id for s in out] == [8, 7]


def test_a_model_of_other_features_or_none_at_all_is_off(tmp_path: Path) -> None:
    assert LearnedRanker.load([tmp_path]) is None
    _tiny_model(tmp_path, ["something", "else"])
    assert LearnedRanker.load([tmp_path]) is None
    (tmp_path / RECORD_FILE).write_text(json.dumps({"features": list(FEATURES)}), encoding="utf-8")
    (tmp_path / MODEL_FILE).write_text("not a model", encoding="utf-8")
    assert LearnedRanker.load([tmp_path]) is None
