"""The semantic item index: a real persistent Chroma store and the real bundled model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tools.catalog import Item
from tools.item_index import ItemVectors, build_item_index, chroma_client, items_collection
from tools.settings import load_settings
from tools.toolkit import Toolkit


def test_built_index_covers_the_catalog_and_is_incremental(built_home: Path) -> None:
    toolkit = Toolkit(load_settings(home=built_home))
    catalog = toolkit.catalog
    collection = items_collection(toolkit.chroma)
    items = [it for it in catalog.items.values() if it.listed]  # only recommendable items are searched
    assert collection.count() == len(items) < len(catalog)
    again = build_item_index(collection, items, toolkit.embedder)
    assert again.embedded == 0 and again.deleted == 0  # nothing changed, nothing re-embedded


def test_semantic_search_finds_what_the_text_describes(built_home: Path) -> None:
    toolkit = Toolkit(load_settings(home=built_home))
    vectors = toolkit.vectors
    catalog = toolkit.catalog
    top = vectors.top(toolkit.embedder.query("animated movie about toys that come to life"), 10)
    titles = [catalog.items[i].title for i, _ in top]
    assert "Toy Story" in " ".join(titles)
    space = vectors.top(toolkit.embedder.query("astronauts travel through a wormhole to save humanity"), 10)
    assert any(catalog.items[i].title == "Interstellar" for i, _ in space)


def test_changed_and_removed_items_are_updated(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path)
    toolkit = Toolkit(settings)
    collection = items_collection(chroma_client(settings))
    items = [
        Item(id=1, title="Alpha", year=2000, plot="a heist in a bank"),
        Item(id=2, title="Beta", plot="space opera"),
    ]
    assert build_item_index(collection, items, toolkit.embedder).embedded == 2
    changed = [Item(id=1, title="Alpha", year=2000, plot="a love story in Paris")]
    report = build_item_index(collection, changed, toolkit.embedder)
    assert (report.embedded, report.deleted, collection.count()) == (1, 1, 1)
    vectors = ItemVectors.from_collection(collection)
    sim = float(vectors.matrix[0] @ toolkit.embedder.query("romance in Paris"))
    assert sim > 0.3 and np.isclose(np.linalg.norm(vectors.matrix[0]), 1.0, atol=1e-3)
