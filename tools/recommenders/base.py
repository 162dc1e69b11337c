"""The shared ground of the recommenders: the :class:`Recommender` protocol, the id-mapping base class of
the item models, the user x item :class:`InteractionMatrix` and the pickle-free ``.npz`` persistence helpers.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

import numpy as np
import scipy.sparse as sp

from tools.catalog import Interaction

log = logging.getLogger(__name__)

#: Per-source multipliers of interaction weights for the collaborative models. MovieLens raters are few
#: but dense: at full weight they swamp the dialog co-mention signal (REDIAL dev Recall@50 of ItemKNN
#: without user normalisation: 0.46 at 0.2 vs 0.33 at 1.0; EASE 0.50 vs 0.49; ALS about equal).
DEFAULT_SOURCE_WEIGHTS: dict[str, float] = {"redial": 1.0, "inspired": 1.0, "movielens": 0.2}

Scored = list[tuple[int, float]]


@runtime_checkable
class Recommender(Protocol):
    """The interface of every recommender: catalog ids in, ``(item_id, score)`` pairs out."""

    name: str

    def fit(self, interactions: Sequence[Interaction], item_ids: Sequence[int]) -> None:
        """Train on interactions restricted to ``item_ids`` (the catalog universe)."""
        ...

    def recommend(
        self,
        seed_items: Sequence[int],
        k: int,
        exclude: Collection[int] = (),
        candidates: Collection[int] | None = None,
        seed_weights: Sequence[float] | None = None,
    ) -> Scored:
        """Up to ``k`` items for a user who likes ``seed_items``, best first; seeds never returned."""
        ...

    def similar_items(self, item_id: int, k: int) -> Scored:
        """Up to ``k`` items most similar to ``item_id`` (itself excluded)."""
        ...

    def save(self, path: Path) -> None:
        """Persist the fitted model to one file."""
        ...

    @classmethod
    def load(cls, path: Path) -> Self:
        """Load a model written by :meth:`save`."""
        ...


# --------------------------------------------------------------------------- helpers


def _safe_id(value: Any) -> int | None:
    """``value`` as an item id, or None when it is not an integer (bools, None, strings, floats)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    return None


def as_id_array(values: Iterable[Any] | None) -> np.ndarray:
    """Integer ids of ``values`` as an int64 array; anything that is not an integer is dropped."""
    if values is None:
        return np.empty(0, dtype=np.int64)
    items = list(values)
    if not items:
        return np.empty(0, dtype=np.int64)
    try:
        arr = np.asarray(items)
    except (TypeError, ValueError):
        arr = np.asarray([], dtype=np.int64)
    if arr.ndim == 1 and arr.dtype.kind in "iu" and arr.size == len(items):
        return arr.astype(np.int64, copy=False)
    ids = [i for i in (_safe_id(v) for v in items) if i is not None]
    return np.asarray(ids, dtype=np.int64)


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest finite scores, best first, ties broken by lower index."""
    valid = np.flatnonzero(np.isfinite(scores))
    if valid.size == 0 or k <= 0:
        return np.empty(0, dtype=np.int64)
    if valid.size > k:
        valid = valid[np.argpartition(-scores[valid], k - 1)[:k]]
    return valid[np.lexsort((valid, -scores[valid]))]


def source_weight(source: str, weights: Mapping[str, float]) -> float:
    """The multiplier of interactions from ``source`` (1.0 for a source ``weights`` does not name)."""
    return float(weights.get(source, 1.0))


def write_npz(path: Path, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
    """Write arrays plus a JSON ``meta`` entry to ``path`` atomically (no pickles)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        payload: dict[str, Any] = dict(arrays)
        np.savez(fh, meta=np.asarray(json.dumps(dict(meta))), **payload)
    os.replace(tmp, path)


def read_npz(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a file written by :func:`write_npz`: (meta, arrays)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files if key != "meta"}
        meta = json.loads(str(data["meta"]))
    return meta, arrays


@dataclass
class InteractionMatrix:
    """A user x item CSR matrix (the orientation ``implicit`` >= 0.7 wants) plus its id mapping."""

    users: list[str]
    item_ids: np.ndarray  #: sorted catalog ids, one per column
    matrix: sp.csr_matrix  #: users x items, float32

    @classmethod
    def build(
        cls,
        interactions: Sequence[Interaction],
        item_ids: Iterable[int],
        *,
        source_weights: Mapping[str, float] | None = None,
        user_norm: str = "none",
    ) -> InteractionMatrix:
        """Aggregate interactions into a matrix over the items of ``item_ids`` that have any.

        Each value is ``weight * source_weights[source]`` (duplicates summed); ``user_norm`` scales
        each user's row by ``1/sqrt(n)`` (``"sqrt"``), ``1/log2(1+n)`` (``"log"``) or not at all
        (``"none"``), where ``n`` is the user's number of items, so dense raters do not dominate.
        """
        weights = source_weights or {}
        universe = {int(i) for i in item_ids}
        user_index: dict[str, int] = {}
        rows: list[int] = []
        items: list[int] = []
        vals: list[float] = []
        for it in interactions:
            if it.item_id not in universe:
                continue
            value = float(it.weight) * source_weight(it.source, weights)
            if not value > 0:
                continue
            rows.append(user_index.setdefault(it.user, len(user_index)))
            items.append(it.item_id)
            vals.append(value)
        item_arr = np.asarray(items, dtype=np.int64)
        cols_ids = np.unique(item_arr)
        cols = np.searchsorted(cols_ids, item_arr)
        matrix = sp.csr_matrix(
            (np.asarray(vals, dtype=np.float32), (np.asarray(rows, dtype=np.int64), cols)),
            shape=(len(user_index), cols_ids.size),
            dtype=np.float32,
        )
        matrix.sum_duplicates()
        if user_norm != "none" and matrix.shape[0]:
            n = np.diff(matrix.indptr).astype(np.float64)
            if user_norm == "sqrt":
                scale = 1.0 / np.sqrt(np.maximum(n, 1.0))
            elif user_norm == "log":
                scale = 1.0 / np.log2(1.0 + np.maximum(n, 1.0))
            else:
                raise ValueError(f"unknown user_norm {user_norm!r} (none, sqrt, log)")
            matrix = sp.csr_matrix(sp.diags(scale.astype(np.float32)) @ matrix)
        return cls(users=list(user_index), item_ids=cols_ids, matrix=matrix)


