"""Simulated users for interactive evaluation: an agenda-based attribute simulator and an LLM simulator.

Both know only the *attributes* of a hidden target movie (:class:`TargetProfile`: genres, decade, directors,
stars, plot keywords) — never its title. Every sentence a simulator emits passes :class:`LeakFilter`: a
sentence whose fuzzy match to the target's title (rapidfuzz ``partial_ratio``, with and without the year)
exceeds 90 is removed and counted as a leak.

- :class:`AttributeSimulator` (no LLM, deterministic for a given seed): opens with the dialog's seed text (or
  an opener built from one attribute), then each turn either accepts (the target is among the shown items:
  "Yes! I'll watch the third one", by position, never by title) or rejects the shown items with a reason
  grounded in the target's attributes ("those are too old — something from the 2000s", "not into horror")
  and volunteers one new attribute from its agenda.
- :class:`LLMSimulator`: a persona prompt with only the attributes and the agent's last reply, through the
  simulator's own OpenAI-compatible settings (``CRSAGENT_SIM_*``); when the LLM fails or its filtered answer
  is empty, the attribute simulator's utterance for that turn is used instead (counted as a fallback).
"""

from __future__ import annotations

import logging
import random
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from agent.llm import LLMClient
from tools.catalog import Item
from tools.settings import Settings
from tools.titles import fold

log = logging.getLogger(__name__)

__all__ = [
    "LEAK_THRESHOLD",
    "AttributeSimulator",
    "LLMSimulator",
    "LeakFilter",
    "SimTurn",
    "TargetProfile",
    "split_sentences",
    "stable_seed",
]

#: A sentence whose partial-ratio match to the title exceeds this is a leak.
LEAK_THRESHOLD = 90.0
#: Titles this short (folded characters) only leak as a whole word: partial_ratio would flag any sentence
#: containing e.g. "up" or "it" as a substring.
SHORT_TITLE_CHARS = 4
#: Genres the agent's rule parser understands (the catalog vocabulary, lower case) and how users say them.
GENRE_SAY: dict[str, str] = {
    "drama": "drama",
    "comedy": "comedy",
    "action": "action",
    "thriller": "thriller",
    "adventure": "adventure",
    "romance": "romance",
    "crime": "crime",
    "horror": "horror",
    "family": "family",
    "fantasy": "fantasy",
    "sci-fi": "sci-fi",
    "mystery": "mystery",
    "animation": "animated",
    "biography": "biopic",
    "documentary": "documentary",
    "music": "musical",
    "history": "historical",
    "war": "war",
    "western": "western",
    "sport": "sports",
}
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+|\n+")
_ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth")


def stable_seed(*parts: object) -> int:
    """A process-independent seed from ``parts`` (Python's ``hash`` of a str is salted per process)."""
    return zlib.crc32("\x1f".join(str(p) for p in parts).encode("utf-8"))


def split_sentences(text: str) -> list[str]:
    """Sentences (and lines) of ``text``, stripped, empty ones dropped."""
    return [s.strip() for s in _SENTENCE_RE.split(text or "") if s and s.strip()]


# ------------------------------------------------------------------------------------------- leak filter


