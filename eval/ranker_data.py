"""Training data of the learned ranker: worker-disjoint folds of the REDIAL train dialogs, each replayed through
a home whose models never saw it.

Fold 0 is the tuning dev set of :mod:`eval.tune` (the dialogs between the crowd workers
:func:`eval.tune.worker_holdout` picks); folds 1..n take further workers, none shared with an earlier fold
(``build_dev(skip_workers=...)``). Each fold gets its own copy of ``data/`` without the fold's interactions
(and without every dialog that pairs one of its workers with an outsider), its own indexed home, and a
:class:`eval.tune.DevCorpus` of its predicting turns. :mod:`eval.ranker_train` turns the corpora into
candidate features and labels. No REDIAL test dialog and no INSPIRED dev dialog is read here.
"""

from __future__ import annotations

import json
import logging
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.context import load_fusion_weights
from agent.runner import TurnRunner
from eval.datasets import load_redial
from eval.evaluator import DialogEvaluator
from eval.gold import GoldMapper, dataset_universe
from eval.tune import WORKER_DEV_DIALOGS, DevCorpus, DevSetup, build_dev, build_dev_home, capture
from tools.settings import Settings

log = logging.getLogger(__name__)

#: Dialogs per training fold (the dev fold keeps eval.tune's size).
FOLD_DIALOGS = 900


@dataclass
class Fold:
    """One fold: its dev data, its home's settings and its captured corpus."""

    index: int
    setup: DevSetup
    settings: Settings
    corpus: DevCorpus


def fold_dir(work: Path, index: int) -> Path:
    """Where fold ``index`` keeps its data, home and corpus."""
    return work / f"fold{index}"


def build_folds(
    shared: Path,
    work: Path,
    n_folds: int,
    *,
    base_home: Path | None = None,
    fold_dialogs: int = FOLD_DIALOGS,
    dev_dialogs: int = WORKER_DEV_DIALOGS,
    only: set[int] | None = None,
    packaged_data: Path | None = None,
) -> list[Fold]:
    """Carve ``n_folds`` worker-disjoint folds (fold 0 = eval.tune's dev set), index a home per fold and
    capture its dialogs (cached in ``fold<k>/corpus.pkl``). ``only`` builds just those folds (the workers of
    the earlier ones are still carved out first, so the folds stay the same)."""
    folds: list[Fold] = []
    taken: set[str] = set()
    for k in range(n_folds):
        out = fold_dir(work, k)
        record = out / "fold.json"
        if only is not None and k not in only and record.exists():  # carved before: only its workers matter
            taken |= set(json.loads(record.read_text(encoding="utf-8"))["workers"])
            continue
        setup = build_dev(
            shared,
            out,
            packaged_data,
            skip_workers=taken,
            target=dev_dialogs if k == 0 else fold_dialogs,
        )
        taken |= set(setup.workers)
        record.write_text(
            json.dumps(
                {"fold": k, "dialogs": setup.n_redial, "workers": setup.workers, "ids": setup.redial_ids}
            ),
            encoding="utf-8",
        )
        if only is not None and k not in only:
            continue
        settings = build_dev_home(setup, out / "home", base_home)
        folds.append(Fold(k, setup, settings, capture_fold(settings, setup, out / "corpus.pkl")))
    return folds


def capture_fold(settings: Settings, setup: DevSetup, cache: Path) -> DevCorpus:
    """The fold's REDIAL dialogs replayed through its home (read from ``cache`` when present)."""
    if cache.exists():
        with open(cache, "rb") as fh:
            corpus: DevCorpus = pickle.load(fh)  # noqa: S301 - our own scratch file
        return corpus
    runner = TurnRunner(settings)
    runner.warm()
    runner.context.weights = load_fusion_weights(settings, "redial")
    dialogs = load_redial(setup.redial_dir / "dev_data.jsonl")
    mapper = GoldMapper(runner.toolkit.catalog, runner.context.grounder)
    universe = dataset_universe("redial", runner.toolkit.catalog, mapper, setup.redial_dir, [])
    ev = DialogEvaluator(settings, "redial", universe, mapper.map_all(dialogs), runner=runner)
    corpus = capture(ev, dialogs)
    with open(cache, "wb") as fh:
        pickle.dump(corpus, fh)
    log.info(
        "fold %s: %d dialogs, %d samples in %.0f s",
        cache.parent.name,
        corpus.n_dialogs,
        corpus.n_samples,
        corpus.seconds,
    )
    return corpus


def summary(folds: list[Fold]) -> list[dict[str, Any]]:
    """One record per fold: its size in dialogs, samples and turns, its crowd workers and dialog ids."""
    return [
        {
            "fold": f.index,
            "dialogs": f.setup.n_redial,
            "samples": f.corpus.n_samples,
            "turns": len(f.corpus.captures),
            "workers": f.setup.workers,
            "dialog_ids": f.setup.redial_ids,
        }
        for f in folds
    ]
