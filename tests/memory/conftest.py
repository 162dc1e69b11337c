"""Fixtures of the memory tests. The memory stores over fresh homes (real SQLite, a real persistent Chroma in a
temp dir, the real bundled model) are in tests/conftest.py: the CLI tests use them too."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def rule_parser() -> Any:
    """The real offline parser over the shipped catalog (alias grounding, no database needed)."""
    from agent.parsers.rules import RuleParser
    from tools.catalog import Catalog, read_catalog_file
    from tools.grounding import Grounder
    from tools.settings import PACKAGED_DATA_DIR

    catalog = Catalog.from_items(read_catalog_file(PACKAGED_DATA_DIR / "catalog.jsonl.gz"))
    return RuleParser(catalog, Grounder(catalog))