class LeakFilter:
    """Removes every sentence that names the target's title (fuzzy), the same check for every simulator.

    A sentence leaks when ``partial_ratio`` between the folded title (with or without its year) and the folded
    sentence exceeds :data:`LEAK_THRESHOLD`. ``partial_ratio`` aligns the shorter string inside the longer
    one, so a sentence *shorter* than the title is compared with plain ``ratio`` (otherwise "Yes!" would
    match "Yes Man"); titles of at most :data:`SHORT_TITLE_CHARS` characters ("Up", "Her") leak only as a
    whole word.
    """

    def __init__(self, title: str, year: int | None = None, threshold: float = LEAK_THRESHOLD) -> None:
        self.title = title
        self.year = year
        self.threshold = threshold
        key = fold(title)
        self._keys = [k for k in {key, fold(f"{title} ({year})") if year else key} if k]
        self._short = len(key.replace(" ", "")) <= SHORT_TITLE_CHARS
        self._word = re.compile(rf"(?<![a-z0-9]){re.escape(key)}(?![a-z0-9])") if key else None

    def score(self, sentence: str) -> float:
        """The highest fuzzy match (0-100) of ``sentence`` to the title, with and without the year."""
        low = fold(sentence)
        if not low or not self._keys:
            return 0.0
        if self._short:
            return 100.0 if self._word is not None and self._word.search(low) else 0.0
        best = 0.0
        for key in self._keys:
            scorer = fuzz.partial_ratio if len(low) >= len(key) else fuzz.ratio
            best = max(best, float(scorer(key, low)))
        return best

    def leaks(self, sentence: str) -> bool:
        """True when ``sentence`` names the title."""
        return self.score(sentence) > self.threshold

    def apply(self, text: str) -> tuple[str, int, int]:
        """``(kept text, sentences in text, sentences removed)``."""
        sentences = split_sentences(text)
        drop = [self.leaks(s) for s in sentences]
        # a title with inner periods ("Mr. Holmes", "Mr. & Mrs. Smith") is split across "sentences":
        # windows of 2-3 neighbouring kept sentences are checked too, and dropped together
        for width in (2, 3):
            for i in range(len(sentences) - width + 1):
                window = range(i, i + width)
                if not any(drop[j] for j in window) and self.leaks(" ".join(sentences[j] for j in window)):
                    for j in window:
                        drop[j] = True
        kept = [s for s, d in zip(sentences, drop, strict=True) if not d]
        return " ".join(kept), len(sentences), sum(drop)


# ------------------------------------------------------------------------------------------------ target


