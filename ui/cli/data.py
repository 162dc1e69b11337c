"""``crsagent data build``: regenerate the shipped data files from the raw datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ui.cli.common import cli_command, console, emit_json

data_app = typer.Typer(help="Build the shipped data files.", no_args_is_help=True)


@data_app.command("build")
@cli_command
def data_build(
    source: Annotated[Path, typer.Option(help="Folder with the raw datasets (../shared/data).")] = Path(
        "../shared/data"
    ),
    out: Annotated[
        Path | None, typer.Option(help="Where to write the data files (default: the packaged data/).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Regenerate the shipped catalog and training interactions from the raw datasets, reproducibly."""
    # lazy: CLI start-up
    from tools.data import build_data
    from tools.settings import PACKAGED_DATA_DIR

    report = build_data(source, out or PACKAGED_DATA_DIR)
    if json_out:
        emit_json(report)
    else:
        console.print(report)
