"""The words the rule parser recognises as targets of a stance: genres, qualifiers, countries, people.

One longest-match-first matcher over the folded text, so "world war ii" is the world-war qualifier rather
than the war genre, and "sex scenes" is one target.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from agent.parsers.closed_vocab import LANGUAGES
from tools.catalog import Catalog
from tools.genres import GENRE_WORDS
from tools.grounding.lexicon import common_words
from tools.qualifiers import QUALIFIERS
from tools.titles import fold

Kind = Literal["genre", "qualifier", "country", "person"]

#: nationality words -> the catalog's country names (redial/combined_metadata.csv)
COUNTRY_WORDS: dict[str, str] = {
    "korean": "South Korea", "south korean": "South Korea", "k drama": "South Korea", "japanese": "Japan",
    "french": "France", "british": "UK", "american": "USA", "hollywood": "USA", "german": "Germany",
    "italian": "Italy", "spanish": "Spain", "indian": "India", "bollywood": "India", "chinese": "China",
    "hong kong": "Hong Kong", "mexican": "Mexico", "canadian": "Canada", "australian": "Australia",
    "swedish": "Sweden", "danish": "Denmark", "irish": "Ireland", "russian": "Russia", "brazilian": "Brazil",
    "norwegian": "Norway", "dutch": "Netherlands", "polish": "Poland", "iranian": "Iran", "thai": "Thailand",
    "argentinian": "Argentina", "argentine": "Argentina", "new zealand": "New Zealand", "kiwi": "New Zealand",
    "israeli": "Israel", "hungarian": "Hungary", "finnish": "Finland", "belgian": "Belgium", "turkish": "Turkey",
}  # fmt: skip
#: "in Spanish" -> ISO 639-1
LANGUAGE_WORDS: dict[str, str] = {fold(w): code for code, words in LANGUAGES.items() for w in words}
#: words users say that the catalog's keywords do not (parser-only synonyms)
_MIND_BENDING = ("thoughtful", "messes with your head", "mess with your head", "makes me think", "brainy")
_FAMILY = (
    "for the kids", "for my kids", "for kids", "kids movie", "kids movies", "kids film", "kids films", "kid friendly",
    "kids friendly", "for children", "childrens", "with the kids", "with my kids", "family friendly", "for my son",
    "for my daughter", "for the family",
)  # fmt: skip
#: a qualifier word that means something else before these words ("happy with", "sad to say")
_NOT_BEFORE = {"happy": ("with", "to", "for"), "sad": ("to",), "space": ("for",), "mob": ("of",)}


@dataclass(frozen=True)
class Target:
    """A word of the clause that a stance can apply to."""

    start: int
    end: int
    kind: Kind
    value: str
    word: str


class Vocabulary:
    """Genres, qualifiers, countries and the catalog's people, matched longest first in folded text."""

    def __init__(self, catalog: Catalog, ordinary: set[str] | frozenset[str] = frozenset()) -> None:
        """``ordinary``: everyday words (from the catalog's plots) that a surname alone never stands for
        ("wise" is not Robert Wise)."""
        words: dict[str, tuple[Kind, str]] = {}
        for q in QUALIFIERS:
            for w in q.words:
                words[fold(w)] = ("qualifier", q.name)
        words.update({w: ("genre", g) for w, g in GENRE_WORDS.items()})
        words.update({w: ("country", c) for w, c in COUNTRY_WORDS.items()})
        words["lighter"] = ("qualifier", "feel-good")
        words["darker"] = ("qualifier", "dark")
        words["funnier"] = ("genre", "comedy")
        words["scarier"] = ("genre", "horror")
        words.update({w: ("qualifier", "mind-bending") for w in _MIND_BENDING})
        for w in ("kids", "children"):  # "my kids loved Frozen" is no wish for a family film
            words.pop(w, None)
        words.update({w: ("genre", "family") for w in _FAMILY})
        words["film noir"] = ("genre", "film-noir")
        words["legal"] = ("qualifier", "courtroom")
        words["rom com"] = words["romcom"] = words["rom coms"] = words["romcoms"] = (
            "genre",
            "romance+comedy",
        )
        self.words = words
        self.people = _people_index(catalog, exclude=set(words) | set(ordinary))
        everything: dict[str, tuple[Kind, str]] = {k: ("person", v) for k, v in self.people.items()}
        everything.update(words)  # "zombie" is the topic, not Rob Zombie
        self._all = everything
        self._pattern = LongestWords(everything)

    def targets(self, clause: str) -> list[Target]:
        """Every target in a folded clause, left to right, longest match first, without overlaps."""
        out: list[Target] = []
        for m in self._pattern.finditer(clause):
            word = m.group(0) if m.group(0) in self._all else m.group(0)[:-1]
            kind, value = self._all[word]
            follow = clause[m.end() :].split(maxsplit=1)
            if follow and follow[0] in _NOT_BEFORE.get(word, ()):
                continue
            if kind == "country" and re.search(r"\bin\s*$", clause[: m.start()]):
                continue  # "in Korean" is a language
            out.append(Target(m.start(), m.end(), kind, value, word))
        return out


