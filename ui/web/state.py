"""Per-browser UI state of the web app: who is chatting, in which session, the chat, the cards, what the
agent understood, and the settings of the side panel. Plain dataclasses (Gradio keeps one per tab)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

#: A chat message in Gradio's messages format (``role``, ``content``, optional ``metadata``).
Message = dict[str, Any]
#: What a card button says about its movie.
Feedback = Literal["like", "dislike", "seen", "more"]


def new_session_id() -> str:
    """A fresh conversation id."""
    return f"web-{uuid.uuid4().hex[:12]}"


@dataclass
class Options:
    """Per-browser settings from the settings panel."""

    n_items: int = 5
    detail: Literal["short", "full"] = "short"
    offline: bool = False


@dataclass
class WebState:
    """One browser tab's conversation: who, which session, the chat, the cards and what was understood."""

    user: str = "guest"
    session: str = ""
    history: list[Message] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    understood: dict[str, Any] = field(default_factory=dict)
    chips: list[tuple[str, str]] = field(default_factory=list)
    memory: list[str] = field(default_factory=list)


def clean_user(name: str | None) -> str:
    """A user id from the name field: trimmed, at most 64 characters, ``guest`` when empty."""
    name = re.sub(r"\s+", " ", (name or "").strip())[:64]
    return name or "guest"


def new_conversation(st: WebState, user: str | None = None) -> WebState:
    """A new session for the same (or a new) user: empty chat, no cards, nothing understood yet."""
    return WebState(user=clean_user(user if user is not None else st.user), session=new_session_id())
