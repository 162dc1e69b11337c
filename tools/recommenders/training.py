"""Training and loading of the persisted recommender set under ``settings.models_dir``.

:func:`train_all` (called by ``crsagent index``) fits and persists every model and skips the work when
the persisted models match the current interactions; :func:`load_recommenders` loads them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from tools.catalog import Catalog, Interaction, load_interactions
from tools.recommenders.als import ALS
from tools.recommenders.base import Recommender
from tools.recommenders.blend import DEFAULT_BLEND_WEIGHTS, REGISTRY, Blend
from tools.recommenders.ease import EASE
from tools.recommenders.knn import ItemKNN
from tools.recommenders.popularity import Popularity
from tools.settings import Settings

log = logging.getLogger(__name__)


class TrainingSources(Protocol):
    """What training reads (a :class:`tools.toolkit.Toolkit` has it): the settings, the database, the catalog."""

    @property
    def settings(self) -> Settings: ...  # noqa: D102

    @property
    def engine(self) -> Engine: ...  # noqa: D102

    @property
    def catalog(self) -> Catalog: ...  # noqa: D102


#: Bumped whenever the persisted format changes (the checksum also covers the default hyperparameters,
#: so changing those retrains too).
FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"
#: The models :func:`train_all` fits, in order (the blend last: it reuses the others).
MODEL_NAMES: tuple[str, ...] = ("popularity", "itemknn", "als", "ease", "blend")


def interactions_checksum(
    interactions: Sequence[Interaction], item_ids: Iterable[int], extra: str = ""
) -> str:
    """sha256 over the interactions, the item universe, the model format version and ``extra``."""
    digest = hashlib.sha256(f"v{FORMAT_VERSION}\n{extra}\n".encode())
    digest.update(",".join(str(i) for i in sorted(item_ids)).encode())
    chunk: list[str] = []
    for it in interactions:
        chunk.append(f"{it.user}\t{it.item_id}\t{it.weight!r}\t{it.source}\t{it.kind}\n")
        if len(chunk) >= 50000:
            digest.update("".join(chunk).encode())
            chunk.clear()
    digest.update("".join(chunk).encode())
    return digest.hexdigest()


def default_models(catalog: Catalog | None = None) -> dict[str, Recommender]:
    """Fresh, unfitted instances of every model with the tuned default hyperparameters (no blend)."""
    return {"popularity": Popularity(catalog), "itemknn": ItemKNN(), "als": ALS(), "ease": EASE()}


def fit_models(
    interactions: Sequence[Interaction],
    item_ids: Sequence[int],
    catalog: Catalog | None = None,
    on_model: Callable[[str], Callable[[], None]] | None = None,
) -> tuple[dict[str, Recommender], dict[str, float]]:
    """Fit every default model plus the blend over them; returns (models, seconds per model).

    ``on_model(name)`` is called before each fit and returns what to call once it is done (progress)."""
    models = default_models(catalog)
    seconds: dict[str, float] = {}
    for name, model in models.items():
        done = on_model(name) if on_model else None
        t0 = time.perf_counter()
        model.fit(interactions, item_ids)
        seconds[name] = round(time.perf_counter() - t0, 3)
        if done:
            done()
    models["blend"] = Blend({n: models[n] for n in DEFAULT_BLEND_WEIGHTS}, DEFAULT_BLEND_WEIGHTS)
    return models, seconds


def _default_params_key() -> str:
    """The default hyperparameters as canonical JSON (changing them invalidates persisted models)."""
    params: dict[str, Any] = {
        name: getattr(model, "params", dict)() for name, model in default_models().items()
    }
    params["blend"] = DEFAULT_BLEND_WEIGHTS
    return json.dumps(params, sort_keys=True)


def _read_manifest(models_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((models_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def train_all(
    toolkit: TrainingSources,
    force: bool = False,
    on_model: Callable[[str], Callable[[], None]] | None = None,
) -> list[str]:
    """Fit and persist every recommender under ``settings.models_dir``; returns the model names.

    Skipped (returning the persisted names) when the manifest's checksum matches the current
    interactions and item universe and every model file exists, unless ``force``.
    """
    models_dir = toolkit.settings.models_dir
    interactions = load_interactions(toolkit.engine)
    catalog = toolkit.catalog
    item_ids = catalog.ids()
    checksum = interactions_checksum(interactions, item_ids, extra=_default_params_key())
    manifest = _read_manifest(models_dir)
    if (
        not force
        and manifest is not None
        and manifest.get("checksum") == checksum
        and manifest.get("models") == list(MODEL_NAMES)
        and all((models_dir / f"{n}.npz").exists() for n in MODEL_NAMES)
    ):
        log.info("recommenders up to date (%s)", ", ".join(manifest["models"]))
        return list(manifest["models"])
    log.info("training recommenders on %d interactions over %d items", len(interactions), len(item_ids))
    models, seconds = fit_models(interactions, item_ids, catalog, on_model)
    models_dir.mkdir(parents=True, exist_ok=True)
    for name in MODEL_NAMES:
        models[name].save(models_dir / f"{name}.npz")
    manifest = {
        "format_version": FORMAT_VERSION,
        "checksum": checksum,
        "models": list(MODEL_NAMES),
        "n_interactions": len(interactions),
        "n_items": len(item_ids),
        "fit_seconds": seconds,
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    tmp = models_dir / (MANIFEST_FILE + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    os.replace(tmp, models_dir / MANIFEST_FILE)
    log.info("recommenders trained in %s s", seconds)
    return list(MODEL_NAMES)


def load_recommenders(settings: Settings) -> dict[str, Recommender]:
    """Every persisted model by name (``{}`` when none were trained; unreadable files are skipped)."""
    models_dir = settings.models_dir
    manifest = _read_manifest(models_dir)
    if manifest is None:
        log.warning("no trained recommenders in %s: run `crsagent index`", models_dir)
        return {}
    loaded: dict[str, Recommender] = {}
    for name in manifest.get("models", []):
        cls = REGISTRY.get(name)
        path = models_dir / f"{name}.npz"
        if cls is None:
            log.warning("unknown recommender %r in %s", name, models_dir / MANIFEST_FILE)
            continue
        try:
            loaded[name] = cls.load(path, components=loaded) if cls is Blend else cls.load(path)
        except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
            log.warning(
                "cannot load recommender %s from %s (%s): run `crsagent index --force`", name, path, exc
            )
    return loaded
