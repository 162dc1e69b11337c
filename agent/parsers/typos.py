"""Typo repair for the words the rule parser acts on: "a horor movie", "recomend me a westren",
"steven speilberg", "not to violant". Only unknown words are touched, and only towards the parser's own
vocabulary (genre, qualifier and request words, people's names) within one edit (two for long words,
transpositions counting as one). Titles are repaired by the grounder, not here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

#: words of requests worth repairing ("somthing", "recomend")
REQUEST_WORDS = (
    "something", "anything", "recommend", "recommendation", "suggest", "movie", "movies", "film", "films",
    "please", "watch", "looking", "tonight", "violent", "similar", "directed", "starring", "favourite", "favorite",
)  # fmt: skip


MAX_REPAIRS = 25


class TypoFixer:
    """Maps unknown tokens of a folded text to the closest vocabulary word, when one is close enough."""

    def __init__(self, vocabulary: Iterable[str], names: Iterable[str], known: Iterable[str]) -> None:
        words = {w for phrase in vocabulary for w in phrase.split() if len(w) >= 4 and w.isalpha()}
        words.update(REQUEST_WORDS)
        self.names = frozenset(names)
        people = {w for name in self.names for w in name.split() if len(w) >= 4 and w.isalpha()} - words
        self.targets = frozenset(words)
        self.known = frozenset(known) | words | people
        # vocabulary words first: "horor" is horror, not a person called Honor
        self._pools: list[dict[int, list[str]]] = []
        for group in (words, people):
            by_length: dict[int, list[str]] = defaultdict(list)
            for word in sorted(group):
                by_length[len(word)].append(word)
            self._pools.append(by_length)
        self._cache: dict[str, str] = {}

    def word(self, token: str) -> str:
        """The repaired token (itself when it is known, short, or nothing is close)."""
        if len(token) < 4 or token in self.known or not token.isalpha():
            return token
        if token not in self._cache:
            limit = 1 if len(token) <= 7 else 2
            self._cache[token] = token
            for by_length in self._pools:
                lengths = range(len(token) - limit, len(token) + limit + 1)
                pool = [w for n in lengths for w in by_length.get(n, ())]
                best = process.extractOne(token, pool, scorer=OSA.distance, score_cutoff=limit)
                if best is not None:
                    self._cache[token] = best[0]
                    break
            if len(self._cache) > 50_000:
                self._cache.clear()
        return self._cache[token]

    def fix(self, folded: str) -> str:
        """Repair every token of a folded text; the token count never changes (spans stay aligned). A token
        repaired into a name part is kept only when it completes a known name with its neighbour ("steven
        speilberg"), so "print" never becomes Rupert Grint."""
        tokens = folded.split()
        unknown = 0
        out: list[str] = []
        for t in tokens:  # at most MAX_REPAIRS lookups a message: a wall of noise stays fast
            fresh = len(t) >= 4 and t not in self.known and t not in self._cache
            unknown += fresh
            out.append(self.word(t) if not fresh or (unknown <= MAX_REPAIRS and len(t) <= 20) else t)
        for i, (before, after) in enumerate(zip(tokens, out, strict=True)):
            if before != after and after not in self.targets:
                pairs = [" ".join(out[j : j + 2]) for j in (i - 1, i) if j >= 0 and j + 1 < len(out)]
                surname = after in self.names and len(after) >= 7  # "tarrantino", not "print" -> "grint"
                if not surname and not any(p in self.names for p in pairs):
                    out[i] = before
        for i in range(1, len(out) - 1):  # "not to violent" means "not too violent"
            if out[i] == "to" and out[i - 1] in ("not", "nothing") and out[i + 1] in self.targets:
                out[i] = "too"
        return " ".join(out)
