"""The memory policy's rules: which parts of a parsed turn become long-term facts, and how recalled facts
join a conversation's preferences (no LLM).

Write side. Only lasting taste becomes a fact:

- explicit statements: the parser's :class:`agent.state.Span` entries with ``lasting=True`` ("I hate horror
  movies", "I love Tom Hanks", "my favourite director is Spielberg") on the taste slots of
  :data:`TASTE_SLOTS` (genres, people, qualifiers, countries), each fact keeping the sentence holding the
  span's words as its source (:func:`source_words`);
- item feedback (title mentions liked / disliked / seen, reactions to shown items): always kept;
- situations worded as a habit ("we watch with my kids on weekends"), as free context facts;
- a one-off request ("a comedy from the 80s", "no horror tonight") is not a fact: it stays in its session
  (the conversation state holds it) and is only counted (:func:`extract_requests`); the same request in two
  or more sessions becomes a fact (:meth:`memory.store.MemoryStore.record_requests`).

A parser that fills no spans (the LLM parser) falls back to a whole-message reading: a taste slot value is
lasting when the message is worded as lasting taste (:data:`DURABLE`) and not only about now (:data:`TRANSIENT`).

Read side: :func:`facts_to_preferences` turns recalled facts plus the structured profile into
:class:`MemoryHints`; the current conversation outweighs them (see :func:`outweighed`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.state import ParsedTurn, Preferences, Span
from memory.facts import FREE_KEY, FactIn, FactKind, RecalledFact, estimate_tokens
from tools.qualifiers import qualifier as qualifier_entry
from tools.titles import fold

log = logging.getLogger(__name__)

#: The ParsedTurn slots that hold taste: the fact key's prefix and polarity each gives.
TASTE_SLOTS: dict[str, tuple[str, int]] = {
    "genres_include": ("genre", 1),
    "genres_exclude": ("genre", -1),
    "people_include": ("person", 1),
    "people_exclude": ("person", -1),
    "qualifiers_include": ("qualifier", 1),
    "qualifiers_exclude": ("qualifier", -1),
    "countries": ("country", 1),
}
#: Words that make a statement about now only ("no horror tonight").
TRANSIENT = re.compile(
    r"\b(tonight|today|right now|this time|for now|at the moment|this evening|this afternoon|this weekend|"
    r"in the mood|not in the mood|feel like|feeling like|for a change)\b"
)
#: Words that make a statement about lasting taste ("I hate horror", "I always love westerns"); used only for
#: parses without spans.
DURABLE = re.compile(
    r"\b(hate|hates|can t stand|cant stand|never|dislike|dislikes|don t like|dont like|not a fan|not into|always|"
    r"in general|generally|usually|love|loves|adore|favorite|favourite|i m a fan|im a fan|big fan|i like|i enjoy|"
    r"i m into|im into|anymore|any more|these days)\b"
)
#: Words that make a described situation a habit ("we watch with my kids on weekends"), not one evening.
HABIT = re.compile(
    r"\b(usually|always|often|normally|mostly|generally|typically|every|tend to|we watch|i watch|we like to|"
    r"i like to|weekends|mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays|weeknights)\b"
)
_COMPANIONS = {
    "kids": "kids",
    "children": "kids",
    "child": "kids",
    "kid": "kids",
    "little ones": "kids",
    "toddler": "kids",
    "grandkids": "grandkids",
    "grandchildren": "grandkids",
    "family": "family",
    "wife": "wife",
    "husband": "husband",
    "partner": "partner",
    "girlfriend": "girlfriend",
    "boyfriend": "boyfriend",
    "friends": "friends",
    "parents": "parents",
    "mom": "mom",
    "mum": "mom",
    "dad": "dad",
    "son": "son",
    "daughter": "daughter",
    "roommate": "roommates",
    "roommates": "roommates",
    "teenager": "teenagers",
    "teenagers": "teenagers",
    "teens": "teenagers",
    "fiance": "partner",
    "fiancee": "partner",
    "spouse": "partner",
}
_WITH = re.compile(
    r"\b(?:with|for) (?:my|the|our|a|some) (" + "|".join(sorted(_COMPANIONS, key=len, reverse=True)) + r")\b"
)
_WITH_BARE = re.compile(r"\bwatch(?:es|ing)? (?:it |movies |films )?with (kids|children|family|friends)\b")
_DAYS = r"(mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays|weekends|weeknights)"
CONTEXT_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:on|at|during|over) (?:the )?weekends?\b"), "watches on weekends"),
    (re.compile(r"\b(?:on )?" + _DAYS + r"\b"), "watches on {0}"),
    (re.compile(r"\b(?:friday|saturday|sunday) nights?\b"), "watches on weekend nights"),
    (re.compile(r"\bdate night\b|\b(?:for|on) a date\b|\bdate movie\b"), "watches for date night"),
    (re.compile(r"\bfamily (?:movie )?night\b"), "watches at family movie night"),
    (
        re.compile(r"\b(?:on|during) (?:a |the |my )?(?:flight|plane|train|commute)\b"),
        "watches while travelling",
    ),
    (re.compile(r"\bbefore (?:bed|bedtime|sleep|sleeping)\b|\bat bedtime\b"), "watches before bed"),
    (re.compile(r"\b(?:alone|by myself|on my own)\b"), "watches alone"),
    (
        re.compile(
            r"\b(?:short (?:movies?|films?|ones?)|something short|not too long|under (?:two|2|an|one|1) hours?)\b"
        ),
        "prefers shorter movies",
    ),
    (
        re.compile(r"\b(?:no|hate|dont like|don t like|without) subtitles\b"),
        "prefers movies without subtitles",
    ),
    (
        re.compile(
            r"\b(?:no|not too much|without|hate|dont like|don t like) (?:violence|violent)\b|\bnothing violent\b"
        ),
        "avoids violent movies",
    ),
    (
        re.compile(
            r"\b(?:no|without|hate|dont like|don t like) (?:swearing|bad language|nudity|sex scenes)\b"
        ),
        "avoids explicit content",
    ),
]
FEEDBACK_OF_MENTION = {"like": "liked", "dislike": "disliked", "seen": "seen"}
FEEDBACK_OF_SHOWN = {"like": "liked", "dislike": "rejected", "seen": "seen"}
#: Prefix of the soft preference that memory adds to a conversation (so it can be found and replaced).
MEMORY_SOFT_PREFIX = "memory: "
#: Liked items from memory that seed the conversation (older ones are only excluded, as seen).
MAX_MEMORY_LIKED = 10


# ----------------------------------------------------------------------------- write side
#: Qualifier labels that read as adjectives ("dislikes scary movies"); the others read "movies with ...".
_ADJECTIVE_QUALIFIERS = frozenset(["scary", "dark", "feel-good", "mind-bending", "slow", "award-winning"])


def _label(prefix: str, value: str) -> str:
    """How a taste value reads in a sentence: ``horror``, ``Tom Hanks``, ``gore``, ``movies from France``."""
    if prefix == "qualifier":
        entry = qualifier_entry(value)
        return entry.label if entry else value
    if prefix == "country":
        return f"movies from {value}"
    return value


def fact_text(prefix: str, polarity: int, value: str) -> str:
    """The fact's text: "likes comedy", "dislikes movies with Adam Sandler", "dislikes movies with gore",
    "likes feel-good movies", "likes movies from France"."""
    verb = "likes" if polarity > 0 else "dislikes"
    label = _label(prefix, value)
    if prefix == "person":
        return f"{verb} movies with {value}"
    if prefix == "qualifier":
        adjective = value in _ADJECTIVE_QUALIFIERS
        return f"{verb} {label} movies" if adjective else f"{verb} movies with {label}"
    return f"{verb} {label}"


def stance_phrase(prefix: str, polarity: int, value: str) -> str:
    """A short phrase for a stance, as notes show it: ``horror`` / ``no horror``, ``Tom Hanks`` / ``no Tom
    Hanks``."""
    label = _label(prefix, value)
    return label if polarity > 0 else f"no {label}"


def _fact_key(prefix: str, value: str) -> str:
    return f"person:{fold(value)}" if prefix == "person" else f"{prefix}:{value.strip().lower()}"


def _worded_lasting(low: str) -> bool:
    """The whole-message reading of a parse without spans: lasting when worded as taste ("I hate ...")."""
    return bool(DURABLE.search(low))


def taste_spans(message: str, parsed: ParsedTurn) -> list[Span]:
    """The turn's taste spans (slots of :data:`TASTE_SLOTS`). A value the parser set without a span counts as a
    one-off request; a parse without any span is read as a whole (see the module docstring)."""
    values = {slot: {v.lower() for v in getattr(parsed, slot)} for slot in TASTE_SLOTS}
    spans = [s for s in parsed.spans if s.slot in TASTE_SLOTS and s.value.strip()]
    spans = [s for s in spans if not values[s.slot] or s.value.lower() in values[s.slot]]
    covered = {(s.slot, s.value.lower()) for s in spans}
    lasting = not parsed.spans and _worded_lasting(fold(message))
    source = " ".join(message.split())[:300]
    for slot in TASTE_SLOTS:
        for value in getattr(parsed, slot):
            if (slot, value.lower()) not in covered:
                spans.append(Span(slot=slot, value=value, text=source, lasting=lasting))
    return spans


_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")


def source_words(message: str, span_text: str) -> str:
    """The user's words a fact keeps: the sentence of ``message`` that holds the span's words ("I hate horror
    movies" for the span "hate horror"), else the span's words themselves."""
    needle = fold(span_text)
    if needle:
        for sentence in _SENTENCE_END.split(message):
            if needle in fold(sentence):
                return " ".join(sentence.split()).rstrip(".!?; ")[:300]
    return " ".join(span_text.split())[:300]


def _span_fact(span: Span, message: str = "") -> FactIn:
    prefix, polarity = TASTE_SLOTS[span.slot]
    kind: FactKind = "preference" if polarity > 0 else "dislike"
    return FactIn(
        text=fact_text(prefix, polarity, span.value),
        kind=kind,
        key=_fact_key(prefix, span.value),
        polarity=polarity,
        value=span.value,
        source=source_words(message, span.text) if message else span.text,
        explicit=span.lasting,
    )


def context_facts(message: str) -> list[FactIn]:
    """Free facts about the situation the user watches in ("watches with kids", "watches on weekends")."""
    low = fold(message)
    texts: list[str] = []
    for m in [*_WITH.finditer(low), *_WITH_BARE.finditer(low)]:
        who = _COMPANIONS.get(m.group(1), m.group(1))
        texts.append(f"watches with {who}")
    for pattern, template in CONTEXT_RULES:
        hit = pattern.search(low)
        if hit:
            texts.append(template.format(*hit.groups()) if "{0}" in template else template)
    if "watches on weekends" in texts:
        texts = [t for t in texts if t != "watches on weekend nights"]
    source = " ".join(message.split())[:300]
    return [FactIn(text=t, kind="context", key=FREE_KEY, source=source) for t in dict.fromkeys(texts)]


def extract_facts(message: str, parsed: ParsedTurn) -> list[FactIn]:
    """The long-term facts of one user message: its explicit statements of taste (lasting spans) and, when
    worded as a habit (or said with a lasting statement) and not only about now, its context phrases."""
    if parsed.intent in ("reset", "observe", "item_question"):
        return []
    spans = taste_spans(message, parsed)
    facts = {}
    for span in spans:
        if span.lasting:
            fact = _span_fact(span, message)
            facts[fact.key] = fact  # the later statement of the same key wins
    low = fold(message)
    habitual = bool(HABIT.search(low)) or bool(facts)
    if habitual and not (TRANSIENT.search(low) and not DURABLE.search(low)):
        context = context_facts(message)
    else:
        context = []
        log.debug("memory: no context facts from a message about now only")
    return [*facts.values(), *context]


def extract_requests(message: str, parsed: ParsedTurn) -> list[FactIn]:
    """The one-off taste requests of one user message (taste spans not stated as lasting), as facts to count
    per session (``explicit=False``); see :meth:`memory.store.MemoryStore.record_requests`."""
    if parsed.intent in ("reset", "observe", "item_question", "chitchat"):
        return []
    spans = taste_spans(message, parsed)
    lasting = {_span_fact(s).key for s in spans if s.lasting}
    out: dict[tuple[str, int], FactIn] = {}
    for span in spans:
        fact = _span_fact(span, message)
        if not span.lasting and fact.key not in lasting:
            out[(fact.key, fact.polarity)] = fact
    return list(out.values())


def extract_item_feedback(parsed: ParsedTurn) -> dict[int, str]:
    """Item stances from grounded title mentions ("loved Heat" -> liked, "seen Alien" -> seen)."""
    if parsed.intent in ("reset", "observe", "item_question"):
        return {}
    out: dict[int, str] = {}
    for m in parsed.mentions:
        kind = FEEDBACK_OF_MENTION.get(m.sentiment)
        if kind:
            out[m.item_id] = kind
    return out


def shown_feedback_items(parsed: ParsedTurn, shown_ids: Sequence[int]) -> dict[int, str]:
    """Item stances from reactions to the previous reply's items ("the second one looks good" -> liked,
    "not the first" -> rejected, "seen the third" -> seen). ``shown_ids`` are the shown items in order."""
    out: dict[int, str] = {}
    for f in parsed.shown_feedback:
        if 1 <= f.position <= len(shown_ids):
            kind = FEEDBACK_OF_SHOWN.get(f.sentiment)
            if kind:
                out[int(shown_ids[f.position - 1])] = kind
    return out


def session_summary(prefs: Preferences, titles: dict[int, str] | None = None, max_chars: int = 300) -> str:
    """A one-line summary of a conversation's preferences ("liked Heat (1995); wanted crime; no horror")."""
    titles = titles or {}

    def names(ids: Iterable[int]) -> str:
        return ", ".join(titles.get(i, f"#{i}") for i in list(ids)[-4:])

    c = prefs.constraints
    parts: list[str] = []
    if prefs.liked:
        parts.append(f"liked {names(prefs.liked)}")
    if prefs.disliked:
        parts.append(f"disliked {names(prefs.disliked)}")
    if c.genres_include:
        parts.append(f"wanted {', '.join(c.genres_include)}")
    if c.genres_exclude:
        parts.append(f"no {', '.join(c.genres_exclude)}")
    if c.people_include:
        parts.append(f"with {', '.join(c.people_include)}")
    if c.year_min or c.year_max:
        parts.append(f"years {c.year_min or ''}-{c.year_max or ''}")
    soft = [s for s in prefs.soft if not s.startswith(MEMORY_SOFT_PREFIX)]
    if soft:
        parts.append(f"asked for {soft[-1]}")
    return "; ".join(parts)[:max_chars]


# ----------------------------------------------------------------------------- read side
def outweighed(key: str, value: str, polarity: int, prefs: Preferences | None) -> bool:
    """True when the conversation asks otherwise than a remembered like, which then is not used this turn:

    - a genre like, when the conversation asks for genres (others, or this one already: the hint would only
      repeat it) or rules it out ("likes comedy" + "a drama"; "likes comedy" + "no comedy");
    - a person like, when the conversation names people (others, or this one already) or rules this one out;
    - a qualifier like, when the conversation rules it out or wants less of it;
    - a country like, when the conversation asks for other countries.

    Remembered dislikes are lifted by :func:`memory.hooks.recall_for_turn` (a request for the excluded value);
    free context facts are never outweighed."""
    if prefs is None or polarity <= 0:
        return False
    c = prefs.constraints
    prefix, _, rest = key.partition(":")
    v = (value or rest).strip()
    if prefix == "genre":
        g = v.lower()
        return g in c.genres_exclude or bool(c.genres_include)  # another genre asked, or this one already
    if prefix == "person":
        wanted, unwanted = {fold(x) for x in c.people_include}, {fold(x) for x in c.people_exclude}
        return fold(v) in unwanted or bool(wanted)  # other people named, or this one already
    if prefix == "qualifier":
        return v in c.qualifiers_exclude or v in prefs.qualifiers_penalty
    if prefix == "country":
        return bool(c.countries) and v.lower() not in {x.lower() for x in c.countries}
    return False


@dataclass
class MemoryHints:
    """What memory suggests for a conversation's preferences.

    ``genres_exclude`` / ``people_exclude`` / ``qualifiers_exclude``: lasting dislikes (exclusions);
    ``genres_include`` / ``people_include``: lasting likes (for soft use: prompts, the query
    text; not hard filters); ``liked_ids`` / ``disliked_ids`` (disliked and rejected) / ``seen_ids``: item
    feedback (oldest first); ``soft_text``: the recalled positive facts that the conversation does not outweigh,
    as free text; ``trace``: which facts were used and how.
    """

    genres_exclude: list[str] = field(default_factory=list)
    genres_include: list[str] = field(default_factory=list)
    people_include: list[str] = field(default_factory=list)
    liked_ids: list[int] = field(default_factory=list)
    disliked_ids: list[int] = field(default_factory=list)
    seen_ids: list[int] = field(default_factory=list)
    soft_text: str = ""
    people_exclude: list[str] = field(default_factory=list)
    qualifiers_exclude: list[str] = field(default_factory=list)
    trace: list[dict[str, Any]] = field(default_factory=list)

    def as_tuple(self) -> tuple[list[str], list[str], list[str], list[int], list[int], list[int], str]:
        """``(genres_exclude, genres_include, people_include, liked_ids, disliked_ids, seen_ids, soft_text)``."""
        return (
            self.genres_exclude,
            self.genres_include,
            self.people_include,
            self.liked_ids,
            self.disliked_ids,
            self.seen_ids,
            self.soft_text,
        )


def _record(fact_id: str, text: str, score: float, source: str, use: str, words: str = "") -> dict[str, Any]:
    return {
        "fact_id": fact_id,
        "text": text,
        "score": score,
        "source": source,
        "use": use,
        "tokens": estimate_tokens(text) if use == "soft" or source == "memory" else 0,
        "words": words,
    }


def facts_to_preferences(
    recalled: Sequence[RecalledFact],
    structured: dict[str, Any],
    *,
    profile_likes_in_soft: bool = False,
    max_profile_likes: int = 3,
    current: Preferences | None = None,
) -> MemoryHints:
    """Turn recalled facts and the structured profile into preference hints.

    Dislikes (genres, people, qualifiers) come from the whole profile: a lasting dislike applies whatever the
    request (the caller lifts it when the conversation asks for it). The soft text is made of the recalled
    facts that are not negative (preferences, context; summaries are left to prompts), best first, minus the
    likes that ``current`` (the conversation's preferences, this turn included) outweighs (trace use
    ``outweighed``; see :func:`outweighed`). With ``profile_likes_in_soft`` (a request that says nothing about
    taste), the most recent profile likes are used when no positive fact was recalled.
    """
    hints = MemoryHints()
    genres: dict[str, int] = structured.get("genres", {})
    people: dict[str, dict[str, Any]] = structured.get("people", {})
    facts: dict[str, dict[str, Any]] = structured.get("facts", {})
    hints.genres_exclude = [g for g, pol in genres.items() if pol < 0]
    hints.genres_include = [g for g, pol in genres.items() if pol > 0]
    hints.people_include = [p["name"] for p in people.values() if p["polarity"] > 0]
    hints.people_exclude = [p["name"] for p in people.values() if p["polarity"] < 0]
    hints.qualifiers_exclude = [q for q, pol in structured.get("qualifiers", {}).items() if pol < 0]
    hints.liked_ids = list(structured.get("liked", []))
    hints.disliked_ids = list(
        dict.fromkeys([*structured.get("disliked", []), *structured.get("rejected", [])])
    )
    hints.seen_ids = list(structured.get("seen", []))

    recalled_ids = set()
    soft: list[str] = []
    for fact in recalled:
        recalled_ids.add(fact.id)
        use = "context"
        if fact.polarity < 0:
            use = "exclude"
        elif outweighed(fact.key, fact.value, fact.polarity, current):
            use = "outweighed"
        elif fact.kind in ("preference", "context"):
            soft.append(fact.text)
            use = "soft"
        hints.trace.append(
            {
                **_record(fact.id, fact.text, fact.score, "memory", use, fact.source_text),
                "tokens": fact.tokens,
                "key": fact.key,
                "polarity": fact.polarity,
            }
        )
    if not soft and profile_likes_in_soft:
        likes = [
            (key, f)
            for key, f in facts.items()
            if f["polarity"] > 0 and not outweighed(key, f.get("value", ""), f["polarity"], current)
        ][-max_profile_likes:]
        for key, f in reversed(likes):
            soft.append(f["text"])
            hints.trace.append(
                {
                    **_record(f["fact_id"], f["text"], 1.0, "profile", "soft", f.get("source", "")),
                    "key": key,
                    "polarity": f["polarity"],
                }
            )
            recalled_ids.add(f["fact_id"])
    for key, f in facts.items():
        if (
            f["polarity"] < 0
            and f["fact_id"] not in recalled_ids
            and key.split(":", 1)[0] in ("genre", "person", "qualifier")
        ):
            hints.trace.append(
                {
                    **_record(f["fact_id"], f["text"], 1.0, "profile", "exclude", f.get("source", "")),
                    "key": key,
                    "polarity": f["polarity"],
                }
            )
    hints.soft_text = "; ".join(soft)
    return hints
