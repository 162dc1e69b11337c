"""Reports of an offline evaluation: ``summary.json``, ``details.json``, ``report.md`` and PNG plots.

``report.md`` puts our numbers beside the published anchors of DESIGN §4, states the protocol, gives
bootstrap 95% confidence intervals, the baselines (full and dedup), the whole-catalog numbers when they
were computed, latency and run time. Plots are drawn with matplotlib's Agg backend (no display needed).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.metrics import METRIC_KEYS
from eval.standardized import PUBLISHED, PUBLISHED_TEST_COUNTS, VARIANTS

log = logging.getLogger(__name__)

__all__ = ["ANCHORS", "plot_curves", "render_report", "write_outputs"]

#: Published anchors (DESIGN §4): R@1 / R@10 / R@50, ``None`` where the paper gives no number.
ANCHORS: dict[str, list[tuple[str, str, float | None, float | None, float | None]]] = {
    "redial": [
        ("KBRD", "full", 0.030, 0.163, 0.338),
        ("UniCRS", "full", 0.051, 0.224, 0.428),
        ("ReFICR", "full", 0.061, 0.305, 0.532),
        ("UniCRS", "dedup", 0.024, 0.180, 0.335),
        ("ReFICR", "dedup", 0.018, 0.213, 0.465),
        ("zero-shot GPT-4", "-", None, 0.19, None),
    ],
    "inspired": [
        ("UniCRS", "full", None, 0.24, None),
        ("best 2026 generative CRS", "full", None, 0.29, None),
        ("zero-shot GPT-4", "-", None, 0.19, None),
    ],
}

_SUMMARY_KEYS = ("recall@1", "recall@10", "recall@50", "ndcg@10", "ndcg@50", "mrr@50")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_outputs(out: Path, summary: Mapping[str, Any], details: Mapping[str, Any]) -> list[Path]:
    """Write summary.json, details.json, report.md and the plots into ``out``; returns the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "summary.json", out / "details.json", out / "report.md"]
    _atomic_write(paths[0], json.dumps(summary, indent=2) + "\n")
    _atomic_write(paths[1], json.dumps(details, indent=2) + "\n")
    plots = plot_curves(out, summary, details)
    _atomic_write(paths[2], render_report(summary, details, [p.name for p in plots]))
    return paths + plots


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def _ci(details: Mapping[str, Any], key: str) -> str:
    lo, hi = details.get("ci95", {}).get(key, (None, None))
    return "" if lo is None else f" [{lo:.3f}, {hi:.3f}]"


def _metric_row(name: str, metrics: Mapping[str, float], det: Mapping[str, Any] | None = None) -> str:
    cells = []
    for key in METRIC_KEYS:
        cell = _fmt(metrics.get(key))
        if det is not None and key in ("recall@1", "recall@10", "recall@50"):
            cell += _ci(det, key)
        cells.append(cell)
    return f"| {name} | " + " | ".join(cells) + " |"


