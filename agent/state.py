"""The agent's typed state: preferences that persist across turns, the parsed turn, the shown items and trace.

Everything in the LangGraph state is plain JSON-able data (dicts, lists, numbers), so the SQLite
checkpointer can persist a conversation and a restarted process resumes it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, Field

from tools.hard_filter import Constraints

Intent = Literal["recommend", "more", "item_question", "feedback", "chitchat", "reset", "observe"]
Sentiment = Literal["like", "dislike", "seen", "neutral"]
Aspect = Literal[
    "director",
    "plot",
    "year",
    "genres",
    "stars",
    "writers",
    "rating",
    "runtime",
    "country",
    "content",
    "general",
]
#: what a span of the user's words set (the names of ParsedTurn's slots, plus "like" / "dislike" / "seen" /
#: "neutral" for title mentions and "feedback" for shown items)
SlotName = str


#: the ParsedTurn slots that hold a list of plain values (genres, people, qualifiers, countries)
VALUE_LIST_SLOTS: tuple[str, ...] = (
    "genres_include",
    "genres_exclude",
    "people_include",
    "people_exclude",
    "qualifiers_include",
    "qualifiers_exclude",
    "qualifiers_less",
    "countries",
)


class TitleMention(BaseModel):
    """A grounded catalog item mentioned in the user's text, with the user's stance on it."""

    item_id: int
    text: str = ""
    sentiment: Sentiment = "like"
    alternatives: list[int] = Field(
        default_factory=list,
        description="other catalog items the words could mean, when the choice is close (the reply asks)",
    )


class Span(BaseModel):
    """Where one slot value came from: the user's own words, so the UI can say "from your words …" and
    memory keeps its source. ``lasting`` marks an explicit statement of taste ("I love / hate / never /
    always / my favourite …"), which long-term memory may keep; everything else is a request for now.
    ``value`` is the slot's value as text: the item id for a title stance ("like" / "dislike" / "seen" /
    "neutral"), "position:sentiment" for feedback, "#N" for an anchor."""

    slot: SlotName
    value: str
    text: str
    lasting: bool = False


class ShownFeedback(BaseModel):
    """Feedback on an item shown earlier, referred to by its 1-based position ("the second one")."""

    position: int = Field(ge=1, le=50)
    sentiment: Sentiment


class ParsedTurn(BaseModel):
    """The parser's structured reading of one user message (the same schema for LLM and rules)."""

    intent: Intent = "recommend"
    mentions: list[TitleMention] = Field(default_factory=list)
    shown_feedback: list[ShownFeedback] = Field(default_factory=list)
    genres_include: list[str] = Field(default_factory=list)
    genres_exclude: list[str] = Field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None
    people_include: list[str] = Field(default_factory=list)
    people_exclude: list[str] = Field(default_factory=list)
    min_rating: float | None = None
    soft: str = Field(default="", description="free-text taste to match semantically")
    question_item: int | None = None
    question_aspect: Aspect | None = None
    question_qualifier: str | None = Field(
        default=None, description='for aspect "content": the qualifier asked about ("is it scary?" -> scary)'
    )
    commands: list[str] = Field(default_factory=list, description="active commands in the user's words")
    # qualifiers from the vocabulary in tools/qualifiers.py (topics, moods, content)
    qualifiers_include: list[str] = Field(default_factory=list, description="wanted: a soft boost")
    qualifiers_exclude: list[str] = Field(default_factory=list, description="ruled out: a hard exclusion")
    qualifiers_less: list[str] = Field(
        default_factory=list, description='"not too X", "not so X": a soft penalty, not an exclusion'
    )
    countries: list[str] = Field(default_factory=list, description="country of production, any of these")
    language: str | None = Field(default=None, description="ISO 639-1 code of the wanted spoken language")
    runtime_max: int | None = Field(default=None, ge=1, le=1000, description="minutes")
    runtime_min: int | None = Field(default=None, ge=1, le=1000, description="minutes")
    avoid_popular: bool = Field(default=False, description='"I might not have seen", "hidden gems"')
    anchor_item: int | None = Field(
        default=None, description='"more like the second one / this / X": the item the ranking centres on'
    )
    spans: list[Span] = Field(default_factory=list, description="the words each slot value came from")


