"""``crsagent ask TEXT``: one turn of a persisted conversation."""

from __future__ import annotations

from typing import Annotated

import typer

from ui.cli.common import cli_command, cli_settings, console, emit_json, require_index


@cli_command
def ask(
    text: Annotated[str, typer.Argument(help="Your message.")],
    user: Annotated[str, typer.Option(help="User id (long-term memory and sessions).")] = "default",
    session: Annotated[
        str, typer.Option(help="Session id; the same id continues the conversation.")
    ] = "default",
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """One turn of a (persisted) conversation."""
    if not text.strip():
        raise ValueError("the message is empty: say what you feel like watching")
    settings = cli_settings()
    require_index(settings)
    from ui.service import Service  # lazy: CLI start-up (the agent, torch, chromadb)

    service = Service(settings)
    if service.memory is not None:  # one turn: leave the memory's vector mirror to the next process
        service.memory.defer_sync = True
    try:
        _ = service.toolkit.vectors  # a missing index is one clear line (exit 2), not a failed turn
        result = service.ask(text, user=user, session=session)
    finally:
        service.close()
    if json_out:
        emit_json(result.as_dict())
    else:
        console.print(result.reply, highlight=False)
    if result.error:
        raise typer.Exit(1)