# --------------------------------------------------------------------------- base class


class ItemModel:
    """Shared id mapping, seed parsing, filtering and top-k of ItemKNN, ALS, EASE and Popularity.

    Subclasses implement ``_scores(cols, weights)``: a dense score per column for the known seed columns.
    """

    name: str = ""
    #: Return only items with a positive score (neighbourhood models have no evidence for the rest).
    positive_only: ClassVar[bool] = True

    def __init__(self) -> None:
        self.item_ids: np.ndarray = np.empty(0, dtype=np.int64)

    # ---- id mapping
    def _cols_of(self, ids: np.ndarray) -> np.ndarray:
        """Column of each id known to the model (unknown ids dropped)."""
        if ids.size == 0 or self.item_ids.size == 0:
            return np.empty(0, dtype=np.int64)
        pos = np.searchsorted(self.item_ids, ids)
        pos = np.minimum(pos, self.item_ids.size - 1)
        return pos[self.item_ids[pos] == ids]

    def _col(self, item_id: Any) -> int | None:
        iid = _safe_id(item_id)
        if iid is None:
            return None
        cols = self._cols_of(np.asarray([iid], dtype=np.int64))
        return int(cols[0]) if cols.size else None

    def __contains__(self, item_id: object) -> bool:
        return self._col(item_id) is not None

    def _seeds(
        self, seed_items: Sequence[int] | None, seed_weights: Sequence[float] | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Known seed columns and their weights (duplicates summed; bad ids and weights skipped)."""
        seeds = list(seed_items) if seed_items is not None else []
        try:
            weights = list(seed_weights) if seed_weights is not None else []
        except TypeError:
            weights = []
        if len(weights) != len(seeds):
            if weights:
                log.debug("%s: %d seed weights for %d seeds; using 1.0", self.name, len(weights), len(seeds))
            weights = [1.0] * len(seeds)
        acc: dict[int, float] = {}
        for seed, weight in zip(seeds, weights, strict=True):
            col = self._col(seed)
            try:
                w = float(weight)
            except (TypeError, ValueError):
                continue
            if col is None or not math.isfinite(w) or w == 0.0:
                continue
            acc[col] = acc.get(col, 0.0) + w
        cols = np.fromiter(acc.keys(), dtype=np.int64, count=len(acc))
        return cols, np.fromiter(acc.values(), dtype=np.float64, count=len(acc))

    def _rank(
        self,
        scores: np.ndarray,
        k: int,
        seed_items: Sequence[int] | None,
        exclude: Collection[int] | None,
        candidates: Collection[int] | None,
        *,
        positive_only: bool,
    ) -> Scored:
        """Mask seeds, exclusions and non-candidates in a dense score vector and return the top k."""
        if k <= 0 or scores.size == 0:
            return []
        scores = np.array(scores, dtype=np.float64)
        scores[~np.isfinite(scores)] = -np.inf
        if positive_only:
            scores[scores <= 0.0] = -np.inf
        if candidates is not None:
            allowed = np.zeros(scores.size, dtype=bool)
            allowed[self._cols_of(as_id_array(candidates))] = True
            scores[~allowed] = -np.inf
        scores[self._cols_of(as_id_array(seed_items))] = -np.inf
        if exclude is not None:
            scores[self._cols_of(as_id_array(exclude))] = -np.inf
        top = _top_k(scores, int(k))
        return [(int(self.item_ids[c]), float(scores[c])) for c in top]

    def _scores(self, cols: np.ndarray, weights: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def recommend(
        self,
        seed_items: Sequence[int],
        k: int,
        exclude: Collection[int] = (),
        candidates: Collection[int] | None = None,
        seed_weights: Sequence[float] | None = None,
    ) -> Scored:
        """Up to ``k`` ``(item_id, score)`` pairs for a user who likes ``seed_items``, best first.

        Unknown or malformed seed ids are ignored; with no known seed the result is ``[]``. Seeds and
        ``exclude`` are never returned; ``candidates`` (when given) restricts the result set.
        """
        try:
            k = int(k)
        except (TypeError, ValueError):
            return []
        cols, weights = self._seeds(seed_items, seed_weights)
        if cols.size == 0 or k <= 0:
            return []
        return self._rank(
            self._scores(cols, weights), k, seed_items, exclude, candidates, positive_only=self.positive_only
        )

    def similar_items(self, item_id: int, k: int) -> Scored:
        """Up to ``k`` items most similar to ``item_id`` under the model (``[]`` for unknown ids)."""
        return self.recommend([item_id], k)
