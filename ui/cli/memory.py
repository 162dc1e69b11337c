"""``crsagent memory --user U [--json]`` and ``crsagent forget --user U (--all | FACT_ID)``.

``memory`` lists the user's long-term facts (each with the user's words it came from, its session, its strength
and when it was last confirmed) and item feedback; ``forget`` deletes one fact (or ``item:<id>``
for one item stance) or everything of the user, from SQL and from Chroma. Bad input (neither ``--all`` nor an
id, both, an unknown id) exits 2 with one line. The chat's ``/memory`` and ``/forget`` behave the same
(:mod:`ui.cli.memory_view`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ui.cli.common import cli_command, cli_settings, console, emit_json, err_console
from ui.cli.memory_view import fact_words, memory_payload

if TYPE_CHECKING:
    from memory.store import MemoryStore


def open_store() -> MemoryStore:
    """A memory store over the configured home (SQLite / DATABASE_URL and Chroma)."""
    # lazy: CLI start-up (SQLAlchemy, torch, chromadb)
    from memory.store import MemoryStore
    from tools.toolkit import Toolkit

    return MemoryStore(Toolkit(cli_settings()))


def _check_user(user: str) -> str:
    if not user.strip():
        raise ValueError("--user must not be empty")
    return user.strip()


def _when(iso: str) -> str:
    """``2026-11-28T09:42:00+00:00`` -> ``2026-11-28 09:42 UTC``."""
    return f"{iso[:10]} {iso[11:16]} UTC" if len(iso) >= 16 and iso.endswith("+00:00") else iso


def _fail(message: str) -> None:
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


@cli_command
def memory_command(
    user: Annotated[str, typer.Option(help="User id whose long-term memory to show.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Show a user's long-term memory: facts (with ids for `crsagent forget`, the words each came from, its
    session, strength and last confirmation) and item feedback."""
    payload = memory_payload(open_store(), _check_user(user))
    if json_out:
        emit_json(payload)
        return
    if not payload["facts"] and not payload["items"]:
        console.print(f"No memory for user {payload['user']}.", highlight=False)
        return
    if payload["facts"]:
        console.print(
            f"[bold]Facts of {escape(payload['user'])}[/bold] "
            f"(delete one: crsagent forget --user {escape(payload['user'])} ID)",
            highlight=False,
        )
        for f in payload["facts"]:
            console.print(f"• [bold]{escape(f['text'])}[/bold]", highlight=False, soft_wrap=True)
            if fact_words(f):
                console.print(
                    f"    from your words: {escape(fact_words(f))}", highlight=False, soft_wrap=True
                )
            console.print(
                f"    session {escape(f['source_session'] or '-')} · strength {f['strength']} · "
                f"last confirmed {_when(f['confirmed_at'])}",
                highlight=False,
                soft_wrap=True,
            )
            console.print(f"    id {f['id']}", highlight=False, style="dim", soft_wrap=True)
    if payload["items"]:
        table = Table(title="item feedback", show_header=True, header_style="bold")
        for col in ("id", "item", "feedback", "updated"):
            table.add_column(col, overflow="fold")
        for it in payload["items"]:
            table.add_row(it["id"], it["title"] or str(it["item_id"]), it["kind"], it["updated_at"])
        console.print(table)
    if payload["pending_sync"]:
        console.print(f"{payload['pending_sync']} change(s) waiting for the vector store.", highlight=False)


@cli_command
def forget_command(
    user: Annotated[str, typer.Option(help="User id whose memory to delete.")],
    fact_id: Annotated[
        str | None, typer.Argument(help="A fact id from `crsagent memory` (or item:ID).")
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Delete every fact and item feedback of the user.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Delete one long-term fact, or everything of a user (--all), from SQL and the vector store."""
    user = _check_user(user)
    if all_ and fact_id:
        _fail("give either --all or a FACT_ID, not both")
    if not all_ and not fact_id:
        _fail("give a FACT_ID (see `crsagent memory --user U`) or --all")
    counts = open_store().forget(user, fact_id=fact_id, all=all_)
    if json_out:
        emit_json({"user": user, "deleted": counts}, ensure_ascii=True)
    else:
        console.print(
            f"forgot {counts['facts']} fact(s) and {counts['items']} item stance(s) of {user}",
            highlight=False,
        )
