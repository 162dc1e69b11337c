"""Honest tuning of the fusion weights on development data only (never a test split).

Development sets are carved out of the TRAIN dialogs by :func:`build_dev`:

- REDIAL: the train dialogs (``redial/train_data_partial.jsonl`` + ``redial/ievalm/valid_data.jsonl``,
  de-duplicated as ``tools/data/interactions.py`` does) between a set of held-out crowd workers
  (:func:`worker_holdout`, about 400 dialogs), written as ``dev_data.jsonl``. The official test split shares
  no worker with train, and a dev set of random dialogs (``--split dialog``: the 10% hash bucket of
  :func:`eval.recommenders_dev.split_redial_dev`) rewards the habits of workers whose other dialogs trained the
  models; dialogs pairing a held-out worker with another one are left out of both sides;
- INSPIRED: the train dialogs (``inspired/unicrs/train_data_dbpedia.jsonl``) whose key ``inspired:<line>``
  falls into hash bucket 0 of 5. INSPIRED ``dev.tsv`` is never used for tuning: it stays a clean split.

:func:`build_dev` also writes a copy of ``data/`` whose interactions lack every held-out dialog, and
:func:`build_dev_home` indexes a scratch ``CRSAGENT_HOME`` over it, so the collaborative models and the
popularity prior never saw a dev dialog.

Search (:func:`coordinate_search`): every dev dialog is replayed once through the real pipeline
(:func:`capture`), keeping the state of each predicting user turn; a weight setting is then scored by
re-running the graph's ``execute`` node on those states (the only node that depends on the weights).
:func:`ablation_table` switches one idea off at a time and :func:`limits` says why golds are missed. The
chosen weights go to ``data/fusion_weights.json`` (``--write``) and the record of the tuning to
``data/fusion_tuning.json`` (``--audit``: the command, the grid, the dev splits and their dialog ids, every
tried setting's dev numbers and the choice; :func:`audit_record`); final numbers always come from a full
``crsagent eval`` run.

Run as ``python -m eval.tune --shared ../shared/data --work /tmp/tune --base-home ~/.crsagent`` (an indexed
home to copy, which saves re-embedding the catalog); ``--rounds 0`` only scores the current profiles.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import logging
import os
import shutil
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

import numpy as np

from agent.context import AgentContext, load_fusion_weights
from agent.graph import execute
from agent.runner import TurnRunner
from agent.state import AgentState, Preferences
from eval.datasets import Dialog, load_inspired_unicrs, load_redial
from eval.evaluator import DEPTH, DialogEvaluator, evaluate_dialog
from eval.gold import GoldMapper, dataset_universe
from eval.recommenders_dev import hash_bucket
from tools.data.normalise import clean_text, dialog_text_key
from tools.indexing import run_index
from tools.ranking import FusionWeights
from tools.settings import PACKAGED_DATA_DIR, Settings, load_settings
from tools.shipped_vectors import VECTORS_FILE
from tools.toolkit import Toolkit

log = logging.getLogger(__name__)

REDIAL_TRAIN_FILES = ("redial/train_data_partial.jsonl", "redial/ievalm/valid_data.jsonl")
INSPIRED_TRAIN_FILE = "inspired/unicrs/train_data_dbpedia.jsonl"
DEV_BUCKETS, DEV_BUCKET = 10, 0
#: size of the worker-disjoint REDIAL dev set (about 10% of the 4,101 train dialogs in ../shared)
WORKER_DEV_DIALOGS = 400
#: INSPIRED train is small: a 20% hold-out (bucket 0 of 5) is its tuning set.
INSPIRED_BUCKETS = 5


# ------------------------------------------------------------------------------------------- dev data


@dataclass
class DevSetup:
    """Paths of the scratch dev data."""

    redial_dir: Path  #: holds dev_data.jsonl (REDIAL train dialogs of the dev bucket)
    inspired_file: Path  #: INSPIRED train dialogs of the dev bucket (UniCRS format)
    data_dir: Path  #: a copy of data/ without the interactions of any dev dialog
    n_redial: int
    n_inspired: int
    n_removed_interactions: int
    redial_ids: list[str] = field(default_factory=list)  #: conversationIds of the REDIAL dev dialogs
    workers: list[str] = field(default_factory=list)  #: the held-out crowd workers (``split="worker"``)
    inspired_lines: list[int] = field(default_factory=list)  #: line numbers of the INSPIRED dev dialogs


def _workers(record: dict[str, Any]) -> tuple[str, str]:
    """The (seeker, recommender) worker ids of a REDIAL dialog."""
    return str(record.get("initiatorWorkerId")), str(record.get("respondentWorkerId"))


def worker_holdout(pairs: Sequence[tuple[str, str]], target: int) -> set[str]:
    """Workers whose dialogs among themselves make a dev set of at least ``target`` dialogs while as few
    dialogs as possible pair one of them with another worker (those are lost to both sides).

    Greedy and deterministic: add the worker with the most dialogs into the set minus the most out of it
    (ties by id) until ``target`` dialogs lie inside. REDIAL's test split shares no worker with train, so a
    random-dialog dev set, whose workers also fill the training dialogs, over-rewards their habits.
    """
    links: dict[str, Counter[str]] = defaultdict(Counter)
    for a, b in pairs:
        links[a][b] += 1
        links[b][a] += 1 if a != b else 0
    degree = {w: sum(c.values()) for w, c in links.items()}
    into: Counter[str] = Counter()
    chosen: set[str] = set()
    inside = 0
    while inside < target and len(chosen) < len(links):
        best = max((w for w in links if w not in chosen), key=lambda w: (2 * into[w] - degree[w], w))
        chosen.add(best)
        inside += into[best] + links[best][best]
        for other, n in links[best].items():
            into[other] += n
    return chosen


def _redial_user_key(record: dict[str, Any]) -> str:

    conv = clean_text(str(record.get("conversationId") or ""))
    return f"redial:{conv or dialog_text_key(record['messages'])}"


def build_dev(
    shared: Path,
    work: Path,
    packaged_data: Path | None = None,
    split: Literal["worker", "dialog"] = "worker",
    *,
    skip_workers: Collection[str] = (),
    target: int = WORKER_DEV_DIALOGS,
) -> DevSetup:
    """Carve dev sets out of the TRAIN dialogs and write a copy of data/ without their interactions.

    REDIAL: from the train dialogs (partial train file + iEvaLM copy, de-duplicated like tools/data/interactions.py),
    ``split="worker"`` (the default) holds out the dialogs between the workers :func:`worker_holdout` picks and
    drops the dialogs with one of them from the dev home; ``split="dialog"`` holds out the dialogs whose ``redial:<conversationId>`` key falls in hash bucket 0 of 10
    (the split of :func:`eval.recommenders_dev.split_redial_dev`). Written to ``work/redial/dev_data.jsonl``. INSPIRED: the
    train dialogs (``inspired/unicrs/train_data_dbpedia.jsonl``) whose ``inspired:<line>`` key falls in
    bucket 0 of :data:`INSPIRED_BUCKETS`, written to ``work/inspired/train_holdout.jsonl``. INSPIRED
    ``dev.tsv`` is never used for tuning, so it stays a clean evaluation split.
    """

    packaged = packaged_data or PACKAGED_DATA_DIR
    redial_dir, inspired_dir, data_dir = work / "redial", work / "inspired", work / "data"
    for d in (redial_dir, inspired_dir, data_dir):
        d.mkdir(parents=True, exist_ok=True)
    seen_ids: set[str] = set()
    seen_text: set[str] = set()
    dev_users: set[str] = set()  #: held-out dialogs: out of the dev home's interactions
    records: list[tuple[str, dict[str, Any]]] = []
    for rel in REDIAL_TRAIN_FILES:
        with open(shared / rel, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                record = json.loads(line)
                conv = clean_text(str(record.get("conversationId") or ""))
                text_key = dialog_text_key(record["messages"])
                if (conv and conv in seen_ids) or text_key in seen_text:
                    continue
                if conv:
                    seen_ids.add(conv)
                seen_text.add(text_key)
                records.append((line if line.endswith("\n") else line + "\n", record))
    redial_lines: list[str] = []
    dev_workers: set[str] = set()
    if split == "worker":
        skip = set(skip_workers)
        free = [_workers(r) for _, r in records if not skip & set(_workers(r))]
        dev_workers = worker_holdout(free, target)
        for line, record in records:
            inside = [w in dev_workers for w in _workers(record)]
            if any(inside):  # a dialog with one held-out worker is in neither set
                dev_users.add(_redial_user_key(record))
            if all(inside):
                redial_lines.append(line)
    else:
        for line, record in records:
            user = _redial_user_key(record)
            if hash_bucket(user, DEV_BUCKETS) == DEV_BUCKET:
                dev_users.add(user)
                redial_lines.append(line)
    (redial_dir / "dev_data.jsonl").write_text("".join(redial_lines), encoding="utf-8")
    inspired_lines: list[str] = []
    inspired_numbers: list[int] = []
    with open(shared / INSPIRED_TRAIN_FILE, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            user = f"inspired:{lineno}"
            if line.strip() and hash_bucket(user, INSPIRED_BUCKETS) == DEV_BUCKET:
                dev_users.add(user)
                inspired_numbers.append(lineno)
                inspired_lines.append(line if line.endswith("\n") else line + "\n")
    inspired_file = inspired_dir / "train_holdout.jsonl"
    inspired_file.write_text("".join(inspired_lines), encoding="utf-8")
    for name in ("catalog.jsonl.gz", VECTORS_FILE):  # the shipped vectors spare re-embedding the catalog
        if (packaged / name).is_file():
            shutil.copyfile(packaged / name, data_dir / name)
    removed = 0
    buf = io.StringIO()
    with gzip.open(packaged / "interactions.csv.gz", "rt", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(next(reader))
        for row in reader:
            if row and row[0] in dev_users:
                removed += 1
                continue
            writer.writerow(row)
    with gzip.open(data_dir / "interactions.csv.gz", "wt", encoding="utf-8") as fh:
        fh.write(buf.getvalue())
    log.info(
        "dev: %d REDIAL + %d INSPIRED train dialogs held out, %d interactions removed",
        len(redial_lines),
        len(inspired_lines),
        removed,
    )
    redial_ids = sorted(
        (clean_text(str(json.loads(line).get("conversationId") or "")) for line in redial_lines),
        key=lambda c: (len(c), c),
    )
    return DevSetup(
        redial_dir,
        inspired_file,
        data_dir,
        len(redial_lines),
        len(inspired_lines),
        removed,
        redial_ids=redial_ids,
        inspired_lines=inspired_numbers,
        workers=sorted(dev_workers),
    )


def build_dev_home(setup: DevSetup, home: Path, base_home: Path | None = None) -> Settings:
    """Index a scratch home over ``setup.data_dir`` (copying ``base_home`` first saves re-embedding)."""

    if base_home is not None and not home.exists():
        shutil.copytree(base_home, home, ignore=shutil.ignore_patterns("sessions.sqlite*"))
    settings = load_settings(
        home=home,
        data_dir=setup.data_dir,
        llm="offline",
        database_url=None,
        chroma_url=None,
        chroma_path=None,
    )
    summary = run_index(Toolkit(settings))
    log.info("dev home %s: %s", home, summary.as_dict())
    return settings


# ----------------------------------------------------------------------------------------- capture


@dataclass
class TurnCapture:
    """One predicting user turn: the state ``execute`` ran on, and its gold samples."""

    state: dict[str, Any]
    golds: list[tuple[int | None, bool]]  #: (gold catalog id, gold_in_context) per sample


@dataclass
class DevCorpus:
    """A dev split replayed once through the pipeline, ready for cheap re-ranking."""

    dataset: str
    captures: list[TurnCapture] = field(default_factory=list)
    n_dialogs: int = 0
    n_samples: int = 0
    seconds: float = 0.0


def capture(ev: DialogEvaluator, dialogs: Sequence[Dialog], progress: bool = True) -> DevCorpus:
    """Replay ``dialogs`` through ``ev`` (the real protocol) and keep each predicting turn's state."""
    from tqdm.auto import tqdm

    corpus = DevCorpus(dataset=ev.dataset, n_dialogs=len(dialogs))
    t0 = time.perf_counter()

    def hook(state: AgentState, samples: list[dict[str, Any]]) -> None:
        raw: dict[str, Any] = dict(state)
        kept: dict[str, Any] = {k: raw[k] for k in ("prefs", "parsed", "plan", "message") if k in raw}
        kept.update({"shown_ever": [], "universe": ev.universe})
        corpus.captures.append(
            TurnCapture(kept, [(s["gold_id"], bool(s["gold_in_context"])) for s in samples])
        )

    for dialog in tqdm(dialogs, desc=f"capture {ev.dataset}", unit="dialog", disable=not progress or None):
        res = evaluate_dialog(ev, dialog, hook=hook)
        corpus.n_samples += len(res.samples)
    corpus.seconds = round(time.perf_counter() - t0, 1)
    return corpus


