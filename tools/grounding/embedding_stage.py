"""The embedding stage of grounding: the nearest title embedding, when nothing matched lexically.

all-MiniLM-L6-v2 over title strings only, cached as ``.npy`` under ``cache_dir``; a candidate is accepted only
above a calibrated cosine and when every word of the query occurs in the candidate's title (so a new
subtitle or sequel never grounds to the original).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from tools.catalog import Catalog
from tools.embeddings import Embedder
from tools.grounding.matcher import Query, year_factor
from tools.grounding.matches import ItemMatch, item_match
from tools.grounding.tokenizer import digit_tokens
from tools.titles import normalize_title, plain_title, straighten_apostrophes

log = logging.getLogger(__name__)

#: Calibrated thresholds (see ``tools/grounding/matcher.py``).
EMBEDDING_MIN_COS = 0.80
EMBEDDING_TOKEN_MIN_RATIO = 80.0
EMBEDDING_TOP_K = 8


class EmbeddingStage:
    """Title embeddings of the catalog and the nearest-title lookup over them. Thread-safe.

    The embeddings are loaded from ``cache_dir`` on the first lookup (or :meth:`warm`); when it does not hold
    them they are computed then and saved there. An embedder that fails disables the stage.
    """

    def __init__(self, catalog: Catalog, embedder: Embedder, cache_dir: Path | None = None) -> None:
        self.catalog = catalog
        self.embedder = embedder
        self.cache_dir = cache_dir
        self._lock = threading.Lock()
        self._vectors: np.ndarray | None = None
        # MovieLens-only films are named exactly or not at all: 56k more titles would cost a minute here
        self._vector_ids: list[int] = sorted(i for i, it in catalog.items.items() if it.origin != "movielens")
        self._failed = False
        self._cache_path = self._embedding_cache_path()  # loaded on the first lookup that reaches this stage

    def match(self, q: Query) -> ItemMatch | None:
        """The nearest title above the cosine threshold whose words cover the query's and whose year fits."""
        if self._failed:
            return None
        vectors = self.title_vectors()
        if vectors is None or len(vectors) == 0:
            return None
        vec = self.embedder.query(q.display)
        sims = vectors @ vec
        k = min(EMBEDDING_TOP_K, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        q_tokens = q.key.split()
        for idx in sorted(top.tolist(), key=lambda i: -float(sims[i])):
            cos = float(sims[idx])
            if cos < EMBEDDING_MIN_COS:
                break
            item = self.catalog.items[self._vector_ids[idx]]
            factor = year_factor(item.year, q.year)
            if factor <= 0.0 or (q.year is not None and item.year is None):
                continue
            if not any(_covers(q_tokens, q.digits, name) for name in (item.title, *item.aliases)):
                continue
            return item_match(item, cos * factor, "embedding")
        return None

    def title_vectors(self) -> np.ndarray | None:
        """The title embeddings (one row per item id in order), computed and cached on first use."""
        if self._vectors is not None:
            return self._vectors
        with self._lock:
            if self._vectors is not None:
                return self._vectors
            path = self._cache_path
            if path is not None and path.exists() and self._load_vectors(path):
                return self._vectors
            started = time.perf_counter()
            try:
                vectors = self.embedder.encode(self._embedding_texts(), batch_size=256)
            except Exception as exc:  # the model may be missing; grounding goes on without this stage
                log.warning("title embeddings unavailable, embedding stage disabled (%s)", exc)
                self._failed = True
                return None
            log.info("embedded %d titles in %.1f s", len(vectors), time.perf_counter() - started)
            if path is not None:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = path.with_suffix(".tmp.npy")
                    np.save(tmp, vectors)
                    tmp.replace(path)
                except OSError as exc:
                    log.warning("cannot cache title embeddings at %s (%s)", path, exc)
            self._vectors = vectors
            return vectors

    def _embedding_texts(self) -> list[str]:
        return [plain_title(self.catalog.items[i].title) for i in self._vector_ids]

    def _embedding_cache_path(self) -> Path | None:
        if self.cache_dir is None:
            return None
        model_ref = str(getattr(self.embedder, "_model_ref", None) or "bundled:all-MiniLM-L6-v2")
        digest = _hash_titles(
            model_ref, (f"{i}\t{t}" for i, t in zip(self._vector_ids, self._embedding_texts(), strict=True))
        )
        return Path(self.cache_dir) / f"grounding-titles-{digest}.npy"

    def _load_vectors(self, path: Path) -> bool:
        try:
            vectors = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable title-embedding cache %s (%s)", path, exc)
            return False
        if vectors.ndim != 2 or vectors.shape[0] != len(self._vector_ids):
            log.warning("ignoring title-embedding cache %s of shape %s", path, vectors.shape)
            return False
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        return True


def _covers(q_tokens: list[str], q_digits: frozenset[str], name: str) -> bool:
    """Every query word occurs (up to a typo) in the item's title, and sequel numbers agree."""
    key = normalize_title(straighten_apostrophes(name))
    if digit_tokens(key) != q_digits:
        return False
    words = key.split()
    for tok in q_tokens:
        if tok in words:
            continue
        if len(tok) < 4 or not words:
            return False
        if process.extractOne(tok, words, scorer=fuzz.ratio, score_cutoff=EMBEDDING_TOKEN_MIN_RATIO) is None:
            return False
    return True


def _hash_titles(model_ref: str, texts: Iterable[str]) -> str:
    digest = hashlib.sha1(model_ref.encode("utf-8"))
    for text in texts:
        digest.update(b"\n")
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()[:20]
