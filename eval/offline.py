"""Offline evaluation on REDIAL and INSPIRED (DESIGN §4), through the same pipeline a chat uses.

Protocol, per dialog, utterance by utterance (:func:`evaluate_dialog`):

- a seeker utterance is a *user* turn of :meth:`agent.runner.TurnRunner.run_turn` (the full LangGraph pipeline:
  parse, plan, execute, ground, respond, reflect); its ranking (50 catalog ids) is the prediction for the
  recommender utterance that follows. Afterwards ``shown`` / ``shown_ever`` (and the agent's own reply in
  the history) are removed from the state: in a logged dialog the agent's reply was never shown;
- a recommender utterance is fed with ``role="assistant"``: the agent only observes it (titles it names
  become ``prefs.mentioned_by_agent``);
- every recommender utterance with at least one gold movie and a non-empty context gives one sample per
  distinct gold movie (:func:`eval.datasets.iter_samples`), flagged ``gold_in_context`` for the dedup
  variant.

Gold movies are mapped to catalog ids by the REDIAL movie id (``Item.redial_id``) first, else by the
grounding module (``Grounder.ground("Title (Year)")``); an unmapped gold stays in the sample set and counts
as a miss. The ranking universe is the dataset's movie universe (:func:`dataset_universe`); baselines
(``popularity``, ``repeat_context``, ``cf_only``) are ranked over the same universe on the same samples.

:func:`run_eval` drives a whole split: optional worker processes (each its own :class:`TurnRunner`), a
progress bar, per-dialog resumable output (``samples.jsonl`` + ``dialogs.jsonl``), then ``summary.json``
(DESIGN §3), ``details.json``, ``report.md`` and PNG plots (:mod:`eval.report`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing as mp
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from agent.runner import TurnRunner
from eval.datasets import (
    Dialog,
    MovieRef,
    Sample,
    iter_samples,
    load_inspired_tsv,
    load_inspired_unicrs,
    load_redial,
)
from eval.metrics import METRIC_KEYS, RankingMetrics, bootstrap_ci

if TYPE_CHECKING:
    from agent.state import AgentState
    from tools.catalog import Catalog
    from tools.grounding import Grounder
    from tools.settings import Settings

log = logging.getLogger(__name__)

__all__ = [
    "BASELINES",
    "DATASETS",
    "DialogEvaluator",
    "EvalOptions",
    "GoldMapper",
    "dataset_universe",
    "evaluate_dialog",
    "load_split",
    "run_eval",
    "split_path",
    "summarize",
]

DATASETS: tuple[str, ...] = ("redial", "inspired")
BASELINES: tuple[str, ...] = ("popularity", "repeat_context", "cf_only")
#: Ranking depth of every system (the metrics look at the top 50).
DEPTH = 50
#: INSPIRED's processed train split, relative to the INSPIRED data dir (part of the movie universe).
INSPIRED_TRAIN = Path("unicrs") / "train_data_dbpedia.jsonl"
SAMPLES_FILE = "samples.jsonl"
DIALOGS_FILE = "dialogs.jsonl"
RUN_FILE = "run.json"
#: one line per ``run_eval`` call on this output folder: wall time and dialogs evaluated (resumes add lines)
INVOCATIONS_FILE = "invocations.jsonl"


class EvalError(ValueError):
    """Bad input for an evaluation (unknown dataset or split, missing data, a different run in --out)."""


# ------------------------------------------------------------------------------------------------ data


def split_path(dataset: str, data_dir: Path, split: str) -> Path:
    """The file of ``split``: ``<split>_data.jsonl`` (REDIAL) or ``<split>.tsv`` (INSPIRED) in ``data_dir``.

    Raises:
        EvalError: unknown dataset, missing data dir, or no such split (the message lists the splits there).
    """
    if dataset not in DATASETS:
        raise EvalError(f"unknown dataset {dataset!r} (choose from: {', '.join(DATASETS)})")
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise EvalError(f"data dir {data_dir} not found")
    suffix = "_data.jsonl" if dataset == "redial" else ".tsv"
    path = data_dir / f"{split}{suffix}"
    if not split or "/" in split or not path.is_file():
        found = sorted(p.name[: -len(suffix)] for p in data_dir.glob(f"*{suffix}"))
        raise EvalError(
            f"unknown split {split!r}: no {split}{suffix} in {data_dir} "
            f"(available: {', '.join(found) if found else 'none'})"
        )
    return path


def load_split(dataset: str, data_dir: Path, split: str) -> list[Dialog]:
    """Load the dialogs of one split (see :func:`split_path` for the file naming)."""
    path = split_path(dataset, data_dir, split)
    return load_redial(path) if dataset == "redial" else load_inspired_tsv(path)


class GoldMapper:
    """Maps dataset movies to catalog ids: REDIAL movie id first, then title grounding (memoised)."""

    def __init__(self, catalog: Catalog, grounder: Grounder) -> None:
        self.grounder = grounder
        self.by_redial: dict[int, int] = {}
        for item in sorted(catalog.items.values(), key=lambda it: it.id):
            if item.redial_id is not None:
                self.by_redial.setdefault(int(item.redial_id), item.id)
        self._memo: dict[tuple[str, str, int | None], int | None] = {}

    def map(self, ref: MovieRef) -> int | None:
        """The catalog id of ``ref``, or None when neither its source id nor its title resolves."""
        key = (ref.source_id or "", ref.title, ref.year)
        if key in self._memo:
            return self._memo[key]
        item_id: int | None = None
        if ref.source_id is not None and ref.source_id.isdigit():
            item_id = self.by_redial.get(int(ref.source_id))
        if item_id is None:
            match = self.grounder.ground(ref.label)
            item_id = match.item_id if match is not None else None
        self._memo[key] = item_id
        return item_id

    def map_all(self, dialogs: Iterable[Dialog]) -> dict[tuple[str, str, int | None], int | None]:
        """Map every movie of ``dialogs``; returns the memo (picklable, for worker processes)."""
        for dialog in dialogs:
            for utterance in dialog.utterances:
                for ref in utterance.movies:
                    self.map(ref)
        return dict(self._memo)


def _ref_key(ref: MovieRef) -> tuple[str, str, int | None]:
    return (ref.source_id or "", ref.title, ref.year)


def dataset_universe(
    dataset: str, catalog: Catalog, mapper: GoldMapper, data_dir: Path, dialogs: Sequence[Dialog]
) -> list[int]:
    """The ranking universe of DESIGN §4, sorted.

    REDIAL: every catalog item with a REDIAL movie id (the REDIAL movie list). INSPIRED: the catalog items
    that the INSPIRED dialogs mention, train (``unicrs/train_data_dbpedia.jsonl`` under ``data_dir``, when
    present) plus the evaluated split.
    """
    if dataset == "redial":
        return sorted(i for i, it in catalog.items.items() if it.redial_id is not None)
    pool: list[Dialog] = list(dialogs)
    train = Path(data_dir) / INSPIRED_TRAIN
    if train.is_file():
        pool += load_inspired_unicrs(train)
    else:
        log.warning("%s not found: the INSPIRED universe holds the evaluated split's movies only", train)
    ids = {mapper.map(ref) for d in pool for u in d.utterances for ref in u.movies}
    return sorted(i for i in ids if i is not None)


# ------------------------------------------------------------------------------------------ evaluation


@dataclass
class DialogResult:
    """What evaluating one dialog produced (one ``dialogs.jsonl`` line plus its samples)."""

    dialog_id: str
    samples: list[dict[str, Any]] = field(default_factory=list)
    user_turns: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    shown: int = 0
    ungrounded: int = 0
    short_rankings: int = 0
    llm_calls: int = 0
    fallbacks: int = 0
    seconds: float = 0.0
    whole_catalog_seconds: float = 0.0  #: the part of ``seconds`` spent on the whole-catalog re-rankings

    def record(self) -> dict[str, Any]:
        """The ``dialogs.jsonl`` record (everything but the samples)."""
        out = asdict(self)
        out.pop("samples")
        out["n_samples"] = len(self.samples)
        return out


def _rank_of(ranking: Sequence[int], gold: int | None) -> int | None:
    """1-based position of ``gold`` in the top :data:`DEPTH` of ``ranking`` (None when absent or unmapped)."""
    if gold is None:
        return None
    for pos, item in enumerate(ranking[:DEPTH], 1):
        if item == gold:
            return pos
    return None


class DialogEvaluator:
    """One process's evaluator: its own :class:`TurnRunner` (no persistence), the universe and the baselines."""

    def __init__(
        self,
        settings: Settings,
        dataset: str,
        universe: Sequence[int],
        gold_ids: dict[tuple[str, str, int | None], int | None],
        *,
        weights_profile: str = "default",
        whole_catalog: bool = False,
        runner: TurnRunner | None = None,
    ) -> None:

        self.dataset = dataset
        self.runner = runner or TurnRunner(settings, weights=weights_profile)
        self.universe = list(universe)
        self.universe_set = frozenset(self.universe)
        self.gold_ids = dict(gold_ids)
        self.whole_catalog = whole_catalog
        ctx = self.runner.context
        pop = ctx.popularity
        self.popularity_ranking = sorted(self.universe, key=lambda i: (-pop.get(i, 0.0), i))[:DEPTH]

    @property
    def catalog(self) -> Catalog:
        """The runner's catalog."""
        return self.runner.toolkit.catalog

    def gold_id(self, ref: MovieRef) -> int | None:
        """The catalog id of a dataset movie (from the precomputed mapping; grounded on a miss)."""
        key = _ref_key(ref)
        if key not in self.gold_ids:
            match = self.runner.context.grounder.ground(ref.label)
            self.gold_ids[key] = match.item_id if match is not None else None
        return self.gold_ids[key]

    # ---------------------------------------------------------------------------- baselines
    def repeat_context(self, context_ids: Sequence[int]) -> list[int]:
        """The context's mentioned items, most recent first (then nothing)."""
        out: list[int] = []
        for item in reversed(context_ids):
            if item in self.universe_set and item not in out:
                out.append(item)
        return out[:DEPTH]

    def cf_only(self, context_ids: Sequence[int]) -> list[int]:
        """The agent's collaborative recommenders (with its weights) seeded with every context-mentioned item."""
        from agent.tools import cf_shares

        seeds = list(dict.fromkeys(context_ids))
        if not seeds:
            return []
        totals: dict[int, float] = defaultdict(float)
        for name, share in cf_shares(self.runner.context).items():
            rec = self.runner.context.recommenders.get(name)
            if rec is None or share <= 0:
                continue
            found = rec.recommend(seeds, k=4 * DEPTH, candidates=self.universe_set)
            top = max((s for _, s in found), default=0.0) or 1.0
            for item, score in found:
                totals[item] += share * score / top
        return [i for i, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:DEPTH]]

    # ---------------------------------------------------------------------------- the protocol
    def evaluate(self, dialog: Dialog) -> DialogResult:
        """Run the protocol of the module docstring over one dialog."""
        return evaluate_dialog(self, dialog)


