"""A user's long-term memory as the terminal shows it: the ``crsagent memory`` payload and the chat's
``/memory`` and ``/forget`` replies (the same facts and item stances, the same ids)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from memory.store import MemoryStore


def item_titles(store: MemoryStore, ids: list[int]) -> dict[int, str]:
    """Display titles of catalog items (empty when the catalog is not loaded)."""
    if not ids:
        return {}
    # lazy: CLI start-up (SQLAlchemy)
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


def fact_words(fact: dict[str, Any]) -> str:
    """The user's words a fact came from, quoted (\u201cI hate horror movies\u201d); empty for facts stored before
    facts kept their words."""
    words = str(fact.get("source_text") or "")
    return f"\u201c{words}\u201d" if words else ""


def fact_line(fact: dict[str, Any]) -> str:
    """One fact as the chat's /memory shows it: ``ID  likes comedy  (from "I love comedies", session s1, x2)``."""
    where: list[str] = []
    words = fact_words(fact)
    if words:
        where.append(f"from {words}")
    if fact.get("source_session"):
        where.append(f"session {fact['source_session']}")
    if int(fact.get("strength") or 1) > 1:
        where.append(f"said {fact['strength']} times")
    return f"{fact['id']}  {fact['text']}" + (f"  ({', '.join(where)})" if where else "")


def memory_payload(store: MemoryStore, user: str) -> dict[str, Any]:
    """What ``crsagent memory --json`` prints: ``{"user", "facts": [...], "items": [...], "pending_sync"}``; each
    fact has ``id``, ``text``, ``kind``, ``key``, ``value``, ``polarity``, ``source_text`` (the user's words),
    ``source_session``, ``strength``, ``confirmed_at``, ``created_at`` and ``updated_at``."""
    facts = [f.as_dict() for f in store.list_facts(user)]
    items = store.list_feedback(user)
    titles = item_titles(store, [i["item_id"] for i in items])
    for it in items:
        it["title"] = titles.get(it["item_id"])
        it["id"] = f"item:{it['item_id']}"
    return {"user": user, "facts": facts, "items": items, "pending_sync": store.pending_sync(user)}


def chat_command(store: MemoryStore, user: str, command: str, arg: str = "") -> str:
    """The chat's ``/memory`` (``command="memory"``) and ``/forget ID|all`` (``command="forget"``): the text
    to show. Unknown ids give a one-line explanation instead of raising."""
    from memory.store import UnknownFactError  # lazy: CLI start-up (SQLAlchemy, chromadb)

    if command == "memory":
        payload = memory_payload(store, user)
        if not payload["facts"] and not payload["items"]:
            return "I don't remember anything about you yet."
        lines = [fact_line(f) for f in payload["facts"]]
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