def render_report(summary: Mapping[str, Any], details: Mapping[str, Any], plots: Sequence[str] = ()) -> str:
    """The Markdown report of one run."""
    ds, split = summary["dataset"], summary["split"]
    counts = details.get("counts", {})
    run = details.get("run", {})
    header = "| system | " + " | ".join(METRIC_KEYS) + " |\n|---|" + "---|" * len(METRIC_KEYS)
    universe = (
        "catalog items with a REDIAL movie id (the REDIAL movie list)"
        if ds == "redial"
        else "catalog movies that occur in INSPIRED dialogs (train + the evaluated split)"
    )
    lines = [
        f"# Offline evaluation: {ds} / {split}",
        "",
        f"LLM: `{summary['llm']}` · dialogs: {summary['n_dialogs']} · samples: {summary['n_samples']} "
        f"(dedup: {counts.get('n_samples_dedup', '?')}) · ranking universe: {summary['catalog_size']} items",
        "",
        "## Protocol",
        "",
        "As CRSLab / UniCRS / iEvaLM (DESIGN §4). Each dialog is replayed utterance by utterance through the "
        "agent's own pipeline (`TurnRunner.run_turn`, the same LangGraph graph a chat uses): every seeker "
        "utterance is a user turn whose ranking (top 50) is the prediction for the next recommender "
        "utterance; the agent's own reply is then discarded (it was never shown in the logged dialog) and "
        "the real recommender utterance is fed as an observed assistant turn. A sample is a recommender "
        "utterance with at least one gold movie and a non-empty context; a turn with k distinct gold movies "
        "gives k samples. *full* keeps every sample; *dedup* keeps only golds not mentioned earlier in the "
        "dialog. Recall@k is a hit of the gold in the top k; NDCG and MRR use the 1-based gold rank.",
        "",
        f"Ranking universe: {universe} ({summary['catalog_size']} items); the agent and every baseline rank "
        "over it. Gold movies are mapped to catalog ids by the REDIAL movie id first, else by the grounding "
        f"module. **Unmapped golds are kept and count as misses**: unmapped share "
        f"{summary['unmapped_gold_rate']:.2%} ({counts.get('unmapped_golds', 0)} of {summary['n_samples']}); "
        f"mapped golds outside the universe: {counts.get('mapped_golds_outside_universe', 0)}.",
        "",
        "By design the agent never recommends a movie the user already named (liked, disliked or seen): a gold "
        "that the seeker mentioned earlier is a miss for the agent in *full* (`repeat_context` shows how much "
        "of *full* is such repeats); *dedup* is free of this effect.",
        "",
        "Intervals are percentile-bootstrap 95% CIs over dialogues (1,000 resamples; each resample draws "
        "dialogues with replacement and pools all their samples), since samples of one dialogue are not "
        "independent.",
        "",
        "## Results",
        "",
        header,
        _metric_row("**ours, full**", summary["full"], details.get("agent", {}).get("full")),
        _metric_row("**ours, dedup**", summary["dedup"], details.get("agent", {}).get("dedup")),
    ]
    for name in summary.get("baselines", {}):
        b = details.get("baselines", {}).get(name, {})
        lines.append(
            _metric_row(
                f"{name}, full", b.get("full", {}).get("metrics", summary["baselines"][name]), b.get("full")
            )
        )
        lines.append(_metric_row(f"{name}, dedup", b.get("dedup", {}).get("metrics", {}), b.get("dedup")))
    lines += [
        "",
        "Baselines, on the same samples and universe: `popularity` (the agent's popularity prior), "
        "`repeat_context` (the context's mentioned movies, most recent first), `cf_only` (the collaborative "
        "recommenders seeded with every movie mentioned in the context, no text).",
        "",
        "## Published anchors (same protocol family)",
        "",
        "| system | setting | R@1 | R@10 | R@50 |",
        "|---|---|---|---|---|",
    ]
    for name, setting, r1, r10, r50 in ANCHORS.get(ds, []):
        lines.append(f"| {name} | {setting} | {_fmt(r1)} | {_fmt(r10)} | {_fmt(r50)} |")
    lines.append(
        f"| **ours** | full | {_fmt(summary['full']['recall@1'])} | {_fmt(summary['full']['recall@10'])} | "
        f"{_fmt(summary['full']['recall@50'])} |"
    )
    lines.append(
        f"| **ours** | dedup | {_fmt(summary['dedup']['recall@1'])} | {_fmt(summary['dedup']['recall@10'])} | "
        f"{_fmt(summary['dedup']['recall@50'])} |"
    )
    lines += _standardized_section(summary, details)
    lines += [
        "",
        "The anchors come from their papers (trained on the full REDIAL train split, 10,006 dialogs); our "
        "collaborative models see the 4,101 train dialogs that are publicly available (see data/NOTICE.md) "
        "plus MovieLens and INSPIRED train. Numbers are comparable in protocol, not bit-identical in sample "
        "construction (merged consecutive utterances, one sample per distinct gold per turn).",
        "",
        "## Whole catalog",
        "",
    ]
    whole = details.get("whole_catalog")
    if whole:
        lines += [
            f"The same agent ranking over the whole catalog ({run.get('whole_catalog_catalog_size', '?')} items) "
            "instead of the dataset universe:",
            "",
            header,
            _metric_row("ours, full, whole catalog", whole["full"]["metrics"], whole["full"]),
            _metric_row("ours, dedup, whole catalog", whole["dedup"]["metrics"], whole["dedup"]),
        ]
    else:
        lines.append(
            "Not computed in this run (it re-runs every predicting turn without the universe restriction): "
            "add `--whole-catalog` to `crsagent eval`."
        )
    lat = details.get("latency_ms", {})
    invocations = [
        f"{i.get('wall_seconds')} s for {i.get('dialogs_evaluated')} dialogs with {i.get('workers')} worker(s)"
        for i in run.get("invocations", [])
    ]
    lines += [
        "",
        "## Cost",
        "",
        f"- latency per predicted turn (full pipeline): p50 {summary['latency_ms']['p50']} ms, "
        f"p95 {summary['latency_ms']['p95']} ms, mean {lat.get('mean', '?')} ms",
        f"- user turns run: {counts.get('user_turns', '?')}; LLM calls: {counts.get('llm_calls', 0)}; "
        f"fallbacks: {counts.get('fallbacks', 0)}",
        f"- shown items: {counts.get('shown_items', 0)}; ungrounded (not catalog ids): "
        f"{counts.get('ungrounded_items', 0)} (rate {summary['ungrounded_rate']}); rankings shorter than 50: "
        f"{counts.get('short_rankings', 0)}",
        f"- wall time: {run.get('wall_seconds_total', '?')} s in all, over {len(invocations)} invocation(s) "
        f"({'; '.join(invocations) or '-'}); sum of "
        f"per-dialog times: {run.get('dialog_seconds_sum', '?')} s, of which the whole-catalog re-rankings took "
        f"{run.get('whole_catalog_seconds_sum', 0)} s",
        f"- fusion weights (profile `{run.get('weights_profile', '?')}`, tuned by `python -m eval.tune` on dev sets carved "
        f"from train dialogs only; no test split chose anything): `{json.dumps(run.get('weights', {}))}`",
        "",
    ]
    if plots:
        lines += ["## Plots", ""] + [f"![{p}]({p})" for p in plots] + [""]
    return "\n".join(lines)


