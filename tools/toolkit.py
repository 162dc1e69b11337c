"""The loaded tool resources of one process: database, catalog snapshot, embedder, vectors, grounder, hard
filter, recommenders and the popularity prior.

Everything is opened lazily on first use and shared by the agent, the UI, evaluation and benchmarks.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from tools import catalog_cache
from tools.catalog import Catalog, CatalogError, Interaction, load_catalog, load_interactions, load_items
from tools.db.engine import make_engine
from tools.db.schema import init_db
from tools.embeddings import Embedder
from tools.grounding import Grounder
from tools.grounding.index import TITLE_INDEX_PREFIX, TitleIndex
from tools.grounding.notability import interaction_counts_from_db
from tools.hard_filter import HardFilter
from tools.item_index import ItemVectors, VectorStoreError, chroma_client, items_collection
from tools.recommenders import Popularity, Recommender, load_recommenders
from tools.settings import Settings

log = logging.getLogger(__name__)

#: The start-up copy of the item vectors under the models directory (see :attr:`Toolkit.vectors_cache_path`).
ITEM_VECTORS_CACHE = "item-vectors.npy"


class Toolkit:
    """Lazily opened shared resources, built from one :class:`Settings` object."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self._popularity: dict[str | None, dict[int, float]] = {}
        self._popularity_ranking: dict[str | None, list[tuple[int, float]]] = {}

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
            key = catalog_cache.cache_key(self.engine)
            cached = catalog_cache.read(self.settings.models_dir, key)
            if cached is not None and len(cached):
                return cached
            catalog = load_items(self.engine)
            if len(catalog) == 0:
                log.warning(
                    "the database has no catalog: loading the shipped one (`crsagent index` builds all)"
                )
                load_catalog(self.engine, self.settings.data_dir)
                catalog = load_items(self.engine)
                key = catalog_cache.cache_key(self.engine)
            if len(catalog) == 0:
                raise CatalogError("the catalog is empty: run `crsagent index`")
            catalog_cache.write(self.settings.models_dir, key, catalog)
            return catalog

    @cached_property
    def embedder(self) -> Embedder:
        """The sentence embedding model."""
        return Embedder(self.settings)

    @cached_property
    def chroma(self) -> Any:
        """The Chroma client (embedded or server)."""
        return chroma_client(self.settings)

    @property
    def vectors_cache_path(self) -> Path | None:
        """Where ``crsagent index`` leaves a copy of the item vectors for fast start-up (None with a Chroma
        server: other processes may change its index)."""
        return None if self.settings.chroma_url else self.settings.models_dir / ITEM_VECTORS_CACHE

    def save_vectors_cache(self, vectors: ItemVectors) -> None:
        """Write the start-up copy of the item vectors (see :attr:`vectors_cache_path`)."""
        path = self.vectors_cache_path
        if path is not None:
            vectors.save(path)

    def drop_vectors_cache(self) -> None:
        """Remove the start-up copy (before the item index changes)."""
        path = self.vectors_cache_path
        if path is not None:
            path.unlink(missing_ok=True)

    @cached_property
    def vectors(self) -> ItemVectors:
        """Item vectors held in memory: the copy ``crsagent index`` left when it matches the catalog's items,
        else read from the Chroma index (opening Chroma costs about a second)."""
        with self._lock:
            path = self.vectors_cache_path
            cached = ItemVectors.load(path) if path is not None else None
            if cached is not None and set(cached.row) == {
                i for i, it in self.catalog.items.items() if it.listed
            }:
                return cached
            try:
                return ItemVectors.from_collection(items_collection(self.chroma))
            except VectorStoreError:
                raise
            except Exception as exc:  # chromadb raises many kinds
                raise VectorStoreError(
                    f"cannot read the item index ({type(exc).__name__}): run `crsagent index`"
                ) from exc

    @cached_property
    def grounder(self) -> Grounder:
        """Title grounding over the catalog; same-title films told apart by their interaction counts. Its
        lookup tables come from a start-up copy under the models directory when one matches the catalog."""
        catalog = self.catalog
        with self._lock:
            key = catalog_cache.cache_key(self.engine, extra=TitleIndex.code_digest())
            index = catalog_cache.read(self.settings.models_dir, key, TITLE_INDEX_PREFIX, TitleIndex)
            if index is None:
                try:
                    counts: dict[int, int] | None = interaction_counts_from_db(self.engine)
                except Exception:  # grounding works without them (popularity and years only)
                    log.warning(
                        "cannot count the interactions for grounding; using popularity only", exc_info=True
                    )
                    counts = None
                index = TitleIndex(catalog, counts)
                catalog_cache.write(self.settings.models_dir, key, index, TITLE_INDEX_PREFIX)
        return Grounder(catalog, self.embedder, cache_dir=self.settings.models_dir, index=index)

    @cached_property
    def hard_filter(self) -> HardFilter:
        """Constraint evaluation against the catalog database."""
        return HardFilter(self.engine, catalog=self.catalog)

    @cached_property
    def recommenders(self) -> dict[str, Recommender]:
        """The trained collaborative recommenders and popularity, by name."""
        return load_recommenders(self.settings)

    @cached_property
    def interactions(self) -> list[Interaction]:
        """The training interactions in the database."""
        return load_interactions(self.engine)

    def popularity(self, sources: dict[str, float] | None = None) -> dict[int, float]:
        """A popularity prior in [0, 1] for every catalog item (log-scaled counts), cached per ``sources``.

        Counts come from the trained Popularity model, or, when ``sources`` weighs the interaction sources
        (e.g. REDIAL mentions only), from the training interactions weighted that way."""
        key = None if sources is None else json.dumps(sources, sort_keys=True)
        if key not in self._popularity:
            self._popularity[key] = self._prior(sources)
        return self._popularity[key]

    def popularity_ranking(self, sources: dict[str, float] | None = None) -> list[tuple[int, float]]:
        """Every catalog item with its popularity prior, most popular first (ties by id)."""
        key = None if sources is None else json.dumps(sources, sort_keys=True)
        if key not in self._popularity_ranking:
            pop = self.popularity(sources)
            self._popularity_ranking[key] = sorted(pop.items(), key=lambda kv: (-kv[1], kv[0]))
        return self._popularity_ranking[key]

    def _prior(self, sources: dict[str, float] | None) -> dict[int, float]:
        ids = self.catalog.ids()
        raw: dict[int, float] = {}
        if sources is None:
            pop = self.recommenders.get("popularity")
            if pop is not None:
                raw = dict(pop.recommend([], k=len(ids)))
        else:
            model = Popularity(self.catalog, source_weights=sources)
            model.fit(self.interactions, ids)
            raw = dict(model.recommend([], k=len(ids)))
        if not raw:
            raw = {i: self.catalog.items[i].popularity for i in ids}
        logs = {i: math.log1p(max(v, 0.0)) for i, v in raw.items()}
        top = max(logs.values(), default=0.0) or 1.0
        return {i: v / top for i, v in logs.items()}