_BOUNDARY = re.compile(r"\b")


class LongestWords:
    """Finds the keys in a text like ``re.compile(r"\b(?:k1|k2|...)s?\b")`` with the keys longest first, without
    compiling a 14,000-way alternation (about a second in a cold process): left to right, at each word
    boundary the longest key that ends on a word boundary; matches do not overlap."""

    def __init__(self, keys: Iterable[str]) -> None:
        by_len: dict[int, set[str]] = {}
        for key in keys:
            if key:
                by_len.setdefault(len(key), set()).add(key)
        self._by_len = sorted(by_len.items(), reverse=True)

    def finditer(self, text: str) -> Iterator[_Found]:
        """The matches, left to right (each has ``start()``, ``end()`` and ``group(0)``)."""
        bounds = [m.start() for m in _BOUNDARY.finditer(text)]
        at_bound = set(bounds)
        end = 0
        for start in bounds:
            if start < end:
                continue
            for length, keys in self._by_len:
                stop = start + length
                if text[start:stop] not in keys:
                    continue
                if stop in at_bound:
                    yield _Found(start, stop, text[start:stop])
                    end = stop
                    break
                if text[stop : stop + 1] == "s" and stop + 1 in at_bound:  # "Nolan's" folds to "nolans"
                    yield _Found(start, stop + 1, text[start : stop + 1])
                    end = stop + 1
                    break


@dataclass(frozen=True)
class _Found:
    """One match of :class:`LongestWords` (the parts of ``re.Match`` the parser uses)."""

    begin: int
    finish: int
    text: str

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.finish

    def group(self, index: int = 0) -> str:
        return self.text


def _people_index(catalog: Catalog, exclude: set[str]) -> dict[str, str]:
    """Folded name -> catalog name, for directors and leading stars; plus the surname of a well-known
    director or star when it is not a common word and one person dominates it ("Nolan", "Spielberg")."""
    canon: dict[str, str] = {}
    credits: Counter[str] = Counter()
    for it in catalog.items.values():
        for name in (*it.directors, *it.stars[:4]):
            key = fold(name)
            if len(key.split()) >= 2 and len(key) >= 6:
                canon.setdefault(key, name)
                credits[key] += 2 if name in it.directors else 1
    by_surname: dict[str, list[tuple[int, str]]] = {}
    for key, n in credits.items():
        by_surname.setdefault(key.split()[-1], []).append((n, key))
    common = common_words()
    out = dict(canon)
    for surname, people in by_surname.items():
        people.sort(reverse=True)
        best, key = people[0]
        runner_up = people[1][0] if len(people) > 1 else 0
        if (
            len(surname) >= 4
            and surname not in common
            and surname not in exclude
            and best >= 8
            and best >= 3 * runner_up
        ):
            out.setdefault(surname, canon[key])
    return out
