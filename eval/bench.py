"""``crsagent bench``: latency of each tool and of whole turns, on the default and a synthetic catalog.

The synthetic catalog (200,000 generated items and interactions) goes through the same code path: the
catalog is loaded into a SQLite database by :func:`tools.catalog.load_catalog`, the hard filter runs SQL on
it, item-kNN and popularity are trained on its interactions and the agent graph runs the same turns. Its
item vectors are random unit vectors (embedding 200k texts on 2 cores would take hours); query
embeddings are real.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from agent.runner import TurnRunner
from tools.catalog import load_interactions
from tools.item_index import ItemVectors
from tools.recommenders import ALS, ItemKNN, Popularity
from tools.settings import Settings
from tools.stats import p50_p95
from tools.toolkit import Toolkit

log = logging.getLogger(__name__)

GENRE_WORDS = [
    "comedy",
    "horror",
    "sci-fi",
    "romance",
    "thriller",
    "animated",
    "crime",
    "drama",
    "action",
    "western",
]
DECADES = ["80s", "90s", "2000s", "after 2010", "before 1990", ""]
MOODS = [
    "slow-burn space thriller with a twist",
    "feel-good movie for a rainy sunday",
    "something dark and gritty",
    "a clever heist with a great cast",
    "epic fantasy adventure",
    "quirky indie comedy about family",
    "tense survival story",
    "romantic drama that makes me cry",
    "mind-bending puzzle movie",
    "funny road trip",
]
LIKED = [
    "The Matrix",
    "Inception",
    "Toy Story",
    "Heat",
    "Alien",
    "Titanic",
    "Pulp Fiction",
    "The Notebook",
    "Up",
    "Scream",
]


def bench_messages(n: int, seed: int = 0, liked: list[str] = LIKED) -> list[list[str]]:
    """Deterministic two-turn conversations with distinct texts (no query-cache hits); each first turn names
    one of the ``liked`` titles, so collaborative filtering runs."""
    rng = random.Random(seed)
    convs: list[list[str]] = []
    for k in range(n):
        first = f"I loved {rng.choice(liked)}, I want a {rng.choice(GENRE_WORDS)} movie {rng.choice(DECADES)} #{k}"
        second = f"{rng.choice(MOODS)}, no {rng.choice(GENRE_WORDS)} please, variant {k}"
        convs.append([first, second])
    return convs


def measure(runner: TurnRunner, conversations: list[list[str]], user: str) -> dict[str, Any]:
    """Run the conversations (stateless turns) and collect per-tool, pipeline and turn latencies."""
    tools: dict[str, list[float]] = {}
    pipeline: list[float] = []
    turns: list[float] = []
    for n, conv in enumerate(conversations):
        state = None
        for text in conv:
            state, result = runner.run_turn(state, text)
            turns.append(result.latency_ms)
            for rec in result.trace:
                if rec.get("step") == "execute" and rec.get("tool"):
                    tools.setdefault(rec["tool"], []).append(rec["ms"])
                elif rec.get("step") == "execute":
                    pipeline.append(rec["ms"])
                elif rec.get("step") in ("parse",) and rec.get("tool") is None:
                    tools.setdefault("parse", []).append(rec["ms"])
        log.debug("%s conversation %d done", user, n)
    return {
        "pipeline_ms": p50_p95(pipeline),
        "turn_ms": p50_p95(turns),
        "tools": {name: p50_p95(v) for name, v in sorted(tools.items())},
        "n_turns": len(turns),
    }


def synthetic_data(out: Path, n_items: int, n_users: int, seed: int = 0) -> None:
    """Write a synthetic ``catalog.jsonl.gz`` and ``interactions.csv.gz`` of the shipped format."""
    rng = np.random.default_rng(seed)
    genres = [
        "action",
        "comedy",
        "drama",
        "horror",
        "romance",
        "sci-fi",
        "thriller",
        "animation",
        "crime",
        "family",
    ]
    people = [f"Person {i}" for i in range(20_000)]
    out.mkdir(parents=True, exist_ok=True)
    pop = rng.zipf(1.6, n_items).clip(max=10_000).astype(float)
    with gzip.open(out / "catalog.jsonl.gz", "wt", encoding="utf-8") as fh:
        for i in range(1, n_items + 1):
            g = rng.choice(len(genres), size=int(rng.integers(1, 4)), replace=False)
            rec = {
                "id": i,
                "title": f"Synthetic Movie {i}",
                "year": int(rng.integers(1930, 2021)),
                "genres": [genres[j] for j in g],
                "directors": [people[int(rng.integers(len(people)))]],
                "writers": [],
                "stars": [people[int(j)] for j in rng.integers(len(people), size=3)],
                "plot": "",
                "keywords": [],
                "popularity": float(pop[i - 1]),
                "rating": round(float(rng.uniform(3, 9)), 1),
            }
            fh.write(json.dumps(rec) + "\n")
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["user", "item_id", "weight", "source", "kind"])
    probs = pop / pop.sum()
    for u in range(n_users):
        for item in rng.choice(n_items, size=int(rng.integers(3, 30)), replace=False, p=probs):
            writer.writerow([f"syn:{u}", int(item) + 1, 1, "redial", "mention"])
    with gzip.open(out / "interactions.csv.gz", "wt", encoding="utf-8") as fh:
        fh.write(buf.getvalue())


def synthetic_runner(
    settings: Settings, workdir: Path, n_items: int, progress: Callable[[str], None]
) -> TurnRunner:
    """A turn runner over a synthetic catalog: real DB load, real item-kNN / ALS / popularity training (EASE, a dense
    item-item inverse, is left out at this size)."""
    data = workdir / "data"
    progress(f"generating {n_items} synthetic items")
    synthetic_data(data, n_items, n_users=max(1000, n_items // 10))
    syn_settings = settings.model_copy(
        update={
            "home": workdir / "home",
            "data_dir": data,
            "database_url": None,
            "chroma_path": None,
            "chroma_url": None,
        }
    )
    toolkit = Toolkit(syn_settings)
    progress("loading the synthetic catalog into SQLite")
    catalog = toolkit.catalog
    rng = np.random.default_rng(1)
    dim = toolkit.embedder.dim
    matrix = rng.standard_normal((len(catalog), dim)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    toolkit.__dict__["vectors"] = ItemVectors(np.asarray(catalog.ids()), matrix)
    progress("training item-kNN, ALS and popularity on synthetic interactions")
    interactions = load_interactions(toolkit.engine)
    knn = ItemKNN()
    knn.fit(interactions, catalog.ids())
    als = ALS()
    als.fit(interactions, catalog.ids())
    popularity = Popularity(catalog)
    popularity.fit(interactions, catalog.ids())
    runner = TurnRunner(syn_settings, toolkit=toolkit)
    toolkit.__dict__["recommenders"] = {
        "itemknn": knn,
        "als": als,
        "popularity": popularity,
    }  # the cached_property slot
    return runner


def run_bench(
    settings: Settings,
    n_conversations: int = 30,
    synthetic_items: int = 200_000,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Benchmark the default catalog and a synthetic one; returns the ``bench.json`` object."""
    conversations = bench_messages(n_conversations)
    result: dict[str, Any] = {"catalogs": {}}
    progress("warming up the default catalog")
    runner = TurnRunner(settings)
    runner.warm()
    measure(runner, bench_messages(3, seed=99), "warmup")
    progress("measuring the default catalog")
    t0 = time.perf_counter()
    result["catalogs"]["default"] = {
        "n_items": len(runner.toolkit.catalog),
        **measure(runner, conversations, "default"),
    }
    log.info("default catalog measured in %.1f s", time.perf_counter() - t0)
    if synthetic_items > 0:
        with tempfile.TemporaryDirectory(prefix="crsagent-bench-") as tmp:
            syn = synthetic_runner(settings, Path(tmp), synthetic_items, progress)
            syn.warm()
            # the same conversations, liking the synthetic catalog's most popular titles instead of real ones
            popular = sorted(syn.toolkit.catalog.items.values(), key=lambda it: -(it.popularity or 0.0))
            liked = [it.title for it in popular[: len(LIKED)]]
            measure(syn, bench_messages(3, seed=98, liked=liked), "warmup")
            progress("measuring the synthetic catalog")
            key = f"synthetic_{synthetic_items // 1000}k"
            syn_conversations = bench_messages(n_conversations, liked=liked)
            result["catalogs"][key] = {
                "n_items": len(syn.toolkit.catalog),
                **measure(syn, syn_conversations, key),
            }
            syn.toolkit.engine.dispose()
    return result
