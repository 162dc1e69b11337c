"""ItemKNN: item-item cosine similarity with shrinkage over the interaction matrix."""

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


class ItemKNN(ItemModel):
    """Item-item cosine similarity with shrinkage, top-``neighbours`` pruned (plain scipy).

    ``sim(i, j) = <x_i, x_j> / (|x_i| |x_j| + shrink)`` over the user columns of the (source-weighted,
    user-normalised) interaction matrix; a user's score of item j is ``sum_i w_i sim(i, j)`` over seeds i.
    """

    name: str = "itemknn"

    def __init__(
        self,
        neighbours: int = 200,
        shrink: float = 20.0,
        source_weights: Mapping[str, float] | None = None,
        user_norm: str = "log",
    ) -> None:
        super().__init__()
        self.neighbours = int(neighbours)
        self.shrink = float(shrink)
        self.source_weights = dict(DEFAULT_SOURCE_WEIGHTS if source_weights is None else source_weights)
        self.user_norm = user_norm
        self.sim: sp.csr_matrix = sp.csr_matrix((0, 0), dtype=np.float32)

    def params(self) -> dict[str, Any]:
        """Hyperparameters (persisted with the model)."""
        return {
            "neighbours": self.neighbours,
            "shrink": self.shrink,
            "source_weights": self.source_weights,
            "user_norm": self.user_norm,
        }

    def fit(self, interactions: Sequence[Interaction], item_ids: Sequence[int]) -> None:
        """Compute the pruned similarity matrix, blockwise so memory stays bounded."""
        data = InteractionMatrix.build(
            interactions, item_ids, source_weights=self.source_weights, user_norm=self.user_norm
        )
        self.item_ids = data.item_ids
        n = data.item_ids.size
        x = data.matrix.tocsc().astype(np.float32)
        xt = sp.csr_matrix(x.T)
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=0)).ravel()).astype(np.float32)
        keep = max(1, min(self.neighbours, n - 1)) if n > 1 else 0
        indptr = [0]
        indices: list[np.ndarray] = []
        values: list[np.ndarray] = []
        block = 1024
        for start in range(0, n, block):
            stop = min(n, start + block)
            gram = (xt[start:stop] @ x).toarray()
            gram /= np.outer(norms[start:stop], norms) + self.shrink + 1e-12
            gram[np.arange(stop - start), np.arange(start, stop)] = 0.0
            for r in range(stop - start):
                row = gram[r]
                if keep <= 0:
                    indptr.append(indptr[-1])
                    continue
                top = np.argpartition(-row, keep - 1)[:keep] if keep < n else np.arange(n)
                top = top[row[top] > 0]
                top.sort()
                indices.append(top.astype(np.int32))
                values.append(row[top].astype(np.float32))
                indptr.append(indptr[-1] + top.size)
        self.sim = sp.csr_matrix(
            (
                np.concatenate(values) if values else np.empty(0, np.float32),
                np.concatenate(indices) if indices else np.empty(0, np.int32),
                np.asarray(indptr, dtype=np.int64),
            ),
            shape=(n, n),
        )
        log.info("itemknn: %d items, %d similarities", n, self.sim.nnz)

    def neighbour(self, item_id: int, other_id: int) -> tuple[float, int | None]:
        """How close ``other_id`` is to ``item_id`` in the pruned similarity matrix: the similarity (0.0 when
        it is not among ``item_id``'s kept neighbours, or either id is unknown) and its 1-based rank among
        them (None when absent). The evidence behind "fans of X liked it too"."""
        col, other = self._col(item_id), self._col(other_id)
        if col is None or other is None:
            return 0.0, None
        start, stop = self.sim.indptr[col], self.sim.indptr[col + 1]
        idx, vals = self.sim.indices[start:stop], self.sim.data[start:stop]
        hit = np.flatnonzero(idx == other)
        if hit.size == 0:
            return 0.0, None
        sim = float(vals[hit[0]])
        return sim, int((vals > sim).sum()) + 1

    def _scores(self, cols: np.ndarray, weights: np.ndarray) -> np.ndarray:
        rows = self.sim[cols]
        return np.asarray(rows.T @ weights, dtype=np.float64).ravel()

    def save(self, path: Path) -> None:
        """Persist ids, the sparse similarity matrix and the hyperparameters."""
        write_npz(
            path,
            {"model": self.name, "params": self.params()},
            {
                "item_ids": self.item_ids,
                "indptr": self.sim.indptr,
                "indices": self.sim.indices,
                "data": self.sim.data,
            },
        )

    @classmethod
    def load(cls, path: Path) -> Self:
        """Load a model written by :meth:`save`."""
        meta, arr = read_npz(path)
        model = cls(**meta["params"])
        model.item_ids = arr["item_ids"].astype(np.int64)
        n = model.item_ids.size
        model.sim = sp.csr_matrix((arr["data"], arr["indices"], arr["indptr"]), shape=(n, n))
        return model
