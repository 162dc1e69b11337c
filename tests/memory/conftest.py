"""Fixtures of the memory tests: real SQLite, a real persistent Chroma in a temp dir, the real bundled model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from memory.store import MemoryStore
from tools.embeddings import Embedder
from tools.settings import load_settings
from tools.toolkit import Toolkit


@pytest.fixture(scope="session")
def shared_embedder() -> Embedder:
    """The bundled all-MiniLM-L6-v2, loaded once for every memory test."""
    embedder = Embedder(load_settings())
    _ = embedder.model
    return embedder


@pytest.fixture()
def make_toolkit(shared_embedder: Embedder) -> Callable[..., Toolkit]:
    """A toolkit over a home directory (SQLite + embedded Chroma there), sharing the loaded model."""

    def make(home: Path, **overrides: Any) -> Toolkit:
        settings = load_settings(**{"home": home, "database_url": None, "chroma_path": None, "chroma_url": None, **overrides})
        toolkit = Toolkit(settings)
        toolkit.__dict__["embedder"] = shared_embedder  # the cached_property's slot: no second model load
        return toolkit

    return make


@pytest.fixture()
def store(tmp_path: Path, make_toolkit: Callable[..., Toolkit]) -> MemoryStore:
    """A memory store over a fresh home."""
    return MemoryStore(make_toolkit(tmp_path / "home"))


@pytest.fixture(scope="session")
def rule_parser() -> Any:
    """The real offline parser over the shipped catalog (alias grounding, no database needed)."""
    from agent.parse_rules import RuleParser
    from tools.catalog import Catalog, read_catalog_file
    from tools.grounding import Grounder
    from tools.settings import PACKAGED_DATA_DIR

    catalog = Catalog.from_items(read_catalog_file(PACKAGED_DATA_DIR / "catalog.jsonl.gz"))
    return RuleParser(catalog, Grounder(catalog))