class Preferences(BaseModel):
    """What the agent knows about the user's taste in this conversation; persists across turns."""

    liked: list[int] = Field(default_factory=list)
    disliked: list[int] = Field(default_factory=list)
    seen: list[int] = Field(default_factory=list)
    constraints: Constraints = Field(default_factory=Constraints)
    soft: list[str] = Field(default_factory=list)
    commands: list[str] = Field(default_factory=list)
    mentioned_by_agent: list[int] = Field(default_factory=list)
    qualifiers_boost: list[str] = Field(default_factory=list, description="wanted qualifiers: a soft boost")
    qualifiers_penalty: list[str] = Field(default_factory=list, description='"not too X": a soft penalty')
    avoid_popular: bool = Field(default=False, description='"I might not have seen": lower the best-known')
    language: str | None = Field(default=None, description="wanted spoken language (ISO 639-1)")

    def is_vague(self) -> bool:
        """True when nothing is known to recommend from."""
        return not (self.liked or self.soft or self.qualifiers_boost or not self.constraints.is_empty())


ReasonKind = Literal["asked", "memory", "same_director", "same_star", "fans_of", "similar", "genres", "plot"]


class Reason(BaseModel):
    """One claim of a "why", with its evidence.

    ``values`` name the attributes claimed, each ``"<what>:<value>"``: ``genre:comedy``, ``no_genre:horror``,
    ``years:1990-1999``, ``director:Name``, ``star:Name``, ``writer:Name``, ``no_person:Name``; ``items`` the
    catalog items cited (X of "fans of X"); ``quote`` the user's own words repeated; ``fact_id`` the
    long-term memory fact used."""

    kind: ReasonKind
    text: str
    items: list[int] = Field(default_factory=list)
    values: list[str] = Field(default_factory=list)
    quote: str = ""
    fact_id: str = ""


class ShownItem(BaseModel):
    """An item shown in a reply, with its score and the reason given."""

    id: int
    title: str
    year: int | None = None
    genres: list[str] = Field(default_factory=list)
    directors: list[str] = Field(default_factory=list)
    stars: list[str] = Field(default_factory=list)
    plot: str = ""
    score: float = 0.0
    why: str = ""
    #: the claims of ``why``, as data (see agent/reasons.py); the audit (``crsagent eval explain``) checks them
    reasons: list[Reason] = Field(default_factory=list)


def add_trace(earlier: list[dict[str, Any]] | None, new: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The trace's reducer: a node's records are appended; a turn's input sends ``None`` to start afresh."""
    return [] if new is None else [*(earlier or []), *new]


class AgentState(TypedDict, total=False):
    """The LangGraph state of one conversation (user, session)."""

    # input of the turn
    message: str
    role: Literal["user", "assistant"]
    user: str | None
    session: str | None
    #: the item a UI asks this turn to centre on ("more like this" on a card): sets ParsedTurn.anchor_item
    anchor: int | None
    # persistent across turns
    history: list[dict[str, str]]
    prefs: dict[str, Any]
    shown: list[dict[str, Any]]
    shown_ever: list[int]
    prev_shown: list[int]
    turns: int
    # produced during a turn
    parsed: dict[str, Any]
    plan: list[dict[str, Any]]
    ranking: list[dict[str, Any]]
    reply: str
    answer_items: list[dict[str, Any]]
    trace: Annotated[list[dict[str, Any]], add_trace]
    llm_calls: int
    fallbacks: int
    replans: int
    needs_replan: bool
    notes: list[str]
    caveats: list[str]
    error: str | None
    # evaluation only: rank on every user turn (not only those that show items), within a dataset's item
    # universe (None = whole catalog)
    want_ranking: bool
    universe: list[int] | None
    # training the learned ranker only: ``execute`` also returns the candidates' feature rows
    want_features: bool
