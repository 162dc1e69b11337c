"""The semantic item index: item embeddings in a Chroma collection, mirrored in memory for scoring.

Chroma holds the vectors durably (embedded ``PersistentClient`` under ``CHROMA_PATH`` or a server at
``CHROMA_URL``); Chroma never embeds anything itself (embeddings are always passed in), so its default
ONNX model is never downloaded.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from tools.catalog import Item
from tools.embeddings import Embedder
from tools.settings import Settings
from tools.shipped_vectors import ShippedVectors

log = logging.getLogger(__name__)

ITEMS_COLLECTION = "crsagent_items"


class VectorStoreError(RuntimeError):
    """The vector store is unreachable or the index is missing; the message says what to do."""


def chroma_client(settings: Settings) -> Any:
    """A Chroma client: HTTP when ``CHROMA_URL`` is set, else a persistent local store."""
    import chromadb  # lazy: a 2-4 s import, needed only by commands that open the vector store
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            host, port, ssl = url.hostname or "127.0.0.1", url.port or 8000, url.scheme == "https"
            tenant = settings.chroma_tenant or chromadb.DEFAULT_TENANT
            database = settings.chroma_database or chromadb.DEFAULT_DATABASE
            if database != chromadb.DEFAULT_DATABASE:  # a named database is created on first use
                admin = chromadb.AdminClient(
                    ChromaSettings(
                        chroma_api_impl="chromadb.api.fastapi.FastAPI",
                        chroma_server_host=host,
                        chroma_server_http_port=port,
                        chroma_server_ssl_enabled=ssl,
                        anonymized_telemetry=False,
                    )
                )
                try:
                    admin.get_database(database, tenant=tenant)
                except chromadb.errors.NotFoundError:
                    with contextlib.suppress(chromadb.errors.UniqueConstraintError):
                        admin.create_database(database, tenant=tenant)
            return chromadb.HttpClient(
                host=host, port=port, ssl=ssl, tenant=tenant, database=database, settings=chroma_settings
            )
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    except Exception as exc:  # chromadb raises many kinds
        where = settings.chroma_url or settings.chroma_dir
        raise VectorStoreError(
            f"cannot open the Chroma store at {where} ({type(exc).__name__}): check CHROMA_URL / CHROMA_DATABASE / CHROMA_PATH"
        ) from exc


def items_collection(client: Any) -> Any:
    """The items collection (cosine space, no embedding function)."""
    return client.get_or_create_collection(
        ITEMS_COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )


@dataclass
class IndexReport:
    """What :func:`build_item_index` did."""

    total: int
    embedded: int
    deleted: int
    reused: int = 0


def build_item_index(
    collection: Any,
    items: Sequence[Item],
    embedder: Embedder,
    batch_size: int = 256,
    progress: Callable[[int], None] | None = None,
    shipped: ShippedVectors | None = None,
) -> IndexReport:
    """Upsert the items whose content changed (by content hash); delete items no longer present.

    A changed item takes its vector from ``shipped`` when that holds one for the same text, else it is embedded."""
    existing: dict[str, str] = {}
    offset = 0
    while True:
        got = collection.get(include=["metadatas"], limit=10000, offset=offset)
        if not got["ids"]:
            break
        for id_, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
            existing[id_] = (meta or {}).get("hash", "")
        offset += len(got["ids"])
    wanted = {str(it.id): it for it in items}
    todo = [it for key, it in wanted.items() if existing.get(key) != it.content_hash()]
    stale = [key for key in existing if key not in wanted]
    for start in range(0, len(stale), 5000):
        collection.delete(ids=stale[start : start + 5000])
    known = shipped.lookup(todo) if shipped is not None else {}
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        fresh = [it for it in batch if it.id not in known]
        by_id = {it.id: known[it.id] for it in batch if it.id in known}
        if fresh:
            encoded = embedder.encode([it.embedding_text() for it in fresh], batch_size=batch_size)
            by_id.update(zip((it.id for it in fresh), encoded, strict=True))
        collection.upsert(
            ids=[str(it.id) for it in batch],
            embeddings=np.asarray([by_id[it.id] for it in batch], dtype=np.float32),
            metadatas=[{"hash": it.content_hash(), "year": it.year or 0} for it in batch],
        )
        if progress:
            progress(len(batch))
    reused = sum(1 for it in todo if it.id in known)
    return IndexReport(total=len(wanted), embedded=len(todo) - reused, deleted=len(stale), reused=reused)


class ItemVectors:
    """Item vectors held in memory (loaded once from Chroma) for exact scoring of candidate sets."""

    def __init__(self, ids: np.ndarray, matrix: np.ndarray) -> None:
        self.ids = ids.astype(np.int64)
        self.matrix = matrix.astype(np.float32)
        self.row = {int(i): r for r, i in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_collection(cls, collection: Any) -> ItemVectors:
        """Read every vector of the items collection."""
        ids: list[int] = []
        vecs: list[np.ndarray] = []
        offset = 0
        while True:
            got = collection.get(include=["embeddings"], limit=10000, offset=offset)
            if not got["ids"]:
                break
            ids.extend(int(i) for i in got["ids"])
            vecs.append(np.asarray(got["embeddings"], dtype=np.float32))
            offset += len(got["ids"])
        if not ids:
            raise VectorStoreError("the item index is empty: run `crsagent index`")
        return cls(np.asarray(ids), np.vstack(vecs))

    def save(self, path: Path) -> None:
        """Write the vectors to ``path`` (``.npy`` of float32 rows after an id column; atomic replace)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as fh:
            np.save(fh, self.ids)
            np.save(fh, self.matrix)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> ItemVectors | None:
        """The vectors saved by :meth:`save`, or None when ``path`` is missing or unreadable."""
        try:
            with path.open("rb") as fh:
                ids = np.load(fh)
                matrix = np.load(fh)
        except (OSError, ValueError, EOFError) as exc:
            if not isinstance(exc, FileNotFoundError):
                log.warning("ignoring the item vector cache %s (%s)", path, exc)
            return None
        if ids.ndim != 1 or matrix.ndim != 2 or len(ids) != len(matrix) or len(ids) == 0:
            return None
        return cls(ids, matrix)

    def vector(self, item_id: int) -> np.ndarray | None:
        """The vector of one item, or None when it is not indexed."""
        r = self.row.get(item_id)
        return None if r is None else self.matrix[r]

    def scores(self, query: np.ndarray, ids: Iterable[int] | None = None) -> dict[int, float]:
        """Cosine similarity of the query with the given items (all items when ``ids`` is None)."""
        if ids is None:
            sims = self.matrix @ query
            return dict(zip(self.ids.tolist(), sims.tolist(), strict=True))
        rows = [(i, self.row[i]) for i in ids if i in self.row]
        if not rows:
            return {}
        sims = self.matrix[[r for _, r in rows]] @ query
        return {i: float(s) for (i, _), s in zip(rows, sims, strict=True)}

    def top(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The k most similar items, optionally restricted to a boolean mask over ``self.ids``."""
        sims = self.matrix @ query
        if allowed is not None:
            sims = np.where(allowed, sims, -np.inf)
        k = min(k, len(sims))
        if k <= 0:
            return []
        part = np.argpartition(-sims, k - 1)[:k]
        part = part[np.argsort(-sims[part])]
        return [(int(self.ids[r]), float(sims[r])) for r in part if np.isfinite(sims[r])]
