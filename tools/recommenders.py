"""Collaborative recommenders over the training interactions: ItemKNN, ALS, EASE, Popularity and a blend.

Every model speaks catalog item ids only. The module owns the user x item CSR orientation that ``implicit``
wants, the item-id <-> column mapping, the filtering of already-seen items (the seeds), candidate
restriction and exclusions, so callers never trip on them:

* ``recommend(seed_items, k, exclude=(), candidates=None, seed_weights=None)`` returns up to ``k``
  ``(item_id, score)`` pairs, best first. Seeds are never returned, unknown or malformed ids are ignored,
  nothing raises on bad ids. Collaborative models return ``[]`` when no seed is known to them (callers
  fall back to :class:`Popularity`, or use :class:`Blend`, which does so itself).
* ``similar_items(item_id, k)`` returns the item's nearest neighbours under the model.
* ``save(path)`` / ``load(path)`` persist to one pickle-free ``.npz`` file (arrays plus a JSON ``meta``).

:func:`train_all` (called by ``crsagent index``) fits and persists every model under
``settings.models_dir`` and skips the work when the persisted models match the current interactions;
:func:`load_recommenders` loads them. :func:`evaluate_on_redial_dev` measures Recall@k on a deterministic
dev split carved from the REDIAL *training* dialogs (never the test split).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import time
import zipfile
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, runtime_checkable

import numpy as np
import scipy.sparse as sp

from tools.catalog import Catalog, Interaction
from tools.settings import Settings

if TYPE_CHECKING:  # pragma: no cover - imported for annotations only (it pulls in Chroma)
    from tools.toolkit import Toolkit

log = logging.getLogger(__name__)

#: Bumped whenever the persisted format changes (the checksum also covers the default hyperparameters,
#: so changing those retrains too).
FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"

#: Per-source multipliers of interaction weights for the collaborative models. MovieLens raters are few
#: but dense: at full weight they swamp the dialog co-mention signal (REDIAL dev Recall@50 of ItemKNN
#: without user normalisation: 0.46 at 0.2 vs 0.33 at 1.0; EASE 0.50 vs 0.49; ALS about equal).
DEFAULT_SOURCE_WEIGHTS: dict[str, float] = {"redial": 1.0, "inspired": 1.0, "movielens": 0.2}
#: Popularity counts REDIAL dialog mentions first: that is what people ask a movie chat about
#: (dev Recall@50 0.19 with these weights, 0.15 counting MovieLens fully, 0.06 MovieLens alone).
POPULARITY_SOURCE_WEIGHTS: dict[str, float] = {"redial": 1.0, "inspired": 0.5, "movielens": 0.05}
#: Blend weights over normalised scores, grid-searched on the REDIAL dev split (see
#: :func:`evaluate_on_redial_dev`).
DEFAULT_BLEND_WEIGHTS: dict[str, float] = {"itemknn": 1.0, "ease": 0.25, "als": 1.0, "popularity": 0.1}

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


def _as_id_array(values: Iterable[Any] | None) -> np.ndarray:
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


def _source_weight(source: str, weights: Mapping[str, float]) -> float:
    return float(weights.get(source, 1.0))


def _write_npz(path: Path, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
    """Write arrays plus a JSON ``meta`` entry to ``path`` atomically (no pickles)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        payload: dict[str, Any] = dict(arrays)
        np.savez(fh, meta=np.asarray(json.dumps(dict(meta))), **payload)
    os.replace(tmp, path)


