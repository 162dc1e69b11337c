"""``crsagent index``: load the catalog into the database, embed items into Chroma, train recommenders."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tools import catalog_cache
from tools.catalog import load_catalog, load_items
from tools.item_index import ItemVectors, build_item_index, items_collection
from tools.recommenders import train_all
from tools.shipped_vectors import load_reusable
from tools.toolkit import Toolkit

log = logging.getLogger(__name__)

#: ``progress(stage, total)`` returns a callback that advances that stage by n.
ProgressFactory = Callable[[str, int], Callable[[int], None]]


@dataclass
class IndexSummary:
    """What one ``crsagent index`` run did and how long each stage took."""

    catalog_loaded: bool
    items: int
    embedded: int
    deleted: int
    reused: int = 0
    models: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    indexed: int = 0  # items in the semantic index (the listed ones)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "catalog_loaded": self.catalog_loaded,
            "items": self.items,
            "indexed": self.indexed,
            "embedded": self.embedded,
            "reused": self.reused,
            "deleted": self.deleted,
            "models": self.models,
            "seconds": self.seconds,
        }


def run_index(
    toolkit: Toolkit, progress: ProgressFactory | None = None, *, force: bool = False
) -> IndexSummary:
    """Bring the database, the Chroma item index and the recommender models up to date (idempotent)."""
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    done = progress("loading the catalog", 2) if progress else None
    loaded = load_catalog(toolkit.engine, toolkit.settings.data_dir, force=force)
    if done:
        done(1)
    catalog = load_items(toolkit.engine)
    toolkit.__dict__["catalog"] = catalog
    catalog_cache.write(toolkit.settings.models_dir, catalog_cache.cache_key(toolkit.engine), catalog)
    if done:
        done(1)
    seconds["catalog"] = round(time.perf_counter() - t0, 2)

    t0 = time.perf_counter()
    # only the listed items are searched; the others are only ever named
    items = [it for it in catalog.items.values() if it.listed]
    collection = items_collection(toolkit.chroma)
    advance = progress("embedding items", len(items)) if progress else None
    shipped = load_reusable(toolkit.settings.data_dir, toolkit.embedder)
    toolkit.drop_vectors_cache()
    report = build_item_index(collection, items, toolkit.embedder, progress=advance, shipped=shipped)
    toolkit.__dict__.pop("vectors", None)
    toolkit.save_vectors_cache(ItemVectors.from_collection(collection))
    seconds["embeddings"] = round(time.perf_counter() - t0, 2)

    models: list[str] = []
    t0 = time.perf_counter()

    def on_model(name: str) -> Callable[[], None]:
        advance = progress(f"training {name}", 1) if progress else None
        return (lambda: advance(1)) if advance else (lambda: None)

    models = train_all(toolkit, force=force or loaded, on_model=on_model)
    seconds["recommenders"] = round(time.perf_counter() - t0, 2)

    t0 = time.perf_counter()
    done = progress("grounding tables", 1) if progress else None
    toolkit.__dict__.pop("grounder", None)
    _ = toolkit.grounder  # builds the title lookup tables and saves them for fast start-up
    if done:
        done(1)
    seconds["grounding"] = round(time.perf_counter() - t0, 2)
    return IndexSummary(
        loaded,
        len(catalog),
        report.embedded,
        report.deleted,
        report.reused,
        models,
        seconds,
        indexed=len(items),
    )
