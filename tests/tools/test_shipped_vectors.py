"""The item vectors shipped in data/: reused by the index when the item text and the model match."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tools.catalog import Item
from tools.indexing import IndexSummary
from tools.item_index import ItemVectors, build_item_index, chroma_client, items_collection
from tools.settings import PACKAGED_DATA_DIR, load_settings
from tools.shipped_vectors import (
    BUNDLED_MODEL,
    VECTORS_FILE,
    ShippedVectors,
    ShippedVectorsError,
    load_reusable,
    write_shipped_vectors,
)
from tools.toolkit import Toolkit


def test_the_default_catalog_is_indexed_from_the_shipped_vectors(index_summary: IndexSummary) -> None:
    # the session's real index of the shipped catalog: every vector came from data/item_vectors.npz
    assert index_summary.items > 60000 and index_summary.indexed > 16000  # the listed items are searchable
    assert index_summary.embedded == 0 and index_summary.reused == index_summary.indexed


def test_shipped_vectors_are_the_bundled_models(built_home: Path) -> None:
    toolkit = Toolkit(load_settings(home=built_home))
    shipped = ShippedVectors.read(PACKAGED_DATA_DIR / VECTORS_FILE)
    assert shipped.model == BUNDLED_MODEL and shipped.check_model(toolkit.embedder)
    items = sorted(toolkit.catalog.items.values(), key=lambda it: it.id)[:40:8]
    fresh = toolkit.embedder.encode([it.embedding_text() for it in items])
    reused = shipped.lookup(items)
    assert len(reused) == len(items)
    # stored as float16: each component within 3e-4, cosine with the fresh vector above 0.9999
    assert max(float(np.max(np.abs(reused[it.id] - v))) for it, v in zip(items, fresh, strict=True)) < 3e-4
    assert min(float(reused[it.id] @ v) for it, v in zip(items, fresh, strict=True)) > 0.9999


def test_a_vector_follows_its_text_to_another_id(tmp_path: Path) -> None:
    # a rebuilt catalog may renumber items: the vector is found by the hash of the embedded text
    settings = load_settings(home=tmp_path, data_dir=tmp_path)
    embedder = Toolkit(settings).embedder
    items = _items()
    write_shipped_vectors(
        tmp_path / VECTORS_FILE, items, embedder.encode([it.embedding_text() for it in items]), embedder
    )
    shipped = ShippedVectors.read(tmp_path / VECTORS_FILE)
    moved = [Item(id=7, title="Alpha", year=2000, plot="a heist in a bank")]
    found = shipped.lookup(moved)
    assert set(found) == {7}
    assert float(found[7] @ embedder.encode([moved[0].embedding_text()])[0]) > 0.9999


def _items() -> list[Item]:
    return [
        Item(id=1, title="Alpha", year=2000, plot="a heist in a bank"),
        Item(id=2, title="Beta", plot="space opera"),
    ]


def test_only_unchanged_items_are_reused(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path, data_dir=tmp_path)
    toolkit = Toolkit(settings)
    items = _items()
    write_shipped_vectors(
        tmp_path / VECTORS_FILE,
        items,
        toolkit.embedder.encode([it.embedding_text() for it in items]),
        toolkit.embedder,
    )
    shipped = load_reusable(tmp_path, toolkit.embedder)
    assert shipped is not None
    changed = [items[0], Item(id=2, title="Beta", plot="a love story in Paris")]
    collection = items_collection(chroma_client(settings))
    report = build_item_index(collection, changed, toolkit.embedder, shipped=shipped)
    assert (report.reused, report.embedded) == (1, 1)
    vectors = ItemVectors.from_collection(collection)
    assert (
        float(vectors.vector(2) @ toolkit.embedder.query("romance in Paris")) > 0.3
    )  # embedded anew, not the old plot


def test_vectors_of_another_model_are_refused_loudly(tmp_path: Path) -> None:
    toolkit = Toolkit(load_settings(home=tmp_path, data_dir=tmp_path))
    items = _items()
    path = tmp_path / VECTORS_FILE
    write_shipped_vectors(path, items, np.eye(2, 384, dtype=np.float32), toolkit.embedder)
    with np.load(path) as data:  # same model name, another probe vector: another version of the weights
        arrays = {k: data[k] for k in data.files}
    arrays["probe"] = np.roll(arrays["probe"], 1)
    np.savez(path, **arrays)
    with pytest.raises(ShippedVectorsError, match="encodes the probe sentence differently"):
        load_reusable(tmp_path, toolkit.embedder)


def test_a_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / VECTORS_FILE).write_bytes(b"not a zip")
    toolkit = Toolkit(load_settings(home=tmp_path, data_dir=tmp_path))
    with pytest.raises(ShippedVectorsError, match="cannot read the shipped item vectors"):
        load_reusable(tmp_path, toolkit.embedder)


def test_another_configured_model_embeds_everything(tmp_path: Path) -> None:
    from tools.embeddings import bundled_model_path

    items = _items()
    bundled = Toolkit(load_settings(home=tmp_path, data_dir=tmp_path))
    write_shipped_vectors(tmp_path / VECTORS_FILE, items, np.eye(2, 384, dtype=np.float32), bundled.embedder)
    other = Toolkit(
        load_settings(home=tmp_path, data_dir=tmp_path, embedding_model=str(bundled_model_path()))
    )
    assert load_reusable(tmp_path, other.embedder) is None
