"""A start-up copy of the in-memory catalog under the home's models directory.

Reading 7,800 items through the ORM and building the :class:`tools.catalog.Catalog` takes about a second in
a cold process; unpickling the snapshot takes a tenth of that. The copy is keyed by the database's catalog
checksum (written by :func:`tools.catalog.load_catalog`), the item count and the code of
:mod:`tools.catalog` (a changed ``Item`` never meets an old pickle); anything else falls back to the database.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import pickle
from pathlib import Path
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

import tools.catalog as catalog_module
from tools.catalog import Catalog, ItemRow, MetaRow

log = logging.getLogger(__name__)

PREFIX = "catalog-"
T = TypeVar("T")
SUFFIX = ".pickle"


def code_digest(*paths: Path) -> str:
    """A short hash of source files (a changed class never meets an old pickle)."""
    digest = hashlib.sha1()
    for path in paths:
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"nocode")
    return digest.hexdigest()[:12]


def cache_key(engine: Engine, extra: str = "") -> str | None:
    """The key of the database's current catalog (plus ``extra``, e.g. another cached object's
    :func:`code_digest`), or None when it has no recorded checksum."""
    try:
        with Session(engine) as s:
            checksum = s.scalar(select(MetaRow.value).where(MetaRow.key == "catalog_checksum"))
            count = s.scalar(select(func.count()).select_from(ItemRow)) or 0
    except SQLAlchemyError:
        return None
    if not checksum or not count:
        return None
    raw = f"{checksum}|{count}|{code_digest(Path(catalog_module.__file__ or ''))}|{extra}"
    return hashlib.sha1(raw.encode()).hexdigest()[:20]


def read(models_dir: Path, key: str | None, prefix: str = PREFIX, kind: type[T] = Catalog) -> T | None:  # type: ignore[assignment]
    """The cached object (the catalog by default) for ``key``, or None."""
    if key is None:
        return None
    path = models_dir / f"{prefix}{key}{SUFFIX}"
    try:
        data = path.read_bytes()
        was_enabled = gc.isenabled()
        gc.disable()  # the cyclic collector would run dozens of times over 64k new objects: 2x slower
        try:
            catalog = pickle.loads(data)  # noqa: S301 (our own file in the user's home)
        finally:
            if was_enabled:
                gc.enable()
    except FileNotFoundError:
        return None
    except Exception as exc:  # a truncated or foreign file: ignore it, the database is the truth
        log.warning("ignoring the start-up cache %s (%s)", path, type(exc).__name__)
        return None
    return catalog if isinstance(catalog, kind) else None


def write(models_dir: Path, key: str | None, catalog: object, prefix: str = PREFIX) -> None:
    """Save ``catalog`` (or another object) under ``key`` (atomic) and remove other copies with the same
    prefix; failures only log."""
    if key is None:
        return
    path = models_dir / f"{prefix}{key}{SUFFIX}"
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as fh:
            pickle.dump(catalog, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        for old in models_dir.glob(f"{prefix}*{SUFFIX}"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("cannot write the start-up cache %s (%s)", path, exc)
