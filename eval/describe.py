"""The *describe* simulated user: it knows the target's genres, decade and a few plot / keyword words only.

Unlike :class:`eval.simulators.AttributeSimulator`, which names the target's director and stars, this user
describes the film the way someone who half remembers it would ("a comedy from the 90s, about a shy
reclusive lady"). What it may say is fixed by :func:`describe_profile`:

- genres (the catalog vocabulary the agent understands) and the release decade;
- *clues*: short runs of plot words, then keyword phrases, where every word is a common word. A word is
  never used when it is part of the title (or an alias), of any director's, writer's or star's name, when it
  is written with a capital in the plot (a proper noun: "Joe Fox", "Minnesota"), or when it is not a
  common lower-case word of the catalog's plots (:func:`common_words`; keywords such as "batman" or
  "yorkshire" never occur in lower case there).

The dialogue: the opening names the first genre and the first clue; on every turn the target is not shown,
the user rejects the list explicitly ("None of these.") with a reason grounded in what it knows (too old /
too new, a genre it does not want), answers a question the agent asked when it can (genre, decade; people
and similar movies it honestly cannot name), and adds one more clue (decade, next clue, second genre, ...).
It accepts the target by position ("Yes! I'll watch the third one"), never by title. The seed text of the
source dialogue is *not* used (real seekers name people and other movies). Every sentence still passes the
title :class:`~eval.simulators.LeakFilter`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eval.simulators import (
    _ACCEPT,
    _ORDINAL_WORDS,
    _RELAX,
    GENRE_SAY,
    AttributeSimulator,
    LeakFilter,
    SimTurn,
    TargetProfile,
    _decade_words,
)
from tools.catalog import Item
from tools.genres import GENRE_SYNONYMS, GENRE_WORDS, GENRES
from tools.titles import fold

__all__ = [
    "MAX_CLUES",
    "DescribeSimulator",
    "banned_words",
    "PlotVocabulary",
    "choose_clues",
    "common_words",
    "describe_profile",
    "plot_clues",
]

#: Clues a describe profile keeps (plot runs first, then keyword phrases).
MAX_CLUES = 6
#: A clue whose rarest word is in more than this share of the catalog's plots says too little.
MAX_CLUE_DF_SHARE = 0.02
#: Words per clue at most.
CLUE_WORDS = 3
#: A word is common when it occurs in lower case at least this often in the catalog's plots.
COMMON_MIN_COUNT = 3

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]*|[^A-Za-z\s]+")
_PROPER = re.compile(r"(?<![.!?:\n]\s)(?<!^)(?<=[\s(\"'])([A-Z][A-Za-z'-]*)", re.M)
_LOWER_WORD = re.compile(r"(?<![A-Za-z'-])[a-z][a-z'-]*")
#: Function words and vague verbs that say nothing about a film (they end a clue run).
# fmt: off
CLUE_STOPWORDS = frozenset([
    "a", "about", "above", "after", "again", "against", "all", "also", "although", "always", "am", "among",
    "an", "and", "another", "any", "are", "around", "as", "at", "away", "back", "be", "because", "become",
    "becomes", "been", "before", "begin", "begins", "being", "below", "between", "both", "but", "by", "can",
    "cannot", "could", "did", "do", "does", "doing", "down", "during", "each", "either", "else", "even",
    "ever", "every", "far", "few", "find", "finds", "for", "found", "from", "further", "get", "gets",
    "getting", "go", "goes", "going", "gone", "got", "had", "has", "have", "having", "he", "her", "here",
    "hers", "herself", "him", "himself", "his", "how", "however", "i", "if", "in", "into", "is", "it", "its",
    "itself", "just", "last", "later", "least", "less", "let", "lets", "like", "made", "make", "makes",
    "many", "may", "me", "meanwhile", "might", "more", "most", "much", "must", "my", "myself", "near",
    "neither", "never", "new", "next", "no", "nor", "not", "nothing", "now", "of", "off", "often", "on",
    "once", "one", "only", "onto", "or", "other", "others", "our", "out", "over", "own", "per", "perhaps",
    "rather", "really", "same", "see", "seems", "set", "sets", "several", "she", "should", "since", "so",
    "some", "something", "soon", "still", "such", "take", "takes", "than", "that", "the", "their", "theirs",
    "them", "themselves", "then", "there", "these", "they", "thing", "things", "this", "those", "though",
    "through", "throughout", "thus", "till", "to", "together", "too", "toward", "towards", "try", "tries",
    "trying", "under", "until", "up", "upon", "us", "very", "via", "was", "way", "we", "well", "were",
    "what", "when", "where", "whether", "which", "while", "who", "whom", "whose", "why", "will", "with",
    "within", "without", "would", "yet", "you", "your", "yours", "yourself", "subsequently", "eventually",
    "finally", "tells", "told", "story", "film", "movie", "follows", "following", "life", "lives", "decides",
    "starts", "ends", "comes", "come", "put", "puts", "turns", "turn", "plot", "unknown",
])
# fmt: on
#: Words that name a genre (the agent reads them as genre filters): never part of a clue.
GENRE_TERMS = frozenset(
    w for text in (*GENRES, *GENRE_SYNONYMS, *GENRE_WORDS, *GENRE_SAY.values()) for w in fold(text).split()
)


@dataclass(frozen=True)
class PlotVocabulary:
    """Document frequencies of the words written in lower case in the catalog's plots (folded)."""

    df: Mapping[str, int]
    n_docs: int

    def common(self, word: str) -> bool:
        """An ordinary word: in lower case in at least :data:`COMMON_MIN_COUNT` plots (names never are)."""
        return self.df.get(word, 0) >= COMMON_MIN_COUNT

    def idf(self, word: str) -> float:
        """How telling ``word`` is: ``log(n_docs / df)``."""
        return math.log(max(1, self.n_docs) / max(1, self.df.get(word, 0)))


