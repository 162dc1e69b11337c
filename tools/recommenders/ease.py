"""EASE^R: the closed-form linear item-item autoencoder (Steck 2019), pruned for storage."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import scipy.sparse as sp

from tools.catalog import Interaction
from tools.recommenders.base import DEFAULT_SOURCE_WEIGHTS, InteractionMatrix, ItemModel, read_npz, write_npz

log = logging.getLogger(__name__)


def _spd_inverse(a: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive-definite matrix via Cholesky (LAPACK potrf/potri)."""
    from scipy.linalg import lapack  # lazy: only training needs it

    potrf, potri = (lapack.spotrf, lapack.spotri) if a.dtype == np.float32 else (lapack.dpotrf, lapack.dpotri)
    chol, info = potrf(a, lower=True, clean=True, overwrite_a=False)
    if info == 0:
        inv, info = potri(chol, lower=True, overwrite_c=True)
        if info == 0:
            lower = np.tril(inv)
            return lower + np.tril(lower, -1).T
    log.warning("Cholesky inverse failed (info=%d); falling back to a general inverse", info)
    return np.linalg.inv(a)


class EASE(ItemModel):
    """EASE^R (Steck 2019): ``B = I - P diagMat(1/diag(P))``, ``P = (X^T X + lam I)^-1``, closed form.

    Only items with at least ``min_support`` users are modelled (others score 0 and are not returned);
    to bound the cubic solve, at most the ``max_items`` most supported of them are kept. ``B`` is pruned to the ``keep``
    largest entries per row before it is stored, which keeps files small and loading fast.
    """

    name: str = "ease"

    def __init__(
        self,
        lam: float = 300.0,
        max_items: int = 10000,
        min_support: int = 2,
        keep: int = 300,
        source_weights: Mapping[str, float] | None = None,
        user_norm: str = "none",
    ) -> None:
        super().__init__()
        self.lam = float(lam)
        self.max_items = int(max_items)
        self.min_support = int(min_support)
        self.keep = int(keep)
        self.source_weights = dict(DEFAULT_SOURCE_WEIGHTS if source_weights is None else source_weights)
        self.user_norm = user_norm
        self.weights: sp.csr_matrix = sp.csr_matrix((0, 0), dtype=np.float32)

    def params(self) -> dict[str, Any]:
        """Hyperparameters (persisted with the model)."""
        return {
            "lam": self.lam,
            "max_items": self.max_items,
            "min_support": self.min_support,
            "keep": self.keep,
            "source_weights": self.source_weights,
            "user_norm": self.user_norm,
        }

    def fit(self, interactions: Sequence[Interaction], item_ids: Sequence[int]) -> None:
        """Solve for the item-item weight matrix on the supported items."""
        data = InteractionMatrix.build(
            interactions, item_ids, source_weights=self.source_weights, user_norm=self.user_norm
        )
        x = data.matrix
        support = np.diff(x.tocsc().indptr)
        chosen = np.flatnonzero(support >= self.min_support)
        if chosen.size > self.max_items:
            chosen = np.sort(chosen[np.argsort(-support[chosen], kind="stable")[: self.max_items]])
        x = x[:, chosen]
        self.item_ids = data.item_ids[chosen]
        n = self.item_ids.size
        if n == 0:
            self.weights = sp.csr_matrix((0, 0), dtype=np.float32)
            return
        gram = (x.T @ x).toarray().astype(np.float32)
        gram[np.diag_indices(n)] += self.lam
        p = _spd_inverse(gram)
        b = p / (-np.diag(p))[None, :]
        b[np.diag_indices(n)] = 0.0
        self.weights = self._prune(b.astype(np.float32, copy=False))
        log.info("ease: %d items, %d weights kept", n, self.weights.nnz)

    def _prune(self, b: np.ndarray) -> sp.csr_matrix:
        n = b.shape[0]
        keep = min(self.keep, n)
        if keep >= n:
            return sp.csr_matrix(b)
        top = np.argpartition(-np.abs(b), keep - 1, axis=1)[:, :keep]
        top.sort(axis=1)
        rows = np.repeat(np.arange(n), keep)
        vals = b[rows, top.ravel()]
        return sp.csr_matrix((vals, (rows, top.ravel())), shape=(n, n), dtype=np.float32)

    def _scores(self, cols: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return np.asarray(self.weights[cols].T @ weights, dtype=np.float64).ravel()

    def save(self, path: Path) -> None:
        """Persist ids, the pruned weight matrix and the hyperparameters."""
        write_npz(
            path,
            {"model": self.name, "params": self.params()},
            {
                "item_ids": self.item_ids,
                "indptr": self.weights.indptr,
                "indices": self.weights.indices,
                "data": self.weights.data,
            },
        )

    @classmethod
    def load(cls, path: Path) -> Self:
        """Load a model written by :meth:`save`."""
        meta, arr = read_npz(path)
        model = cls(**meta["params"])
        model.item_ids = arr["item_ids"].astype(np.int64)
        n = model.item_ids.size
        model.weights = sp.csr_matrix((arr["data"], arr["indices"], arr["indptr"]), shape=(n, n))
        return model