@dataclass(frozen=True)
class TargetProfile:
    """What a simulated user knows about the movie they want: attributes only (the title is kept for the
    leak filter and scoring, never for generating text). Attribute values that themselves resemble the
    title (a keyword "batman" for "Batman Begins") are dropped by :meth:`from_item`."""

    item_id: int
    title: str
    year: int | None
    genres: tuple[str, ...] = ()
    directors: tuple[str, ...] = ()
    stars: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    twins: frozenset[int] = frozenset()

    @property
    def decade(self) -> int | None:
        """The release decade (1990 for 1994), or None."""
        return (self.year // 10) * 10 if self.year else None

    @property
    def label(self) -> str:
        """``Title (Year)`` — for logs and transcripts only, never for simulator text."""
        return f"{self.title} ({self.year})" if self.year else self.title

    def is_target(self, item_id: Any) -> bool:
        """True for the target's id or a twin entry of the same movie."""
        return item_id == self.item_id or item_id in self.twins

    @classmethod
    def from_item(cls, item: Item, twins: Sequence[int] = ()) -> TargetProfile:
        """The profile of a catalog item, without attribute values that would leak the title."""
        flt = LeakFilter(item.title, item.year)

        def safe(values: Sequence[str], limit: int) -> tuple[str, ...]:
            out = [v for v in values if v and v.strip() and not flt.leaks(v)]
            return tuple(dict.fromkeys(out))[:limit]

        genres = tuple(g.lower() for g in item.genres if g.lower() in GENRE_SAY)
        return cls(
            item_id=item.id,
            title=item.title,
            year=item.year,
            genres=safe(genres, 4),
            directors=safe(item.directors, 2),
            stars=safe(item.stars, 3),
            keywords=safe([k.replace("-", " ") for k in item.keywords if 3 <= len(k) <= 40], 6),
            twins=frozenset(int(t) for t in twins if t != item.id),
        )

    def attributes(self) -> dict[str, Any]:
        """The attributes as a plain dict (persona prompts, transcripts)."""
        return {
            "genres": list(self.genres),
            "decade": self.decade,
            "directors": list(self.directors),
            "stars": list(self.stars),
            "keywords": list(self.keywords),
        }


# ---------------------------------------------------------------------------------------------- simulator


@dataclass
class SimTurn:
    """One simulator utterance: the text sent, whether it accepts (ends the dialogue), and leak accounting."""

    text: str
    accept: bool = False
    sentences: int = 0
    leaked: int = 0
    fallback: bool = False
    llm_calls: int = 0
    volunteered: list[str] = field(default_factory=list)


def _decade_words(decade: int) -> str:
    return f"{decade}s" if decade >= 2000 or decade < 1920 else f"{str(decade)[2:]}s"


_OPENERS = {
    "genre": (
        "I'm in the mood for a good {v} movie.",
        "Can you recommend a {v} film?",
        "I'd like to watch something {v} tonight.",
        "Looking for {v} movies, any ideas?",
    ),
    "decade": (
        "I'm looking for a movie from the {v}.",
        "Something from the {v} would be great.",
        "Recommend me a film from the {v}?",
    ),
    "director": (
        "I really like movies directed by {v}.",
        "Anything by {v}? I love that director.",
        "I'm a big fan of {v}'s films.",
    ),
    "star": (
        "I want a movie with {v} in it.",
        "I'm a fan of {v}, what should I watch?",
        "Something starring {v}, please.",
    ),
    "keyword": (
        "I'd like a movie about {v}.",
        "Do you know a good film involving {v}?",
        "I'm in the mood for something with {v}.",
    ),
}
_VOLUNTEER = {
    "genre": (
        "I'd like it to be {v}.",
        "Maybe something more {v}?",
        "I'm really after {v} movies.",
        "It should be a {v} film.",
    ),
    "decade": (
        "Ideally something from the {v}.",
        "I'm thinking of a film from the {v}.",
        "Preferably from the {v}.",
    ),
    "director": (
        "I love the films directed by {v}.",
        "Something by the director {v} would be perfect.",
        "I'm a big fan of {v} as a director.",
    ),
    "star": (
        "I'd love a movie starring {v}.",
        "Maybe something with {v} in it?",
        "I really like {v} as an actor.",
    ),
    "keyword": (
        "Something about {v} would be great.",
        "I'd like the story to involve {v}.",
        "I'm after a film about {v}.",
    ),
}
_REJECT_OLD = ("Those are a bit too old for me.", "Hmm, those feel too old.", "Not those, they're too dated.")
_REJECT_NEW = (
    "Those are too recent for me.",
    "Hmm, those are too new.",
    "Not those, I want something older.",
)
_REJECT_GENRE = ("I'm not into {v}.", "None of those, I don't want {v}.", "Not those, no {v} please.")
_REJECT_PLAIN = (
    "None of those really grab me.",
    "Hmm, not quite what I'm looking for.",
    "Those don't sound right for me.",
    "Not those, sorry.",
)
_RELAX = ("Actually, no {v} needed.", "Hmm, then no {v} needed after all.", "OK, forget that: no {v} needed.")
_WITH_PERSON = re.compile(r"\bwith ([A-Z][\w'.-]+(?: [A-Z][\w'.-]+){1,3})")
_ACCEPT = (
    "Yes! I'll watch the {o} one.",
    "The {o} one sounds great, I'll watch that!",
    "Perfect, the {o} one is exactly what I wanted. I'll watch it.",
    "Oh yes, the {o} one. I'll watch it!",
)


class AttributeSimulator:
    """An agenda-based simulated user that knows only its target's attributes (no LLM).

    The agenda (most telling first: director, star, decade, genres, second star, keywords) is fixed by the
    profile; ``seed`` only varies the phrasing, so a (profile, seed text, seed) triple always produces the
    same dialogue against the same agent. Every utterance passes the leak filter: a sentence that would name
    the title is replaced by another phrasing, or dropped and counted as a leak.
    """

    def __init__(self, target: TargetProfile, seed_text: str = "", *, seed: int = 0) -> None:
        self.target = target
        self.seed_text = seed_text
        self.rng = random.Random(stable_seed("attribute-sim", target.item_id, seed))
        self.leak_filter = LeakFilter(target.title, target.year)
        self.agenda: list[tuple[str, str]] = self._agenda(target)
        self.told: set[tuple[str, str]] = set()
        self.excluded: set[str] = set()
        self.turn = 0
        self._unsayable = 0  # drafts with no safe phrasing since the last utterance (counted as leaks)

    # ------------------------------------------------------------------ agenda
    @staticmethod
    def _agenda(t: TargetProfile) -> list[tuple[str, str]]:
        items: list[tuple[str, str]] = []
        items += [("director", d) for d in t.directors[:1]]
        items += [("star", s) for s in t.stars[:1]]
        if t.decade:
            items.append(("decade", _decade_words(t.decade)))
        items += [("genre", GENRE_SAY[g]) for g in t.genres[:2]]
        items += [("star", s) for s in t.stars[1:3]]
        items += [("keyword", k) for k in t.keywords[:4]]
        items += [("genre", GENRE_SAY[g]) for g in t.genres[2:]]
        items += [("director", d) for d in t.directors[1:]]
        return items

    def _next_attribute(self, skip_kind: str | None = None) -> tuple[str, str] | None:
        for entry in self.agenda:
            if entry not in self.told and entry[0] != skip_kind:
                self.told.add(entry)
                return entry
        return None

    # ------------------------------------------------------------------ phrasing
    def _say(self, templates: Sequence[str], value: str = "", **kw: str) -> str | None:
        """One phrasing of ``templates`` that does not leak the title (None if every phrasing leaks)."""
        order = list(templates)
        self.rng.shuffle(order)
        for template in order:
            text = template.format(v=value, **kw)
            if not any(self.leak_filter.leaks(s) for s in split_sentences(text)):
                return text
        self._unsayable += 1
        return None

    def _finish(
        self, parts: Sequence[str | None], *, accept: bool = False, volunteered: list[str] | None = None
    ) -> SimTurn:
        """Join the parts through the leak filter; drafts that had no safe phrasing count as leaked sentences."""
        drafted, self._unsayable = self._unsayable, 0
        text, n, leaked = self.leak_filter.apply(" ".join(p for p in parts if p))
        return SimTurn(
            text=text,
            accept=accept,
            sentences=n + drafted,
            leaked=leaked + drafted,
            volunteered=volunteered or [],
        )

    # ------------------------------------------------------------------ turns
    def opening(self) -> SimTurn:
        """The first user turn: the seed text when it is informative, else an opener from one attribute."""
        self.turn = 1
        seed, n, leaked = self.leak_filter.apply(self.seed_text)
        if informative(seed):
            return SimTurn(text=seed, sentences=n, leaked=leaked)
        entry = self._next_attribute()
        if entry is None:
            return self._finish(["Can you recommend a good movie?"])
        said = self._say(_OPENERS[entry[0]], entry[1])
        turn = self._finish(
            [said or "Can you recommend a good movie?"], volunteered=[f"{entry[0]}:{entry[1]}"]
        )
        turn.leaked += leaked
        turn.sentences += n
        return turn

    def respond(self, shown: Sequence[Mapping[str, Any]], reply: str = "") -> SimTurn:
        """React to the agent's shown items: accept the target by position, or reject with a reason and
        volunteer one new attribute."""
        self.turn += 1
        for pos, item in enumerate(shown, 1):
            if self.target.is_target(item.get("id")):
                ordinal = _ORDINAL_WORDS[pos - 1] if pos <= len(_ORDINAL_WORDS) else f"number {pos}"
                return self._finish(
                    [self._say(_ACCEPT, o=ordinal) or "Yes! I'll watch that one."], accept=True
                )
        parts: list[str | None] = []
        volunteered: list[str] = []
        reason, kind = self._reason(shown, reply)
        parts.append(reason)
        if kind is not None:
            volunteered.append(kind)
        entry = self._next_attribute(skip_kind="decade" if kind and kind.startswith("decade") else None)
        if entry is not None:
            parts.append(self._say(_VOLUNTEER[entry[0]], entry[1]))
            volunteered.append(f"{entry[0]}:{entry[1]}")
        elif reason is None:
            parts.append(self._say(_REJECT_PLAIN))
        return self._finish(parts, volunteered=volunteered)

    def _reason(self, shown: Sequence[Mapping[str, Any]], reply: str = "") -> tuple[str | None, str | None]:
        """A rejection reason grounded in the target's attributes, and what it told (``decade:1990s``...)."""
        reason, told = self._grounded_reason(shown)
        if told is not None:
            return reason, told
        if shown:
            return self._say(_REJECT_PLAIN), None
        return self._relax(reply), None

    def _grounded_reason(self, shown: Sequence[Mapping[str, Any]]) -> tuple[str | None, str | None]:
        """Too old / too new (the decade is told) or a genre the target lacks; (None, None) when neither holds."""
        t = self.target
        years = [int(it["year"]) for it in shown if isinstance(it.get("year"), int)]
        if t.decade and years:
            off_old = sum(1 for y in years if y < t.decade)
            off_new = sum(1 for y in years if y >= t.decade + 10)
            words = _decade_words(t.decade)
            for off, phrases in ((off_old, _REJECT_OLD), (off_new, _REJECT_NEW)):
                if off * 2 > len(years):
                    self.told.add(("decade", words))
                    return (
                        f"{self._say(phrases) or ''} Something from the {words}.".strip(),
                        f"decade:{words}",
                    )
        wanted = set(t.genres)
        counts: dict[str, int] = {}
        for it in shown:
            for g in it.get("genres") or []:
                g = str(g).lower()
                if g in GENRE_SAY and g not in wanted and g not in self.excluded:
                    counts[g] = counts.get(g, 0) + 1
        if counts:
            genre = max(sorted(counts), key=lambda g: counts[g])
            if counts[genre] * 2 >= max(1, len(shown)):
                self.excluded.add(genre)
                return self._say(_REJECT_GENRE, GENRE_SAY[genre]), f"not:{genre}"
        return None, None

    def _relax(self, reply: str) -> str | None:
        """Nothing was shown (the agent asks to relax its constraints): drop, truthfully, the genres and
        people named in the agent's reply that the target does not have ("Actually, no comedy needed")."""
        t = self.target
        drop = self._drop_genres(reply)
        own = {fold(p) for p in (*t.directors, *t.stars)}
        for name in _WITH_PERSON.findall(reply):
            name = name.strip()
            if fold(name) not in own and fold(name) not in self.excluded:
                self.excluded.add(fold(name))
                drop.append(name)
        if not drop:
            return None
        return self._say(_RELAX, ", no ".join(drop[:4]))

    def _drop_genres(self, reply: str) -> list[str]:
        """The genres named in the agent's reply that the target lacks, as the user says them; each is
        remembered as excluded so that it is dropped once."""
        low = fold(reply)
        drop: list[str] = []
        for genre, said in GENRE_SAY.items():
            if (
                genre not in self.target.genres
                and genre not in self.excluded
                and re.search(rf"\b{re.escape(fold(genre))}\b", low)
            ):
                self.excluded.add(genre)
                drop.append(said)
        return drop


def informative(text: str) -> bool:
    """Whether a seed text says something about taste (more than a greeting)."""
    words = [w for w in fold(text).split() if w not in _FILLER]
    return len(words) >= 3


_FILLER = frozenset(
    [
        "hi",
        "hello",
        "hey",
        "there",
        "how",
        "are",
        "you",
        "doing",
        "today",
        "good",
        "thanks",
        "thank",
        "im",
        "i",
        "m",
        "am",
        "fine",
        "well",
        "great",
        "ok",
        "okay",
        "yes",
        "no",
        "hows",
        "it",
        "going",
        "whats",
        "up",
        "and",
        "a",
        "the",
        "to",
        "is",
        "this",
        "evening",
        "morning",
        "afternoon",
        "nice",
        "meet",
        "too",
        "doing",
    ]
)


# -------------------------------------------------------------------------------------------- LLM simulator

SIM_SYSTEM = (
    "You are a person chatting with a movie recommender. You have one specific movie in mind, but you do "
    "NOT know its title and must never guess or say a title. What you know about it: {attributes}. "
    "Reply in one or two short, casual sentences: say whether the suggestions fit and describe one more "
    "thing you want, using only the facts above."
)
SIM_MAX_TOKENS = 60


class LLMSimulator:
    """A persona-prompted LLM user (``CRSAGENT_SIM_*`` settings); the attribute simulator decides acceptance
    and provides the fallback utterance (and keeps its agenda in step)."""

    def __init__(
        self,
        target: TargetProfile,
        seed_text: str = "",
        *,
        client: LLMClient,
        seed: int = 0,
        max_tokens: int = SIM_MAX_TOKENS,
    ) -> None:
        self.target = target
        self.client = client
        self.max_tokens = max_tokens
        self.fallback = AttributeSimulator(target, seed_text, seed=seed)
        self.leak_filter = self.fallback.leak_filter

    @staticmethod
    def client_from_settings(
        settings: Settings, *, timeout_s: float = 60.0, max_retries: int = 1
    ) -> LLMClient:
        """The simulator's own LLM client (``sim_base_url``, ``sim_api_key``, ``sim_model``)."""
        from pydantic import SecretStr

        raw = settings.sim_api_key
        key = raw.get_secret_value() if isinstance(raw, SecretStr) else (str(raw) if raw else None)
        return LLMClient(
            base_url=settings.sim_base_url,
            api_key=key,
            model=settings.sim_model,
            timeout_s=timeout_s,
            max_retries=max_retries,
            max_calls_per_turn=1_000_000,
        )

    def _persona(self) -> str:
        a = self.target.attributes()
        facts = []
        if a["genres"]:
            facts.append("genres " + ", ".join(a["genres"]))
        if a["decade"]:
            facts.append(f"released in the {_decade_words(a['decade'])}")
        if a["directors"]:
            facts.append("directed by " + ", ".join(a["directors"]))
        if a["stars"]:
            facts.append("starring " + ", ".join(a["stars"]))
        if a["keywords"]:
            facts.append("about " + ", ".join(a["keywords"]))
        return SIM_SYSTEM.format(attributes="; ".join(facts) or "a good movie")

    def _ask(self, user_content: str, fallback: SimTurn) -> SimTurn:
        text = self.client.chat(
            [{"role": "system", "content": self._persona()}, {"role": "user", "content": user_content}],
            max_tokens=self.max_tokens,
            temperature=0.7,
        )
        if text is None:
            return SimTurn(
                text=fallback.text,
                accept=fallback.accept,
                sentences=fallback.sentences,
                leaked=fallback.leaked,
                fallback=True,
                llm_calls=1,
                volunteered=fallback.volunteered,
            )
        kept, n, leaked = self.leak_filter.apply(" ".join(text.split()))
        if not kept.strip():
            return SimTurn(
                text=fallback.text,
                accept=False,
                sentences=n + fallback.sentences,
                leaked=leaked + fallback.leaked,
                fallback=True,
                llm_calls=1,
                volunteered=fallback.volunteered,
            )
        return SimTurn(text=kept, sentences=n, leaked=leaked, llm_calls=1)

    def opening(self) -> SimTurn:
        """The seed text when informative, else an LLM opener (attribute opener on failure)."""
        fb = self.fallback.opening()
        if not fb.volunteered:  # the seed was used
            return fb
        return self._ask("The recommender says: Hi! What kind of movie would you like to watch?", fb)

    def respond(self, shown: Sequence[Mapping[str, Any]], reply: str = "") -> SimTurn:
        """Accept when the target is shown (templated, by position), else the LLM's reaction to the reply."""
        fb = self.fallback.respond(shown, reply)
        if fb.accept:
            return fb
        return self._ask(f"The recommender says: {reply[:1200]}", fb)