def common_words(plots: Iterable[str]) -> PlotVocabulary:
    """The :class:`PlotVocabulary` of ``plots``: words that occur in lower case, by how many plots."""
    df: Counter[str] = Counter()
    n = 0
    for plot in plots:
        n += 1
        df.update({fold(m.group(0)) for m in _LOWER_WORD.finditer(plot or "")})
    return PlotVocabulary({w: c for w, c in df.items() if " " not in w}, n)


def banned_words(item: Item) -> frozenset[str]:
    """Every folded word of the title, its aliases and every director's, writer's and star's name, and the
    proper nouns of its plot (capitalised words not opening a sentence: "Boston", "Joe Fox"), so a keyword
    "boston" is not said either."""
    out: set[str] = set()
    for text in (item.title, *item.aliases, *item.directors, *item.writers, *item.stars):
        out.update(fold(text).split())
    for m in _PROPER.finditer(item.plot or ""):
        out.update(fold(m.group(1)).split())
    return frozenset(out)


def _clue_word(word: str, banned: frozenset[str], vocab: PlotVocabulary) -> str | None:
    """The folded word when it may be part of a clue: lower case, ordinary, not a stop word, not a genre
    word (the agent would read it as a genre filter), not banned."""
    if not word[:1].islower():
        return None
    low = fold(word)
    if (
        " " in low
        or len(low) < 3
        or low in CLUE_STOPWORDS
        or low in GENRE_TERMS
        or low in banned
        or not vocab.common(low)
        or (low.endswith("ly") and vocab.common(low[:-2]))  # an adverb ("initially", "secretly")
    ):
        return None
    return low


def plot_clues(plot: str, banned: frozenset[str], vocab: PlotVocabulary) -> list[str]:
    """Runs of consecutive clue words of ``plot`` (at most :data:`CLUE_WORDS` words each), in plot order.
    A capitalised word, a stop word, a genre word, a banned word or punctuation ends a run."""
    clues: list[str] = []
    run: list[str] = []

    def close() -> None:
        while run:
            clues.append(" ".join(run[:CLUE_WORDS]))
            del run[:CLUE_WORDS]

    for token in _WORD_RE.findall(plot or ""):
        word = _clue_word(token, banned, vocab) if token[:1].isalpha() else None
        if word is None:
            close()
        else:
            run.append(word)
    close()
    return list(dict.fromkeys(clues))


def keyword_clues(keywords: Sequence[str], banned: frozenset[str], vocab: PlotVocabulary) -> list[str]:
    """Keyword phrases whose every word is a clue word (in the order of the catalog's keywords)."""
    out: list[str] = []
    for keyword in keywords:
        words = fold(keyword.replace("-", " ")).split()
        if words and len(words) <= CLUE_WORDS and all(_clue_word(w, banned, vocab) for w in words):
            out.append(" ".join(words))
    return list(dict.fromkeys(out))


