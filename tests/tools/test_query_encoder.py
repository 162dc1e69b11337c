"""The numpy query encoder reproduces the sentence-transformers vectors of the bundled all-MiniLM-L6-v2."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tools.embeddings import Embedder, bundled_model_path
from tools.minilm import NumpyMiniLM
from tools.settings import PACKAGED_DATA_DIR, load_settings


def _texts() -> list[str]:
    """A few hundred varied texts: requests, catalog-like titles, empty, unicode, long (truncated) ones."""
    rng = random.Random(7)
    text = (
        "a 90s comedy with Jim Carrey something scary but not gory I loved The Matrix (1999) hated Titanic "
        "animated family film for kids Miyazaki Spirited Away noir heist thriller romance in Paris Amélie "
        "naïve café déjà vu 日本の映画 ñandú 🎬🍿 Ελληνικά русский фильм don't won't it's mind-bending"
    )
    words = text.split(" ")
    fixed = [
        "",
        "   ",
        "x",
        "a 90s comedy",
        "Something like Inception, but shorter!!",
        "ＦＵＬＬＷＩＤＴＨ letters and\ttabs\nnewlines",
        "Amélie — 日本の映画 🎬 naïve café",
        "word " * 400,  # past max_seq_length: both cut at 256 tokens
        "supercalifragilisticexpialidocious " * 60,
        "[CLS] [SEP] [MASK] special tokens as text",
    ]
    out = list(fixed)
    for _ in range(190):
        n = rng.choice([1, 2, 3, 5, 8, 13, 30, 90, 200])
        out.append(" ".join(rng.choice(words) for _ in range(n)))
    return out


@pytest.fixture(scope="module")
def numpy_encoder() -> NumpyMiniLM:
    return NumpyMiniLM(bundled_model_path())


def test_bundled_model_is_supported() -> None:
    assert NumpyMiniLM.supports(bundled_model_path())


@pytest.mark.slow
def test_numpy_encoder_matches_sentence_transformers(numpy_encoder: NumpyMiniLM) -> None:
    texts = _texts()
    reference = Embedder(load_settings(query_encoder="sentence-transformers"))
    want = reference.encode(texts, batch_size=32)
    got = numpy_encoder.encode(texts)
    assert got.shape == want.shape and got.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cos = (got * want).sum(axis=1)
    worst = int(np.argmin(cos))
    assert cos.min() >= 0.9999, f"cosine {cos.min():.6f} on {texts[worst][:80]!r}"


def test_embedder_query_uses_numpy_for_the_bundled_model() -> None:
    embedder = Embedder(load_settings(embedding_model=None, query_encoder="auto"))
    vec = embedder.query("a 90s comedy")
    assert vec.shape == (384,) and abs(float(np.linalg.norm(vec)) - 1.0) < 1e-5
    assert embedder._model is None  # sentence-transformers was never loaded
    assert embedder.dim == 384


def test_a_loaded_model_serves_queries_in_auto_mode() -> None:
    embedder = Embedder(load_settings(embedding_model=None, query_encoder="auto"))
    cold = embedder.query("a 90s comedy")
    embedder.warm()  # long-running processes: torch is faster per query once loaded
    assert embedder._model is not None
    warm = embedder._encode_one("a 90s comedy")
    assert float(cold @ warm) >= 0.9999


def test_settings_force_sentence_transformers_and_custom_models_fall_back() -> None:
    forced = Embedder(load_settings(embedding_model=None, query_encoder="sentence-transformers"))
    assert forced._numpy_encoder() is None
    custom = Embedder(load_settings(embedding_model=str(bundled_model_path()), query_encoder="auto"))
    assert custom._numpy_encoder() is None  # auto: only the bundled model switches
    explicit = Embedder(load_settings(embedding_model=str(bundled_model_path()), query_encoder="numpy"))
    assert explicit._numpy_encoder() is not None


def test_unsupported_model_directory(tmp_path: Path) -> None:
    assert not NumpyMiniLM.supports(tmp_path)
    embedder = Embedder(load_settings(embedding_model=str(tmp_path), query_encoder="numpy"))
    assert embedder._numpy_encoder() is None


def test_query_path_imports_no_torch() -> None:
    code = (
        "import sys; from tools.embeddings import Embedder; from tools.settings import load_settings; "
        "Embedder(load_settings()).query('a 90s comedy'); "
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGED_DATA_DIR.parent,
    )
    assert out.stdout.strip() == "[]"
