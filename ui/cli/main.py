"""The ``crsagent`` command line (typer + rich): the app, assembled from the command modules beside this one.

This is the only module that imports the command modules; they share :mod:`ui.cli.common` and never import
this one. Every command exits non-zero with one line on bad input.
"""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer

from ui.cli.ask import ask
from ui.cli.bench import bench
from ui.cli.catalog import catalog_app
from ui.cli.chat import chat
from ui.cli.data import data_app
from ui.cli.db import db_app
from ui.cli.eval import eval_command
from ui.cli.ground import ground_command
from ui.cli.index import index
from ui.cli.memory import forget_command, memory_command
from ui.cli.simulate import simulate_command
from ui.cli.ui import ui_command

app = typer.Typer(
    name="crsagent",
    help="A conversational movie recommender agent. Start with `crsagent index`, then `crsagent chat`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details to stderr.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if not verbose:
        quiet_libraries()


def quiet_libraries() -> None:
    """Silence the libraries' own progress bars and advisories ("Loading weights: 100%|…", Hugging Face
    warnings, Chroma telemetry) unless ``-v``; set before they are imported (they read these once)."""
    for key, value in {
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "TRANSFORMERS_VERBOSITY": "error",
        "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "TOKENIZERS_PARALLELISM": "false",
    }.items():
        os.environ.setdefault(key, value)
    for name in ("transformers", "sentence_transformers", "huggingface_hub", "chromadb", "httpx"):
        logging.getLogger(name).setLevel(logging.ERROR)


app.add_typer(data_app, name="data")
app.add_typer(catalog_app, name="catalog")
app.command("index")(index)
app.command("ask")(ask)
app.command("chat")(chat)
app.command("bench")(bench)
app.add_typer(db_app, name="db")
app.command("ground")(ground_command)
app.command("memory")(memory_command)
app.command("forget")(forget_command)
app.command("ui")(ui_command)
app.command("eval")(eval_command)
app.command("simulate")(simulate_command)


if __name__ == "__main__":  # `python -m ui.cli.main`
    app()