def _clean_after_user_turn(state: AgentState) -> AgentState:
    """The state as a logged dialog continues: the agent's reply (shown items, its text) never happened."""
    history = list(state.get("history", []))
    if history and history[-1].get("role") == "assistant":
        history.pop()
    cleaned: AgentState = {**state}
    cleaned.update({"shown": [], "shown_ever": [], "history": history})
    return cleaned


#: ``hook(turn_state, samples)``: called for every predicting user turn with the state that turn produced
#: and the sample records it predicts (used by eval/tune.py to re-rank the same turns cheaply).
TurnHook = Callable[["AgentState", list[dict[str, Any]]], None]


def evaluate_dialog(ev: DialogEvaluator, dialog: Dialog, hook: TurnHook | None = None) -> DialogResult:
    """Feed ``dialog`` utterance by utterance through ``ev.runner`` and score every sample."""
    t0 = time.perf_counter()
    runner = ev.runner
    by_turn: dict[int, list[Sample]] = defaultdict(list)
    for sample in iter_samples([dialog]):
        by_turn[sample.turn_index].append(sample)
    result = DialogResult(dialog_id=dialog.dialog_id)
    state: AgentState | None = None
    ranking: list[int] = []
    whole: list[int] | None = None
    latency = 0.0
    turn_state: AgentState | None = None
    context_ids: list[int] = []
    for index, utterance in enumerate(dialog.utterances):
        if utterance.role == "seeker":
            before = state
            state, turn = runner.run_turn(state, utterance.text, role="user", universe=ev.universe)
            turn_state = state
            state = _clean_after_user_turn(state)
            ranking, latency = list(turn.ranking), turn.latency_ms
            result.user_turns += 1
            result.llm_calls += turn.llm_calls
            result.fallbacks += turn.fallbacks
            shown_ids = [it.get("id") for it in turn.items]
            result.shown += len(shown_ids)
            result.ungrounded += sum(1 for i in shown_ids if not isinstance(i, int) or i not in ev.catalog)
            whole = None
            if ev.whole_catalog and by_turn.get(index + 1):
                t_whole = time.perf_counter()
                _, turn_whole = runner.run_turn(before, utterance.text, role="user", universe=None)
                whole = list(turn_whole.ranking)
                result.whole_catalog_seconds += time.perf_counter() - t_whole
        else:
            samples = by_turn.get(index)
            if samples:
                prev_is_seeker = index > 0 and dialog.utterances[index - 1].role == "seeker"
                predicted = ranking if prev_is_seeker else []
                if prev_is_seeker:
                    result.latencies_ms.append(round(latency, 2))
                    result.short_rankings += int(len(predicted) < DEPTH)
                systems: dict[str, list[int]] = {
                    "agent": predicted,
                    "popularity": ev.popularity_ranking,
                    "repeat_context": ev.repeat_context(context_ids),
                    "cf_only": ev.cf_only(context_ids),
                }
                if whole is not None:
                    systems["agent_whole"] = whole if prev_is_seeker else []
                first = len(result.samples)
                for sample in samples:
                    gold = ev.gold_id(sample.gold)
                    result.samples.append(
                        {
                            "dialog_id": dialog.dialog_id,
                            "turn_index": sample.turn_index,
                            "gold": {"title": sample.gold.title, "year": sample.gold.year,
                                     "source_id": sample.gold.source_id},
                            "gold_id": gold,
                            "in_universe": gold is not None and gold in ev.universe_set,
                            "gold_in_context": sample.gold_in_context,
                            "ranks": {name: _rank_of(ranked, gold) for name, ranked in systems.items()},
                            "latency_ms": round(latency, 2),
                            "top10": predicted[:10],
                        }
                    )
                if hook is not None and prev_is_seeker and turn_state is not None:
                    hook(turn_state, result.samples[first:])
            state, _ = runner.run_turn(state, utterance.text, role="assistant")
        for ref in utterance.movies:
            item = ev.gold_id(ref)
            if item is not None:
                context_ids.append(item)
    result.seconds = round(time.perf_counter() - t0, 3)
    result.whole_catalog_seconds = round(result.whole_catalog_seconds, 3)
    return result


