"""Honest tuning of the fusion weights on development data only (never a test split).

REDIAL dev: the REDIAL *train* dialogs (``redial/train_data_partial.jsonl`` + ``redial/ievalm/valid_data.jsonl``,
de-duplicated as ``tools/data_build.py`` does) whose user key ``redial:<conversationId>`` falls into the
10% hash bucket that :func:`tools.recommenders.split_redial_dev` holds out. :func:`build_redial_dev` writes
them as ``dev_data.jsonl`` into a scratch data dir, and a copy of ``data/`` whose interactions lack those dev
dialogs; :func:`build_dev_home` indexes a scratch ``CRSAGENT_HOME`` over that copy, so the collaborative
models and the popularity prior never saw the dev dialogs. INSPIRED dev: ``inspired/dev.tsv`` (its dialogs
are not in the training interactions).

Search (:func:`coordinate_search`): every dev dialog is replayed once through the real pipeline
(:func:`capture`), keeping the state of each predicting user turn; a weight setting is then scored by
re-running the graph's ``execute`` node on those states (the only node that depends on the weights). The
chosen weights are written to ``data/fusion_weights.json`` and the final numbers always come from a full
``crsagent eval`` run.

Run as ``python -m eval.tune --shared ../shared/data --work /tmp/tune`` (see ``--help``).
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
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np

from eval.datasets import Dialog, load_inspired_tsv, load_redial
from eval.offline import DEPTH, DialogEvaluator, GoldMapper, dataset_universe

if TYPE_CHECKING:
    from agent.context import AgentContext
    from agent.state import AgentState
    from tools.settings import Settings

log = logging.getLogger(__name__)

REDIAL_TRAIN_FILES = ("redial/train_data_partial.jsonl", "redial/ievalm/valid_data.jsonl")
DEV_BUCKETS, DEV_BUCKET = 10, 0


# ------------------------------------------------------------------------------------------- dev data


@dataclass
class DevSetup:
    """Paths of the scratch REDIAL dev data."""

    redial_dir: Path  #: holds dev_data.jsonl
    data_dir: Path  #: a copy of data/ without the dev dialogs' interactions
    n_dev_dialogs: int
    n_removed_interactions: int


def _redial_user_key(record: dict[str, Any]) -> str:
    from tools.data_build import clean_text, dialog_text_key

    conv = clean_text(str(record.get("conversationId") or ""))
    return f"redial:{conv or dialog_text_key(record['messages'])}"


def build_redial_dev(shared: Path, work: Path, packaged_data: Path | None = None) -> DevSetup:
    """Write ``work/redial/dev_data.jsonl`` and ``work/data`` (data/ minus the dev users' interactions)."""
    from tools.data_build import clean_text, dialog_text_key
    from tools.recommenders import _dev_bucket
    from tools.settings import PACKAGED_DATA_DIR

    packaged = packaged_data or PACKAGED_DATA_DIR
    redial_dir, data_dir = work / "redial", work / "data"
    redial_dir.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    seen_ids: set[str] = set()
    seen_text: set[str] = set()
    dev_users: set[str] = set()
    lines: list[str] = []
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
                user = _redial_user_key(record)
                if _dev_bucket(user, DEV_BUCKETS) == DEV_BUCKET:
                    dev_users.add(user)
                    lines.append(line if line.endswith("\n") else line + "\n")
    (redial_dir / "dev_data.jsonl").write_text("".join(lines), encoding="utf-8")
    shutil.copyfile(packaged / "catalog.jsonl.gz", data_dir / "catalog.jsonl.gz")
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
    log.info("REDIAL dev: %d dialogs, %d interactions removed", len(lines), removed)
    return DevSetup(redial_dir, data_dir, len(lines), removed)


def build_dev_home(setup: DevSetup, home: Path, base_home: Path | None = None) -> Settings:
    """Index a scratch home over ``setup.data_dir`` (copying ``base_home`` first saves re-embedding)."""
    from tools.indexing import run_index
    from tools.settings import load_settings
    from tools.toolkit import Toolkit

    if base_home is not None and not home.exists():
        shutil.copytree(base_home, home, ignore=shutil.ignore_patterns("sessions.sqlite*"))
    settings = load_settings(home=home, data_dir=setup.data_dir, llm="offline", database_url=None, chroma_url=None,
                             chroma_path=None)
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

    from eval.offline import evaluate_dialog

    corpus = DevCorpus(dataset=ev.dataset, n_dialogs=len(dialogs))
    t0 = time.perf_counter()

    def hook(state: AgentState, samples: list[dict[str, Any]]) -> None:
        raw: dict[str, Any] = dict(state)
        kept: dict[str, Any] = {k: raw[k] for k in ("prefs", "parsed", "plan", "message") if k in raw}
        kept.update({"shown_ever": [], "universe": ev.universe})
        corpus.captures.append(TurnCapture(kept, [(s["gold_id"], bool(s["gold_in_context"])) for s in samples]))

    for dialog in tqdm(dialogs, desc=f"capture {ev.dataset}", unit="dialog", disable=not progress or None):
        res = evaluate_dialog(ev, dialog, hook=hook)
        corpus.n_samples += len(res.samples)
    corpus.seconds = round(time.perf_counter() - t0, 1)
    return corpus


# ----------------------------------------------------------------------------------------- scoring


def rerank(ctx: AgentContext, corpus: DevCorpus, weights: Any) -> list[list[int]]:
    """The ranking of every captured turn under ``weights`` (re-running the graph's ``execute`` node)."""
    from agent.graph import execute

    saved = ctx.weights
    ctx.weights = weights
    try:
        runtime = SimpleNamespace(context=ctx)
        return [[r["id"] for r in execute(c.state, runtime)["ranking"]] for c in corpus.captures]  # type: ignore[arg-type]
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
GRID: dict[str, tuple[float, ...]] = {
    "popularity": (0.2, 0.4, 0.6, 0.8, 1.2),
    "semantic": (0.25, 0.5, 0.75, 1.0),
    "collaborative": (0.5, 1.0, 1.5, 2.0),
    "constraint_penalty": (0.0, 0.15, 0.3, 0.5, 1.0),
    "seen_seed": (0.0, 0.5, 1.0),
    "agent_mention": (0.0, 0.25, 0.5, 1.0),
    "liked_in_query": (0.0, 0.5, 1.0),
    "negative": (0.0, 0.5, 1.0),
    "ease_share": (0.25, 0.5, 0.75),
    "seed_recency": (0.6, 0.8, 1.0),
    "agent_repeat": (0.0, 0.1, 0.3),
}


def coordinate_search(
    ctx: AgentContext,
    corpus: DevCorpus,
    start: Any,
    grid: dict[str, Sequence[float]] | None = None,
    rounds: int = 2,
    log_fn: Callable[[str], None] | None = None,
) -> tuple[Any, dict[str, float], list[dict[str, Any]]]:
    """Coordinate ascent over ``grid`` from ``start`` (a FusionWeights); returns (best, its metrics, trail)."""
    axes: dict[str, Sequence[float]] = dict(grid or GRID)
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


def _iter_dev(dialogs: Iterable[Dialog], limit: int | None) -> list[Dialog]:
    out = list(dialogs)
    return out[:limit] if limit else out


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build the REDIAL dev data and home, capture both dev sets, search, report."""
    from agent.context import load_fusion_weights
    from tools.settings import load_settings
    from ui.service import Service

    parser = argparse.ArgumentParser(prog="python -m eval.tune", description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"), help="the raw datasets")
    parser.add_argument("--work", type=Path, required=True, help="scratch folder (dev data, dev home, results)")
    parser.add_argument("--base-home", type=Path, default=None, help="an indexed home to copy (skips embedding)")
    parser.add_argument("--dataset", choices=("redial", "inspired", "both"), default="both")
    parser.add_argument("--limit", type=int, default=None, help="dev dialogs per dataset")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--start", default="default", help="fusion-weights profile to start from")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    datasets = ("redial", "inspired") if args.dataset == "both" else (args.dataset,)
    for dataset in datasets:
        if dataset == "redial":
            setup = build_redial_dev(args.shared, work)
            settings = build_dev_home(setup, work / "home-redial-dev", args.base_home)
            data_dir, dialogs = setup.redial_dir, load_redial(setup.redial_dir / "dev_data.jsonl")
        else:
            settings = load_settings(home=args.base_home or work / "home", llm="offline")
            data_dir, dialogs = args.shared / "inspired", load_inspired_tsv(args.shared / "inspired" / "dev.tsv")
        dialogs = _iter_dev(dialogs, args.limit)
        start = load_fusion_weights(settings, args.start)
        service = Service(settings, persist=False)
        service.context.weights = start
        mapper = GoldMapper(service.toolkit.catalog, service.context.grounder)
        universe = dataset_universe(dataset, service.toolkit.catalog, mapper, data_dir, dialogs)
        ev = DialogEvaluator(settings, dataset, universe, mapper.map_all(dialogs), service=service)
        service.warm()
        corpus = capture(ev, dialogs)
        log.info("%s dev: %d dialogs, %d samples, %d turns captured in %.0f s", dataset, corpus.n_dialogs,
                 corpus.n_samples, len(corpus.captures), corpus.seconds)
        best, best_m, trail = coordinate_search(service.context, corpus, start, rounds=args.rounds,
                                                log_fn=lambda s: log.info("%s", s))
        results[dataset] = {"start": start.model_dump(), "best": best.model_dump(), "best_metrics": best_m,
                            "trail": trail, "n_samples": corpus.n_samples, "n_dialogs": corpus.n_dialogs}
        (work / f"tune-{dataset}.json").write_text(json.dumps(results[dataset], indent=2), encoding="utf-8")
        log.info("%s best %s -> %s", dataset, best.model_dump(), best_m)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
