"""A learned re-ranker over the fused candidates (LightGBM LambdaRank).

The fusion ranker (:func:`tools.ranking.fuse`) adds a few tuned weights; this model instead learns how the
signals combine from dialogs: each candidate of the fused head gets the :data:`FEATURES` row built by
:func:`feature_matrix` (every recommender's score and rank, the semantic match to the dialog, the popularity
of each source, year, genre / people overlap with the films mentioned so far, mentions by either side, the
size of the conversation) and the model orders the head again. The fused score and rank are left out: on the dev
fold a model given them did no better (R@10 0.206 against 0.207 without, R@50 0.398 against 0.407). It is trained by :mod:`eval.ranker_train` on
worker-disjoint folds of the REDIAL train dialogs only, each replayed through models that never saw it;
``data/ranker.txt`` holds the model and ``data/ranker.json`` its record (features, depth, dev numbers).

Re-ranking moves items, not scores: the item now at position *j* takes the fused score that position had, so
what runs after (soft qualifiers, the shown list's checks) sees the scale it was tuned on.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tools.catalog import Catalog
from tools.item_index import ItemVectors
from tools.ranking import Scored

log = logging.getLogger(__name__)

#: File names of the model and its record, in the data directory.
MODEL_FILE, RECORD_FILE = "ranker.txt", "ranker.json"

#: The feature columns, in order (the model file is only used when its record lists the same ones).
FEATURES: tuple[str, ...] = (
    "semantic",
    "collaborative",
    "popularity",
    "negative",
    "mentioned",
    "constraints",
    "cf_itemknn",
    "cf_ease",
    "cf_als",
    "rank_itemknn",
    "rank_ease",
    "rank_als",
    "co_last",
    "sim_query",
    "sim_last",
    "sim_seeds_max",
    "proposed_semantic",
    "proposed_collaborative",
    "proposed_popularity",
    "pop_redial",
    "pop_inspired",
    "pop_movielens",
    "year",
    "year_gap",
    "genre_overlap",
    "people_overlap",
    "agent_mention_recency",
    "asked",
    "n_seeds",
    "n_liked",
    "n_agent",
    "has_text",
)
#: The interaction sources whose popularity priors are features one by one.
POPULARITY_SOURCES: tuple[str, ...] = ("redial", "inspired", "movielens")
#: The rank given to a candidate a recommender did not score.
UNRANKED = 1000.0


@dataclass
class TurnEvidence:
    """What the ``rank`` tool knows about the turn besides the fused ranking (plain data; no agent types)."""

    cf: Mapping[str, Mapping[int, float]]  #: per collaborative model: its scores over the pool
    co_last: Mapping[int, float]  #: item-kNN scores from the most recent seed alone (co-mentions)
    seeds: Sequence[int]  #: collaborative seeds, oldest first
    signals: Mapping[int, Mapping[str, float]]  #: the bus: which generator proposed each candidate
    popularity: Mapping[str, Mapping[int, float]]  #: the prior of each source (redial, inspired, movielens)
    query: np.ndarray | None = None
    mentioned_by_agent: Sequence[int] = ()
    asked: Sequence[int] = ()
    n_liked: int = 0


def _ranks(scores: Mapping[int, float]) -> dict[int, int]:
    order = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return {item: pos for pos, (item, _) in enumerate(order, 1)}


def _normalised(scores: Mapping[int, float]) -> dict[int, float]:
    top = max(scores.values(), default=0.0)
    return {k: (v / top if top > 0 else 0.0) for k, v in scores.items()}


def feature_matrix(
    ranking: Sequence[Scored], evidence: TurnEvidence, catalog: Catalog, vectors: ItemVectors
) -> np.ndarray:
    """The :data:`FEATURES` row of every candidate of ``ranking`` (float32, one row per candidate)."""
    n = len(ranking)
    out = np.zeros((n, len(FEATURES)), dtype=np.float32)
    if not n:
        return out
    col = {name: j for j, name in enumerate(FEATURES)}
    cf = {name: _normalised(evidence.cf.get(name, {})) for name in ("itemknn", "ease", "als")}
    cf_rank = {name: _ranks(scores) for name, scores in cf.items()}
    co_last = _normalised(evidence.co_last)
    seed_items = catalog.many(evidence.seeds)
    seed_genres = {g for it in seed_items for g in it.genres}
    seed_people = {p for it in seed_items for p in (*it.directors, *it.stars[:3])}
    seed_years = [it.year for it in seed_items if it.year]
    mean_year = float(np.mean(seed_years)) if seed_years else None
    seed_vecs = [v for v in (vectors.vector(s) for s in evidence.seeds[-5:]) if v is not None]
    last_vec = vectors.vector(evidence.seeds[-1]) if evidence.seeds else None
    agent = list(evidence.mentioned_by_agent)
    agent_pos = {item: len(agent) - k for k, item in enumerate(agent)}  # 1 = the latest mention
    asked = set(evidence.asked)
    out[:, col["n_seeds"]] = len(evidence.seeds)
    out[:, col["n_liked"]] = evidence.n_liked
    out[:, col["n_agent"]] = len(agent)
    out[:, col["has_text"]] = float(evidence.query is not None)
    rows = np.fromiter((vectors.row.get(s.item_id, -1) for s in ranking), dtype=np.int64, count=n)
    known = rows >= 0
    if known.any():
        matrix = vectors.matrix[rows[known]]
        if evidence.query is not None:
            out[known, col["sim_query"]] = matrix @ evidence.query
        if last_vec is not None:
            out[known, col["sim_last"]] = matrix @ last_vec
        if seed_vecs:
            out[known, col["sim_seeds_max"]] = (matrix @ np.vstack(seed_vecs).T).max(axis=1)
    for j, s in enumerate(ranking):
        row = out[j]
        item = catalog.get(s.item_id)
        for part in ("semantic", "collaborative", "popularity", "negative", "mentioned", "constraints"):
            row[col[part]] = s.parts.get(part, 0.0)
        for name in ("itemknn", "ease", "als"):
            row[col[f"cf_{name}"]] = cf[name].get(s.item_id, 0.0)
            row[col[f"rank_{name}"]] = math.log1p(cf_rank[name].get(s.item_id, UNRANKED))
        row[col["co_last"]] = co_last.get(s.item_id, 0.0)
        signals = evidence.signals.get(s.item_id, {})
        for name in ("semantic", "collaborative", "popularity"):
            row[col[f"proposed_{name}"]] = float(name in signals)
        for source in POPULARITY_SOURCES:
            row[col[f"pop_{source}"]] = evidence.popularity.get(source, {}).get(s.item_id, 0.0)
        if item is not None:
            row[col["year"]] = float(item.year or 0)
            if item.year and mean_year is not None:
                row[col["year_gap"]] = abs(item.year - mean_year)
            if item.genres and seed_genres:
                row[col["genre_overlap"]] = len(seed_genres & set(item.genres)) / len(
                    seed_genres | set(item.genres)
                )
            row[col["people_overlap"]] = float(len(seed_people & {*item.directors, *item.stars[:3]}))
        if s.item_id in agent_pos:
            row[col["agent_mention_recency"]] = 1.0 / agent_pos[s.item_id]
        row[col["asked"]] = float(s.item_id in asked)
    return out


class LearnedRanker:
    """A trained LambdaRank model that re-orders the fused head of a ranking."""

    def __init__(self, booster: Any, depth: int, record: dict[str, Any] | None = None) -> None:
        self.booster = booster
        self.depth = depth
        self.record = record or {}

    @classmethod
    def load(cls, data_dirs: Sequence[Path]) -> LearnedRanker | None:
        """The model from the first directory holding ``ranker.txt`` and ``ranker.json`` (None when none does,
        when LightGBM is missing, or when the record's features differ from :data:`FEATURES`)."""
        for folder in data_dirs:
            model, record_path = folder / MODEL_FILE, folder / RECORD_FILE
            if not (model.is_file() and record_path.is_file()):
                continue
            try:
                import lightgbm as lgb
            except ImportError:
                log.warning("LightGBM is not installed; the learned ranker is off")
                return None
            try:
                record = json.loads(record_path.read_text(encoding="utf-8"))
                if tuple(record.get("features", ())) != FEATURES:
                    log.warning("%s was trained on other features; the learned ranker is off", model)
                    return None
                booster = lgb.Booster(model_file=str(model))
                return cls(booster, int(record.get("depth", 200)), record)
            except (OSError, ValueError, KeyError, AttributeError, lgb.basic.LightGBMError) as exc:
                log.warning("cannot load the learned ranker from %s (%s); it is off", model, exc)
                return None
        return None

    def scores(self, features: np.ndarray) -> np.ndarray:
        """The model's score of each row."""
        if not len(features):
            return np.zeros(0)
        return np.asarray(self.booster.predict(features, num_threads=1), dtype=np.float64)

    def rerank(self, ranking: Sequence[Scored], features: np.ndarray) -> list[Scored]:
        """``ranking`` re-ordered by the model; each position keeps its fused score (see the module doc)."""
        return reorder(ranking, self.scores(features))


def reorder(ranking: Sequence[Scored], scores: np.ndarray) -> list[Scored]:
    """``ranking`` ordered by ``scores`` (ties keep their order); the item at position *j* takes the fused
    score of position *j*, and its parts record the model's score under ``"learned"``."""
    order = sorted(range(len(ranking)), key=lambda j: (-scores[j], j))
    return [
        Scored(
            ranking[j].item_id,
            ranking[pos].score,
            {**ranking[j].parts, "learned": round(float(scores[j]), 4)},
        )
        for pos, j in enumerate(order)
    ]
