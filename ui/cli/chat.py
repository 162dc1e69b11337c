"""``crsagent chat``: the interactive terminal chat; rich output, slash commands, works when piped.

``handle_line`` is a plain function (line in, what to show out) so it is unit-testable without a terminal.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ui.cli.common import cli_command, cli_settings, console, require_index
from ui.cli.memory_view import chat_command

if TYPE_CHECKING:
    from ui.service import Service, TurnResult

HELP = """Commands:
  /why N      why item N was recommended        /more     more recommendations
  /like N     you like item N                   /seen N   you have seen item N
  /dislike N  item N is not for you             /profile  what I understood so far
  /reset      start a new conversation          /help     this help
  /memory     what I remember about you         /forget ID|all  forget a fact (or everything)
  /quit       leave"""


@dataclass
class ChatSession:
    """One terminal conversation."""

    service: Service
    user: str = "default"
    session: str = "default"
    last: TurnResult | None = None


@dataclass
class Output:
    """What to show for one input line."""

    text: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)
    quit: bool = False


def _item_ref(chat: ChatSession, arg: str) -> tuple[dict[str, Any] | None, str | None]:
    if not chat.last or not chat.last.items:
        return None, "There are no recommendations yet."
    try:
        n = int(arg)
    except ValueError:
        return None, "Give the item's number, e.g. /why 2."
    if not 1 <= n <= len(chat.last.items):
        return None, f"Pick a number between 1 and {len(chat.last.items)}."
    return chat.last.items[n - 1], None


def handle_line(chat: ChatSession, line: str) -> Output:
    """Handle one input line: a slash command or a message to the agent."""
    line = line.strip()
    if not line:
        return Output()
    if line.startswith("/"):
        cmd, _, arg = line[1:].partition(" ")
        cmd, arg = cmd.lower(), arg.strip()
        if cmd in ("quit", "exit", "q"):
            return Output(quit=True)
        if cmd == "help":
            return Output(HELP)
        if cmd == "why":
            item, err = _item_ref(chat, arg)
            return Output(err or f"{item['title']} ({item['year']}): {item['why']}")  # type: ignore[index]
        if cmd in ("like", "seen", "dislike"):
            item, err = _item_ref(chat, arg)
            if err:
                return Output(err)
            verb = {"like": "I like", "seen": "I've seen", "dislike": "not"}[cmd]
            message = (
                f"{verb} the {_ORD[int(arg)]} one"
                if int(arg) in _ORD
                else f"{verb} {item['title']} ({item['year']})"  # type: ignore[index]
            )
            return _ask(chat, message)
        if cmd in ("memory", "forget"):
            if chat.service.memory is None:
                return Output("Long-term memory is off in this session.")
            return Output(chat_command(chat.service.memory, chat.user, cmd, arg))
        if cmd == "more":
            return _ask(chat, "more please")
        if cmd == "reset":
            return _ask(chat, "start over")
        if cmd == "profile":
            state = chat.last.state if chat.last else {}
            if not state:
                return Output("Nothing yet: tell me what you like.")
            parts = [f"{k}: {v}" for k, v in state.items() if v]
            return Output("\n".join(parts))
        return Output(f"Unknown command /{cmd}. Type /help.")
    return _ask(chat, line)


_ORD = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def _ask(chat: ChatSession, message: str) -> Output:
    result = chat.service.ask(message, user=chat.user, session=chat.session)
    same = bool(chat.last) and [i["id"] for i in result.items] == [i["id"] for i in chat.last.items]  # type: ignore[union-attr]
    if result.items or not chat.last:
        chat.last = result
    else:  # a reply without items: /why N and /like N still refer to the last items shown
        chat.last = dataclasses.replace(chat.last, reply=result.reply, state=result.state)
    # an answer about a shown item keeps the list: it is not printed again
    return Output(result.reply, [] if same else result.items)


def render(console: Console, out: Output) -> None:
    """Print an output: the reply text, then the items as a table."""
    if out.items:
        reply_lines = [ln for ln in out.text.splitlines() if not ln[:3].rstrip(". ").isdigit()]
        if reply_lines:
            console.print("\n".join(reply_lines), highlight=False)
        table = Table(show_header=True, header_style="bold")
        for col in ("#", "title", "year", "genres", "why"):
            table.add_column(col, overflow="fold")
        for n, item in enumerate(out.items, 1):
            table.add_row(
                str(n), item["title"], str(item["year"] or ""), ", ".join(item["genres"][:3]), item["why"]
            )
        console.print(table)
    elif out.text:
        console.print(out.text, highlight=False)


def lines(console: Console) -> Iterator[str]:
    """Input lines: an interactive prompt with line editing, or stdin when piped."""
    if sys.stdin.isatty():
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing and history)
        while True:
            try:
                yield console.input("[bold cyan]you>[/bold cyan] ")
            except EOFError:
                return
    else:
        yield from (ln.rstrip("\n") for ln in sys.stdin)


def run_chat(service: Service, console: Console, user: str, session: str) -> None:
    """The chat loop."""
    chat = ChatSession(service, user, session)
    if sys.stdin.isatty():
        console.print(
            "[bold]crsagent[/bold] — tell me what you feel like watching. /help for commands, /quit to leave."
        )
    for line in lines(console):
        out = handle_line(chat, line)
        if out.quit:
            break
        render(console, out)


@cli_command
def chat(
    user: Annotated[str, typer.Option(help="User id (long-term memory and sessions).")] = "default",
    session: Annotated[
        str, typer.Option(help="Session id; the same id continues the conversation.")
    ] = "default",
) -> None:
    """Interactive terminal chat (reads one message per line when piped)."""
    settings = cli_settings()
    require_index(settings)
    from ui.service import Service  # lazy: CLI start-up (the agent, torch, chromadb)

    service = Service(settings)
    try:
        service.warm()
        run_chat(service, console, user, session)
    finally:
        service.close()
