"""Rules that turn a parsed turn into long-term facts, and recalled facts back into preference hints.

Write side (no LLM): genre likes / dislikes ("dislikes horror", key ``genre:horror``, polarity -1), people
("likes movies with Tom Hanks", key ``person:tom hanks``), context phrases of the raw message ("watches with
kids", "watches on weekends", "watches for date night") as free facts, and item feedback from title mentions
and reactions to shown items. A statement that is only about this evening ("no horror tonight") is not kept,
unless it is worded as a lasting taste ("I hate horror").

Read side: :func:`facts_to_preferences` turns recalled facts plus the structured profile into
:class:`MemoryHints` to merge into a conversation's preferences.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.state import ParsedTurn, Preferences
from memory.facts import FREE_KEY, FactIn, RecalledFact, estimate_tokens
from tools.genres import GENRE_WORDS
from tools.titles import fold

log = logging.getLogger(__name__)

#: Words that make a statement about now only ("no horror tonight").
TRANSIENT = re.compile(
    r"\b(tonight|today|right now|this time|for now|at the moment|this evening|this afternoon|this weekend|"
    r"in the mood|not in the mood|feel like|feeling like|for a change)\b"
)
#: Words that make a statement about lasting taste ("I hate horror", "I always love westerns").
DURABLE = re.compile(
    r"\b(hate|hates|can t stand|cant stand|never|dislike|dislikes|don t like|dont like|not a fan|not into|always|"
    r"in general|generally|usually|love|loves|adore|favorite|favourite|i m a fan|im a fan|big fan|i like|i enjoy|"
    r"i m into|im into|anymore|any more|these days)\b"
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
#: Genre words that say more than their genre ("gore" is not all of horror): kept in the fact's text.
SPECIFIC_GENRE_WORDS = frozenset(
    [
        "gore",
        "gory",
        "zombie",
        "zombies",
        "slasher",
        "slashers",
        "superhero",
        "superheroes",
        "marvel",
        "anime",
        "pixar",
        "heist",
        "gangster",
        "mob",
        "noir",
        "aliens",
        "space",
        "cowboy",
        "biopic",
        "true story",
        "period piece",
        "whodunit",
        "cartoons",
        "cartoon",
        "musicals",
        "musical",
    ]
)
FEEDBACK_OF_MENTION = {"like": "liked", "dislike": "disliked", "seen": "seen"}
FEEDBACK_OF_SHOWN = {"like": "liked", "dislike": "rejected", "seen": "seen"}
#: Prefix of the soft preference that memory adds to a conversation (so it can be found and replaced).
MEMORY_SOFT_PREFIX = "memory: "
#: Liked items from memory that seed the conversation (older ones are only excluded, as seen).
MAX_MEMORY_LIKED = 10


# ----------------------------------------------------------------------------- write side
def _genre_words(low: str, genre: str) -> list[str]:
    """The words of a (folded) message that the rule parser maps to ``genre``."""
    padded = f" {low} "
    return [w for w, g in GENRE_WORDS.items() if g == genre and f" {w} " in padded]


def _genre_text(verb: str, genre: str, words: Sequence[str]) -> str:
    """``"dislikes horror"``, or ``"dislikes gore (horror)"`` when the user named something more specific."""
    specific = [w for w in words if w in SPECIFIC_GENRE_WORDS]
    return f"{verb} {specific[0]} ({genre})" if specific else f"{verb} {genre}"


def _without_companions(low: str) -> str:
    """The folded message without "with my kids"-like phrases (they are context, not a genre taste)."""
    for pattern in (_WITH, _WITH_BARE):
        low = pattern.sub(" ", low)
    return low


def _is_lasting(low: str) -> bool:
    """Keep a statement unless it is only about now and not worded as lasting taste."""
    if not TRANSIENT.search(low):
        return True
    return bool(DURABLE.search(low))


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
    return [FactIn(text=t, kind="context", key=FREE_KEY) for t in dict.fromkeys(texts)]


def extract_facts(message: str, parsed: ParsedTurn) -> list[FactIn]:
    """Facts worth keeping from one user message and its parse (the offline rules; no LLM)."""
    if parsed.intent in ("reset", "observe"):
        return []
    low = fold(message)
    taste = _without_companions(low)
    facts: list[FactIn] = []
    for negative, genres in ((True, parsed.genres_exclude), (False, parsed.genres_include)):
        for genre in genres:
            words = _genre_words(taste, genre)
            if not words:  # implied by a command ("something lighter"), not said: not a lasting taste
                continue
            if not _is_lasting(low):
                log.debug(
                    "memory: not keeping %s %s (about now only)", "dislike" if negative else "like", genre
                )
                continue
            text = _genre_text("dislikes" if negative else "likes", genre, words)
            facts.append(
                FactIn(
                    text=text,
                    kind="dislike" if negative else "preference",
                    key=f"genre:{genre}",
                    polarity=-1 if negative else 1,
                    value=genre,
                )
            )
    for negative, people in ((True, parsed.people_exclude), (False, parsed.people_include)):
        for name in people:
            if not _is_lasting(low):
                continue
            facts.append(
                FactIn(
                    text=f"{'dislikes' if negative else 'likes'} movies with {name}",
                    kind="dislike" if negative else "preference",
                    key=f"person:{fold(name)}",
                    polarity=-1 if negative else 1,
                    value=name,
                )
            )
    facts.extend(context_facts(message))
    return facts


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
@dataclass
class MemoryHints:
    """What memory suggests for a conversation's preferences.

    ``genres_exclude`` / ``people_exclude``: lasting dislikes (hard exclusions); ``genres_include`` /
    ``people_include``: lasting likes (for soft use: prompts, the query text; not hard filters);
    ``liked_ids`` / ``disliked_ids`` (disliked and rejected) / ``seen_ids``: item feedback (oldest first);
    ``soft_text``: the recalled positive facts as free text; ``trace``: which facts were used and how.
    """

    genres_exclude: list[str] = field(default_factory=list)
    genres_include: list[str] = field(default_factory=list)
    people_include: list[str] = field(default_factory=list)
    liked_ids: list[int] = field(default_factory=list)
    disliked_ids: list[int] = field(default_factory=list)
    seen_ids: list[int] = field(default_factory=list)
    soft_text: str = ""
    people_exclude: list[str] = field(default_factory=list)
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


def facts_to_preferences(
    recalled: Sequence[RecalledFact],
    structured: dict[str, Any],
    *,
    profile_likes_in_soft: bool = False,
    max_profile_likes: int = 3,
) -> MemoryHints:
    """Turn recalled facts and the structured profile into preference hints.

    Dislikes (genres, people) come from the whole profile: a lasting dislike applies whatever the request.
    The soft text is made of the recalled facts that are not negative (preferences, context; summaries are
    left to prompts), best first. With ``profile_likes_in_soft`` (a request that says nothing about taste),
    the most recent profile likes are used when no positive fact was recalled.
    """
    hints = MemoryHints()
    genres: dict[str, int] = structured.get("genres", {})
    people: dict[str, dict[str, Any]] = structured.get("people", {})
    facts: dict[str, dict[str, Any]] = structured.get("facts", {})
    hints.genres_exclude = [g for g, pol in genres.items() if pol < 0]
    hints.genres_include = [g for g, pol in genres.items() if pol > 0]
    hints.people_include = [p["name"] for p in people.values() if p["polarity"] > 0]
    hints.people_exclude = [p["name"] for p in people.values() if p["polarity"] < 0]
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
        elif fact.kind in ("preference", "context"):
            soft.append(fact.text)
            use = "soft"
        hints.trace.append(
            {
                "fact_id": fact.id,
                "text": fact.text,
                "score": fact.score,
                "source": "memory",
                "use": use,
                "tokens": fact.tokens,
                "key": fact.key,
                "polarity": fact.polarity,
            }
        )
    if not soft and profile_likes_in_soft:
        likes = [(key, f) for key, f in facts.items() if f["polarity"] > 0][-max_profile_likes:]
        for key, f in reversed(likes):
            soft.append(f["text"])
            hints.trace.append(
                {
                    "fact_id": f["fact_id"],
                    "text": f["text"],
                    "score": 1.0,
                    "source": "profile",
                    "use": "soft",
                    "tokens": estimate_tokens(f["text"]),
                    "key": key,
                    "polarity": f["polarity"],
                }
            )
            recalled_ids.add(f["fact_id"])
    for key, f in facts.items():
        if (
            f["polarity"] < 0
            and f["fact_id"] not in recalled_ids
            and key.split(":", 1)[0] in ("genre", "person")
        ):
            hints.trace.append(
                {
                    "fact_id": f["fact_id"],
                    "text": f["text"],
                    "score": 1.0,
                    "source": "profile",
                    "use": "exclude",
                    "tokens": 0,
                    "key": key,
                    "polarity": f["polarity"],
                }
            )
    hints.soft_text = "; ".join(soft)
    return hints