# ----------------------------------------------------------------------------------------- scoring


def rerank(ctx: AgentContext, corpus: DevCorpus, weights: Any) -> list[list[int]]:
    """The ranking of every captured turn under ``weights`` (re-running the graph's ``execute`` node)."""

    saved = ctx.weights
    ctx.weights = weights
    try:
        runtime = SimpleNamespace(context=ctx)
        states = (
            {**c.state, "want_ranking": True} for c in corpus.captures
        )  # captures of older runs lack it
        return [[r["id"] for r in execute(state, runtime)["ranking"]] for state in states]  # type: ignore[arg-type]
    finally:
        ctx.weights = saved


def score(corpus: DevCorpus, rankings: Sequence[Sequence[int]]) -> dict[str, float]:
    """Full and dedup Recall@1/10/50 and NDCG@10 of the rankings over the corpus's samples."""
    ranks_full: list[int] = []
    ranks_dedup: list[int] = []
    for cap, ranking in zip(corpus.captures, rankings, strict=True):
        pos = {item: i for i, item in enumerate(ranking[:DEPTH], 1)}
        for gold, in_context in cap.golds:
            r = pos.get(gold, DEPTH + 1) if gold is not None else DEPTH + 1
            ranks_full.append(r)
            if not in_context:
                ranks_dedup.append(r)
    out: dict[str, float] = {}
    for name, ranks in (("full", ranks_full), ("dedup", ranks_dedup)):
        arr = np.asarray(ranks, dtype=float)
        for k in (1, 10, 50):
            out[f"{name}_r@{k}"] = round(float((arr <= k).mean()) if arr.size else 0.0, 4)
        ndcg = np.where(arr <= 10, 1.0 / np.log2(arr + 1), 0.0)
        out[f"{name}_ndcg@10"] = round(float(ndcg.mean()) if arr.size else 0.0, 4)
    return out