# ------------------------------------------------------------------------------------ worker processes

_WORKER: DialogEvaluator | None = None


def _worker_init(kwargs: dict[str, Any], threads: int) -> None:
    """Build this worker's evaluator (its own TurnRunner) once."""
    global _WORKER
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        import torch

        torch.set_num_threads(max(1, threads))
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=max(1, threads))  # small mat-vecs: extra BLAS threads only contend
    _WORKER = DialogEvaluator(**kwargs)
    _WORKER.runner.warm()


def _worker_run(dialog: Dialog) -> DialogResult:
    assert _WORKER is not None, "worker not initialised"
    return _WORKER.evaluate(dialog)


# ---------------------------------------------------------------------------------------------- driver


@dataclass
class EvalOptions:
    """Options of one ``crsagent eval`` run."""

    dataset: str
    data_dir: Path
    split: str = "test"
    out: Path = Path("eval_out")
    limit: int | None = None
    llm: str = "offline"
    workers: int = 1
    whole_catalog: bool = True
    fresh: bool = False
    weights_profile: str | None = None
    progress: bool = True

    def check(self) -> None:
        """Validate the options; raises :class:`EvalError` with a one-line reason."""
        if self.dataset not in DATASETS:
            raise EvalError(f"unknown dataset {self.dataset!r} (choose from: {', '.join(DATASETS)})")
        if self.llm not in ("offline", "openai"):
            raise EvalError(f"unknown --llm {self.llm!r} (offline or openai)")
        if self.limit is not None and self.limit < 1:
            raise EvalError(f"--limit must be >= 1, got {self.limit}")
        if self.workers < 1:
            raise EvalError(f"--workers must be >= 1, got {self.workers}")


