"""``crsagent eval nlu``: the understanding benchmark and stance on REDIAL (the logic is :mod:`eval.nlu`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

from ui.cli.common import cli_settings, console, emit_json, err_console


def eval_nlu(
    *,
    split: str = "both",
    data: Path | None = None,
    out: Path | None = None,
    redial: Path | None = None,
    limit: int | None = None,
    json_out: bool = False,
) -> dict[str, Any]:
    """Run ``crsagent eval nlu`` (called by :func:`ui.cli.eval.eval_command`); returns the metrics."""
    from eval.nlu.run import NluOptions, run_nlu, summary  # lazy: CLI start-up (the agent, torch)

    progress = err_console.is_terminal and not json_out
    opts = NluOptions(
        split=split.strip().lower(),
        data=data,
        out=out or Path("eval_out") / "nlu",
        redial=redial,
        limit=limit,
        progress=(lambda msg: err_console.print(f"[dim]{msg}[/dim]")) if progress else (lambda msg: None),
    )
    opts.files()  # bad split or data: one line, exit 2, before loading models
    metrics = run_nlu(opts, cli_settings())
    if json_out:
        emit_json(summary(metrics))
        return metrics
    for name, split_metrics in metrics["splits"].items():
        table = Table(title=f"{name}: {split_metrics['n']} utterances")
        table.add_column("slot")
        for parser in metrics["parsers"]:
            table.add_column(f"{parser} P", justify="right")
            table.add_column(f"{parser} R", justify="right")
            table.add_column(f"{parser} F1", justify="right")
        results = split_metrics["parsers"]
        slots: list[str] = []
        for parser in metrics["parsers"]:
            slots += [s for s in results[parser]["slots"] if s not in slots]
        for slot in slots:
            row = [slot]
            for parser in metrics["parsers"]:
                m = results[parser]["slots"].get(slot)
                row += [f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}"] if m else ["–"] * 3
            table.add_row(*row)
        row = ["[bold]all (micro)[/bold]"]
        for parser in metrics["parsers"]:
            o = results[parser]["overall"]
            row += [f"{o['precision']:.3f}", f"{o['recall']:.3f}", f"[bold]{o['f1']:.3f}[/bold]"]
        table.add_row(*row)
        console.print(table)
        console.print(
            "exact match: "
            + ", ".join(f"{p} {results[p]['overall']['exact_match']:.3f}" for p in metrics["parsers"]),
            highlight=False,
        )
    for parser, m in metrics.get("redial", {}).get("parsers", {}).items():
        b = m["liked_binary"]
        console.print(
            f"REDIAL stance ({parser}): {m['n_scored']} mentions; liked-vs-not accuracy {b['accuracy']:.3f} "
            f"(majority baseline {b['majority_baseline']:.3f}, balanced {b['balanced_accuracy']:.3f}); "
            f"macro-F1 {m['liked_3class']['macro_f1']:.3f}; seen accuracy {m['seen']['accuracy']:.3f}",
            highlight=False,
        )
    if metrics.get("unresolved_titles"):
        err_console.print(f"gold titles not in the catalog: {', '.join(metrics['unresolved_titles'])}")
    if metrics.get("gold_warnings"):
        err_console.print(f"{len(metrics['gold_warnings'])} gold readings off the schema (see report.md)")
    console.print(f"report: {opts.out / 'report.md'}", highlight=False)
    return metrics
