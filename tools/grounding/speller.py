"""Typo repair for title finding: the title words a mistyped word in a message could be.

Only *unknown* words are repaired: five letters or more, not a word of any catalog title, of the common
English words, of the genre / film / movie-talk / chat lists, of the words people used in three REDIAL
train dialogues or more (``chat_words.txt``: "decent", "submit", "premise"), nor a part of a person's name in
the catalog, and no plain inflection of one ("favorites", "havent"). Such a word maps to the title words one edit away
(insertion, deletion, substitution or swap of neighbours; :mod:`rapidfuzz`'s OSA distance) that share its
first and last letters (typos seldom hit those, and a change at the end is mostly another form of a word:
"fanboy" / "Fanboys", "froze" / "Frozen", "commute" / "The Commuter"). Lookups use a symmetric-deletion table, so a message without
unknown words costs a few set lookups and one with them a few dictionary probes per unknown word.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources

from rapidfuzz.distance import OSA

from tools.grounding.lexicon import (
    CHAT_PHRASES,
    DOMAIN_COMMON_WORDS,
    GENERIC_WORDS,
    GENRE_WORDS,
    common_words,
)

#: Shortest word that is repaired, and shortest title word it is repaired to.
MIN_TYPO_LEN = 5
MIN_TARGET_LEN = 4
_MAX_FIXES = 3
_SUFFIXES = ("s", "es", "ed", "d", "ing", "ly", "er", "ers", "t", "nt")
_CACHE_LIMIT = 20000


@cache
def chat_words() -> frozenset[str]:
    """The words of ``chat_words.txt`` (words of 5+ letters used in 3+ REDIAL train dialogues)."""
    text = resources.files("tools.grounding").joinpath("chat_words.txt").read_text(encoding="utf-8")
    return frozenset(line.split()[0] for line in text.splitlines() if line and not line.startswith("#"))


def _deletes(word: str) -> set[str]:
    return {word[:k] + word[k + 1 :] for k in range(len(word))}


class Speller:
    """Maps an unknown word to the title words one edit away (see the module docstring)."""

    def __init__(self, title_keys: Iterable[str], people: Iterable[str]) -> None:
        vocab: dict[str, int] = {}
        for key in title_keys:
            for word in key.split():
                vocab[word] = vocab.get(word, 0) + 1
        known = set(vocab) | common_words() | chat_words() | GENRE_WORDS | GENERIC_WORDS | DOMAIN_COMMON_WORDS
        for phrase in (*CHAT_PHRASES, *people):
            known.update(phrase.split())
        self._known = frozenset(known)
        self._freq = vocab
        table: dict[str, list[str]] = {}
        for word in vocab:
            if len(word) < MIN_TARGET_LEN or not word.isalpha():
                continue
            table.setdefault(word, []).append(word)
            for d in _deletes(word):
                table.setdefault(d, []).append(word)
        self._table = table
        self._cache: dict[str, tuple[str, ...]] = {}

    def is_known(self, word: str) -> bool:
        """A word of a title, a common or movie-talk word, a name, or an inflection of one."""
        if word in self._known:
            return True
        return any(word.endswith(s) and word[: -len(s)] in self._known for s in _SUFFIXES)

    def fixes(self, word: str) -> tuple[str, ...]:
        """The title words ``word`` may be a typo of (commonest in titles first); empty for known words."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        out: tuple[str, ...] = ()
        if len(word) >= MIN_TYPO_LEN and word.isalpha() and not self.is_known(word):
            found: set[str] = set(self._table.get(word, ()))
            for d in _deletes(word):
                found.update(self._table.get(d, ()))
            good = [
                w
                for w in found
                if w[0] == word[0] and w[-1] == word[-1] and OSA.distance(word, w, score_cutoff=1) <= 1
            ]
            good.sort(key=lambda w: (-self._freq.get(w, 0), w))
            out = tuple(good[:_MAX_FIXES])
        if len(self._cache) < _CACHE_LIMIT:
            self._cache[word] = out
        return out
