"""What every ``crsagent`` command shares: the consoles, the error wrapper, the settings, the JSON output."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:
    from tools.settings import Settings

#: Normal output (stdout).
console = Console()
#: Progress, notes and error lines (stderr).
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def _user_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean bad input or configuration (one line, exit 2) rather than a bug."""
    # lazy: CLI start-up (the tools pull in SQLAlchemy, torch, chromadb)
    from tools.catalog import CatalogError
    from tools.embeddings import EmbeddingError
    from tools.item_index import VectorStoreError

    return (CatalogError, EmbeddingError, VectorStoreError, ValueError, OSError)


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


def cli_settings() -> Settings:
    """The settings of this run (environment, ``.env``, defaults)."""
    from tools.settings import load_settings  # lazy: CLI start-up (pydantic-settings)

    return load_settings()


def require_index(settings: Settings) -> None:
    """Stop with one line (exit 2) when the home was never indexed: cheap (one file check), so every command
    that needs a built home calls it before loading anything."""
    from tools.recommenders.training import MANIFEST_FILE  # lazy: CLI start-up

    if not (settings.models_dir / MANIFEST_FILE).exists():
        raise ValueError(f"{settings.home} has no index yet: run `crsagent index` first (about a minute)")


def emit_json(obj: Any, *, ensure_ascii: bool = False) -> None:
    """Print ``obj`` as one JSON line on stdout."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=ensure_ascii) + "\n")