def objective(metrics: dict[str, float]) -> float:
    """What the search maximises: Recall@10 (full and dedup) first, Recall@50 second."""
    return metrics["full_r@10"] + metrics["dedup_r@10"] + 0.5 * metrics["full_r@50"]


#: The coordinate-search grid of every tuned field.
GRID: dict[str, tuple[Any, ...]] = {
    "popularity": (0.2, 0.4, 0.6, 0.8, 1.2),
    "semantic": (0.25, 0.5, 0.75, 1.0),
    "collaborative": (0.5, 1.0, 1.5, 2.0),
    "constraint_penalty": (0.0, 0.15, 0.3, 0.5, 1.0),
    "seen_seed": (0.0, 0.5, 1.0, 1.5),
    "agent_mention": (0.0, 0.25, 0.5, 1.0, 1.5),
    "liked_in_query": (0.0, 0.5, 1.0),
    "negative": (0.0, 0.5, 1.0),
    "ease_share": (0.1, 0.25, 0.5, 0.75),
    "als": (0.0, 0.5, 1.0, 2.0),
    "seed_recency": (0.6, 0.8, 1.0),
    "agent_repeat": (0.0, 0.1, 0.3, 0.6, 1.0),
    "asked_repeat": (0.0, 0.1, 0.3, 0.6, 1.0),
    "popularity_sources": (
        None,
        {"redial": 1.0},
        {"redial": 1.0, "inspired": 0.2, "movielens": 0.02},
        {"inspired": 1.0, "redial": 0.2, "movielens": 0.02},
    ),
}


