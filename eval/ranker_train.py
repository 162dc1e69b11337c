"""Train the learned ranker (:mod:`tools.learned_ranker`) on worker-disjoint folds of the REDIAL train dialogs.

1. :mod:`eval.ranker_data` carves the folds and replays each through a home that never saw it;
2. :func:`candidate_table` re-runs the graph's ``execute`` node on every captured turn with the ranking cut at
   ``depth`` and keeps each candidate's feature row and label (1 = a gold movie of the turn);
3. LightGBM LambdaRank is trained on folds 1..n, scored on fold 0 (the tuning dev set; the fused ranking on the
   same turns is the baseline), and the shipped model is then trained on every fold with the same settings.

Written: ``data/ranker.txt`` (the model) and ``data/ranker.json`` (features, depth, settings, folds, dev numbers
with and without the model, candidate recall at ``depth``, feature importances, the command). No REDIAL test or
INSPIRED dev/test dialog is read.

Run as ``python -m eval.ranker_train --shared ../shared/data --work /tmp/ranker --base-home ~/.crsagent``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import pickle
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agent.context import AgentContext, load_fusion_weights
from agent.runner import TurnRunner
from eval.ranker_data import Fold, build_folds, fold_dir, summary
from eval.tune import DevCorpus, execute_at_depth, objective, score
from tools.learned_ranker import FEATURES, MODEL_FILE, RECORD_FILE, reorder
from tools.settings import PACKAGED_DATA_DIR

log = logging.getLogger(__name__)

#: How deep the candidate tables reach (the deepest re-ordering the grid tries).
DEPTH = 500
#: LightGBM settings shared by every grid point.
PARAMS: dict[str, Any] = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [10, 50],
    "learning_rate": 0.05,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambdarank_truncation_level": 60,
    "num_threads": 2,
    "seed": 0,
    "verbose": -1,
}
#: The grid searched on fold 0 (a model per point, trained on folds 1..n); the best by
#: :func:`eval.tune.objective` is shipped, retrained on every fold.
GRID: dict[str, tuple[int, ...]] = {
    "depth": (300, 500),  #: how much of the fused head is re-ordered (candidates per turn)
    "num_leaves": (7, 15),
    "min_data_in_leaf": (100, 400, 800),
    "rounds": (100,),
}


#: Feature groups switched off one at a time in the record's ablation table.
ABLATION: dict[str, tuple[str, ...]] = {
    "collaborative (cf_*, rank_*, co_last, collaborative)": tuple(
        f for f in FEATURES if f.startswith(("cf_", "rank_")) or f in ("co_last", "collaborative")
    ),
    "semantic (sim_*, semantic)": tuple(f for f in FEATURES if f.startswith("sim_") or f == "semantic"),
    "popularity (pop_*, popularity)": tuple(f for f in FEATURES if f.startswith("pop_") or f == "popularity"),
    "metadata overlap (year, year_gap, genre_overlap, people_overlap)": (
        "year",
        "year_gap",
        "genre_overlap",
        "people_overlap",
    ),
    "mentions (agent_mention_recency, asked, mentioned)": ("agent_mention_recency", "asked", "mentioned"),
    "generators (proposed_*)": tuple(f for f in FEATURES if f.startswith("proposed_")),
    "turn size (n_*, has_text)": ("n_seeds", "n_liked", "n_agent", "has_text"),
}


@dataclass
class CandidateTable:
    """Every captured turn's candidates: feature rows, labels and ids, turn by turn."""

    features: list[np.ndarray]
    labels: list[np.ndarray]
    ids: list[list[int]]

    def head(self, depth: int) -> CandidateTable:
        """The same turns cut to their top ``depth`` candidates (the fused order is the same at any depth)."""
        return CandidateTable(
            [x[:depth] for x in self.features],
            [y[:depth] for y in self.labels],
            [i[:depth] for i in self.ids],
        )

    def without(self, features: Sequence[str]) -> CandidateTable:
        """The same table with ``features`` zeroed (an ablation)."""
        cols = [FEATURES.index(f) for f in features]
        zeroed = [x.copy() for x in self.features]
        for x in zeroed:
            x[:, cols] = 0.0
        return CandidateTable(zeroed, self.labels, self.ids)

    def stacked(self, with_positive_only: bool = True) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """(X, y, group sizes) over the turns (only those with a gold among the candidates by default)."""
        keep = [j for j, y in enumerate(self.labels) if len(y) and (y.any() or not with_positive_only)]
        if not keep:
            return np.zeros((0, len(FEATURES)), dtype=np.float32), np.zeros(0), []
        return (
            np.vstack([self.features[j] for j in keep]),
            np.concatenate([self.labels[j] for j in keep]),
            [len(self.labels[j]) for j in keep],
        )


def candidate_table(ctx: AgentContext, corpus: DevCorpus, depth: int = DEPTH) -> CandidateTable:
    """Feature rows and labels of the top ``depth`` fused candidates of every captured turn (the learned
    ranker off, whatever the weights say)."""
    saved = ctx.weights
    ctx.weights = saved.model_copy(update={"learned_ranker": False})
    table = CandidateTable([], [], [])
    try:
        for cap in corpus.captures:
            out = execute_at_depth(ctx, cap, depth, want_features=True)
            ids = [r["id"] for r in out["ranking"]]
            golds = {g for g, _ in cap.golds if g is not None}
            features = out.get("features")
            if features is None or len(features) != len(ids):
                features = np.zeros((len(ids), len(FEATURES)), dtype=np.float32)
            table.features.append(features)
            table.labels.append(np.fromiter((i in golds for i in ids), dtype=np.float64, count=len(ids)))
            table.ids.append(ids)
    finally:
        ctx.weights = saved
    return table