def _file_sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Records of a JSONL file; a torn last line (an interrupted write) is skipped."""
    if not path.exists():
        return
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                log.warning("skipping a torn line in %s", path)
                continue
            if isinstance(rec, dict):
                yield rec


def _prepare_out(out: Path, fingerprint: dict[str, Any], fresh: bool) -> set[str]:
    """Create ``out``; keep the finished dialogs of a previous identical run (returned), else start anew."""
    out.mkdir(parents=True, exist_ok=True)
    run_file, samples_file, dialogs_file = out / RUN_FILE, out / SAMPLES_FILE, out / DIALOGS_FILE
    previous: dict[str, Any] | None = None
    if run_file.exists() and not fresh:
        try:
            previous = json.loads(run_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = None
        if previous is not None and previous != fingerprint:
            changed = sorted(k for k in set(previous) | set(fingerprint) if previous.get(k) != fingerprint.get(k))
            raise EvalError(
                f"{out} holds a different evaluation run (differs in: {', '.join(changed)}); "
                "use another --out or --fresh"
            )
    if previous is None:
        for path in (samples_file, dialogs_file, out / INVOCATIONS_FILE):
            path.unlink(missing_ok=True)
        run_file.write_text(json.dumps(fingerprint, indent=2), encoding="utf-8")
        return set()
    done = {str(r["dialog_id"]) for r in _read_jsonl(dialogs_file) if "dialog_id" in r}
    # drop samples of dialogs that were interrupted before their dialog record was written
    kept = [r for r in _read_jsonl(samples_file) if str(r.get("dialog_id")) in done]
    tmp = samples_file.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for rec in kept:
            fh.write(json.dumps(rec) + "\n")
    os.replace(tmp, samples_file)
    return done


def _progress(total: int, initial: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="dialog", desc="eval", disable=not enabled or None,
                dynamic_ncols=True, leave=True)


def run_eval(
    opts: EvalOptions,
    settings: Settings | None = None,
    *,
    runner: TurnRunner | None = None,
    on_dialog: Callable[[DialogResult], None] | None = None,
) -> dict[str, Any]:
    """Evaluate one split end to end and write every output file into ``opts.out``; returns the summary.

    ``settings`` defaults to :func:`tools.settings.load_settings` (with ``llm=opts.llm``); ``runner``
    lets a caller (tests) reuse a warm single-process runner. Finished dialogs of an identical earlier
    run in ``opts.out`` are skipped (resume); ``opts.fresh`` starts over.
    """
    from tools.settings import load_settings
    from tools.toolkit import Toolkit

    opts.check()
    t_start = time.perf_counter()
    dialogs = load_split(opts.dataset, opts.data_dir, opts.split)
    if opts.limit is not None:
        dialogs = dialogs[: opts.limit]
    settings = settings if settings is not None else load_settings()
    settings = settings.model_copy(update={"llm": opts.llm})
    profile = opts.weights_profile or opts.dataset
    if runner is not None:
        toolkit = runner.toolkit
        grounder = runner.context.grounder
    else:
        toolkit = Toolkit(settings)
        from agent.context import AgentContext

        grounder = AgentContext(toolkit=toolkit).grounder
    catalog = toolkit.catalog
    mapper = GoldMapper(catalog, grounder)
    universe = dataset_universe(opts.dataset, catalog, mapper, opts.data_dir, dialogs)
    gold_ids = mapper.map_all(dialogs)
    from agent.context import load_fusion_weights

    weights = (runner.context.weights if runner is not None else load_fusion_weights(settings, profile))
    fingerprint = {
        "dataset": opts.dataset, "split": opts.split, "data_sha256": _file_sha(split_path(opts.dataset, opts.data_dir, opts.split)),
        "llm": opts.llm, "weights_profile": profile, "weights": weights.model_dump(),
        "universe_size": len(universe), "whole_catalog": opts.whole_catalog, "n_catalog_items": len(catalog),
    }
    done = _prepare_out(Path(opts.out), fingerprint, opts.fresh)
    todo = [d for d in dialogs if d.dialog_id not in done]
    wanted = {d.dialog_id for d in dialogs}
    log.info("%s/%s: %d dialogs (%d already done), universe %d", opts.dataset, opts.split, len(dialogs),
             len(dialogs) - len(todo), len(universe))
    kwargs: dict[str, Any] = {
        "settings": settings, "dataset": opts.dataset, "universe": universe, "gold_ids": gold_ids,
        "weights_profile": profile, "whole_catalog": opts.whole_catalog,
    }
    out = Path(opts.out)
    bar = _progress(len(dialogs), len(dialogs) - len(todo), opts.progress)
    with open(out / SAMPLES_FILE, "a", encoding="utf-8") as sfh, open(out / DIALOGS_FILE, "a", encoding="utf-8") as dfh:

        def write(res: DialogResult) -> None:
            for rec in res.samples:
                sfh.write(json.dumps(rec) + "\n")
            sfh.flush()
            dfh.write(json.dumps(res.record()) + "\n")
            dfh.flush()
            bar.update(1)
            if on_dialog is not None:
                on_dialog(res)

        try:
            if opts.workers <= 1 or len(todo) <= 1:
                from threadpoolctl import threadpool_limits

                evaluator = DialogEvaluator(**kwargs, runner=runner)
                evaluator.runner.warm()
                with threadpool_limits(limits=1):  # one turn's mat-vecs are small: BLAS threads only contend
                    for dialog in todo:
                        write(evaluator.evaluate(dialog))
            else:
                n = min(opts.workers, len(todo))
                threads = 1
                # a failing worker start raises BrokenProcessPool here instead of respawning forever
                with ProcessPoolExecutor(n, mp_context=mp.get_context("spawn"), initializer=_worker_init,
                                         initargs=(kwargs, threads)) as pool:
                    futures = [pool.submit(_worker_run, dialog) for dialog in todo]
                    try:
                        for future in as_completed(futures):
                            write(future.result())
                    except BaseException:
                        for future in futures:
                            future.cancel()
                        raise
        finally:
            bar.close()
    samples = [r for r in _read_jsonl(out / SAMPLES_FILE) if str(r.get("dialog_id")) in wanted]
    dialog_recs = [r for r in _read_jsonl(out / DIALOGS_FILE) if str(r.get("dialog_id")) in wanted]
    summary, details = summarize(
        samples, dialog_recs, dataset=opts.dataset, split=opts.split, catalog_size=len(universe), llm=opts.llm,
    )
    wall = round(time.perf_counter() - t_start, 1)
    invocation = {"started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() - wall)),
                  "wall_seconds": wall, "dialogs_evaluated": len(todo), "workers": opts.workers}
    with open(out / INVOCATIONS_FILE, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(invocation) + "\n")
    invocations = list(_read_jsonl(out / INVOCATIONS_FILE))
    details["run"] = {
        "wall_seconds_this_invocation": wall,
        "wall_seconds_total": round(sum(float(i.get("wall_seconds", 0.0)) for i in invocations), 1),
        "invocations": invocations,
        "dialog_seconds_sum": round(sum(float(r.get("seconds", 0.0)) for r in dialog_recs), 1),
        "whole_catalog_seconds_sum": round(sum(float(r.get("whole_catalog_seconds", 0.0)) for r in dialog_recs), 1),
        "workers": opts.workers, "resumed_dialogs": len(dialogs) - len(todo), "limit": opts.limit,
        "whole_catalog_catalog_size": len(catalog), "weights_profile": profile, "weights": weights.model_dump(),
    }
    from eval.report import write_outputs

    write_outputs(out, summary, details)
    return summary


# --------------------------------------------------------------------------------------------- summary


def _metrics_from_ranks(ranks: Sequence[int | None]) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Mean metrics and per-sample values from 1-based gold ranks (None = not in the top 50 / unmapped)."""
    acc = RankingMetrics()
    per: dict[str, list[float]] = {k: [] for k in METRIC_KEYS}
    for rank in ranks:
        ranked = [-1] * (rank - 1) + [0] if rank is not None else []
        values = acc.add(ranked, 0)
        for key in METRIC_KEYS:
            per[key].append(values[key])
    return {k: round(v, 4) for k, v in acc.as_dict().items()}, per