def clue_score(clue: str, vocab: PlotVocabulary) -> float:
    """How telling a clue is: the idf of its rarest word."""
    return max((vocab.idf(w) for w in clue.split()), default=0.0)


def choose_clues(item: Item, vocab: PlotVocabulary, limit: int = MAX_CLUES) -> list[str]:
    """The clues a describe user remembers, at most ``limit``: first the phrases (plot runs of two or
    more words, keyword phrases, single-word keywords: mostly things and topics), then single plot words
    (often verbs); within each, the most telling first (a person remembers what is distinctive). Clues whose
    rarest word is in more than :data:`MAX_CLUE_DF_SHARE` of the plots ("young", "love") are left out."""
    banned = banned_words(item)
    plot = plot_clues(item.plot, banned, vocab)
    keywords = keyword_clues(item.keywords, banned, vocab)
    floor = math.log(1.0 / MAX_CLUE_DF_SHARE)
    scored: list[tuple[bool, float, int, str]] = []
    for i, clue in enumerate(dict.fromkeys([*plot, *keywords])):
        score = clue_score(clue, vocab)
        if score >= floor:
            single_plot_word = " " not in clue and clue not in keywords
            scored.append((single_plot_word, -score, i, clue))
    scored.sort()
    return [clue for *_, clue in scored[:limit]]


def describe_profile(item: Item, vocab: PlotVocabulary, twins: Sequence[int] = ()) -> TargetProfile:
    """The profile a describe user knows: genres, decade and clues (in ``keywords``); no people at all."""
    base = TargetProfile.from_item(item, twins)
    kept = tuple(c for c in choose_clues(item, vocab) if not base_leaks(base, c))
    return TargetProfile(
        item_id=base.item_id,
        title=base.title,
        year=base.year,
        genres=base.genres,
        keywords=kept,
        twins=base.twins,
    )


def base_leaks(profile: TargetProfile, text: str) -> bool:
    """Whether ``text`` fuzzily names the profile's title (the shared leak filter)."""
    return LeakFilter(profile.title, profile.year).leaks(text)


_OPEN_BOTH = (
    "I'm looking for {g} movie, I think it's about {c}.",
    "Can you help me find {g} film? I remember it's about {c}.",
    "I want to watch {g} movie I half remember: something about {c}.",
)
_OPEN_GENRE = (
    "I'm looking for {g} movie.",
    "Can you help me find {g} film?",
)
_OPEN_CLUE = (
    "I'm looking for a movie about {c}.",
    "Can you help me find a film? I remember it's about {c}.",
)
_CLUE = (
    "I remember it's about {v}.",
    "It's about {v}, I think.",
    "Another thing I remember: {v}.",
)
_GENRE = ("It's also {v}.", "I think it's {v} as well.", "It's {v} too, I think.")
_DECADE = ("I think it's from the {v}.", "It came out in the {v}, I believe.", "It's from the {v}.")
_NONE = ("None of these.", "No, none of those.", "None of these, sorry.")
_NO_NAMES = ("I don't remember who was in it or who made it.", "I can't remember any names, sorry.")
_NO_SIMILAR = ("I can't think of a similar movie.",)
_ASKS_GENRE = re.compile(r"\b(genre|in the mood|what kind|what sort|what type)\b")
_ASKS_DECADE = re.compile(r"\b(decade|era|how old|how recent|older or newer|when)\b")
_ASKS_PEOPLE = re.compile(r"\b(actor|actress|director|starring|who)\b")
_ASKS_SIMILAR = re.compile(r"\b(movie you (loved|liked|enjoyed)|similar to|favou?rite (movie|film))\b")


def _article(word: str) -> str:
    """``"an action"``, ``"a comedy"``."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _questions(reply: str) -> list[str]:
    """The folded sentences of ``reply`` that ask something: ending with a question mark, or "tell me ..."."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", reply or "") if s.strip()]
    return [fold(s) for s in sentences if s.endswith("?") or fold(s).startswith("tell me")]


