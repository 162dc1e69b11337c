"""``crsagent eval nlu``: run the parsers over the understanding benchmark (and REDIAL stance), score them and
write ``metrics.json`` and ``report.md``.

The rule parser always runs; the LLM parser runs too when the settings configure an endpoint
(``CRSAGENT_LLM=openai``), as the agent uses it: the rules' reading first, the LLM's reading over it, the rules'
reading kept when the call fails (counted as a fallback).
"""

from __future__ import annotations

import json
import logging
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.state import ParsedTurn
from eval.nlu.gold import DATA_DIR, GoldError, TitleResolver, load_gold
from eval.nlu.pairs import PairBuilder
from eval.nlu.report import write_report
from eval.nlu.score import Scored, score
from eval.nlu.stance import collect, stance_errors, stance_metrics
from eval.nlu.validate import check_all
from tools.settings import Settings

log = logging.getLogger(__name__)

SPLITS: tuple[str, ...] = ("dev", "test")
#: a parser as the benchmark calls it: (message, shown item ids) -> reading
ParseFn = Callable[[str, Sequence[int]], ParsedTurn]


@dataclass
class NluOptions:
    """What ``crsagent eval nlu`` was asked."""

    split: str = "both"
    data: Path | None = None
    out: Path = Path("eval_out") / "nlu"
    redial: Path | None = None
    redial_split: str = "test"
    limit: int | None = None
    progress: Callable[[str], None] = field(default=lambda msg: None)

    def files(self) -> list[tuple[str, Path]]:
        """(split name, gold file) pairs to score. ``data`` may be a file (its stem names it) or a folder
        holding ``nlu_<split>.jsonl``; default: the packaged ``eval/data``.

        Raises:
            GoldError: an unknown split, or a file that does not exist.
        """
        if self.split not in (*SPLITS, "both"):
            raise GoldError(f"unknown split {self.split!r} (choose from: dev, test, both)")
        if self.data is not None and self.data.is_file():
            return [(self.data.stem.removeprefix("nlu_"), self.data)]
        folder = self.data if self.data is not None else DATA_DIR
        if not folder.is_dir():
            raise GoldError(f"{folder}: gold data not found")
        splits = SPLITS if self.split == "both" else (self.split,)
        files = [(s, folder / f"nlu_{s}.jsonl") for s in splits]
        for _, path in files:
            if not path.is_file():
                raise GoldError(f"{path}: gold file not found")
        return files


def build_parsers(settings: Settings, toolkit: Any = None) -> tuple[dict[str, ParseFn], dict[str, Any], Any]:
    """The parsers to compare (``rules``; ``llm`` when an endpoint is configured), LLM counters, the toolkit."""
    from agent.context import AgentContext
    from agent.llm import LLMClient
    from agent.parsers.llm import llm_parse
    from tools.toolkit import Toolkit

    toolkit = toolkit if toolkit is not None else Toolkit(settings)
    llm = LLMClient.from_settings(settings) if settings.llm == "openai" else None
    ctx = AgentContext(toolkit=toolkit, llm=llm)
    rules = ctx.parser
    parsers: dict[str, ParseFn] = {"rules": lambda text, shown: rules.parse(text, list(shown))}
    counters: dict[str, Any] = {}
    if llm is not None:
        counters.update({"model": settings.llm_model, "calls": 0, "fallbacks": 0, "errors": {}})

        def via_llm(text: str, shown: Sequence[int]) -> ParsedTurn:
            base = rules.parse(text, list(shown))
            llm.reset_usage()
            out = llm_parse(llm, ctx.grounder, text, base, shown=list(shown))
            counters["calls"] += llm.usage.calls
            if out is None:
                counters["fallbacks"] += 1
                for err in llm.usage.errors[-1:]:
                    counters["errors"][err] = counters["errors"].get(err, 0) + 1
                return base
            return out

        parsers["llm"] = via_llm
    return parsers, counters, toolkit


