"""ALS: implicit-feedback matrix factorisation with a closed-form fold-in of the seed items."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
from threadpoolctl import threadpool_limits

from tools.catalog import Interaction
from tools.recommenders.base import (
    DEFAULT_SOURCE_WEIGHTS,
    InteractionMatrix,
    ItemModel,
    Scored,
    read_npz,
    write_npz,
)

log = logging.getLogger(__name__)


class ALS(ItemModel):
    """Implicit-feedback ALS (``implicit.cpu``) with an exact closed-form fold-in of the seed items.

    The seed "user" is solved as ``x = (YtY + Y_s^T (C_s - I) Y_s + reg I)^-1 Y_s^T C_s 1`` with
    ``C_s = alpha * seed_weights`` (what ``recalculate_user=True`` computes), so any seed set is scored
    without storing user factors. BLAS is limited to one thread while ``implicit`` fits.
    """

    name: str = "als"
    positive_only: ClassVar[bool] = False

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 10.0,
        alpha: float = 20.0,
        iterations: int = 15,
        random_state: int = 42,
        source_weights: Mapping[str, float] | None = None,
        user_norm: str = "none",
    ) -> None:
        super().__init__()
        self.factors = int(factors)
        self.regularization = float(regularization)
        self.alpha = float(alpha)
        self.iterations = int(iterations)
        self.random_state = int(random_state)
        self.source_weights = dict(DEFAULT_SOURCE_WEIGHTS if source_weights is None else source_weights)
        self.user_norm = user_norm
        self.item_factors: np.ndarray = np.zeros((0, self.factors), dtype=np.float32)
        self._yty: np.ndarray | None = None
        self._unit: np.ndarray | None = None

    def params(self) -> dict[str, Any]:
        """Hyperparameters (persisted with the model)."""
        return {
            "factors": self.factors,
            "regularization": self.regularization,
            "alpha": self.alpha,
            "iterations": self.iterations,
            "random_state": self.random_state,
            "source_weights": self.source_weights,
            "user_norm": self.user_norm,
        }

    def fit(self, interactions: Sequence[Interaction], item_ids: Sequence[int]) -> None:
        """Factorise the user x item matrix with ``implicit.cpu.als`` (never the GPU variant)."""
        data = InteractionMatrix.build(
            interactions, item_ids, source_weights=self.source_weights, user_norm=self.user_norm
        )
        self.item_ids = data.item_ids
        if data.matrix.nnz == 0:
            self.item_factors = np.zeros((data.item_ids.size, self.factors), dtype=np.float32)
        else:
            # lazy: implicit takes about a second to import; only training needs it
            from implicit.cpu.als import AlternatingLeastSquares

            with threadpool_limits(limits=1, user_api="blas"):
                model = AlternatingLeastSquares(
                    factors=self.factors,
                    regularization=self.regularization,
                    alpha=self.alpha,
                    iterations=self.iterations,
                    random_state=self.random_state,
                    dtype=np.float32,
                )
                model.fit(data.matrix, show_progress=False)
            self.item_factors = np.ascontiguousarray(model.item_factors, dtype=np.float32)
        self._prepare()
        log.info("als: %d items x %d factors", *self.item_factors.shape)

    def _prepare(self) -> None:
        y = self.item_factors.astype(np.float64)
        self._yty = y.T @ y
        norms = np.linalg.norm(self.item_factors, axis=1, keepdims=True)
        self._unit = self.item_factors / np.maximum(norms, 1e-12)

    def user_vector(self, cols: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """The folded-in user factor of seed columns with confidences ``alpha * weights``."""
        if self._yty is None:
            self._prepare()
        assert self._yty is not None
        y = self.item_factors[cols].astype(np.float64)
        conf = self.alpha * weights
        pref = (conf > 0).astype(np.float64)
        c = np.abs(conf)
        a = self._yty + self.regularization * np.eye(self.factors) + (y.T * (c - 1.0)) @ y
        b = y.T @ (c * pref)
        try:
            return np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            return np.linalg.lstsq(a, b, rcond=None)[0]

    def _scores(self, cols: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return np.asarray(self.item_factors @ self.user_vector(cols, weights).astype(np.float32), np.float64)

    def similar_items(self, item_id: int, k: int) -> Scored:
        """Cosine neighbours in the item-factor space (``[]`` for unknown ids)."""
        col = self._col(item_id)
        if col is None:
            return []
        if self._unit is None:
            self._prepare()
        assert self._unit is not None
        return self._rank(self._unit @ self._unit[col], k, [item_id], None, None, positive_only=False)

    def save(self, path: Path) -> None:
        """Persist ids, item factors and the hyperparameters."""
        write_npz(
            path,
            {"model": self.name, "params": self.params()},
            {"item_ids": self.item_ids, "item_factors": self.item_factors},
        )

    @classmethod
    def load(cls, path: Path) -> Self:
        """Load a model written by :meth:`save`."""
        meta, arr = read_npz(path)
        model = cls(**meta["params"])
        model.item_ids = arr["item_ids"].astype(np.int64)
        model.item_factors = np.ascontiguousarray(arr["item_factors"], dtype=np.float32)
        return (
            model  # the derived matrices are computed on first use (a cold one-shot turn may not need them)
        )
