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
    reuse: Annotated[
        bool,
        typer.Option(
            help="Keep the vectors of item_vectors.npz whose item text is unchanged (same model); embed the rest."
        ),
    ] = True,
) -> None:
    """Embed the listed items of the catalog in DATA_DIR with the configured model and write item_vectors.npz there
    (the vectors `crsagent index` reuses; run after `crsagent data build`). With --reuse (the default) only
    items whose embedded text changed are embedded again."""
    # lazy: CLI start-up (torch)
    import numpy as np

    from tools.catalog import CATALOG_FILE, read_catalog_file
    from tools.embeddings import Embedder
    from tools.settings import PACKAGED_DATA_DIR
    from tools.shipped_vectors import VECTORS_FILE, load_reusable, write_shipped_vectors

    folder = data_dir or PACKAGED_DATA_DIR
    items = [it for it in read_catalog_file(folder / CATALOG_FILE) if it.listed]  # only these are indexed
    embedder = Embedder(cli_settings())
    shipped = load_reusable(folder, embedder) if reuse else None
    found = shipped.lookup(items) if shipped is not None else {}
    todo = [it for it in items if it.id not in found]
    fresh = embedder.encode([it.embedding_text() for it in todo], batch_size=256) if todo else None
    rows = {it.id: fresh[j] for j, it in enumerate(todo)} if fresh is not None else {}
    matrix = np.vstack([found[it.id] if it.id in found else rows[it.id] for it in items])
    write_shipped_vectors(folder / VECTORS_FILE, items, matrix, embedder)
    console.print(
        f"wrote {folder / VECTORS_FILE}: {len(items)} items ({len(todo)} embedded, {len(found)} reused)"
    )
