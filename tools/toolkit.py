"""The loaded tool resources of one process: database, catalog snapshot, embedder, vectors, recommenders.

Everything is opened lazily on first use and shared by the agent, the UI, evaluation and benchmarks.
"""

from __future__ import annotations

import logging
import threading
from functools import cached_property
from typing import Any

from sqlalchemy.engine import Engine

from tools.catalog import Catalog, CatalogError, load_catalog, load_items
from tools.db.engine import make_engine
from tools.db.schema import init_db
from tools.embeddings import Embedder
from tools.item_index import ItemVectors, VectorStoreError, chroma_client, items_collection
from tools.settings import Settings

log = logging.getLogger(__name__)


class Toolkit:
    """Lazily opened shared resources, built from one :class:`Settings` object."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()

    @cached_property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (tables created if missing)."""
        engine = make_engine(self.settings)
        init_db(engine)
        return engine

    @cached_property
    def catalog(self) -> Catalog:
        """The in-memory catalog snapshot; loads the shipped catalog into an empty database first."""
        with self._lock:
            catalog = load_items(self.engine)
            if len(catalog) == 0:
                load_catalog(self.engine, self.settings.data_dir)
                catalog = load_items(self.engine)
            if len(catalog) == 0:
                raise CatalogError("the catalog is empty: run `crsagent index`")
            return catalog

    @cached_property
    def embedder(self) -> Embedder:
        """The sentence embedding model."""
        return Embedder(self.settings)

    @cached_property
    def chroma(self) -> Any:
        """The Chroma client (embedded or server)."""
        return chroma_client(self.settings)

    @cached_property
    def vectors(self) -> ItemVectors:
        """Item vectors from the Chroma index, held in memory."""
        with self._lock:
            try:
                return ItemVectors.from_collection(items_collection(self.chroma))
            except VectorStoreError:
                raise
            except Exception as exc:  # chromadb raises many kinds
                raise VectorStoreError(f"cannot read the item index ({type(exc).__name__}): run `crsagent index`") from exc
