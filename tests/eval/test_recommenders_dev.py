"""Tests of the recommenders' dev evaluation: the REDIAL dev split of the training dialogs and its protocol."""

from __future__ import annotations

import logging
import time

import pytest

from eval.recommenders_dev import dev_samples, evaluate_on_redial_dev, split_redial_dev
from tests.tools.recommenders.tiny import SHIPPED, interaction
from tools.catalog import CATALOG_FILE, Catalog, read_catalog_file, read_interactions_file
from tools.settings import PACKAGED_DATA_DIR

log = logging.getLogger(__name__)


def test_dev_split_is_deterministic_and_only_redial() -> None:
    rows = [
        interaction(f"redial:{n}", i, kind="like" if i == 1 else "mention")
        for n in range(200)
        for i in (1, 2, 3)
    ]
    rows += [interaction(f"ml:{n}", 1, source="movielens") for n in range(50)]
    train, dev = split_redial_dev(rows)
    assert 5 < len(dev) < 40 and all(u.startswith("redial:") for u in dev)
    assert split_redial_dev(rows)[1].keys() == dev.keys()
    assert len(train) + sum(len(v) for v in dev.values()) == len(rows)
    samples = dev_samples(
        {
            "redial:x": [
                interaction("redial:x", 1, kind="like"),
                interaction("redial:x", 2),
                interaction("redial:x", 3),
            ]
        }
    )
    assert samples == [([2, 3], 1), ([1], 2), ([1], 3)]  # liked seeds when any, else all others


@pytest.mark.skipif(
    not SHIPPED.exists(), reason=f"{SHIPPED} is missing (build it with `crsagent data build`)"
)
def test_cf_models_beat_popularity_on_redial_dev() -> None:
    """The dev protocol of :func:`evaluate_on_redial_dev` on the shipped data (REDIAL train dialogs only)."""
    catalog_file = PACKAGED_DATA_DIR / CATALOG_FILE
    catalog = Catalog.from_items(read_catalog_file(catalog_file)) if catalog_file.exists() else None
    t0 = time.perf_counter()
    report = evaluate_on_redial_dev(read_interactions_file(SHIPPED), catalog=catalog)
    elapsed = time.perf_counter() - t0
    models = report["models"]
    for name, row in models.items():
        log.info("%-36s R@10 %.4f  R@50 %.4f", name, row["recall@10"], row["recall@50"])
    assert report["n_samples"] > 500
    pop = models["popularity"]["recall@50"]
    for name in ("itemknn", "als", "ease"):
        assert models[name]["recall@50"] > pop + 0.1, (name, models)
    best_single = max(models[n]["recall@50"] for n in ("itemknn", "als", "ease"))
    assert models["blend"]["recall@50"] >= best_single - 0.01, models
    assert elapsed < 60, elapsed