def score_split(
    utterances: list[Any], parsers: dict[str, ParseFn], builder: PairBuilder
) -> dict[str, dict[str, Any]]:
    """Each parser's metrics (:func:`eval.nlu.score.score`) on one split, with its p50 / p95 latency."""
    out: dict[str, dict[str, Any]] = {}
    prepared = [(u, builder.shown_ids(u.shown)) for u in utterances]
    golds = [frozenset(builder.gold_pairs(u.gold, shown)) for u, shown in prepared]
    for name, parse in parsers.items():
        items: list[Scored] = []
        ms: list[float] = []
        for (u, shown), gold in zip(prepared, golds, strict=True):
            t0 = time.perf_counter()
            try:
                parsed = parse(u.text, shown)
            except Exception:  # a parser bug is a miss on this utterance, not a crashed benchmark
                log.exception("parser %s failed on %s", name, u.id)
                parsed = ParsedTurn(intent="observe")
            ms.append((time.perf_counter() - t0) * 1000)
            items.append(
                Scored(u.id, u.category, u.text, gold, frozenset(builder.parsed_pairs(parsed, shown)))
            )
        result = score(items, builder.describe)
        result["latency_ms"] = {
            "p50": round(statistics.median(ms), 2) if ms else 0.0,
            "p95": round(sorted(ms)[int(0.95 * (len(ms) - 1))], 2) if ms else 0.0,
        }
        out[name] = result
    return out


def run_nlu(opts: NluOptions, settings: Settings, *, toolkit: Any = None) -> dict[str, Any]:
    """Score the parsers on the chosen splits (and REDIAL stance with ``opts.redial``); write
    ``metrics.json`` and ``report.md`` into ``opts.out``; return the metrics (errors included)."""
    files = opts.files()  # bad input fails before any model loads
    redial_file = None
    if opts.redial is not None:
        redial_file = Path(opts.redial) / f"{opts.redial_split}_data.jsonl"
        if not redial_file.is_file():
            raise GoldError(f"{redial_file}: REDIAL split not found")
    gold = {split: load_gold(path, split) for split, path in files}
    opts.progress("loading the catalog and the parsers…")
    parsers, counters, toolkit = build_parsers(settings, toolkit)
    resolver = TitleResolver(toolkit.catalog)
    builder = PairBuilder(resolver)
    metrics: dict[str, Any] = {"parsers": list(parsers), "splits": {}}
    for (split, path), utterances in zip(files, gold.values(), strict=True):
        opts.progress(f"{split}: {len(utterances)} utterances…")
        metrics["splits"][split] = {
            "file": str(path),
            "n": len(utterances),
            "parsers": score_split(utterances, parsers, builder),
        }
    metrics["unresolved_titles"] = sorted(resolver.unresolved)
    metrics["gold_warnings"] = [w for utterances in gold.values() for w in check_all(utterances)]
    if redial_file is not None:
        metrics["redial"] = {"file": str(redial_file), "parsers": {}}
        for name, parse in parsers.items():
            opts.progress(f"REDIAL stance ({name})…")
            records = collect(
                redial_file,
                lambda text, p=parse: p(text, ()),  # type: ignore[misc]
                toolkit.catalog,
                toolkit.grounder,
                limit=opts.limit,
            )
            metrics["redial"]["parsers"][name] = {
                **stance_metrics(records),
                "examples": stance_errors(records),
            }
    if counters:
        metrics["llm"] = counters
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
    write_report(metrics, out / "report.md")
    return metrics


def summary(metrics: dict[str, Any]) -> dict[str, Any]:
    """The metrics without the error lists and examples (what ``--json`` prints)."""
    slim = json.loads(json.dumps(metrics))
    for split in slim.get("splits", {}).values():
        for result in split["parsers"].values():
            result["n_errors"] = len(result.pop("errors", []))
    for result in slim.get("redial", {}).get("parsers", {}).values():
        result.pop("examples", None)
    return slim