def fold_table(fold: Fold, depth: int, cache: Path | None = None) -> CandidateTable:
    """The candidate table of one fold, computed with the fold's own home (models that never saw it);
    kept in ``cache`` (a pickle) when given."""
    if cache is not None and cache.exists():
        with open(cache, "rb") as fh:
            table: CandidateTable = pickle.load(fh)  # noqa: S301 - our own scratch file
        return table
    runner = TurnRunner(fold.settings)
    runner.context.weights = load_fusion_weights(fold.settings, "redial")
    table = candidate_table(runner.context, fold.corpus, depth)
    if cache is not None:
        with open(cache, "wb") as fh:
            pickle.dump(table, fh)
    return table


def train(tables: Sequence[CandidateTable], params: dict[str, Any] | None = None) -> Any:
    """A LightGBM LambdaRank booster over the turns of ``tables`` (``params["rounds"]`` boosting rounds)."""
    import lightgbm as lgb

    parts = [t.stacked() for t in tables]
    X = np.vstack([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    groups = [g for p in parts for g in p[2]]
    data = lgb.Dataset(X, y, group=groups, feature_name=list(FEATURES), free_raw_data=False)
    settings = {**PARAMS, **(params or {})}
    rounds = int(settings.pop("rounds", 100))
    settings.pop("depth", None)
    return lgb.train(settings, data, num_boost_round=rounds)


def dev_numbers(corpus: DevCorpus, table: CandidateTable, booster: Any | None) -> dict[str, float]:
    """Recall / NDCG of the fused ranking (``booster=None``) or of its re-ordering, on the corpus's samples,
    plus the candidate recall at the table's depth (golds the user had not mentioned)."""
    from tools.ranking import Scored

    rankings: list[list[int]] = []
    for features, ids in zip(table.features, table.ids, strict=True):
        if booster is None or not ids:
            rankings.append(ids)
            continue
        scored = [Scored(i, 0.0) for i in ids]
        rankings.append([s.item_id for s in reorder(scored, booster.predict(features, num_threads=1))])
    out = score(corpus, rankings)
    found = total = 0
    for cap, ids in zip(corpus.captures, table.ids, strict=True):
        pool = set(ids)
        for gold, _ in cap.golds:
            total += 1
            found += gold is not None and gold in pool
    out["candidate_recall"] = round(found / max(total, 1), 4)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: folds, candidate tables, dev numbers, the shipped model and its record."""
    parser = argparse.ArgumentParser(prog="python -m eval.ranker_train", description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"))
    parser.add_argument("--work", type=Path, required=True, help="scratch folder (folds, homes, tables)")
    parser.add_argument("--base-home", type=Path, default=None, help="an indexed home to copy")
    parser.add_argument("--folds", type=int, default=4, help="fold 0 = dev, the rest train")
    parser.add_argument("--out", type=Path, default=PACKAGED_DATA_DIR, help="where ranker.txt / .json go")
    argv_list = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv_list)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    folds = build_folds(args.shared, args.work, args.folds, base_home=args.base_home)
    tables = [fold_table(f, DEPTH, fold_dir(args.work, f.index) / f"table-{DEPTH}.pkl") for f in folds]
    dev = folds[0].corpus
    fused = dev_numbers(dev, tables[0].head(max(GRID["depth"])), None)  # the same top 50 at any depth
    log.info("dev fused %s", fused)
    tried: list[dict[str, Any]] = []
    for point in itertools.product(*GRID.values()):
        params = dict(zip(GRID, point, strict=True))
        cut = [t.head(params["depth"]) for t in tables]
        tried.append({"params": params, **dev_numbers(dev, cut[0], train(cut[1:], params))})
        log.info("dev learned %s", tried[-1])
    best = max(tried, key=lambda row: objective(row))
    depth = best["params"]["depth"]
    cut = [t.head(depth) for t in tables]
    ablation = [
        {"setting": "fused ranking (no model)", **fused},
        {"setting": "learned, every feature", **best},
    ]
    for name, features in ABLATION.items():
        off = [t.without(features) for t in cut]
        ablation.append(
            {"setting": f"without {name}", **dev_numbers(dev, off[0], train(off[1:], best["params"]))}
        )
        log.info("ablation %s", ablation[-1])
    shipped = train(cut, best["params"])
    importance = dict(zip(FEATURES, shipped.feature_importance("gain").round(1).tolist(), strict=True))
    args.out.mkdir(parents=True, exist_ok=True)
    shipped.save_model(str(args.out / MODEL_FILE))
    record = {
        "_about": "The learned ranker (tools/learned_ranker.py), trained by eval/ranker_train.py on worker-disjoint "
        "folds of the REDIAL train dialogs, each replayed through models retrained without it. 'dev' = fold 0 "
        "(eval.tune's dev set), scored with a model trained on the other folds; the shipped model is trained on "
        "every fold with the same settings. The features are computed under the 'redial' fusion weights, so only that "
        "profile turns the model on.",
        "command": " ".join(["python -m eval.ranker_train", *argv_list]),
        "features": list(FEATURES),
        "profile": "redial",
        "depth": depth,
        "params": {**PARAMS, **best["params"]},
        "grid": GRID,
        "folds": summary(folds),
        "dev": {"fused": fused, "learned": {k: v for k, v in best.items() if k != "params"}},
        "tried": tried,
        "ablation": [{k: v for k, v in row.items() if k != "params"} for row in ablation],
        "importance_gain": importance,
    }
    (args.out / RECORD_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    log.info("wrote %s and %s", args.out / MODEL_FILE, args.out / RECORD_FILE)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
