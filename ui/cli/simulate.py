"""``crsagent simulate``: simulated-user dialogues against the agent."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ui.cli.common import cli_command, cli_settings, console, emit_json, err_console, require_index


@cli_command
def simulate_command(
    dataset: Annotated[str, typer.Option("--dataset", help="redial or inspired.")],
    data_dir: Annotated[
        Path,
        typer.Option("--data-dir", help="Folder of the dataset's files (e.g. ../shared/data/redial)."),
    ],
    split: Annotated[
        str | None,
        typer.Option(help="Split of the target dialogs (default: test for REDIAL, dev for INSPIRED)."),
    ] = None,
    simulator: Annotated[
        str,
        typer.Option(
            help="attribute (agenda-based, no LLM; names director and stars), describe (genres, decade and "
            "plot words only; no title word or name) or llm (CRSAGENT_SIM_* settings)."
        ),
    ] = "attribute",
    max_turns: Annotated[int, typer.Option("--max-turns", help="User turns per dialogue.")] = 5,
    n: Annotated[int | None, typer.Option("--n", help="Simulate only the first N targets.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulator's phrasing.")] = 0,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: sim_out/<dataset>-<split>-<simulator>).")
    ] = None,
    weights: Annotated[
        str, typer.Option(help="Agent fusion-weights profile (default = live chat).")
    ] = "default",
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Start over instead of resuming a run in --out.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Simulated users talk to the agent: summary.json, one JSON per dialogue, report.md, a success plot."""
    from eval.simulate import SimOptions, run_simulation, split_path  # lazy: CLI start-up (the agent, torch)

    require_index(cli_settings())
    opts = SimOptions(
        dataset=dataset.strip().lower(),
        data_dir=data_dir,
        split=split,
        simulator=simulator.strip().lower(),
        max_turns=max_turns,
        n=n,
        seed=seed,
        out=Path("."),
        progress=err_console.is_terminal and not json_out,
    )
    opts.check()
    opts.out = out or Path("sim_out") / f"{opts.dataset}-{opts.split_name}-{opts.simulator}"
    split_path(opts.dataset, data_dir, opts.split_name)  # bad data dir or split: one line, exit 2, early
    summary = run_simulation(opts, fresh=fresh)
    if json_out:
        emit_json(summary, ensure_ascii=True)
        return
    console.print(
        f"{opts.dataset}/{opts.split_name} ({opts.simulator}): {summary['n_dialogues']} dialogues, "
        f"success@{opts.max_turns} {summary['success_rate']:.3f}, first turn {summary['first_turn_success_rate']:.3f}, "
        f"avg turns {summary['avg_turns']:.2f}, R@50 final {summary['recall@50_final']:.3f}, "
        f"leak {summary['leak_rate']:.4f}, ungrounded {summary['ungrounded_rate']:.4f}; "
        f"latency p50 {summary['latency_ms']['p50']} ms, p95 {summary['latency_ms']['p95']} ms; "
        f"report: {opts.out / 'report.md'}",
        highlight=False,
    )
