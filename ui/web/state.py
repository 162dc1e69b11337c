"""Per-browser UI state of the web app: who is chatting, in which session, the chat, the cards, what the
agent understood, and the settings of the side panel. Plain dataclasses (Gradio keeps one per tab).

Who is chatting (:func:`resolve_user`): the login name when the app asks for one; else the name typed in
the side panel (optional); else the browser's own anonymous visitor id (:func:`new_visitor_id`, kept in the
browser's localStorage by the app), so that two visitors never share a memory."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

#: A chat message in Gradio's messages format (``role``, ``content``, optional ``metadata``).
Message = dict[str, Any]
#: What a card button says about its movie.
Feedback = Literal["like", "dislike", "seen", "more"]


VISITOR_PREFIX = "visitor-"
_VISITOR = re.compile(r"^visitor-[0-9a-f]{32}$")


def new_session_id() -> str:
    """A fresh conversation id."""
    return f"web-{uuid.uuid4().hex[:12]}"


def new_visitor_id() -> str:
    """A fresh anonymous visitor id (random, unguessable): one browser's own memory."""
    return f"{VISITOR_PREFIX}{uuid.uuid4().hex}"


def valid_visitor_id(value: Any) -> str | None:
    """``value`` when it is a visitor id made by :func:`new_visitor_id`, else None (a tampered or old value)."""
    return value if isinstance(value, str) and _VISITOR.match(value) else None


@dataclass
class Options:
    """Per-browser settings from the settings panel."""

    n_items: int = 5
    detail: Literal["short", "full"] = "short"
    offline: bool = False


@dataclass
class WebState:
    """One browser tab's conversation: who, which session, the chat, the cards and what was understood."""

    user: str = ""
    session: str = ""
    history: list[Message] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    understood: dict[str, Any] = field(default_factory=dict)
    chips: list[tuple[str, str]] = field(default_factory=list)
    memory: list[str] = field(default_factory=list)
    #: this browser's anonymous id and the login name (empty without a login)
    visitor: str = ""
    login: str = ""
    #: per chip key, the user's words it came from (this conversation) and the chips recalled from memory
    words: dict[str, str] = field(default_factory=dict)
    earlier: list[str] = field(default_factory=list)
    #: what the last turn understood that no chip shows (qualifiers, country, runtime …), in plain words
    also: list[str] = field(default_factory=list)


def clean_user(name: str | None) -> str:
    """A user id from the name field: trimmed, at most 64 characters, ``guest`` when empty."""
    name = re.sub(r"\s+", " ", (name or "").strip())[:64]
    return name or "guest"


def resolve_user(name: str | None, visitor: str, login: str = "") -> str:
    """Who is chatting: the login name, else the typed name (trimmed), else the browser's visitor id."""
    if login:
        return clean_user(login)
    if name and name.strip():
        return clean_user(name)
    return visitor or new_visitor_id()


def new_conversation(st: WebState, user: str | None = None) -> WebState:
    """A new session for the same (or a new) user: empty chat, no cards, nothing understood yet. The
    visitor id and the login stay (they are the browser's, not the conversation's)."""
    who = clean_user(user) if user is not None and user.strip() else (st.user or st.visitor)
    return WebState(user=who, session=new_session_id(), visitor=st.visitor, login=st.login)
