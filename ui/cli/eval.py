"""``crsagent eval {redial,inspired,nlu}``: the offline evaluation command (``nlu``: the understanding
benchmark, :mod:`ui.cli.eval_nlu`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ui.cli.common import cli_command, cli_settings, console, emit_json, err_console, require_index
from ui.cli.eval_nlu import eval_nlu


@cli_command
def eval_command(
    dataset: Annotated[
        str,
        typer.Argument(
            help="redial, inspired or nlu; grounding: named films and invented titles (--data-dir: the folder "
            "holding redial/ and inspired/); or explain: the explanation audit (REDIAL test turns from "
            "--data-dir, --n of them, and the scripted newcomer conversations).",
            show_default=False,
        ),
    ],
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", help="Folder of the dataset's files (e.g. ../shared/data/redial); not for nlu."
        ),
    ] = None,
    split: Annotated[
        str | None,
        typer.Option(
            help="Split to evaluate: reads <split>_data.jsonl (REDIAL) or <split>.tsv (INSPIRED) [default: "
            "test]; nlu: dev, test or both [default: both].",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: eval_out/<dataset>-<split>).")
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", "--n", help="Evaluate only the first N dialogs (explain: audit N turns; 100)."
        ),
    ] = None,
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
    protocol: Annotated[
        str,
        typer.Option(
            help="classic (DESIGN §4) or standardized: REDIAL only, also scores Kostric & Balog's "
            "standardized instances (SIGIR '26: per message, R@K over gold mentions, SR, RDL) in the same run.",
        ),
    ] = "classic",
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="nlu: a gold JSONL file, or a folder of nlu_<split>.jsonl (default: the packaged eval/data).",
        ),
    ] = None,
    redial: Annotated[
        Path | None,
        typer.Option(
            "--redial",
            help="nlu: also score stance on REDIAL against the seekers' forms (folder of test_data.jsonl).",
        ),
    ] = None,
) -> None:
    """Offline evaluation on REDIAL or INSPIRED (DESIGN §4): summary.json, samples.jsonl, report.md, plots.
    ``nlu``: the understanding benchmark (eval/data/NLU.md) and stance on REDIAL: metrics.json, report.md."""
    dataset = dataset.strip().lower()
    if dataset == "nlu":
        require_index(cli_settings())
        eval_nlu(split=split or "both", data=data, out=out, redial=redial, limit=limit, json_out=json_out)
        return
    if dataset == "grounding":
        from ui.cli.eval_grounding import run_grounding

        run_grounding(data_dir, out or Path("eval_out") / "grounding", json_out)
        return
    if dataset == "explain":
        from ui.cli.explain import run_explain  # lazy: CLI start-up (the agent, torch)

        run_explain(
            data_dir, 100 if limit is None else limit, out or Path("eval_out") / "explain", llm, json_out
        )
        return
    if data_dir is None:
        raise typer.BadParameter("--data-dir is required for redial and inspired")
    split = split or "test"
    from eval.gold import split_path  # lazy: CLI start-up (the agent, torch)
    from eval.offline import EvalOptions, run_eval  # lazy: CLI start-up (the agent, torch)

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
        protocol=protocol.strip().lower(),
        progress=err_console.is_terminal and not json_out,
    )
    opts.check()
    split_path(dataset, data_dir, split)  # bad data dir or split: one line, exit 2, before loading models
    require_index(cli_settings())
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
        + _standardized_lines(summary)
        + f"\nlatency p50 {summary['latency_ms']['p50']} ms, p95 {summary['latency_ms']['p95']} ms; "
        f"report: {opts.out / 'report.md'}",
        highlight=False,
    )


def _standardized_lines(summary: dict[str, Any]) -> str:
    """The console lines of the standardized protocol's numbers (empty for a classic run)."""
    std = summary.get("standardized")
    if not std:
        return ""
    return "".join(
        f"\nstandardized {variant:<5} R@1 {m['recall@1']:.3f}  R@10 {m['recall@10']:.3f}  "
        f"R@50 {m['recall@50']:.3f}  SR {m['sr']:.3f}  RDL {m['rdl']:.3f} (per instance {m['rdl_instances']:.3f})  "
        f"({std['n_instances'][variant]} instances)"
        for variant, m in ((v, std[v]) for v in ("full", "dedup"))
    )
