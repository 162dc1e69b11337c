"""The LLM parser: structured JSON output validated with pydantic; extracted titles are grounded before
they enter the state (an ungroundable title is dropped)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from agent.llm import LLMClient
from agent.prompts import PARSE_SYSTEM
from agent.state import Aspect, ParsedTurn, TitleMention
from tools.genres import GENRES
from tools.grounding import Grounder


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
    question_aspect: Aspect | None = None


def llm_parse(llm: LLMClient, grounder: Grounder, message: str, rules: ParsedTurn) -> ParsedTurn | None:
    """Parse with the LLM; None when the call fails or returns unusable output. Feedback on shown items
    ("the second one") is taken from the rule parser, which resolves positions reliably."""
    out = llm.chat_json(
        [
            {"role": "system", "content": PARSE_SYSTEM.replace("{genres}", ", ".join(GENRES))},
            {"role": "user", "content": f"<user>{message[:2000]}</user>"},
        ],
        LLMParse,
    )
    if out is None:
        return None
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
    question_item = None
    if out.question_title:
        match = grounder.ground(out.question_title)
        question_item = match.item_id if match else rules.question_item
    known = set(GENRES)
    intent = out.intent
    if intent == "item_question" and question_item is None:
        intent = "recommend"
    return ParsedTurn(
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
        question_aspect=out.question_aspect or rules.question_aspect,
        commands=rules.commands,
    )
