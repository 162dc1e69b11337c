"""The vocabulary's longest-match scanner finds exactly what the equivalent regex alternation finds."""

from __future__ import annotations

import random
import re

from agent.parsers.vocab import LongestWords

KEYS = [
    "war", "world war ii", "world war", "sex scenes", "sex", "tom hanks", "hanks", "tom", "sci fi", "sci-fi",
    "k drama", "new zealand", "zealand", "a", "ab", "o'brien", "brien", "rock", "the rock", "rocky", "é", "café",
    "noir", "neo noir", "neo-noir", "x", "x men", "men",
]  # fmt: skip
FILLER = [
    "i",
    "like",
    "the",
    "and",
    "but",
    "not",
    "-",
    "'",
    ",",
    "!",
    "2",
    "_",
    "ii",
    "cafés",
    "rockyish",
    "",
]


def _regex(keys: list[str]) -> re.Pattern[str]:
    alternation = "|".join(re.escape(w) for w in sorted(keys, key=len, reverse=True))
    return re.compile(
        rf"\b(?:{alternation})s?\b"
    )  # a key may take a trailing "s" ("Nolan's" folds to "nolans")


def test_same_matches_as_the_regex() -> None:
    rng = random.Random(3)
    rx, scanner = _regex(KEYS), LongestWords(KEYS)
    for _ in range(3000):
        words = [rng.choice(KEYS + FILLER) for _ in range(rng.randint(0, 12))]
        text = rng.choice([" ", "", "-", " - "]).join(words) if rng.random() < 0.3 else " ".join(words)
        want = [(m.start(), m.end(), m.group(0)) for m in rx.finditer(text)]
        got = [(m.start(), m.end(), m.group(0)) for m in scanner.finditer(text)]
        assert got == want, text


def test_longest_first_and_no_overlap() -> None:
    found = [m.group(0) for m in LongestWords(KEYS).finditer("world war ii and the rock, not sex scenes")]
    assert found == ["world war ii", "the rock", "sex scenes"]
    assert list(LongestWords([]).finditer("anything")) == []
