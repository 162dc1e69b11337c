"""Dev evaluation of the recommenders: Recall@k on a deterministic dev split carved from the REDIAL
*training* dialogs (never the test split), and the blend-weight grid search on it.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import numpy as np

from tools.catalog import Catalog, Interaction
from tools.recommenders.base import Recommender, Scored, as_id_array
from tools.recommenders.blend import DEFAULT_BLEND_WEIGHTS, normalised_scores
from tools.recommenders.training import default_models


def hash_bucket(user: str, buckets: int) -> int:
    """A stable hash bucket of a user id (independent of Python's hash seed)."""
    return int.from_bytes(hashlib.sha1(user.encode("utf-8")).digest()[:4], "big") % buckets


def split_redial_dev(
    interactions: Sequence[Interaction], *, buckets: int = 10, dev_bucket: int = 0
) -> tuple[list[Interaction], dict[str, list[Interaction]]]:
    """(train interactions, dev dialogs by user): ``redial:*`` users whose hash bucket is ``dev_bucket``."""
    train: list[Interaction] = []
    dev: dict[str, list[Interaction]] = {}
    for it in interactions:
        if it.user.startswith("redial:") and hash_bucket(it.user, buckets) == dev_bucket:
            dev.setdefault(it.user, []).append(it)
        else:
            train.append(it)
    return train, dev


def dev_samples(dev: Mapping[str, Sequence[Interaction]]) -> list[tuple[list[int], int]]:
    """(seeds, target) pairs: per movie of a dialog with >= 2 movies, seeds = the other liked movies
    (kind ``like``) or all other movies when none of them was liked."""
    samples: list[tuple[list[int], int]] = []
    for user in sorted(dev):
        items = sorted({it.item_id for it in dev[user]})
        if len(items) < 2:
            continue
        liked = {it.item_id for it in dev[user] if it.kind == "like"}
        for target in items:
            others = [i for i in items if i != target]
            seeds = [i for i in others if i in liked] or others
            samples.append((seeds, target))
    return samples


def evaluate_on_redial_dev(
    interactions: Sequence[Interaction],
    *,
    models: Mapping[str, Callable[[], Recommender]] | None = None,
    catalog: Catalog | None = None,
    universe: Collection[int] | None = None,
    ks: Sequence[int] = (10, 50),
    buckets: int = 10,
    dev_bucket: int = 0,
    blend_components: Sequence[str] = ("itemknn", "ease", "als", "popularity"),
    blend_grid: Sequence[float] = (0.0, 0.1, 0.25, 0.5, 1.0),
    depth: int = 200,
    max_samples: int | None = None,
) -> dict[str, Any]:
    """Recall@k of each recommender (and a tuned blend) on a REDIAL dev split of the *training* dialogs.

    Dev dialogs are the ``redial:*`` users whose stable hash falls in bucket ``dev_bucket`` of
    ``buckets``; models train on every other interaction (all sources). Samples come from
    :func:`dev_samples`. The ranking universe is ``universe`` (default: the catalog's REDIAL movies when
    a catalog is given, else the items of any ``redial:*`` interaction); seeds are excluded from
    rankings. ``models`` maps names to factories (default: :func:`default_models`).

    Reported under ``models``: each model's ``recall@k``; ``blend`` (the shipped default weights);
    ``blend(tuned)``, the best weights over ``blend_components`` on a grid of ``blend_grid`` values
    (first component fixed at 1; maximising Recall@max(ks), then Recall@min(ks)) tuned on these same
    samples; and ``blend(tuned, without X)``, the best grid point that gives component X weight 0.
    """
    t_start = time.perf_counter()
    train, dev = split_redial_dev(interactions, buckets=buckets, dev_bucket=dev_bucket)
    samples = dev_samples(dev)
    if max_samples is not None:
        samples = samples[:max_samples]
    if universe is None and catalog is not None:
        universe = {it.id for it in catalog.items.values() if it.redial_id is not None}
    if universe is None or not universe:
        universe = {it.item_id for it in interactions if it.user.startswith("redial:")}
    cand = np.unique(as_id_array(universe))
    cand_set = cand.tolist()
    item_ids = catalog.ids() if catalog is not None else sorted({it.item_id for it in interactions})
    if models is None:
        factories: dict[str, Callable[[], Recommender]] = {
            n: functools.partial(_identity, m) for n, m in default_models(catalog).items()
        }
    else:
        factories = dict(models)
    top_k = max(max(ks), depth)
    ranked: dict[str, list[Scored]] = {}
    fit_seconds: dict[str, float] = {}
    eval_seconds: dict[str, float] = {}
    for name, factory in factories.items():
        model = factory()
        t0 = time.perf_counter()
        model.fit(train, item_ids)
        fit_seconds[name] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        ranked[name] = [
            model.recommend(seeds, top_k, exclude=(), candidates=cand_set) for seeds, _ in samples
        ]
        eval_seconds[name] = round(time.perf_counter() - t0, 3)
    n = max(1, len(samples))
    targets = [t for _, t in samples]

    def recalls(lists: Sequence[Scored]) -> dict[str, float]:
        return {
            f"recall@{k}": round(
                sum(t in {i for i, _ in r[:k]} for r, t in zip(lists, targets, strict=True)) / n, 4
            )
            for k in ks
        }

    results: dict[str, Any] = {name: recalls(lists) for name, lists in ranked.items()}
    blend_info: dict[str, Any] = {}
    parts = [c for c in blend_components if c in ranked]
    if parts:
        default_w = {c: DEFAULT_BLEND_WEIGHTS.get(c, 0.0) for c in parts}
        grid = [default_w, *_weight_grid(parts, blend_grid)]
        weights = np.array([[g.get(c, 0.0) for g in grid] for c in parts])
        ranks = (
            np.stack(
                [
                    _fused_ranks({c: ranked[c][i] for c in parts}, parts, target, weights)
                    for i, target in enumerate(targets)
                ]
            )
            if samples
            else np.zeros((0, len(grid)), dtype=np.int64)
        )
        table = {k: (ranks < k).sum(axis=0) / n for k in ks}
        kmin, kmax = min(ks), max(ks)

        def entry(col: int) -> dict[str, Any]:
            return {**{f"recall@{k}": round(float(table[k][col]), 4) for k in ks}, "weights": grid[col]}

        def best(cols: Sequence[int]) -> int:
            return max(cols, key=lambda c: (table[kmax][c], table[kmin][c], -c))

        results["blend"] = entry(0)
        results["blend(tuned)"] = entry(best(range(1, len(grid))))
        for drop in parts[1:]:
            cols = [c for c in range(1, len(grid)) if grid[c].get(drop, 0.0) == 0.0]
            if cols:
                results[f"blend(tuned, without {drop})"] = entry(best(cols))
        blend_info = {"components": parts, "grid_size": len(grid) - 1, "grid_values": list(blend_grid)}
    return {
        "n_dev_dialogs": len(dev),
        "n_samples": len(samples),
        "n_train_interactions": len(train),
        "universe_size": int(cand.size),
        "models": results,
        "blend_search": blend_info,
        "fit_seconds": fit_seconds,
        "eval_seconds": eval_seconds,
        "seconds": round(time.perf_counter() - t_start, 2),
    }


def _identity(model: Recommender) -> Recommender:
    return model


def _weight_grid(parts: Sequence[str], values: Sequence[float]) -> list[dict[str, float]]:
    """Every weight combination of ``parts`` over ``values`` with the first component fixed at 1."""
    grids: list[dict[str, float]] = [{parts[0]: 1.0}]
    for part in parts[1:]:
        grids = [dict(g, **{part: v}) for g in grids for v in values]
    return grids


def _fused_ranks(
    lists: Mapping[str, Scored], names: Sequence[str], target: int, weights: np.ndarray
) -> np.ndarray:
    """The target's 0-based rank in the fused ordering of :class:`~tools.recommenders.blend.Blend` for each
    weight column of ``weights`` (``len(names)`` x grid size) at once; a large number where no component
    ranked the target."""
    index: dict[int, int] = {}
    entries: list[tuple[int, int, float]] = []
    for c, name in enumerate(names):
        ranked = lists.get(name) or []
        for (item, _), norm in zip(ranked, normalised_scores(ranked), strict=True):
            entries.append((index.setdefault(item, len(index)), c, norm))
    if target not in index:
        return np.full(weights.shape[1], np.iinfo(np.int64).max // 2, dtype=np.int64)
    mat = np.zeros((len(index), len(names)))
    for row, c, norm in entries:
        mat[row, c] += norm
    fused = mat @ weights
    ids = np.fromiter(index.keys(), dtype=np.int64, count=len(index))
    t = fused[index[target]]
    ahead = (fused > t) | ((fused == t) & (ids < target)[:, None])
    return ahead.sum(axis=0)