def coordinate_search(
    ctx: AgentContext,
    corpus: DevCorpus,
    start: Any,
    grid: dict[str, Sequence[Any]] | None = None,
    rounds: int = 2,
    log_fn: Callable[[str], None] | None = None,
) -> tuple[Any, dict[str, float], list[dict[str, Any]]]:
    """Coordinate ascent over ``grid`` from ``start`` (a FusionWeights); returns (best, its metrics, trail)."""
    axes: dict[str, Sequence[Any]] = dict(grid or GRID)
    cache: dict[str, dict[str, float]] = {}
    trail: list[dict[str, Any]] = []

    def evaluate(w: Any) -> dict[str, float]:
        key = json.dumps(w.model_dump(), sort_keys=True)
        if key not in cache:
            cache[key] = score(corpus, rerank(ctx, corpus, w))
            trail.append({"weights": w.model_dump(), **cache[key]})
            if log_fn:
                log_fn(f"{json.dumps(w.model_dump())} -> {cache[key]}")
        return cache[key]

    best, best_m = start, evaluate(start)
    for _ in range(rounds):
        improved = False
        for name, values in axes.items():
            for value in values:
                cand = best.model_copy(update={name: value})
                m = evaluate(cand)
                if objective(m) > objective(best_m) + 1e-9:
                    best, best_m, improved = cand, m, True
        if not improved:
            break
    return best, best_m, trail


