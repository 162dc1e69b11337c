"""Collaborative recommenders over the training interactions: ItemKNN, ALS, EASE, Popularity and a blend.

Every model speaks catalog item ids only. The package owns the user x item CSR orientation that ``implicit``
wants, the item-id <-> column mapping, the filtering of already-seen items (the seeds), candidate
restriction and exclusions, so callers never trip on them:

* ``recommend(seed_items, k, exclude=(), candidates=None, seed_weights=None)`` returns up to ``k``
  ``(item_id, score)`` pairs, best first. Seeds are never returned, unknown or malformed ids are ignored,
  nothing raises on bad ids. Collaborative models return ``[]`` when no seed is known to them (callers
  fall back to :class:`Popularity`, or use :class:`Blend`, which does so itself).
* ``similar_items(item_id, k)`` returns the item's nearest neighbours under the model.
* ``save(path)`` / ``load(path)`` persist to one pickle-free ``.npz`` file (arrays plus a JSON ``meta``).

Modules: ``base`` (the protocol, the shared item-model base, the interaction matrix, ``.npz`` helpers),
``knn``, ``als``, ``ease``, ``popularity``, ``blend`` (and the registry of every model), ``training``
(:func:`train_all`, called by ``crsagent index``, and :func:`load_recommenders`). Their dev evaluation on
REDIAL lives in :mod:`eval.recommenders_dev`.
"""

from tools.recommenders.als import ALS
from tools.recommenders.base import InteractionMatrix, Recommender, Scored
from tools.recommenders.blend import DEFAULT_BLEND_WEIGHTS, REGISTRY, Blend
from tools.recommenders.ease import EASE
from tools.recommenders.knn import ItemKNN
from tools.recommenders.popularity import Popularity
from tools.recommenders.training import (
    MODEL_NAMES,
    default_models,
    fit_models,
    interactions_checksum,
    load_recommenders,
    train_all,
)

__all__ = [
    "ALS",
    "DEFAULT_BLEND_WEIGHTS",
    "EASE",
    "MODEL_NAMES",
    "REGISTRY",
    "Blend",
    "InteractionMatrix",
    "ItemKNN",
    "Popularity",
    "Recommender",
    "Scored",
    "default_models",
    "fit_models",
    "interactions_checksum",
    "load_recommenders",
    "train_all",
]
