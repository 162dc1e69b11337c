"""``crsagent memory --user U [--json]`` and ``crsagent forget --user U (--all | FACT_ID)``.

Registered on the main typer app by :func:`register`. ``memory`` lists the user's long-term facts and item
feedback; ``forget`` deletes one fact (or ``item:<id>`` for one item stance) or everything of the user, from
SQL and from Chroma. Bad input (neither ``--all`` nor an id, both, an unknown id) exits 2 with one line.

:func:`chat_command` gives the chat's ``/memory`` and ``/forget`` the same behaviour.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from memory.store import MemoryStore

log = logging.getLogger(__name__)


def open_store() -> MemoryStore:
    """A memory store over the configured home (SQLite / DATABASE_URL and Chroma)."""
    from memory.store import MemoryStore
    from tools.settings import load_settings
    from tools.toolkit import Toolkit

    return MemoryStore(Toolkit(load_settings()))


def item_titles(store: MemoryStore, ids: list[int]) -> dict[int, str]:
    """Display titles of catalog items (empty when the catalog is not loaded)."""
    if not ids:
        return {}
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from tools.catalog import ItemRow

    try:
        with Session(store.engine) as s:
            rows = s.execute(select(ItemRow.id, ItemRow.title, ItemRow.year).where(ItemRow.id.in_(ids))).all()
    except SQLAlchemyError:
        return {}
    return {i: f"{t} ({y})" if y else t for i, t, y in rows}


def memory_payload(store: MemoryStore, user: str) -> dict[str, Any]:
    """What ``crsagent memory --json`` prints: ``{"user", "facts": [...], "items": [...], "pending_sync"}``."""
    facts = [f.as_dict() for f in store.list_facts(user)]
    items = store.list_feedback(user)
    titles = item_titles(store, [i["item_id"] for i in items])
    for it in items:
        it["title"] = titles.get(it["item_id"])
        it["id"] = f"item:{it['item_id']}"
    return {"user": user, "facts": facts, "items": items, "pending_sync": store.pending_sync(user)}


def _check_user(user: str) -> str:
    if not user.strip():
        raise ValueError("--user must not be empty")
    return user.strip()


def _fail(message: str) -> None:
    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    """Add the ``memory`` and ``forget`` commands to the crsagent app."""
    from ui.cli import cli_command

    @app.command("memory")
    @cli_command
    def memory_cmd(
        user: Annotated[str, typer.Option(help="User id whose long-term memory to show.")],
        json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Show a user's long-term memory: facts (with ids for `crsagent forget`) and item feedback."""
        payload = memory_payload(open_store(), _check_user(user))
        if json_out:
            sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
            return
        console = Console()
        if not payload["facts"] and not payload["items"]:
            console.print(f"No memory for user {payload['user']}.", highlight=False)
            return
        if payload["facts"]:
            table = Table(title=f"facts of {payload['user']}", show_header=True, header_style="bold")
            for col in ("id", "fact", "kind", "key", "updated"):
                table.add_column(col, overflow="fold")
            for f in payload["facts"]:
                table.add_row(f["id"], f["text"], f["kind"], f["key"], f["updated_at"])
            console.print(table)
        if payload["items"]:
            table = Table(title="item feedback", show_header=True, header_style="bold")
            for col in ("id", "item", "feedback", "updated"):
                table.add_column(col, overflow="fold")
            for it in payload["items"]:
                table.add_row(it["id"], it["title"] or str(it["item_id"]), it["kind"], it["updated_at"])
            console.print(table)
        if payload["pending_sync"]:
            console.print(f"{payload['pending_sync']} change(s) waiting for the vector store.", highlight=False)

    @app.command("forget")
    @cli_command
    def forget_cmd(
        user: Annotated[str, typer.Option(help="User id whose memory to delete.")],
        fact_id: Annotated[str | None, typer.Argument(help="A fact id from `crsagent memory` (or item:ID).")] = None,
        all_: Annotated[bool, typer.Option("--all", help="Delete every fact and item feedback of the user.")] = False,
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
            sys.stdout.write(json.dumps({"user": user, "deleted": counts}) + "\n")
        else:
            Console().print(f"forgot {counts['facts']} fact(s) and {counts['items']} item stance(s) of {user}", highlight=False)


def chat_command(store: MemoryStore, user: str, command: str, arg: str = "") -> str:
    """The chat's ``/memory`` (``command="memory"``) and ``/forget ID|all`` (``command="forget"``): the text
    to show. Unknown ids give a one-line explanation instead of raising."""
    from memory.store import UnknownFactError

    if command == "memory":
        payload = memory_payload(store, user)
        if not payload["facts"] and not payload["items"]:
            return "I don't remember anything about you yet."
        lines = [f"{f['id']}  {f['text']}" for f in payload["facts"]]
        lines += [f"{it['id']}  {it['kind']}: {it['title'] or it['item_id']}" for it in payload["items"]]
        return "What I remember (/forget ID or /forget all):\n" + "\n".join(lines)
    if command == "forget":
        arg = arg.strip()
        if not arg:
            return "Give a fact id from /memory, or /forget all."
        try:
            counts = store.forget(user, all=True) if arg.lower() == "all" else store.forget(user, fact_id=arg)
        except UnknownFactError as exc:
            return str(exc)
        return f"Forgotten: {counts['facts']} fact(s), {counts['items']} item stance(s)."
    return f"Unknown memory command /{command}."