def ablations(tuned: Any) -> list[tuple[str, Any]]:
    """(label, weights) rows of the dev ablation table: the built-in defaults, the tuned weights, and the
    tuned weights with one idea switched off at a time."""

    off: list[tuple[str, dict[str, Any]]] = [
        ("hard constraints (constraint_penalty = 0)", {"constraint_penalty": 0.0}),
        ("no seen items as CF seeds", {"seen_seed": 0.0}),
        ("no other-side mentions as CF seeds", {"agent_mention": 0.0}),
        ("no bonus for other-side mentions", {"agent_repeat": 0.0}),
        ("no bonus for items the user asked about", {"asked_repeat": 0.0}),
        ("trained popularity model (all sources)", {"popularity_sources": None}),
        ("no popularity prior", {"popularity": 0.0}),
        ("no semantic signal", {"semantic": 0.0}),
        ("no collaborative signal", {"collaborative": 0.0}),
        ("item-kNN only (no EASE)", {"ease_share": 0.0}),
        ("EASE only (no item-kNN)", {"ease_share": 1.0}),
        ("no ALS", {"als": 0.0}),
        ("no liked items in the text query", {"liked_in_query": 0.0}),
        ("no seed recency decay", {"seed_recency": 1.0}),
        ("no dislike attenuation", {"negative": 0.0}),
    ]
    rows: list[tuple[str, Any]] = [
        ("built-in defaults (before tuning)", FusionWeights()),
        ("**tuned**", tuned),
    ]
    for label, update in off:
        cand = tuned.model_copy(update=update)
        if cand != tuned:
            rows.append((label, cand))
    return rows


