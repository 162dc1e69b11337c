"""``crsagent eval {redial,inspired}``: the offline evaluation command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ui.cli.common import cli_command, cli_settings, console, emit_json, err_console, require_index


@cli_command
def eval_command(
    dataset: Annotated[str, typer.Argument(help="redial or inspired.", show_default=False)],
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Folder of the dataset's files (e.g. ../shared/data/redial).")
    ],
    split: Annotated[
        str,
        typer.Option(help="Split to evaluate: reads <split>_data.jsonl (REDIAL) or <split>.tsv (INSPIRED)."),
    ] = "test",
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: eval_out/<dataset>-<split>).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Evaluate only the first N dialogs.")] = None,
    llm: Annotated[str, typer.Option(help="offline (rules + embeddings) or openai.")] = "offline",
    workers: Annotated[int, typer.Option(help="Worker processes, each with its own agent.")] = 1,
    whole_catalog: Annotated[
        bool,
        typer.Option(
            "--whole-catalog/--no-whole-catalog",
            help="Also rank each predicting turn over the whole catalog (report.md; about +25% time).",
        ),
    ] = True,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Start over instead of resuming a run in --out.")
    ] = False,
    weights: Annotated[
        str | None, typer.Option(help="Fusion-weights profile (default: the dataset's).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Offline evaluation on REDIAL or INSPIRED (DESIGN §4): summary.json, samples.jsonl, report.md, plots."""
    from eval.gold import split_path  # lazy: CLI start-up (the agent, torch)
    from eval.offline import EvalOptions, run_eval  # lazy: CLI start-up (the agent, torch)

    require_index(cli_settings())
    dataset = dataset.strip().lower()
    opts = EvalOptions(
        dataset=dataset,
        data_dir=data_dir,
        split=split,
        out=out or Path("eval_out") / f"{dataset}-{split}",
        limit=limit,
        llm=llm,
        workers=workers,
        whole_catalog=whole_catalog,
        fresh=fresh,
        weights_profile=weights,
        progress=err_console.is_terminal and not json_out,
    )
    opts.check()
    split_path(dataset, data_dir, split)  # bad data dir or split: one line, exit 2, before loading models
    summary = run_eval(opts)
    if json_out:
        emit_json(summary, ensure_ascii=True)
        return
    full, dedup = summary["full"], summary["dedup"]
    console.print(
        f"{summary['dataset']}/{summary['split']}: {summary['n_dialogs']} dialogs, {summary['n_samples']} samples, "
        f"universe {summary['catalog_size']}, unmapped golds {summary['unmapped_gold_rate']:.1%}\n"
        f"full  R@1 {full['recall@1']:.3f}  R@10 {full['recall@10']:.3f}  R@50 {full['recall@50']:.3f}  "
        f"NDCG@10 {full['ndcg@10']:.3f}  MRR@50 {full['mrr@50']:.3f}\n"
        f"dedup R@1 {dedup['recall@1']:.3f}  R@10 {dedup['recall@10']:.3f}  R@50 {dedup['recall@50']:.3f}\n"
        + "\n".join(
            f"{name:<15} R@10 {m['recall@10']:.3f}  R@50 {m['recall@50']:.3f}"
            for name, m in summary["baselines"].items()
        )
        + f"\nlatency p50 {summary['latency_ms']['p50']} ms, p95 {summary['latency_ms']['p95']} ms; "
        f"report: {opts.out / 'report.md'}",
        highlight=False,
    )
