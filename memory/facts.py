"""The plain data of long-term memory: fact kinds, the values written and recalled, and key / token helpers."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

from tools.titles import fold

FactKind = Literal["preference", "dislike", "context", "summary"]
FeedbackKind = Literal["liked", "disliked", "seen", "rejected"]
FACT_KINDS: tuple[str, ...] = ("preference", "dislike", "context", "summary")
FEEDBACK_KINDS: tuple[str, ...] = ("liked", "disliked", "seen", "rejected")
FREE_KEY = "free"
#: Characters per token for the recall budget (a rough, model-independent estimate).
CHARS_PER_TOKEN = 4


@dataclass(frozen=True, slots=True)
class FactIn:
    """A fact to remember. ``key`` is ``free`` for context phrases; ``value`` is the genre / person name.

    ``source``: the user's words it came from; ``strength``: how often it was stated (a taste repeated in
    three sessions starts at 3); ``explicit``: False for a taste inferred from repeated one-off requests,
    which never replaces an explicit opposite statement."""

    text: str
    kind: FactKind = "context"
    key: str = FREE_KEY
    polarity: int = 0
    value: str = ""
    source: str = ""
    strength: int = 1
    explicit: bool = True


@dataclass(frozen=True, slots=True)
class FactWrite:
    """What :meth:`MemoryStore.remember_facts` did with one fact.

    ``status``: ``added`` (new fact), ``replaced`` (a contradicted fact was removed: ``replaced_id``,
    ``replaced_text``), ``merged`` (same key and polarity, wording updated), ``kept`` (a duplicate: the stored
    fact was confirmed), ``skipped`` (an inferred taste that an explicit opposite fact outranks). ``merged`` and
    ``kept`` raise the stored fact's strength and confirmation time.
    """

    fact_id: str
    status: Literal["added", "replaced", "merged", "kept", "skipped"]
    text: str
    replaced_id: str | None = None
    replaced_text: str | None = None
    key: str = FREE_KEY
    value: str = ""
    polarity: int = 0
    strength: int = 1


@dataclass(frozen=True, slots=True)
class FactRecord:
    """A stored fact, as ``crsagent memory`` shows it."""

    id: str
    text: str
    kind: str
    key: str
    value: str
    polarity: int
    created_at: str
    updated_at: str
    source_session: str | None
    source_text: str = ""
    strength: int = 1
    confirmed_at: str = ""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class RecalledFact:
    """A fact retrieved for the current request, with its relevance (cosine similarity) and source."""

    id: str
    text: str
    score: float
    source: str = "memory"
    kind: str = "context"
    key: str = FREE_KEY
    value: str = ""
    polarity: int = 0
    strength: int = 1
    source_text: str = ""

    @property
    def tokens(self) -> int:
        """Estimated tokens of the fact's text."""
        return estimate_tokens(self.text)


def estimate_tokens(text: str) -> int:
    """Tokens of a text at about four characters per token (at least one for a non-empty text)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


def normalize_key(key: str) -> str:
    """``"Genre: Sci-Fi"`` -> ``"genre:sci-fi"``; ``"person:Denis Villeneuve"`` -> ``"person:denis villeneuve"``
    (people folded as the catalog folds them for matching)."""
    prefix, sep, rest = key.strip().partition(":")
    prefix = fold(prefix)
    if not sep:
        return prefix or FREE_KEY
    if prefix == "person":
        return f"person:{fold(rest)}"
    return f"{prefix}:{' '.join(rest.lower().split())}"
