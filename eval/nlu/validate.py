"""Checks of gold readings against the schema of eval/data/NLU.md: unknown keys, values outside the
vocabularies (genres, qualifiers, intents, aspects, countries, languages), positions past the shown list,
``lasting`` entries whose value the slot does not hold. Warnings, not errors: the scorer still scores them."""

from __future__ import annotations

from typing import Any, get_args

from agent.parsers.closed_vocab import COUNTRIES
from agent.state import Aspect
from eval.nlu.gold import CATEGORIES, GoldUtterance
from eval.nlu.pairs import LIST_SLOTS, SCALAR_SLOTS, TITLE_SLOTS
from tools.genres import GENRES
from tools.qualifiers import QUALIFIER_NAMES

INTENTS = frozenset({"recommend", "more", "item_question", "feedback", "chitchat", "reset"})
ASPECTS = frozenset(get_args(Aspect))
KEYS = frozenset(
    {
        "intent",
        *TITLE_SLOTS,
        *LIST_SLOTS,
        *SCALAR_SLOTS,
        "avoid_popular",
        "anchor",
        "feedback",
        "question",
        "lasting",
    }
)


def _position_ok(target: Any, n_shown: int) -> bool:
    text = str(target)
    return not (text.startswith("#") and text[1:].isdigit()) or 1 <= int(text[1:]) <= n_shown


def check_gold(utterance: GoldUtterance) -> list[str]:
    """The problems of one gold reading, as short sentences (empty when it follows the schema)."""
    g, n_shown, out = utterance.gold, len(utterance.shown), []
    if utterance.category not in CATEGORIES:
        out.append(f"unknown category {utterance.category!r}")
    out += [f"unknown key {k!r}" for k in g if k not in KEYS]
    if g.get("intent", "recommend") not in INTENTS:
        out.append(f"unknown intent {g.get('intent')!r}")
    for slot in ("genres_include", "genres_exclude"):
        out += [f"{slot}: {v!r} is not a genre" for v in g.get(slot) or [] if v not in GENRES]
    for slot in ("qualifiers_include", "qualifiers_exclude", "qualifiers_less"):
        out += [f"{slot}: {v!r} is not a qualifier" for v in g.get(slot) or [] if v not in QUALIFIER_NAMES]
    out += [
        f"countries: {v!r} is not a known country name"
        for v in g.get("countries") or []
        if v not in COUNTRIES
    ]
    language = g.get("language")
    if language is not None and not (isinstance(language, str) and len(language) == 2 and language.islower()):
        out.append(f"language: {language!r} is not an ISO 639-1 code")
    if g.get("anchor") is not None and not _position_ok(g["anchor"], n_shown):
        out.append(f"anchor {g['anchor']!r} is past the {n_shown} shown")
    for fb in g.get("feedback") or []:
        if not isinstance(fb, dict) or not 1 <= int(fb.get("position") or 0) <= max(n_shown, 0):
            out.append(f"feedback {fb!r} is past the {n_shown} shown")
        elif fb.get("sentiment") not in ("like", "dislike", "seen"):
            out.append(f"feedback {fb!r}: unknown sentiment")
    q = g.get("question")
    if q is not None:
        if not isinstance(q, dict) or q.get("aspect") not in ASPECTS:
            out.append(f"question {q!r}: unknown aspect")
        else:
            if not _position_ok(q.get("target", "#1"), n_shown):
                out.append(f"question target {q.get('target')!r} is past the {n_shown} shown")
            if q.get("qualifier") is not None and q["qualifier"] not in QUALIFIER_NAMES:
                out.append(f"question qualifier {q['qualifier']!r} is not a qualifier")
    for entry in g.get("lasting") or []:
        slot, _, value = str(entry).partition(":")
        held = g.get(slot)
        values = [str(v) for v in (held if isinstance(held, list) else [held])] if held is not None else []
        if value not in values:
            out.append(f"lasting {entry!r}: the reading has no {slot} {value!r}")
    return out


def check_all(utterances: list[GoldUtterance]) -> list[str]:
    """Every problem of a gold set, each prefixed with its utterance id."""
    return [f"{u.id}: {p}" for u in utterances for p in check_gold(u)]
