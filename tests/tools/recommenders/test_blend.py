"""Tests of the Blend recommender and the registry of every model."""

from __future__ import annotations

from pathlib import Path

from tests.tools.recommenders.tiny import fitted
from tools.recommenders.base import Recommender
from tools.recommenders.blend import REGISTRY, Blend
from tools.recommenders.ease import EASE
from tools.recommenders.knn import ItemKNN
from tools.recommenders.popularity import Popularity


def test_blend_fuses_and_falls_back_to_popularity(tmp_path: Path) -> None:
    components = {"itemknn": fitted(ItemKNN), "ease": fitted(EASE), "popularity": fitted(Popularity)}
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
