"""``crsagent catalog stats`` (what the catalog holds) and ``catalog check`` (its data quality)."""

from __future__ import annotations

from typing import Annotated

import typer

from ui.cli.common import cli_command, cli_settings, console, emit_json

catalog_app = typer.Typer(help="Inspect the catalog.", no_args_is_help=True)


@catalog_app.command("stats")
@cli_command
def catalog_stats(
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Item count, metadata coverage and interaction counts."""
    # lazy: CLI start-up (SQLAlchemy, torch, chromadb)
    from tools.catalog import catalog_stats as stats
    from tools.toolkit import Toolkit

    toolkit = Toolkit(cli_settings())
    _ = toolkit.catalog  # loads the shipped catalog into an empty database
    result = stats(toolkit.engine)
    if json_out:
        emit_json(result)
    else:
        for key, value in result.items():
            console.print(f"{key:>24}: {value}")


@catalog_app.command("check")
@cli_command
def catalog_check(
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Data quality of the catalog: what the build resolved and the conflicts that remain, with counts."""
    # lazy: CLI start-up
    from tools.catalog import CATALOG_FILE, read_catalog_file
    from tools.catalog_check import check_catalog, read_quality

    data_dir = cli_settings().data_dir
    result = check_catalog(read_catalog_file(data_dir / CATALOG_FILE), read_quality(data_dir))
    if json_out:
        emit_json(result)
        return
    console.print(f"{result['items']} items; coverage {result['coverage']}")
    console.print(f"counts: {result['counts']}")
    console.print(f"resolved by the build: {result['resolved'] or '(no quality.json)'}")
    for name, found in result["remaining"].items():
        console.print(f"{name:>18}: {found['count']}")
