"""Blend: a weighted sum of the normalised top lists of other recommenders; the registry of every model."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

from tools.catalog import Interaction
from tools.recommenders.als import ALS
from tools.recommenders.base import Recommender, Scored, read_npz, write_npz
from tools.recommenders.ease import EASE
from tools.recommenders.knn import ItemKNN
from tools.recommenders.popularity import Popularity

#: Blend weights over normalised scores, grid-searched on the REDIAL dev split (see
#: :func:`eval.recommenders_dev.evaluate_on_redial_dev`).
DEFAULT_BLEND_WEIGHTS: dict[str, float] = {"itemknn": 1.0, "ease": 0.25, "als": 1.0, "popularity": 0.1}


def normalised_scores(ranked: Scored) -> list[float]:
    """Scores of a ranked list scaled into [0, 1]: divided by the best score when none is negative,
    min-max scaled otherwise (ALS scores can be negative)."""
    if not ranked:
        return []
    scores = [s for _, s in ranked]
    top, low = max(scores), min(scores)
    if top > 0 and low >= 0:
        return [s / top for s in scores]
    if top == low:
        return [1.0] * len(scores)
    return [(s - low) / (top - low) for s in scores]


def _fuse(lists: Mapping[str, Scored], weights: Mapping[str, float], k: int) -> Scored:
    """Weighted sum of normalised scores (see :func:`normalised_scores`; missing = 0), ties by lower id."""
    total: dict[int, float] = {}
    for name, ranked in lists.items():
        w = weights.get(name, 0.0)
        if not ranked or w == 0.0:
            continue
        for (item, _), norm in zip(ranked, normalised_scores(ranked), strict=True):
            total[item] = total.get(item, 0.0) + w * norm
    ordered = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(item, float(score)) for item, score in ordered[: max(0, k)]]


class Blend:
    """A normalised-score blend of other recommenders (by default ItemKNN + EASE + ALS + Popularity).

    Each component's top ``depth`` list (same seeds, exclusions and candidates) is divided by its best
    score and the weighted sum ranks the union. With no known seed the collaborative components return
    nothing, so the blend degrades to its Popularity component by itself.
    """

    name: str = "blend"

    def __init__(
        self,
        components: Mapping[str, Recommender] | None = None,
        weights: Mapping[str, float] | None = None,
        depth: int = 200,
    ) -> None:
        self.weights = dict(DEFAULT_BLEND_WEIGHTS if weights is None else weights)
        self.components: dict[str, Recommender] = dict(components or {})
        self.depth = int(depth)

    def fit(self, interactions: Sequence[Interaction], item_ids: Sequence[int]) -> None:
        """Fit every component (creating default ones that are missing)."""
        for name in self.weights:
            if name not in self.components:
                self.components[name] = REGISTRY[name]()
            self.components[name].fit(interactions, item_ids)

    def recommend(
        self,
        seed_items: Sequence[int],
        k: int,
        exclude: Collection[int] = (),
        candidates: Collection[int] | None = None,
        seed_weights: Sequence[float] | None = None,
    ) -> Scored:
        """The fused top ``k`` of the components (see the class docstring)."""
        try:
            k = int(k)
        except (TypeError, ValueError):
            return []
        if k <= 0:
            return []
        depth = max(self.depth, k)
        lists = {
            name: model.recommend(seed_items, depth, exclude, candidates, seed_weights)
            for name, model in self.components.items()
            if self.weights.get(name, 0.0) != 0.0
        }
        return _fuse(lists, self.weights, k)

    def similar_items(self, item_id: int, k: int) -> Scored:
        """The blend's recommendations for a user who likes just ``item_id``."""
        return self.recommend([item_id], k)

    def save(self, path: Path) -> None:
        """Persist the weights and component names (components are saved by themselves, alongside)."""
        write_npz(
            path,
            {
                "model": self.name,
                "params": {"weights": self.weights, "depth": self.depth},
                "components": sorted(self.components),
            },
            {},
        )

    @classmethod
    def load(cls, path: Path, components: Mapping[str, Recommender] | None = None) -> Self:
        """Load the blend; components come from ``components`` or their ``<name>.npz`` next to ``path``."""
        meta, _ = read_npz(path)
        params = meta["params"]
        loaded: dict[str, Recommender] = {}
        for name in meta.get("components", []):
            if components is not None and name in components:
                loaded[name] = components[name]
            else:
                loaded[name] = REGISTRY[name].load(path.parent / f"{name}.npz")
        return cls(loaded, weights=params["weights"], depth=params["depth"])


#: Name -> class of every persisted recommender (the blend builds and loads its components through it).
REGISTRY: dict[str, type[Any]] = {cls.name: cls for cls in (ItemKNN, ALS, EASE, Popularity, Blend)}