class DescribeSimulator(AttributeSimulator):
    """A simulated user that describes its target by genres, decade and plot words (see the module doc).

    Deterministic for a (profile, seed) pair; ``seed`` only varies the phrasing. The profile must come from
    :func:`describe_profile` (no people); the seed text of the source dialogue is ignored.
    """

    def __init__(self, target: TargetProfile, seed_text: str = "", *, seed: int = 0) -> None:
        del seed_text  # the describe user never repeats the source seeker's words (names, other titles)
        super().__init__(target, "", seed=seed)
        self._said_no_names = False
        self._said_no_similar = False

    @staticmethod
    def _agenda(t: TargetProfile) -> list[tuple[str, str]]:
        """First genre and first clue (the opening), then decade, second clue, second genre, the rest."""
        genres = [("genre", GENRE_SAY[g]) for g in t.genres]
        clues = [("clue", c) for c in t.keywords]
        items: list[tuple[str, str]] = [*genres[:1], *clues[:1]]
        if t.decade:
            items.append(("decade", _decade_words(t.decade)))
        items += clues[1:2] + genres[1:2] + clues[2:] + genres[2:]
        return items

    def _take(self, kind: str) -> tuple[str, str] | None:
        """The next untold agenda entry of ``kind`` (marked told)."""
        for entry in self.agenda:
            if entry[0] == kind and entry not in self.told:
                self.told.add(entry)
                return entry
        return None

    def _phrase(self, entry: tuple[str, str]) -> str | None:
        kind, value = entry
        templates = {"genre": _GENRE, "decade": _DECADE, "clue": _CLUE}[kind]
        return self._say(templates, value)

    def opening(self) -> SimTurn:
        """The first genre and the first clue (either alone when the other is missing)."""
        self.turn = 1
        genre, clue = self._take("genre"), self._take("clue")
        volunteered = [f"{e[0]}:{e[1]}" for e in (genre, clue) if e is not None]
        if genre and clue:
            said = self._say(_OPEN_BOTH, g=_article(genre[1]), c=clue[1])
        elif genre:
            said = self._say(_OPEN_GENRE, g=_article(genre[1]))
        elif clue:
            said = self._say(_OPEN_CLUE, c=clue[1])
        else:
            entry = self._next_attribute()
            if entry is not None:
                volunteered.append(f"{entry[0]}:{entry[1]}")
            said = self._phrase(entry) if entry else None
        return self._finish([said or "Can you recommend a good movie?"], volunteered=volunteered)

    def respond(self, shown: Sequence[Mapping[str, Any]], reply: str = "") -> SimTurn:
        """Accept the target by position; otherwise say no to the list, give a grounded reason, answer the
        agent's question when it asked one, and add one more clue."""
        self.turn += 1
        for pos, item in enumerate(shown, 1):
            if self.target.is_target(item.get("id")):
                ordinal = _ORDINAL_WORDS[pos - 1] if pos <= len(_ORDINAL_WORDS) else f"number {pos}"
                return self._finish(
                    [self._say(_ACCEPT, o=ordinal) or "Yes! I'll watch that one."], accept=True
                )
        parts: list[str | None] = []
        volunteered: list[str] = []
        if shown:
            parts.append(self._say(_NONE))
            reason, told = self._grounded_reason(shown)
        else:
            reason, told = self._relax(reply), None
        parts.append(reason)
        if told:
            volunteered.append(told)
        entry = self._answer(reply, parts)
        if entry is None:
            entry = self._next_attribute(skip_kind="decade" if told and told.startswith("decade") else None)
        if entry is not None:
            parts.append(self._phrase(entry))
            volunteered.append(f"{entry[0]}:{entry[1]}")
        return self._finish(parts, volunteered=volunteered)

    def _relax(self, reply: str) -> str | None:
        """Nothing was shown: drop, truthfully, the genres named in the agent's reply that the target lacks
        ("Actually, no comedy needed"). Unlike the attribute user, never a person: this user knows no names
        and never repeats one."""
        drop = self._drop_genres(reply)
        return self._say(_RELAX, ", no ".join(drop[:4])) if drop else None

    def _answer(self, reply: str, parts: list[str | None]) -> tuple[str, str] | None:
        """Answer the agent's questions from what the user knows: a genre or decade question gets that
        attribute (returned as the turn's new clue); people and similar movies are honestly not known."""
        entry: tuple[str, str] | None = None
        for q in _questions(reply):
            if entry is None and _ASKS_GENRE.search(q):
                entry = self._take("genre") or self._take("clue")
            if entry is None and _ASKS_DECADE.search(q):
                entry = self._take("decade")
            if _ASKS_PEOPLE.search(q) and not self._said_no_names:
                self._said_no_names = True
                parts.append(self._say(_NO_NAMES))
            if _ASKS_SIMILAR.search(q) and not self._said_no_similar:
                self._said_no_similar = True
                parts.append(self._say(_NO_SIMILAR))
        return entry