def plot_curves(out: Path, summary: Mapping[str, Any], details: Mapping[str, Any]) -> list[Path]:
    """Recall@k (k = 1..50) curves: ours full vs dedup, and ours vs the baselines. Returns the PNG paths."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        log.warning("matplotlib missing: no plots")
        return []
    paths: list[Path] = []
    agent = details.get("agent", {})
    title = f"{summary['dataset']} / {summary['split']} ({summary['n_samples']} samples)"

    fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
    for variant, style in (("full", "-"), ("dedup", "--")):
        curve = agent.get(variant, {}).get("recall_curve") or []
        ax.plot(range(1, len(curve) + 1), curve, style, label=f"ours, {variant}")
    whole = details.get("whole_catalog")
    if whole:
        curve = whole["full"]["recall_curve"]
        ax.plot(range(1, len(curve) + 1), curve, ":", label="ours, full, whole catalog")
    ax.set(xlabel="k", ylabel="Recall@k", title=title, xlim=(1, 50), ylim=(0, None))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    paths.append(out / "recall_at_k.png")
    fig.savefig(paths[-1])
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), dpi=110, sharey=True)
    for ax, variant in zip(axes, ("full", "dedup"), strict=True):
        curve = agent.get(variant, {}).get("recall_curve") or []
        ax.plot(range(1, len(curve) + 1), curve, "-", linewidth=2, label="ours")
        for name, det in details.get("baselines", {}).items():
            c = det.get(variant, {}).get("recall_curve") or []
            ax.plot(range(1, len(c) + 1), c, "--", label=name)
        ax.set(xlabel="k", title=f"{variant}", xlim=(1, 50))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("Recall@k")
    axes[0].legend()
    fig.suptitle(title)
    fig.tight_layout()
    paths.append(out / "baselines.png")
    fig.savefig(paths[-1])
    plt.close(fig)
    return paths


#: Where the classic samples and the standardized instances differ (report.md states it).
PROTOCOL_DIFFERENCES = (
    "Both protocols score the same agent rankings (the ranking of the seeker turn before a recommender turn) and "
    "both R@K are shares of gold mentions, but classic samples come from *merged* recommender utterances (one "
    "sample per distinct movie of consecutive recommender messages joined, movies found as `@id` with a name, "
    "dedup = not named in an earlier merged utterance, no sample in an opening recommender block) while "
    "standardized instances come from each *unmerged* recommender message with any earlier message (movies = "
    "`movieMentions` ids whose `@id` occurs in the text, so a movie repeated in two consecutive recommender "
    "messages counts twice in *full* and its second mention is dropped by *dedup*, which also compares against "
    "earlier messages of the same recommender block; a later message of an opening recommender block is an "
    "instance, for which the agent has no ranking yet and scores a miss)."
)


def _cell(metrics: Mapping[str, Any] | None, key: str) -> str:
    return _fmt(metrics.get(key)) if metrics else "–"


def _wide_row(name: str, protocol: str, blocks: Mapping[str, Mapping[str, Any] | None]) -> str:
    """A row of the both-protocols table: full and dedup R@1/10/50, then SR, RDL, RDL/inst of each variant."""
    cells = [_cell(blocks.get(v), f"recall@{k}") for v in VARIANTS for k in (1, 10, 50)]
    cells += [_cell(blocks.get(v), key) for v in VARIANTS for key in ("sr", "rdl", "rdl_instances")]
    return f"| {name} | {protocol} | " + " | ".join(cells) + " |"


def _ci_cell(metrics: Mapping[str, Any], ci: Mapping[str, Any], key: str) -> str:
    if key not in metrics:
        return "–"
    lo, hi = ci.get(key, (None, None))
    return _fmt(metrics[key]) + ("" if lo is None else f" [{lo:.3f}, {hi:.3f}]")


def _standardized_section(summary: Mapping[str, Any], details: Mapping[str, Any]) -> list[str]:
    """The REDIAL section that puts classic and standardized numbers beside Kostric & Balog's (SIGIR '26)."""
    if summary["dataset"] != "redial":
        return []
    std = summary.get("standardized")
    std_det = details.get("standardized", {})
    agent = details.get("agent", {})
    lines = [
        "",
        "## Standardized protocol (Kostric & Balog, SIGIR '26)",
        "",
    ]
    if not std:
        lines.append(
            "Not computed in this run: add `--protocol standardized` to `crsagent eval redial` (same rankings, "
            "one run yields both protocols)."
        )
        return lines
    lines += [
        "Instances as their `scripts/create_recommendation_dataset.py` (iai-group/redial-reproducibility): one "
        "instance per recommender message that mentions movies and has context, gold = the movies of that "
        "message; *dedup* (their `--fresh-only`) keeps only movies not mentioned in an earlier message, by "
        "either speaker. R@K = share of gold mentions in the top K. SR = share of dialogues where, at some "
        "instance, the top-1 item is a gold movie the seeker liked or has seen (`initiatorQuestions`); RDL = "
        "mean over dialogues of (sum over instances of 1.0 for a liked / 0.5 for a seen top-1 gold) / the "
        "dialogue length. Their text does not define the length: RDL here divides by the dialogue's number of "
        "messages (with it `repeat_context` reproduces their naive-repeat RDL, 0.009 on test), RDL/inst by its "
        "number of scored instances (their systems' RDL/SR ratios of about 0.5 suggest a length that short, so "
        "compare their system rows with RDL/inst). SR and RDL count the dialogues with at least one instance "
        "in the variant.",
        "",
        PROTOCOL_DIFFERENCES,
        "",
    ]
    counts = ", ".join(
        f"{v}: {std['n_instances'][v]} instances, {std['n_mentions'][v]} gold mentions, "
        f"{std['n_dialogs'][v]} dialogues"
        for v in VARIANTS
    )
    lines.append(f"Ours: {counts}.")
    if summary["split"] == "test":
        theirs = ", ".join(
            f"{v}: {n} instances, {m} gold mentions" for v, (n, m) in PUBLISHED_TEST_COUNTS.items()
        )
        lines.append(
            f"Their script on the test split: {theirs} (their README evaluates 3,617 / 3,372 rows; see "
            "`eval/standardized.py`)."
        )
    lines += [
        "",
        "| system | protocol | full R@1 | full R@10 | full R@50 | dedup R@1 | dedup R@10 | dedup R@50 "
        "| full SR | full RDL | full RDL/inst | dedup SR | dedup RDL | dedup RDL/inst |",
        "|---|---|" + "---|" * 12,
    ]
    for name, blocks in PUBLISHED.items():
        lines.append(_wide_row(name, "standardized (published)", blocks))
    classic = {v: summary.get(v) for v in VARIANTS}
    lines.append(_wide_row("**ours**", "classic", classic))
    lines.append(_wide_row("**ours**", "standardized", {v: std[v] for v in VARIANTS}))
    for name, blocks in std.get("baselines", {}).items():
        lines.append(_wide_row(name, "standardized", blocks))
    lines += [
        "",
        "Ours with 95% intervals (dialogue-level bootstrap):",
        "",
        "| protocol | variant | R@1 | R@10 | R@50 | SR | RDL | RDL/inst |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for v in VARIANTS:
        det = agent.get(v, {})
        cells = [_ci_cell(summary[v], det.get("ci95", {}), f"recall@{k}") for k in (1, 10, 50)]
        lines.append(f"| classic | {v} | " + " | ".join(cells) + " | – | – | – |")
    for v in VARIANTS:
        det = std_det.get("agent", {}).get(v, {})
        keys = ("recall@1", "recall@10", "recall@50", "sr", "rdl", "rdl_instances")
        lines.append(
            f"| standardized | {v} | "
            + " | ".join(_ci_cell(std[v], det.get("ci95", {}), k) for k in keys)
            + " |"
        )
    lines += [
        "",
        "`repeat_context` is the analogue of their naive repeat baseline (context movies, most recent first); "
        "ours sees the merged utterances before the recommender turn, so it misses repeats within one "
        "recommender block.",
    ]
    return lines