def ablation_table(ctx: AgentContext, corpus: DevCorpus, tuned: Any) -> list[dict[str, Any]]:
    """Score every :func:`ablations` row on the corpus."""
    return [{"setting": label, **score(corpus, rerank(ctx, corpus, w))} for label, w in ablations(tuned)]


def execute_at_depth(ctx: AgentContext, cap: TurnCapture, depth: int, **flags: bool) -> dict[str, Any]:
    """The graph's ``execute`` node on a copy of a captured turn, ranking ``depth`` items: the captured plan's
    ``rank`` step and the deterministic plan's alike. ``flags`` join the state (``want_features=True``)."""
    import copy

    state = {**copy.deepcopy(cap.state), "want_ranking": True, **flags}
    for step in state.get("plan") or []:
        if step.get("tool") == "rank":
            step.setdefault("args", {})["k"] = depth
    saved = ctx.ranking_size
    ctx.ranking_size = max(saved, depth)
    try:
        return execute(state, SimpleNamespace(context=ctx))  # type: ignore[arg-type]
    finally:
        ctx.ranking_size = saved


def limits(ctx: AgentContext, corpus: DevCorpus, tuned: Any, depth: int = 500) -> dict[str, float]:
    """Why golds are missed under ``tuned``: shares of samples whose gold is unmapped, was mentioned by the
    user before (never re-recommended, by design), fails the hard exclusions, or is outside the top ``depth``
    candidates of the fused ranking."""
    saved = ctx.weights
    ctx.weights = tuned
    n = unmapped = user_mentioned = beyond = 0
    try:
        for cap in corpus.captures:
            ids = {r["id"] for r in execute_at_depth(ctx, cap, depth)["ranking"]}
            prefs = Preferences.model_validate(cap.state.get("prefs") or {})
            mentioned = set(ctx.toolkit.catalog.with_twins([*prefs.liked, *prefs.disliked, *prefs.seen]))
            for gold, _ in cap.golds:
                n += 1
                if gold is None:
                    unmapped += 1
                elif gold in mentioned:
                    user_mentioned += 1
                elif gold not in ids:
                    beyond += 1
    finally:
        ctx.weights = saved
    return {
        "samples": n,
        "unmapped": round(unmapped / max(n, 1), 4),
        "gold_mentioned_by_user_before": round(user_mentioned / max(n, 1), 4),
        f"gold_outside_top{depth}_candidates": round(beyond / max(n, 1), 4),
    }


def _markdown(results: dict[str, Any]) -> str:
    lines = ["# Fusion-weight tuning on development data", ""]
    for dataset, res in results.items():
        lines += [
            f"## {dataset}: {res['set']} ({res['n_dialogs']} dialogs, {res['n_samples']} samples)",
            "",
            f"Tuned weights: `{json.dumps(res['best'])}`",
            "",
            "| setting | full R@1 | full R@10 | full R@50 | dedup R@10 | dedup R@50 |",
            "|---|---|---|---|---|---|",
        ]
        for row in res["ablation"]:
            lines.append(
                f"| {row['setting']} | {row['full_r@1']:.3f} | {row['full_r@10']:.3f} | {row['full_r@50']:.3f} | "
                f"{row['dedup_r@10']:.3f} | {row['dedup_r@50']:.3f} |"
            )
        lines += [
            "",
            "Limits (share of samples): " + ", ".join(f"{k} {v}" for k, v in res["limits"].items()),
            "",
        ]
    return "\n".join(lines)


