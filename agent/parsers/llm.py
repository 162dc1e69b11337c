"""The LLM parser: structured JSON output validated with pydantic; extracted titles are grounded before
they enter the state (an ungroundable title is dropped), vocabulary values (genres, qualifiers, countries,
languages) outside the vocabularies are dropped, and a garbage value of an optional slot is dropped alone
rather than discarding the whole reading."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field, field_validator

from agent.llm import LLMClient
from agent.parsers.closed_vocab import norm_country, norm_language, norm_qualifier
from agent.prompts import PARSE_SYSTEM
from agent.state import VALUE_LIST_SLOTS, Aspect, ParsedTurn, Span, TitleMention
from tools.genres import GENRES
from tools.grounding import Grounder
from tools.qualifiers import QUALIFIER_NAMES

_ASPECTS = frozenset(get_args(Aspect))
#: the slots a ``lasting`` entry may name ("genres_exclude:horror")
LASTING_SLOTS = (*VALUE_LIST_SLOTS, "language")


def _int_or_none(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = int(float(value))
    except (TypeError, ValueError, OverflowError):
        return None
    return number if low <= number <= high else None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [v.strip() for v in value if isinstance(v, str) and v.strip()][:10]


class LLMParse(BaseModel):
    """What the LLM is asked to return. ``intent`` is required: any other JSON object (a model echoing
    some unrelated snippet) would otherwise validate as an empty parse and silently replace the rules'."""

    intent: Literal["recommend", "more", "item_question", "feedback", "chitchat", "reset"]
    liked_titles: list[str] = Field(default_factory=list)
    disliked_titles: list[str] = Field(default_factory=list)
    seen_titles: list[str] = Field(default_factory=list)
    genres_include: list[str] = Field(default_factory=list)
    genres_exclude: list[str] = Field(default_factory=list)
    year_min: int | None = Field(default=None, ge=1870, le=2100)
    year_max: int | None = Field(default=None, ge=1870, le=2100)
    people_include: list[str] = Field(default_factory=list)
    people_exclude: list[str] = Field(default_factory=list)
    min_rating: float | None = Field(default=None, ge=0, le=10)
    soft: str = ""
    question_title: str | None = None
    question_position: int | None = None
    question_aspect: str | None = None
    question_qualifier: str | None = None
    qualifiers_include: list[str] = Field(default_factory=list)
    qualifiers_exclude: list[str] = Field(default_factory=list)
    qualifiers_less: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    language: str | None = None
    runtime_max: int | None = None
    runtime_min: int | None = None
    avoid_popular: bool = False
    anchor_position: int | None = None
    anchor_title: str | None = None
    lasting: list[str] = Field(default_factory=list)

    @field_validator(
        "qualifiers_include",
        "qualifiers_exclude",
        "qualifiers_less",
        "countries",
        "lasting",
        mode="before",
    )
    @classmethod
    def _lenient_lists(cls, value: Any) -> list[str]:
        return _strings(value)

    @field_validator(
        "question_title", "question_aspect", "question_qualifier", "language", "anchor_title", mode="before"
    )
    @classmethod
    def _lenient_text(cls, value: Any) -> str | None:
        return (value.strip()[:300] or None) if isinstance(value, str) else None

    @field_validator("question_position", "anchor_position", mode="before")
    @classmethod
    def _lenient_position(cls, value: Any) -> int | None:
        return _int_or_none(value, 1, 50)

    @field_validator("runtime_max", "runtime_min", mode="before")
    @classmethod
    def _lenient_runtime(cls, value: Any) -> int | None:
        return _int_or_none(value, 1, 1000)

    @field_validator("avoid_popular", mode="before")
    @classmethod
    def _lenient_bool(cls, value: Any) -> bool:
        if isinstance(value, str):
            return value.strip().lower() in ("true", "yes", "1")
        return value is True or value == 1


