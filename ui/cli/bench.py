"""``crsagent bench``: latency benchmark of the tools and whole turns; ``--load``: a load test of the web app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ui.cli.common import cli_command, cli_settings, console, emit_json, err_console, require_index


@cli_command
def bench(
    out: Annotated[Path | None, typer.Option(help="Folder for bench.json.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    conversations: Annotated[int, typer.Option(help="Two-turn conversations per catalog.")] = 30,
    synthetic_items: Annotated[int, typer.Option(help="Size of the synthetic catalog (0 = skip).")] = 200_000,
    load: Annotated[
        str | None,
        typer.Option(
            "--load",
            help="Load-test the running web app at this URL (or 'auto': serve one on 127.0.0.1 without a rate "
            "limit) with concurrent simulated sessions through /ask; writes load.json.",
        ),
    ] = None,
    sessions: Annotated[
        str, typer.Option(help="With --load: numbers of concurrent sessions, e.g. 1,4,16.")
    ] = "1,4,16",
    duration: Annotated[float, typer.Option(help="With --load: seconds per number of sessions.")] = 30.0,
    cold: Annotated[
        bool,
        typer.Option(
            "--cold",
            help="Instead: wall time of 5 one-shot `crsagent ask` processes (cold_ask_s p50 / p95) and of "
            "`crsagent index` on a fresh temporary home (index_s); merged into bench.json.",
        ),
    ] = False,
    runs: Annotated[int, typer.Option(help="With --cold: how many cold `ask` processes.")] = 5,
    no_index: Annotated[bool, typer.Option("--no-index", help="With --cold: skip index_s.")] = False,
) -> None:
    """Latency benchmark (p50 / p95) of each tool, the tool pipeline and whole turns; with --load, a load test
    of the web app (throughput, p50 / p95 turn latency, errors, cross-session leaks)."""
    if load is None or load == "auto":
        require_index(cli_settings())
    if load is not None:
        _bench_load(load, sessions, duration, out, json_out)
        return
    if cold:
        _bench_cold(out, json_out, runs, not no_index)
        return
    from eval.bench import run_bench  # lazy: CLI start-up (the agent, torch, chromadb)

    result = run_bench(
        cli_settings(),
        conversations,
        synthetic_items,
        progress=lambda msg: err_console.print(f"[dim]{msg}[/dim]"),
    )
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "bench.json").write_text(json.dumps(result, indent=2))
    if json_out:
        emit_json(result)
        return
    for name, cat in result["catalogs"].items():
        console.print(
            f"[bold]{name}[/bold] ({cat['n_items']} items): pipeline p50 {cat['pipeline_ms']['p50']} ms, "
            f"p95 {cat['pipeline_ms']['p95']} ms; turn p50 {cat['turn_ms']['p50']} ms, p95 {cat['turn_ms']['p95']} ms"
        )
        for tool, p in cat["tools"].items():
            console.print(f"  {tool:>16}: p50 {p['p50']:>8} ms  p95 {p['p95']:>8} ms")


def _bench_cold(out: Path | None, json_out: bool, runs: int, index: bool) -> None:
    """``bench --cold``: cold one-shot ``ask`` and a fresh ``index``; merged into ``bench.json``."""
    from eval.cold import run_cold  # lazy: CLI start-up

    if not 1 <= runs <= 100:
        raise typer.BadParameter("--runs must be between 1 and 100")
    say = (lambda msg: None) if json_out else (lambda msg: err_console.print(f"[dim]{msg}[/dim]"))
    try:
        result = run_cold(cli_settings(), runs, index=index, progress=say)
    except RuntimeError as exc:
        raise ValueError(str(exc)) from None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        path = out / "bench.json"
        try:
            merged = json.loads(path.read_text()) if path.exists() else {}
        except ValueError:
            merged = {}
        merged.update(result)
        path.write_text(json.dumps(merged, indent=2))
    if json_out:
        emit_json(result)
        return
    p = result["cold_ask_s"]
    index_s = "-" if result["index_s"] is None else f"{result['index_s']} s"
    console.print(
        f"cold ask: p50 {p['p50']} s, p95 {p['p95']} s ({result['cold_ask_command']}); index: {index_s}"
    )


def _bench_load(target: str, sessions: str, duration: float, out: Path | None, json_out: bool) -> None:
    """``bench --load``: N concurrent sessions against the web app for each N; exit 1 on errors or leaks."""
    # lazy: CLI start-up (the web app pulls in gradio)
    from ui.load import local_app, parse_levels, run_load_levels
    from ui.web import auth_of

    levels = parse_levels(sessions)
    if not 0 < duration <= 3600:
        raise typer.BadParameter("--duration must be between 0 and 3600 seconds")
    progress = (lambda msg: None) if json_out else (lambda msg: err_console.print(f"[dim]{msg}[/dim]"))
    settings = cli_settings()
    if target == "auto":
        progress("starting the web app on 127.0.0.1 (rate limit off)…")
        with local_app(settings) as (url, auth):
            result = run_load_levels(url, levels, duration, auth=auth, progress=progress)
    else:
        if not target.startswith(("http://", "https://")):
            raise typer.BadParameter("--load takes the web app's URL (http://127.0.0.1:7860/) or 'auto'")
        result = run_load_levels(target, levels, duration, auth=auth_of(settings), progress=progress)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "load.json").write_text(json.dumps(result, indent=2))
    if json_out:
        emit_json(result)
    else:
        for n, r in result["levels"].items():
            console.print(
                f"[bold]{n} session(s)[/bold]: {r['turns']} turns in {r['duration_s']} s = {r['throughput_tps']} "
                f"turns/s; p50 {r['latency_ms']['p50']} ms, p95 {r['latency_ms']['p95']} ms; "
                f"errors {r['errors']} {r['error_kinds'] or ''}; leaks {r['leaks']} {r['leak_kinds'] or ''}"
            )
    if any(r["errors"] or r["leaks"] for r in result["levels"].values()):
        raise typer.Exit(1)