#: The dialog files each dev set is carved from (train splits only; see :func:`build_dev`).
DEV_SOURCES: dict[str, tuple[str, ...]] = {"redial": REDIAL_TRAIN_FILES, "inspired": (INSPIRED_TRAIN_FILE,)}


def _sorted_tried(trail: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every scored setting once, with its objective, ordered by its weights' JSON (deterministic)."""
    rows: dict[str, dict[str, Any]] = {}
    for row in trail:
        weights = row["weights"]
        metrics = {k: v for k, v in row.items() if k != "weights"}
        key = json.dumps(weights, sort_keys=True)
        rows[key] = {"weights": weights, "metrics": metrics, "objective": round(objective(metrics), 4)}
    return [rows[k] for k in sorted(rows)]


def audit_record(
    command: str, args: dict[str, Any], setup: DevSetup, results: dict[str, Any], grid: dict[str, Any]
) -> dict[str, Any]:
    """The auditable tuning record (``data/fusion_tuning.json``): the command that produced it, the grid,
    the dev split of every dataset (train files it is carved from, its dialog ids), the dev numbers of every
    tried setting and the chosen weights. No timing or path of the machine it ran on: the same command on
    the same data writes the same bytes."""
    datasets: dict[str, Any] = {}
    for dataset, res in sorted(results.items()):
        tried = res["trail"] or [{"weights": res["start"], **res["best_metrics"]}]
        dev_ids: list[Any] = setup.redial_ids if dataset == "redial" else setup.inspired_lines
        datasets[dataset] = {
            "dev_split": {
                "description": res["set"],
                "carved_from_train_files": list(DEV_SOURCES[dataset]),
                "n_dialogs": res["n_dialogs"],
                "n_samples": res["n_samples"],
                "dialog_ids" if dataset == "redial" else "train_file_lines": list(dev_ids),
            },
            "start": res["start"],
            "tried": _sorted_tried(tried),
            "chosen": res["best"],
            "chosen_metrics": res["best_metrics"],
        }
    return {
        "_about": (
            "Written by eval/tune.py (--audit). The fusion-weight profiles of data/fusion_weights.json with the "
            "dev numbers behind them: every setting scored ('tried', sorted by weights; 'search' says how "
            "they were tried) and the one chosen. Dev sets are carved from TRAIN dialogs only; no test split is read."
        ),
        "command": command,
        "arguments": args,
        "search": (
            "coordinate ascent over the grid from the start profiles, at most "
            f"{args.get('rounds')} round(s); 'tried' holds every setting it scored"
            if args.get("rounds")
            else "none (--rounds 0): the start profiles, those data/fusion_weights.json ships, are scored on "
            "the dev sets as they are; 'tried' holds only them"
        ),
        "objective": "full_r@10 + dedup_r@10 + 0.5 * full_r@50",
        "grid": {name: list(values) for name, values in grid.items()},
        "datasets": datasets,
    }


def write_audit(path: Path, record: dict[str, Any]) -> None:
    """Write ``record`` as sorted, indented JSON (byte-stable)."""
    path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build the dev data and home, capture the dev sets, search, write the report."""
    import pickle

    parser = argparse.ArgumentParser(prog="python -m eval.tune", description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"), help="the raw datasets")
    parser.add_argument(
        "--work", type=Path, required=True, help="scratch folder (dev data, dev home, results)"
    )
    parser.add_argument(
        "--base-home", type=Path, default=None, help="an indexed home to copy (skips embedding)"
    )
    parser.add_argument("--dataset", choices=("redial", "inspired", "both"), default="both")
    parser.add_argument(
        "--split",
        choices=("worker", "dialog"),
        default="worker",
        help="REDIAL dev set: dialogs of held-out workers (default) or a random 10%% of dialogs",
    )
    parser.add_argument("--rounds", type=int, default=2, help="coordinate-ascent rounds (0 = no search)")
    parser.add_argument(
        "--start", default=None, help="fusion-weights profile to start from (default: the dataset's)"
    )
    parser.add_argument(
        "--write", type=Path, default=None, help="write the tuned profiles into this fusion_weights.json"
    )
    parser.add_argument(
        "--audit",
        type=Path,
        default=None,
        help="write the grid, every tried setting's dev numbers and the chosen weights here (data/fusion_tuning.json)",
    )
    argv_list = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv_list)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    setup = build_dev(args.shared, work, split=args.split)
    settings = build_dev_home(setup, work / "home", args.base_home)
    runner = TurnRunner(settings)
    runner.warm()
    ctx = runner.context
    results: dict[str, Any] = {}
    datasets = ("redial", "inspired") if args.dataset == "both" else (args.dataset,)
    for dataset in datasets:
        if dataset == "redial":
            data_dir, dialogs = setup.redial_dir, load_redial(setup.redial_dir / "dev_data.jsonl")
            label = (
                "REDIAL train dialogs of held-out workers"
                if args.split == "worker"
                else "REDIAL train dialogs held out (hash bucket 0 of 10)"
            )
        else:
            data_dir, dialogs = args.shared / "inspired", load_inspired_unicrs(setup.inspired_file)
            label = "INSPIRED train dialogs held out (hash bucket 0 of 5); dev.tsv untouched"
        start = load_fusion_weights(settings, args.start or dataset)
        ctx.weights = start
        cache = work / (f"corpus-redial-{args.split}.pkl" if dataset == "redial" else f"corpus-{dataset}.pkl")
        if cache.exists():
            with open(cache, "rb") as fh:
                corpus = pickle.load(fh)  # noqa: S301 - our own scratch file
        else:
            mapper = GoldMapper(runner.toolkit.catalog, ctx.grounder)
            universe = dataset_universe(dataset, runner.toolkit.catalog, mapper, data_dir, [])
            ev = DialogEvaluator(settings, dataset, universe, mapper.map_all(dialogs), runner=runner)
            corpus = capture(ev, dialogs)
            with open(cache, "wb") as fh:
                pickle.dump(corpus, fh)
        log.info(
            "%s dev: %d dialogs, %d samples, %d predicting turns",
            dataset,
            corpus.n_dialogs,
            corpus.n_samples,
            len(corpus.captures),
        )
        trail: list[dict[str, Any]] = []
        best, best_m = start, score(corpus, rerank(ctx, corpus, start))
        if args.rounds > 0:
            best, best_m, trail = coordinate_search(
                ctx, corpus, start, rounds=args.rounds, log_fn=lambda s: log.info("%s", s)
            )
        results[dataset] = {
            "set": label,
            "n_dialogs": corpus.n_dialogs,
            "n_samples": corpus.n_samples,
            "start": start.model_dump(),
            "best": best.model_dump(exclude_defaults=True),
            "best_metrics": best_m,
            "ablation": ablation_table(ctx, corpus, best),
            "limits": limits(ctx, corpus, best),
            "trail": trail,
        }
        (work / f"tune-{dataset}.json").write_text(json.dumps(results[dataset], indent=2), encoding="utf-8")
    (work / "tune-report.md").write_text(_markdown(results), encoding="utf-8")
    if args.write is not None:
        profiles = json.loads(args.write.read_text(encoding="utf-8")) if args.write.exists() else {}
        for dataset, res in results.items():
            profiles[dataset] = res["best"]
        args.write.write_text(json.dumps(profiles, indent=2) + "\n", encoding="utf-8")
    if args.audit is not None:
        command = " ".join(["python -m eval.tune", *argv_list])
        options = {
            "dataset": args.dataset,
            "split": args.split,
            "rounds": args.rounds,
            "start": args.start or "the dataset's own profile",
        }
        write_audit(args.audit, audit_record(command, options, setup, results, GRID))
        log.info("audit: %s", args.audit)
    log.info("report: %s", work / "tune-report.md")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
