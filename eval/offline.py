"""Offline evaluation on REDIAL and INSPIRED (DESIGN §4), through the same pipeline a chat uses.

Protocol, per dialog, utterance by utterance (:func:`eval.evaluator.evaluate_dialog`):

- a seeker utterance is a *user* turn of :meth:`agent.runner.TurnRunner.run_turn` (the full LangGraph pipeline:
  parse, plan, execute, ground, respond, reflect); its ranking (50 catalog ids) is the prediction for the
  recommender utterance that follows. Afterwards ``shown`` / ``shown_ever`` (and the agent's own reply in
  the history) are removed from the state: in a logged dialog the agent's reply was never shown;
- a recommender utterance is fed with ``role="assistant"``: the agent only observes it (titles it names
  become ``prefs.mentioned_by_agent``);
- every recommender utterance with at least one gold movie and a non-empty context gives one sample per
  distinct gold movie (:func:`eval.datasets.iter_samples`), flagged ``gold_in_context`` for the dedup
  variant;
- with ``--protocol standardized`` (REDIAL) the same rankings also score the instances of Kostric & Balog's
  standardized protocol (:mod:`eval.standardized`, ``instances.jsonl``), so one run yields both protocols.

Gold movies are mapped to catalog ids by the REDIAL movie id (``Item.redial_id``) first, else by the
grounding module (``Grounder.ground("Title (Year)")``); an unmapped gold stays in the sample set and counts
as a miss. The ranking universe is the dataset's movie universe (:func:`dataset_universe`); baselines
(``popularity``, ``repeat_context``, ``cf_only``) are ranked over the same universe on the same samples.

:func:`run_eval` drives a whole split: optional worker processes (each its own :class:`TurnRunner`), a
progress bar, per-dialog resumable output (``samples.jsonl`` + ``dialogs.jsonl``), then ``summary.json``
(DESIGN §3), ``details.json``, ``report.md`` and PNG plots (:mod:`eval.report`). Confidence intervals resample
dialogues (:func:`eval.metrics.dialog_bootstrap_ci`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agent.runner import TurnRunner
from eval.datasets import Dialog
from eval.evaluator import BASELINES, DEPTH, DialogEvaluator, DialogResult
from eval.gold import DATASETS, EvalError, GoldMapper, dataset_universe, load_split, split_path
from eval.metrics import METRIC_KEYS, RankingMetrics, dialog_bootstrap_ci
from eval.standardized import summarize_standardized
from tools.settings import Settings
from tools.stats import p50_p95

log = logging.getLogger(__name__)

SAMPLES_FILE = "samples.jsonl"
#: the standardized protocol's instances (``--protocol standardized`` only)
INSTANCES_FILE = "instances.jsonl"
#: ``--protocol`` values: ``classic`` (DESIGN §4) and ``standardized`` (classic plus Kostric & Balog's)
PROTOCOLS: tuple[str, ...] = ("classic", "standardized")
DIALOGS_FILE = "dialogs.jsonl"
RUN_FILE = "run.json"
#: one line per ``run_eval`` call on this output folder: wall time and dialogs evaluated (resumes add lines)
INVOCATIONS_FILE = "invocations.jsonl"

__all__ = ["EvalOptions", "run_eval", "summarize"]

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
    protocol: str = "classic"

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
        if self.protocol not in PROTOCOLS:
            raise EvalError(f"unknown --protocol {self.protocol!r} (choose from: {', '.join(PROTOCOLS)})")
        if self.protocol == "standardized" and self.dataset != "redial":
            raise EvalError("--protocol standardized is defined on REDIAL only")


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
    instances_file = out / INSTANCES_FILE
    previous: dict[str, Any] | None = None
    if run_file.exists() and not fresh:
        try:
            previous = json.loads(run_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = None
        if previous is not None and previous != fingerprint:
            changed = sorted(
                k for k in set(previous) | set(fingerprint) if previous.get(k) != fingerprint.get(k)
            )
            raise EvalError(
                f"{out} holds a different evaluation run (differs in: {', '.join(changed)}); "
                "use another --out or --fresh"
            )
    if previous is None:
        for path in (samples_file, dialogs_file, instances_file, out / INVOCATIONS_FILE):
            path.unlink(missing_ok=True)
        run_file.write_text(json.dumps(fingerprint, indent=2), encoding="utf-8")
        return set()
    done = {str(r["dialog_id"]) for r in _read_jsonl(dialogs_file) if "dialog_id" in r}
    # drop samples of dialogs that were interrupted before their dialog record was written
    for path in (samples_file, instances_file):
        kept = [r for r in _read_jsonl(path) if str(r.get("dialog_id")) in done]
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            for rec in kept:
                fh.write(json.dumps(rec) + "\n")
        os.replace(tmp, path)
    return done


def _progress(total: int, initial: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        initial=initial,
        unit="dialog",
        desc="eval",
        disable=not enabled or None,
        dynamic_ncols=True,
        leave=True,
    )


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

        grounder = toolkit.grounder
    catalog = toolkit.catalog
    mapper = GoldMapper(catalog, grounder)
    universe = dataset_universe(opts.dataset, catalog, mapper, opts.data_dir, dialogs)
    gold_ids = mapper.map_all(dialogs)
    from agent.context import load_fusion_weights

    weights = runner.context.weights if runner is not None else load_fusion_weights(settings, profile)
    fingerprint = {
        "dataset": opts.dataset,
        "split": opts.split,
        "data_sha256": _file_sha(split_path(opts.dataset, opts.data_dir, opts.split)),
        "llm": opts.llm,
        "weights_profile": profile,
        "weights": weights.model_dump(),
        "universe_size": len(universe),
        "whole_catalog": opts.whole_catalog,
        "n_catalog_items": len(catalog),
        "protocol": opts.protocol,
    }
    done = _prepare_out(Path(opts.out), fingerprint, opts.fresh)
    todo = [d for d in dialogs if d.dialog_id not in done]
    wanted = {d.dialog_id for d in dialogs}
    log.info(
        "%s/%s: %d dialogs (%d already done), universe %d",
        opts.dataset,
        opts.split,
        len(dialogs),
        len(dialogs) - len(todo),
        len(universe),
    )
    kwargs: dict[str, Any] = {
        "settings": settings,
        "dataset": opts.dataset,
        "universe": universe,
        "gold_ids": gold_ids,
        "weights_profile": profile,
        "whole_catalog": opts.whole_catalog,
        "standardized": opts.protocol == "standardized",
    }
    out = Path(opts.out)
    bar = _progress(len(dialogs), len(dialogs) - len(todo), opts.progress)
    with (
        open(out / SAMPLES_FILE, "a", encoding="utf-8") as sfh,
        open(out / DIALOGS_FILE, "a", encoding="utf-8") as dfh,
        open(out / INSTANCES_FILE, "a", encoding="utf-8") as ifh,
    ):

        def write(res: DialogResult) -> None:
            for rec in res.samples:
                sfh.write(json.dumps(rec) + "\n")
            sfh.flush()
            for rec in res.instances:
                ifh.write(json.dumps(rec) + "\n")
            ifh.flush()
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
                with ProcessPoolExecutor(
                    n,
                    mp_context=mp.get_context("spawn"),
                    initializer=_worker_init,
                    initargs=(kwargs, threads),
                ) as pool:
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
    instances = None
    if opts.protocol == "standardized":
        instances = [r for r in _read_jsonl(out / INSTANCES_FILE) if str(r.get("dialog_id")) in wanted]
    summary, details = summarize(
        samples,
        dialog_recs,
        dataset=opts.dataset,
        split=opts.split,
        catalog_size=len(universe),
        llm=opts.llm,
        instances=instances,
    )
    wall = round(time.perf_counter() - t_start, 1)
    invocation = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() - wall)),
        "wall_seconds": wall,
        "dialogs_evaluated": len(todo),
        "workers": opts.workers,
    }
    with open(out / INVOCATIONS_FILE, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(invocation) + "\n")
    invocations = list(_read_jsonl(out / INVOCATIONS_FILE))
    details["run"] = {
        "wall_seconds_this_invocation": wall,
        "wall_seconds_total": round(sum(float(i.get("wall_seconds", 0.0)) for i in invocations), 1),
        "invocations": invocations,
        "dialog_seconds_sum": round(sum(float(r.get("seconds", 0.0)) for r in dialog_recs), 1),
        "whole_catalog_seconds_sum": round(
            sum(float(r.get("whole_catalog_seconds", 0.0)) for r in dialog_recs), 1
        ),
        "workers": opts.workers,
        "resumed_dialogs": len(dialogs) - len(todo),
        "limit": opts.limit,
        "whole_catalog_catalog_size": len(catalog),
        "weights_profile": profile,
        "weights": weights.model_dump(),
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


def summarize(
    samples: Sequence[dict[str, Any]],
    dialogs: Sequence[dict[str, Any]],
    *,
    dataset: str,
    split: str,
    catalog_size: int,
    llm: str,
    instances: Sequence[dict[str, Any]] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(``summary.json`` with the exact DESIGN §3 schema, ``details.json`` with CIs, curves, counts).

    ``instances`` (the standardized protocol's records) given: ``protocol`` is ``"standardized"`` and the
    summary gains a ``standardized`` block (:func:`eval.standardized.summarize_standardized`) beside the
    classic numbers. Every interval resamples dialogues.
    """
    dedup = [s for s in samples if not s.get("gold_in_context")]
    n = len(samples)

    def block(subset: Sequence[dict[str, Any]], system: str) -> tuple[dict[str, float], dict[str, Any]]:
        ranks = [s["ranks"].get(system) for s in subset]
        means, per = _metrics_from_ranks(ranks)
        groups = [str(s.get("dialog_id")) for s in subset]
        ci = {
            k: [round(x, 4) for x in dialog_bootstrap_ci(per[k], groups)]
            for k in ("recall@1", "recall@10", "recall@50", "ndcg@10", "mrr@50")
        }
        return means, {"ci95": ci, "recall_curve": _recall_curve(ranks), "n": len(subset)}

    full, full_d = block(samples, "agent")
    ded, ded_d = block(dedup, "agent")
    baselines: dict[str, dict[str, float]] = {}
    details: dict[str, Any] = {"agent": {"full": full_d, "dedup": ded_d}, "baselines": {}}
    for name in BASELINES:
        b_full, b_full_d = block(samples, name)
        b_ded, b_ded_d = block(dedup, name)
        baselines[name] = b_full
        details["baselines"][name] = {
            "full": dict(b_full_d, metrics=b_full),
            "dedup": dict(b_ded_d, metrics=b_ded),
        }
    if samples and all("agent_whole" in s["ranks"] for s in samples):
        w_full, w_full_d = block(samples, "agent_whole")
        w_ded, w_ded_d = block(dedup, "agent_whole")
        details["whole_catalog"] = {
            "full": dict(w_full_d, metrics=w_full),
            "dedup": dict(w_ded_d, metrics=w_ded),
        }
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
        "protocol": "standardized" if instances is not None else "classic",
        "n_dialogs": len(dialogs),
        "n_samples": n,
        "catalog_size": catalog_size,
        "unmapped_gold_rate": round(unmapped / n, 4) if n else 0.0,
        "full": full,
        "dedup": ded,
        "baselines": baselines,
        "ungrounded_rate": round(ungrounded / shown, 4) if shown else 0.0,
        "latency_ms": p50_p95(latencies, 1),
        "llm": llm,
    }
    if instances is not None:
        summary["standardized"], details["standardized"] = summarize_standardized(
            instances, ("agent", *BASELINES)
        )
    details["counts"] = {
        "n_samples": n,
        "n_samples_dedup": len(dedup),
        "unmapped_golds": unmapped,
        "mapped_golds_outside_universe": outside,
        "user_turns": sum(int(d.get("user_turns", 0)) for d in dialogs),
        "predicted_turns": len(latencies),
        "shown_items": shown,
        "ungrounded_items": ungrounded,
        "short_rankings": sum(int(d.get("short_rankings", 0)) for d in dialogs),
        "llm_calls": sum(int(d.get("llm_calls", 0)) for d in dialogs),
        "fallbacks": sum(int(d.get("fallbacks", 0)) for d in dialogs),
    }
    details["latency_ms"] = {
        "p50": summary["latency_ms"]["p50"],
        "p95": summary["latency_ms"]["p95"],
        "mean": round(float(np.mean(latencies)), 1) if latencies else 0.0,
    }
    return summary, details