def _read_npz(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a file written by :func:`_write_npz`: (meta, arrays)."""
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
            value = float(it.weight) * _source_weight(it.source, weights)
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


class _ItemModel:
    """Shared id mapping, seed parsing, filtering and top-k of the models (not part of the API)."""

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
            allowed[self._cols_of(_as_id_array(candidates))] = True
            scores[~allowed] = -np.inf
        scores[self._cols_of(_as_id_array(seed_items))] = -np.inf
        if exclude is not None:
            scores[self._cols_of(_as_id_array(exclude))] = -np.inf
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


# --------------------------------------------------------------------------- ItemKNN


class ItemKNN(_ItemModel):
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

    def _scores(self, cols: np.ndarray, weights: np.ndarray) -> np.ndarray:
        rows = self.sim[cols]
        return np.asarray(rows.T @ weights, dtype=np.float64).ravel()

    def save(self, path: Path) -> None:
        """Persist ids, the sparse similarity matrix and the hyperparameters."""
        _write_npz(
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
        meta, arr = _read_npz(path)
        model = cls(**meta["params"])
        model.item_ids = arr["item_ids"].astype(np.int64)
        n = model.item_ids.size
        model.sim = sp.csr_matrix((arr["data"], arr["indices"], arr["indptr"]), shape=(n, n))
        return model


# --------------------------------------------------------------------------- ALS


class ALS(_ItemModel):
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
            from implicit.cpu.als import AlternatingLeastSquares
            from threadpoolctl import threadpool_limits

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
        _write_npz(
            path,
            {"model": self.name, "params": self.params()},
            {"item_ids": self.item_ids, "item_factors": self.item_factors},
        )

    @classmethod
    def load(cls, path: Path) -> Self:
        """Load a model written by :meth:`save`."""
        meta, arr = _read_npz(path)
        model = cls(**meta["params"])
        model.item_ids = arr["item_ids"].astype(np.int64)
        model.item_factors = np.ascontiguousarray(arr["item_factors"], dtype=np.float32)
        model._prepare()
        return model


# --------------------------------------------------------------------------- EASE


def _spd_inverse(a: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive-definite matrix via Cholesky (LAPACK potrf/potri)."""
    from scipy.linalg import lapack

    potrf, potri = (lapack.spotrf, lapack.spotri) if a.dtype == np.float32 else (lapack.dpotrf, lapack.dpotri)
    chol, info = potrf(a, lower=True, clean=True, overwrite_a=False)
    if info == 0:
        inv, info = potri(chol, lower=True, overwrite_c=True)
        if info == 0:
            lower = np.tril(inv)
            return lower + np.tril(lower, -1).T
    log.warning("Cholesky inverse failed (info=%d); falling back to a general inverse", info)
    return np.linalg.inv(a)


class EASE(_ItemModel):
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
        _write_npz(
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
        meta, arr = _read_npz(path)
        model = cls(**meta["params"])
        model.item_ids = arr["item_ids"].astype(np.int64)
        n = model.item_ids.size
        model.weights = sp.csr_matrix((arr["data"], arr["indices"], arr["indptr"]), shape=(n, n))
        return model


# --------------------------------------------------------------------------- Popularity


class Popularity(_ItemModel):
    """Source-weighted interaction counts per item, then TMDB popularity for items without interactions.

    Non-personalised: seeds are only filtered out. Every item of the universe is rankable: items with
    interactions first (by weighted count), then the rest by ``Item.popularity`` when a catalog was given.
    """

    name: str = "popularity"
    positive_only: ClassVar[bool] = False

    def __init__(
        self, catalog: Catalog | None = None, source_weights: Mapping[str, float] | None = None
    ) -> None:
        super().__init__()
        self.catalog = catalog
        self.source_weights = dict(POPULARITY_SOURCE_WEIGHTS if source_weights is None else source_weights)
        self.scores: np.ndarray = np.empty(0, dtype=np.float64)

    def params(self) -> dict[str, Any]:
        """Hyperparameters (persisted with the model)."""
        return {"source_weights": self.source_weights}

    def fit(self, interactions: Sequence[Interaction], item_ids: Sequence[int]) -> None:
        """Count weighted interactions per item; fall back to TMDB popularity below every counted item."""
        self.item_ids = np.unique(_as_id_array(item_ids))
        counts = np.zeros(self.item_ids.size, dtype=np.float64)
        if interactions and self.item_ids.size:
            ids = np.fromiter((it.item_id for it in interactions), dtype=np.int64, count=len(interactions))
            vals = np.fromiter(
                (it.weight * _source_weight(it.source, self.source_weights) for it in interactions),
                dtype=np.float64,
                count=len(interactions),
            )
            pos = np.minimum(np.searchsorted(self.item_ids, ids), self.item_ids.size - 1)
            ok = (self.item_ids[pos] == ids) & (vals > 0)
            np.add.at(counts, pos[ok], vals[ok])
        scores = counts.copy()
        if self.catalog is not None:
            tmdb = np.array(
                [(it.popularity if (it := self.catalog.get(int(i))) else 0.0) for i in self.item_ids]
            )
            tmdb = np.nan_to_num(np.maximum(tmdb, 0.0))
            floor = counts[counts > 0].min() if (counts > 0).any() else 1.0
            if tmdb.max(initial=0.0) > 0:
                fallback = 0.5 * floor * tmdb / tmdb.max()
                scores = np.where(counts > 0, counts, fallback)
        self.scores = scores

    def recommend(
        self,
        seed_items: Sequence[int],
        k: int,
        exclude: Collection[int] = (),
        candidates: Collection[int] | None = None,
        seed_weights: Sequence[float] | None = None,
    ) -> Scored:
        """The ``k`` most popular items (seeds, exclusions and non-candidates removed), seeds optional."""
        try:
            k = int(k)
        except (TypeError, ValueError):
            return []
        return self._rank(self.scores, k, seed_items, exclude, candidates, positive_only=False)

    def similar_items(self, item_id: int, k: int) -> Scored:
        """Popularity has no notion of similarity: the most popular other items."""
        return self.recommend([item_id], k)

    def save(self, path: Path) -> None:
        """Persist ids, scores and the hyperparameters."""
        _write_npz(
            path,
            {"model": self.name, "params": self.params()},
            {"item_ids": self.item_ids, "scores": self.scores},
        )

    @classmethod
    def load(cls, path: Path) -> Self:
        """Load a model written by :meth:`save`."""
        meta, arr = _read_npz(path)
        model = cls(**meta["params"])
        model.item_ids = arr["item_ids"].astype(np.int64)
        model.scores = arr["scores"].astype(np.float64)
        return model


# --------------------------------------------------------------------------- Blend


def _normalised(ranked: Scored) -> list[float]:
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
    """Weighted sum of normalised scores (see :func:`_normalised`; missing = 0), ties by lower id."""
    total: dict[int, float] = {}
    for name, ranked in lists.items():
        w = weights.get(name, 0.0)
        if not ranked or w == 0.0:
            continue
        for (item, _), norm in zip(ranked, _normalised(ranked), strict=True):
            total[item] = total.get(item, 0.0) + w * norm
    ordered = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(item, float(score)) for item, score in ordered[: max(0, k)]]


def _fused_ranks(
    lists: Mapping[str, Scored], names: Sequence[str], target: int, weights: np.ndarray
) -> np.ndarray:
    """The target's 0-based rank in :func:`_fuse`'s ordering for each weight column of ``weights``
    (``len(names)`` x grid size) at once; a large number where no component ranked the target."""
    index: dict[int, int] = {}
    entries: list[tuple[int, int, float]] = []
    for c, name in enumerate(names):
        ranked = lists.get(name) or []
        for (item, _), norm in zip(ranked, _normalised(ranked), strict=True):
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
        _write_npz(
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
        meta, _ = _read_npz(path)
        params = meta["params"]
        loaded: dict[str, Recommender] = {}
        for name in meta.get("components", []):
            if components is not None and name in components:
                loaded[name] = components[name]
            else:
                loaded[name] = REGISTRY[name].load(path.parent / f"{name}.npz")
        return cls(loaded, weights=params["weights"], depth=params["depth"])


#: Name -> class of every persisted recommender.
REGISTRY: dict[str, type[Any]] = {cls.name: cls for cls in (ItemKNN, ALS, EASE, Popularity, Blend)}
#: The models :func:`train_all` fits, in order (the blend last: it reuses the others).
MODEL_NAMES: tuple[str, ...] = ("popularity", "itemknn", "als", "ease", "blend")


# --------------------------------------------------------------------------- training and loading


def interactions_checksum(
    interactions: Sequence[Interaction], item_ids: Iterable[int], extra: str = ""
) -> str:
    """sha256 over the interactions, the item universe, the model format version and ``extra``."""
    digest = hashlib.sha256(f"v{FORMAT_VERSION}\n{extra}\n".encode())
    digest.update(",".join(str(i) for i in sorted(item_ids)).encode())
    chunk: list[str] = []
    for it in interactions:
        chunk.append(f"{it.user}\t{it.item_id}\t{it.weight!r}\t{it.source}\t{it.kind}\n")
        if len(chunk) >= 50000:
            digest.update("".join(chunk).encode())
            chunk.clear()
    digest.update("".join(chunk).encode())
    return digest.hexdigest()


def default_models(catalog: Catalog | None = None) -> dict[str, Recommender]:
    """Fresh, unfitted instances of every model with the tuned default hyperparameters (no blend)."""
    return {"popularity": Popularity(catalog), "itemknn": ItemKNN(), "als": ALS(), "ease": EASE()}


def fit_models(
    interactions: Sequence[Interaction], item_ids: Sequence[int], catalog: Catalog | None = None
) -> tuple[dict[str, Recommender], dict[str, float]]:
    """Fit every default model plus the blend over them; returns (models, seconds per model)."""
    models = default_models(catalog)
    seconds: dict[str, float] = {}
    for name, model in models.items():
        t0 = time.perf_counter()
        model.fit(interactions, item_ids)
        seconds[name] = round(time.perf_counter() - t0, 3)
    models["blend"] = Blend({n: models[n] for n in DEFAULT_BLEND_WEIGHTS}, DEFAULT_BLEND_WEIGHTS)
    return models, seconds


def _default_params_key() -> str:
    """The default hyperparameters as canonical JSON (changing them invalidates persisted models)."""
    params: dict[str, Any] = {
        name: getattr(model, "params", dict)() for name, model in default_models().items()
    }
    params["blend"] = DEFAULT_BLEND_WEIGHTS
    return json.dumps(params, sort_keys=True)


def _read_manifest(models_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((models_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def train_all(toolkit: Toolkit, force: bool = False) -> list[str]:
    """Fit and persist every recommender under ``settings.models_dir``; returns the model names.

    Skipped (returning the persisted names) when the manifest's checksum matches the current
    interactions and item universe and every model file exists, unless ``force``.
    """
    from tools.catalog import load_interactions

    models_dir = toolkit.settings.models_dir
    interactions = load_interactions(toolkit.engine)
    catalog = toolkit.catalog
    item_ids = catalog.ids()
    checksum = interactions_checksum(interactions, item_ids, extra=_default_params_key())
    manifest = _read_manifest(models_dir)
    if (
        not force
        and manifest is not None
        and manifest.get("checksum") == checksum
        and manifest.get("models") == list(MODEL_NAMES)
        and all((models_dir / f"{n}.npz").exists() for n in MODEL_NAMES)
    ):
        log.info("recommenders up to date (%s)", ", ".join(manifest["models"]))
        return list(manifest["models"])
    log.info("training recommenders on %d interactions over %d items", len(interactions), len(item_ids))
    models, seconds = fit_models(interactions, item_ids, catalog)
    models_dir.mkdir(parents=True, exist_ok=True)
    for name in MODEL_NAMES:
        models[name].save(models_dir / f"{name}.npz")
    manifest = {
        "format_version": FORMAT_VERSION,
        "checksum": checksum,
        "models": list(MODEL_NAMES),
        "n_interactions": len(interactions),
        "n_items": len(item_ids),
        "fit_seconds": seconds,
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    tmp = models_dir / (MANIFEST_FILE + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    os.replace(tmp, models_dir / MANIFEST_FILE)
    log.info("recommenders trained in %s s", seconds)
    return list(MODEL_NAMES)


def load_recommenders(settings: Settings) -> dict[str, Recommender]:
    """Every persisted model by name (``{}`` when none were trained; unreadable files are skipped)."""
    models_dir = settings.models_dir
    manifest = _read_manifest(models_dir)
    if manifest is None:
        log.warning("no trained recommenders in %s: run `crsagent index`", models_dir)
        return {}
    loaded: dict[str, Recommender] = {}
    for name in manifest.get("models", []):
        cls = REGISTRY.get(name)
        path = models_dir / f"{name}.npz"
        if cls is None:
            log.warning("unknown recommender %r in %s", name, models_dir / MANIFEST_FILE)
            continue
        try:
            loaded[name] = cls.load(path, components=loaded) if cls is Blend else cls.load(path)
        except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
            log.warning(
                "cannot load recommender %s from %s (%s): run `crsagent index --force`", name, path, exc
            )
    return loaded


# --------------------------------------------------------------------------- evaluation


def _dev_bucket(user: str, buckets: int) -> int:
    """A stable hash bucket of a user id (independent of Python's hash seed)."""
    return int.from_bytes(hashlib.sha1(user.encode("utf-8")).digest()[:4], "big") % buckets


def split_redial_dev(
    interactions: Sequence[Interaction], *, buckets: int = 10, dev_bucket: int = 0
) -> tuple[list[Interaction], dict[str, list[Interaction]]]:
    """(train interactions, dev dialogs by user): ``redial:*`` users whose hash bucket is ``dev_bucket``."""
    train: list[Interaction] = []
    dev: dict[str, list[Interaction]] = {}
    for it in interactions:
        if it.user.startswith("redial:") and _dev_bucket(it.user, buckets) == dev_bucket:
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
    cand = np.unique(_as_id_array(universe))
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
