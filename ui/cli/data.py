"""``crsagent data build`` / ``data vectors``: regenerate the shipped data files from the raw datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ui.cli.common import cli_command, cli_settings, console, emit_json

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


@data_app.command("vectors")
@cli_command
def data_vectors(
    data_dir: Annotated[
        Path | None,
        typer.Option(help="The data folder whose catalog is embedded (default: the packaged data/)."),
    ] = None,
) -> None:
    """Embed every item of the catalog in DATA_DIR with the configured model and write item_vectors.npz there
    (the vectors `crsagent index` reuses; run after `crsagent data build`)."""
    # lazy: CLI start-up (torch)
    from tools.catalog import CATALOG_FILE, read_catalog_file
    from tools.embeddings import Embedder
    from tools.settings import PACKAGED_DATA_DIR
    from tools.shipped_vectors import VECTORS_FILE, write_shipped_vectors

    folder = data_dir or PACKAGED_DATA_DIR
    items = read_catalog_file(folder / CATALOG_FILE)
    embedder = Embedder(cli_settings())
    matrix = embedder.encode([it.embedding_text() for it in items], batch_size=256)
    write_shipped_vectors(folder / VECTORS_FILE, items, matrix, embedder)
    console.print(f"wrote {folder / VECTORS_FILE}: {len(items)} items")
