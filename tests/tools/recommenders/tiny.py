"""Hand-made interactions and fitted models shared by the recommender tests."""

from __future__ import annotations

from typing import Any

from tools.catalog import INTERACTIONS_FILE, Interaction
from tools.recommenders.als import ALS
from tools.recommenders.base import Recommender
from tools.recommenders.ease import EASE
from tools.recommenders.knn import ItemKNN
from tools.settings import PACKAGED_DATA_DIR

CF_CLASSES: list[type[Any]] = [ItemKNN, ALS, EASE]
ITEM_IDS = [1, 2, 3, 4, 10, 11, 99]  # 99 is in the catalog but has no interactions
#: The shipped interactions (the tests that need them skip when it is missing).
SHIPPED = PACKAGED_DATA_DIR / INTERACTIONS_FILE


def interaction(
    user: str, item: int, weight: float = 1.0, source: str = "redial", kind: str = "mention"
) -> Interaction:
    """One interaction, a REDIAL mention unless told otherwise."""
    return Interaction(user, item, weight, source, kind)


def tiny_interactions() -> list[Interaction]:
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
    return [interaction(u, i) for u, items in rows for i in items]


def fitted(cls: type[Any]) -> Recommender:
    """A model of ``cls`` fitted on :func:`tiny_interactions` with settings that suit so few rows."""
    kwargs = {"factors": 2, "iterations": 30, "regularization": 0.1} if cls is ALS else {}
    if cls is EASE:
        kwargs = {"lam": 0.5, "min_support": 1}
    if cls is ItemKNN:
        kwargs = {"shrink": 0.0}
    model = cls(**kwargs)
    model.fit(tiny_interactions(), ITEM_IDS)
    return model
