"""Fixtures of the grounding tests: the small catalog and a grounder over it (no embedder)."""

from __future__ import annotations

import pytest

from tests.tools.grounding.small_catalog import ITEMS
from tools.catalog import Catalog
from tools.grounding import Grounder


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.from_items(ITEMS)


@pytest.fixture(scope="module")
def grounder(catalog: Catalog) -> Grounder:
    return Grounder(catalog)