def _recall_curve(ranks: Sequence[int | None], depth: int = DEPTH) -> list[float]:
    """Recall@k for k = 1..depth."""
    if not ranks:
        return [0.0] * depth
    arr = np.array([r if r is not None else depth + 1 for r in ranks])
    return [round(float((arr <= k).mean()), 4) for k in range(1, depth + 1)]


def _percentile(values: Sequence[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values, dtype=float), q)), 1) if values else 0.0


def summarize(
    samples: Sequence[dict[str, Any]],
    dialogs: Sequence[dict[str, Any]],
    *,
    dataset: str,
    split: str,
    catalog_size: int,
    llm: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(``summary.json`` with the exact DESIGN §3 schema, ``details.json`` with CIs, curves, counts)."""
    dedup = [s for s in samples if not s.get("gold_in_context")]
    n = len(samples)

    def block(subset: Sequence[dict[str, Any]], system: str) -> tuple[dict[str, float], dict[str, Any]]:
        ranks = [s["ranks"].get(system) for s in subset]
        means, per = _metrics_from_ranks(ranks)
        ci = {k: [round(x, 4) for x in bootstrap_ci(per[k])] for k in ("recall@1", "recall@10", "recall@50", "ndcg@10", "mrr@50")}
        return means, {"ci95": ci, "recall_curve": _recall_curve(ranks), "n": len(subset)}

    full, full_d = block(samples, "agent")
    ded, ded_d = block(dedup, "agent")
    baselines: dict[str, dict[str, float]] = {}
    details: dict[str, Any] = {"agent": {"full": full_d, "dedup": ded_d}, "baselines": {}}
    for name in BASELINES:
        b_full, b_full_d = block(samples, name)
        b_ded, b_ded_d = block(dedup, name)
        baselines[name] = b_full
        details["baselines"][name] = {"full": dict(b_full_d, metrics=b_full), "dedup": dict(b_ded_d, metrics=b_ded)}
    if samples and all("agent_whole" in s["ranks"] for s in samples):
        w_full, w_full_d = block(samples, "agent_whole")
        w_ded, w_ded_d = block(dedup, "agent_whole")
        details["whole_catalog"] = {"full": dict(w_full_d, metrics=w_full), "dedup": dict(w_ded_d, metrics=w_ded)}
    details["agent"]["dedup"]["metrics"] = ded
    details["agent"]["full"]["metrics"] = full
    unmapped = sum(1 for s in samples if s.get("gold_id") is None)
    outside = sum(1 for s in samples if s.get("gold_id") is not None and not s.get("in_universe"))
    latencies = [float(x) for d in dialogs for x in d.get("latencies_ms", [])]
    shown = sum(int(d.get("shown", 0)) for d in dialogs)
    ungrounded = sum(int(d.get("ungrounded", 0)) for d in dialogs)
    summary: dict[str, Any] = {
        "dataset": dataset,
        "split": split,
        "n_dialogs": len(dialogs),
        "n_samples": n,
        "catalog_size": catalog_size,
        "unmapped_gold_rate": round(unmapped / n, 4) if n else 0.0,
        "full": full,
        "dedup": ded,
        "baselines": baselines,
        "ungrounded_rate": round(ungrounded / shown, 4) if shown else 0.0,
        "latency_ms": {"p50": _percentile(latencies, 50), "p95": _percentile(latencies, 95)},
        "llm": llm,
    }
    details["counts"] = {
        "n_samples": n, "n_samples_dedup": len(dedup), "unmapped_golds": unmapped,
        "mapped_golds_outside_universe": outside, "user_turns": sum(int(d.get("user_turns", 0)) for d in dialogs),
        "predicted_turns": len(latencies), "shown_items": shown, "ungrounded_items": ungrounded,
        "short_rankings": sum(int(d.get("short_rankings", 0)) for d in dialogs),
        "llm_calls": sum(int(d.get("llm_calls", 0)) for d in dialogs),
        "fallbacks": sum(int(d.get("fallbacks", 0)) for d in dialogs),
    }
    details["latency_ms"] = {
        "p50": summary["latency_ms"]["p50"], "p95": summary["latency_ms"]["p95"],
        "mean": round(float(np.mean(latencies)), 1) if latencies else 0.0,
    }
    return summary, details
