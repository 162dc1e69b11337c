"""The embedding stage: lazy title embeddings cached per catalog, the word-cover check, a broken embedder."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tests.tools.grounding.small_catalog import ITEMS, title_year
from tools.catalog import Catalog
from tools.embeddings import Embedder
from tools.grounding import Grounder
from tools.settings import Settings


class _CountingEmbedder(Embedder):
    """A deterministic bag-of-words embedder (no model) that counts its encode calls."""

    def __init__(self) -> None:
        super().__init__(Settings())
        self.calls = 0
        self._model_ref = "test:bag-of-words"

    @property
    def dim(self) -> int:
        return 64

    def encode(self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().replace(":", " ").split():
                out[row, sum(map(ord, word)) % 64] += 1.0
            out[row] /= max(float(np.linalg.norm(out[row])), 1e-9)
        return out

    def query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def test_title_embeddings_are_cached(catalog: Catalog, tmp_path: Path) -> None:
    emb = _CountingEmbedder()
    grounder = Grounder(catalog, emb, cache_dir=tmp_path)
    assert emb.calls == 0  # lazy
    # "Star Wars 4" is no alias key; every word of it occurs in "Star Wars: Episode IV - A New Hope"
    assert title_year(grounder.ground("Star Wars 4")) == ("Star Wars", 1977)
    assert list(tmp_path.glob("grounding-titles-*.npy"))
    emb2 = _CountingEmbedder()
    started = time.perf_counter()
    again = Grounder(catalog, emb2, cache_dir=tmp_path)
    assert time.perf_counter() - started < 2.0
    assert title_year(again.ground("Star Wars 4")) == ("Star Wars", 1977)
    assert emb2.calls == 1  # the query only; titles came from the cache
    # another catalog gets another cache file
    Grounder(Catalog.from_items(ITEMS[:5]), _CountingEmbedder(), cache_dir=tmp_path).warm()
    assert len(list(tmp_path.glob("grounding-titles-*.npy"))) == 2


def test_embedding_stage_rejects_new_words_and_numbers(catalog: Catalog, tmp_path: Path) -> None:
    grounder = Grounder(catalog, _CountingEmbedder(), cache_dir=tmp_path)
    assert grounder.ground("Star Wars 9") is None
    assert grounder.ground("Star Wars: Dark Harbor") is None


def test_broken_embedder_disables_the_stage(catalog: Catalog) -> None:
    class Broken(_CountingEmbedder):
        def encode(
            self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False
        ) -> np.ndarray:
            raise RuntimeError("no model")

    grounder = Grounder(catalog, Broken())
    assert grounder.ground("Star Wars 4") is None
    assert title_year(grounder.ground("Heat")) == ("Heat", 1995)
