"""Whether words found in a text are written as a title: the precision rules of title finding.

- titles that are common words ("Up", "It", "Heat", "Her": the ~2,500 commonest English words, movie-talk
  words, words of four letters or fewer, two-word titles of very common words like "Get Out") count only
  when written as a title: capitalised mid-sentence (not in Title Case or ALL CAPS text), quoted, bold, or
  followed by a year;
- genre and film words ("Horror", "Drama", "Movies") need quotes, bold or a year; a capital letter is not
  enough;
- a one-word title next to another capitalised word is part of a longer name ("Paul Rudd", "Heat Wave").
"""

from __future__ import annotations

from collections.abc import Sequence

from tools.grounding.lexicon import (
    AUXILIARIES,
    DOMAIN_COMMON_WORDS,
    GENERIC_WORDS,
    GENRE_WORDS,
    PRONOUNS,
    SMALL_WORDS,
    TITLE_CONNECTORS,
    common_words,
    very_common_words,
)
from tools.grounding.tokenizer import Token


def caps_are_unreliable(toks: list[Token]) -> bool:
    """True for Title Case or ALL CAPS texts, where a capital letter says nothing about titles."""
    words = [t for t in toks if t.raw[:1].isalpha() and not t.sent_start and t.raw != "I"]
    if len(words) < 3:
        return False
    return sum(1 for t in words if t.cap) / len(words) > 0.6


def strict_words(words: Sequence[str]) -> bool:
    """Only genre / film words (and small words): such a title needs a year or quotes."""
    content = [w for w in words if w not in SMALL_WORDS]
    return bool(content) and all(w in GENRE_WORDS or w in GENERIC_WORDS for w in content)


def is_ambiguous(words: list[Token]) -> bool:
    """Titles that are also ordinary words: they need a marker (capital, quotes, year) to count."""
    content = [w.norm for w in words if w.norm not in SMALL_WORDS] or [w.norm for w in words]
    if len(words) == 1 or len(content) == 1:
        word = content[0]
        letters = sum(ch.isalpha() for ch in word)
        return letters <= 4 or word in common_words() or word in DOMAIN_COMMON_WORDS
    if len(words) == 2:
        very_common = very_common_words()
        return all(
            w in very_common or w in GENRE_WORDS or w in GENERIC_WORDS or w in DOMAIN_COMMON_WORDS
            for w in content
        )
    return False


def case_marked(
    words: list[Token], toks: list[Token], i: int, j: int, caps_unreliable: bool, article: bool
) -> bool:
    """Written like a title: every significant word capitalised, and not only because a sentence starts.

    ``words`` is ``toks[i : j + 1]``; ``article`` says that an article right before it belongs to it.
    """
    if caps_unreliable:
        return False
    significant = [w for w in words if w.norm not in TITLE_CONNECTORS] or words
    if not all(w.cap or w.raw[:1].isdigit() for w in significant):
        return False
    if all(w.raw.isupper() and len(w.raw) > 1 for w in significant):
        return False  # "I LOVE action films": emphasis, not a title
    first = words[0]
    if first.sent_start and len(significant) == 1 and not article:
        return False
    if len(significant) == 1:
        if in_capitalized_name(words, toks, i, j, article):
            return False
        nxt = toks[j + 1] if j + 1 < len(toks) else None
        # a pronoun doing a pronoun's job: "I have It was great"
        if first.norm in PRONOUNS and nxt is not None and nxt.norm in AUXILIARIES:
            return False
    return True


def in_capitalized_name(
    words: list[Token], toks: list[Token], i: int, j: int, article: bool, *, names_only: bool = False
) -> bool:
    """A one-word title right next to another capitalised word ("Paul Rudd", "Ricky Bobby", "Heat Wave")
    is part of a longer name, not this title (possessives like "Mann's Heat" excepted). With
    ``names_only`` the neighbour must also be no common word ("Deadpool Did you see it" is a title)."""

    def name_like(tok: Token) -> bool:
        if not tok.cap or tok.raw == "I" or tok.raw.startswith(("I'", "I’")):
            return False
        return not (names_only and (tok.norm in common_words() or tok.norm in SMALL_WORDS))

    first = words[0]
    prev = toks[i - 2] if article and i > 1 else (toks[i - 1] if not article and i > 0 else None)
    anchor = toks[i - 1].start if article else first.start
    if (
        prev is not None
        and name_like(prev)
        and not prev.sent_start
        and not prev.raw.lower().endswith(("'s", "’s"))
        and prev.end + 1 >= anchor
    ):
        return True
    nxt = toks[j + 1] if j + 1 < len(toks) else None
    return nxt is not None and name_like(nxt) and nxt.start - words[-1].end <= 1
