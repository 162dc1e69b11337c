"""The dev set ``grounding_cases.jsonl`` against the shipped catalog and the bundled embedding model, and the
latency of lexical grounding on the real catalog."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tests.tools.grounding.small_catalog import title_year
from tools.catalog import Catalog, read_catalog_file, read_interactions_file
from tools.embeddings import Embedder
from tools.grounding import Grounder
from tools.settings import PACKAGED_DATA_DIR, Settings

CASES = Path(__file__).with_name("grounding_cases.jsonl")
SHIPPED_CATALOG = PACKAGED_DATA_DIR / "catalog.jsonl.gz"


@pytest.fixture(scope="module")
def real_grounder(request: pytest.FixtureRequest) -> Grounder:
    if not SHIPPED_CATALOG.exists():
        pytest.skip(f"{SHIPPED_CATALOG} is missing: build it with `crsagent data build`")
    cache_dir = Path(request.config.cache.mkdir("grounding-title-embeddings"))
    interactions = PACKAGED_DATA_DIR / "interactions.csv.gz"
    counts = (
        Counter(i.item_id for i in read_interactions_file(interactions)) if interactions.exists() else None
    )
    return Grounder(
        Catalog.from_items(read_catalog_file(SHIPPED_CATALOG)),
        Embedder(Settings()),
        cache_dir=cache_dir,
        interaction_counts=counts,
    )


def test_grounding_cases_meet_the_targets(real_grounder: Grounder) -> None:
    cases = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    real = [c for c in cases if c["expected_title"] is not None]
    fake = [c for c in cases if c["expected_title"] is None]
    assert len(real) >= 200 and len(fake) >= 100
    missed = []
    for case in real:
        match = real_grounder.ground(case["query"])
        if match is None or (match.title, match.year) != (case["expected_title"], case["expected_year"]):
            missed.append((case["query"], title_year(match)))
    false = [(c["query"], title_year(m)) for c in fake if (m := real_grounder.ground(c["query"])) is not None]
    accuracy = 1 - len(missed) / len(real)
    false_rate = len(false) / len(fake)
    print(
        f"grounding dev set: accuracy {accuracy:.3f} on {len(real)} real titles, "
        f"false matches {false_rate:.3f} on {len(fake)} non-existent titles"
    )
    assert accuracy >= 0.95, missed
    assert false_rate <= 0.01, false


def test_lexical_latency_on_the_real_catalog(real_grounder: Grounder) -> None:
    """Exact / fuzzy grounding and find_titles stay in the low milliseconds (generous bound for CI)."""
    lexical = Grounder(real_grounder.catalog)
    queries = [json.loads(line)["query"] for line in CASES.read_text(encoding="utf-8").splitlines()][:300]
    text = (
        "i loved the matrix and heat but not alien 3, what about **Inception (2010)** or "
        '"The Dark Knight"? my kids liked Toy Story 2 and frozen, no horror movies please!!'
    )
    for q in queries[:20]:
        lexical.ground(q)
    times = []
    for q in queries:
        started = time.perf_counter()
        lexical.ground(q)
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(50):
        lexical.find_titles(text)
    per_text = (time.perf_counter() - started) / 50
    assert float(np.percentile(times, 50)) < 0.005
    assert per_text < 0.02
