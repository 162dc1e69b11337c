"""The ``crsagent`` command line (typer + rich). Every command exits non-zero with one line on bad input."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

app = typer.Typer(
    name="crsagent",
    help="A conversational movie recommender agent. Start with `crsagent index`, then `crsagent chat`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Build the shipped data files.", no_args_is_help=True)
catalog_app = typer.Typer(help="Inspect the catalog.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(catalog_app, name="catalog")

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def _user_errors() -> tuple[type[BaseException], ...]:
    from tools.catalog import CatalogError
    from tools.embeddings import EmbeddingError
    from tools.item_index import VectorStoreError

    errors: list[type[BaseException]] = [CatalogError, EmbeddingError, VectorStoreError, ValueError, OSError]
    return tuple(errors)


def cli_command(func: F) -> F:
    """Turn known errors into one red line on stderr and exit code 2 (never a traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(130) from None
        except _user_errors() as exc:
            err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _settings(**overrides: Any) -> Any:
    from tools.settings import load_settings

    return load_settings(**{k: v for k, v in overrides.items() if v is not None})


def _emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details to stderr.")] = False) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@data_app.command("build")
@cli_command
def data_build(
    source: Annotated[Path, typer.Option(help="Folder with the raw datasets (../shared/data).")] = Path("../shared/data"),
    out: Annotated[Path | None, typer.Option(help="Where to write the data files (default: the packaged data/).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Regenerate the shipped catalog and training interactions from the raw datasets, reproducibly."""
    from tools.data_build import build_data
    from tools.settings import PACKAGED_DATA_DIR

    report = build_data(source, out or PACKAGED_DATA_DIR)
    if json_out:
        _emit_json(report)
    else:
        console.print(report)


@app.command("index")
@cli_command
def index(
    force: Annotated[bool, typer.Option(help="Reload and re-embed everything.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Build or update the catalog database, the item embeddings (Chroma) and the recommender models."""
    from tools.indexing import run_index
    from tools.toolkit import Toolkit

    toolkit = Toolkit(_settings())
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console, disable=json_out or not err_console.is_terminal,
    ) as bar:

        def factory(stage: str, total: int) -> Callable[[int], None]:
            task = bar.add_task(stage, total=total)
            return lambda n: bar.advance(task, n)

        summary = run_index(toolkit, factory, force=force)
    if json_out:
        _emit_json(summary.as_dict())
    else:
        console.print(
            f"catalog: {summary.items} items ({'reloaded' if summary.catalog_loaded else 'unchanged'}); "
            f"embedded {summary.embedded}, removed {summary.deleted}; models: {', '.join(summary.models) or '-'}; "
            f"seconds: {summary.seconds}"
        )


@catalog_app.command("stats")
@cli_command
def catalog_stats(json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False) -> None:
    """Item count, metadata coverage and interaction counts."""
    from tools.catalog import catalog_stats as stats
    from tools.toolkit import Toolkit

    toolkit = Toolkit(_settings())
    _ = toolkit.catalog  # loads the shipped catalog into an empty database
    result = stats(toolkit.engine)
    if json_out:
        _emit_json(result)
    else:
        for key, value in result.items():
            console.print(f"{key:>24}: {value}")


@app.command("ask")
@cli_command
def ask(
    text: Annotated[str, typer.Argument(help="Your message.")],
    user: Annotated[str, typer.Option(help="User id (long-term memory and sessions).")] = "default",
    session: Annotated[str, typer.Option(help="Session id; the same id continues the conversation.")] = "default",
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """One turn of a (persisted) conversation."""
    from ui.service import Service

    service = Service(_settings())
    try:
        result = service.ask(text, user=user, session=session)
    finally:
        service.close()
    if json_out:
        _emit_json(result.as_dict())
    else:
        console.print(result.reply, highlight=False)
    if result.error:
        raise typer.Exit(1)


@app.command("chat")
@cli_command
def chat(
    user: Annotated[str, typer.Option(help="User id (long-term memory and sessions).")] = "default",
    session: Annotated[str, typer.Option(help="Session id; the same id continues the conversation.")] = "default",
) -> None:
    """Interactive terminal chat (reads one message per line when piped)."""
    from ui.chat import run_chat
    from ui.service import Service

    service = Service(_settings())
    try:
        service.warm()
        run_chat(service, console, user, session)
    finally:
        service.close()


@app.command("bench")
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
    sessions: Annotated[str, typer.Option(help="With --load: numbers of concurrent sessions, e.g. 1,4,16.")] = "1,4,16",
    duration: Annotated[float, typer.Option(help="With --load: seconds per number of sessions.")] = 30.0,
) -> None:
    """Latency benchmark (p50 / p95) of each tool, the tool pipeline and whole turns; with --load, a load test
    of the web app (throughput, p50 / p95 turn latency, errors, cross-session leaks)."""
    if load is not None:
        _bench_load(load, sessions, duration, out, json_out)
        return
    from tools.bench import run_bench

    result = run_bench(_settings(), conversations, synthetic_items, progress=lambda msg: err_console.print(f"[dim]{msg}[/dim]"))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "bench.json").write_text(json.dumps(result, indent=2))
    if json_out:
        _emit_json(result)
        return
    for name, cat in result["catalogs"].items():
        console.print(f"[bold]{name}[/bold] ({cat['n_items']} items): pipeline p50 {cat['pipeline_ms']['p50']} ms, "
                      f"p95 {cat['pipeline_ms']['p95']} ms; turn p50 {cat['turn_ms']['p50']} ms, p95 {cat['turn_ms']['p95']} ms")
        for tool, p in cat["tools"].items():
            console.print(f"  {tool:>16}: p50 {p['p50']:>8} ms  p95 {p['p95']:>8} ms")


def _bench_load(target: str, sessions: str, duration: float, out: Path | None, json_out: bool) -> None:
    """``bench --load``: N concurrent sessions against the web app for each N; exit 1 on errors or leaks."""
    from ui.load import local_app, parse_levels, run_load_levels
    from ui.web import auth_of

    levels = parse_levels(sessions)
    if not 0 < duration <= 3600:
        raise typer.BadParameter("--duration must be between 0 and 3600 seconds")
    progress = (lambda msg: None) if json_out else (lambda msg: err_console.print(f"[dim]{msg}[/dim]"))
    settings = _settings()
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
        _emit_json(result)
    else:
        for n, r in result["levels"].items():
            console.print(
                f"[bold]{n} session(s)[/bold]: {r['turns']} turns in {r['duration_s']} s = {r['throughput_tps']} "
                f"turns/s; p50 {r['latency_ms']['p50']} ms, p95 {r['latency_ms']['p95']} ms; "
                f"errors {r['errors']} {r['error_kinds'] or ''}; leaks {r['leaks']} {r['leak_kinds'] or ''}"
            )
    if any(r["errors"] or r["leaks"] for r in result["levels"].values()):
        raise typer.Exit(1)


def _register_subcommands() -> None:
    """Commands that live in their own modules."""
    from ui import cli_db, cli_eval, cli_ground, cli_memory, cli_simulate, cli_ui

    cli_db.register(app)
    cli_ground.register(app)
    cli_memory.register(app)
    cli_ui.register(app)
    cli_eval.register(app)
    cli_simulate.register(app)


_register_subcommands()


if __name__ == "__main__":  # `python -m ui.cli`
    app()