def _qualifiers(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        name = norm_qualifier(v)
        if name in QUALIFIER_NAMES and name not in out:
            out.append(name)
    return out


def _at(shown: Sequence[int], position: int | None) -> int | None:
    return shown[position - 1] if position is not None and 1 <= position <= len(shown) else None


def llm_parse(
    llm: LLMClient, grounder: Grounder, message: str, rules: ParsedTurn, *, shown: Sequence[int] = ()
) -> ParsedTurn | None:
    """Parse with the LLM; None when the call fails or returns unusable output. Feedback on shown items
    ("the second one") is taken from the rule parser, which resolves positions reliably; ``shown`` (the
    items of the previous reply, in order) resolves the positions the LLM gives for a question or an anchor."""
    out = llm.chat_json(
        [
            {
                "role": "system",
                "content": PARSE_SYSTEM.replace("{genres}", ", ".join(GENRES)).replace(
                    "{qualifiers}", ", ".join(sorted(QUALIFIER_NAMES))
                ),
            },
            {"role": "user", "content": f"<user>{message[:2000]}</user>"},
        ],
        LLMParse,
    )
    if out is None:
        return None
    try:
        return _to_turn(out, grounder, rules, list(shown))
    except Exception:  # a reading that cannot be mapped is no reading: the rules' stays
        return None


def _to_turn(out: LLMParse, grounder: Grounder, rules: ParsedTurn, shown: list[int]) -> ParsedTurn:
    mentions: list[TitleMention] = []
    for titles, sentiment in (
        (out.liked_titles, "like"),
        (out.disliked_titles, "dislike"),
        (out.seen_titles, "seen"),
    ):
        for title in titles[:10]:
            match = grounder.ground(title)
            if match is not None:
                mentions.append(
                    TitleMention(
                        item_id=match.item_id,
                        text=title,
                        sentiment=sentiment,  # type: ignore[arg-type]
                        alternatives=list(match.alternatives),
                    )
                )
    question_item = _at(shown, out.question_position)
    if question_item is None and out.question_title:
        match = grounder.ground(out.question_title)
        question_item = match.item_id if match else rules.question_item
    if question_item is None and out.intent == "item_question":
        question_item = rules.question_item
    anchor_item = _at(shown, out.anchor_position)
    if anchor_item is None and out.anchor_title:
        match = grounder.ground(out.anchor_title)
        anchor_item = match.item_id if match else None
    aspect = out.question_aspect.lower() if out.question_aspect else None
    aspect = aspect if aspect in _ASPECTS else rules.question_aspect
    qualifier = norm_qualifier(out.question_qualifier) if out.question_qualifier else None
    known = set(GENRES)
    intent = out.intent
    if intent == "item_question" and question_item is None:
        intent = "recommend"
    countries: list[str] = []
    for c in out.countries:
        name = norm_country(c)
        if name is not None and name not in countries:
            countries.append(name)
    runtime_min, runtime_max = out.runtime_min, out.runtime_max
    if runtime_min is not None and runtime_max is not None and runtime_min > runtime_max:
        runtime_min = runtime_max = None
    turn = ParsedTurn(
        intent=intent,
        mentions=mentions or rules.mentions,
        shown_feedback=rules.shown_feedback,
        genres_include=[g.lower() for g in out.genres_include if g.lower() in known],
        genres_exclude=[g.lower() for g in out.genres_exclude if g.lower() in known],
        year_min=out.year_min,
        year_max=out.year_max,
        people_include=out.people_include[:5],
        people_exclude=out.people_exclude[:5],
        min_rating=out.min_rating,
        soft=out.soft[:300] or rules.soft,
        question_item=question_item,
        question_aspect=aspect,  # type: ignore[arg-type]
        question_qualifier=qualifier if aspect == "content" else None,
        commands=rules.commands,
        qualifiers_include=_qualifiers(out.qualifiers_include),
        qualifiers_exclude=_qualifiers(out.qualifiers_exclude),
        qualifiers_less=_qualifiers(out.qualifiers_less),
        countries=countries,
        language=norm_language(out.language) if out.language else None,
        runtime_max=runtime_max,
        runtime_min=runtime_min,
        avoid_popular=out.avoid_popular,
        anchor_item=anchor_item,
    )
    turn.spans = _lasting_spans(out.lasting, turn)
    return turn


def _lasting_spans(entries: list[str], turn: ParsedTurn) -> list[Span]:
    """``slot:value`` entries the LLM marked as a lasting taste, kept when the reading holds that value."""
    spans: list[Span] = []
    for entry in entries:
        slot, _, raw = entry.partition(":")
        slot, raw = slot.strip(), raw.strip()
        if slot not in LASTING_SLOTS or not raw:
            continue
        if slot.startswith("qualifiers_"):
            value: str | None = norm_qualifier(raw)
        elif slot == "countries":
            value = norm_country(raw)
        elif slot == "language":
            value = norm_language(raw)
        else:
            value = raw.lower() if slot.startswith("genres_") else raw
        held = getattr(turn, slot)
        held_values = held if isinstance(held, list) else [held]
        if value is not None and value in held_values:
            spans.append(Span(slot=slot, value=value, text=raw[:200], lasting=True))
    return spans
