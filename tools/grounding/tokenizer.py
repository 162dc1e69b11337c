"""Words of a text with their character spans, sentence boundaries, and the key helpers of grounding.

Tokens are folded with the rules of alias keys (:func:`tools.titles.fold`, roman numerals as digits), so an
n-gram of token forms can be looked up among the catalog's keys and mapped back to a span of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tools.grounding.lexicon import ABBREVIATIONS, SMALL_WORDS, very_common_words
from tools.titles import ROMAN_NUMERALS, fold, straighten_apostrophes

_TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|&")
_WRAPPERS = "\"'“”‘’«»*_`[]{}<>~"
_SENTENCE_GAP_RE = re.compile(r"[.!?;]\s|\n|[\"“”*()\[\]«»|]")


@dataclass(slots=True)
class Token:
    """A word of a text with its character span and folded form."""

    start: int
    end: int
    raw: str
    norm: str
    alt: str | None  # possessive-free form ("inceptions" from "Inception's")
    cap: bool
    sent_start: bool = False


def tokenize(text: str) -> list[Token]:
    """Word tokens of ``text`` with spans; folded forms use the same rules as alias keys."""
    toks: list[Token] = []
    very_common = very_common_words()
    for m in _TOKEN_RE.finditer(text):
        raw = m.group()
        parts = ["and"] if raw == "&" else fold(straighten_apostrophes(raw)).split()
        if not parts:
            continue
        possessive = raw.lower().endswith(("'s", "’s"))
        for k, part in enumerate(parts):
            norm = ROMAN_NUMERALS.get(part, part)
            alt = None
            if possessive and k == len(parts) - 1 and norm.endswith("s") and norm[:-1] not in very_common:
                alt = norm[:-1]  # "Inception's" -> "inception", but "it's" stays "its"
            toks.append(Token(m.start(), m.end(), raw, norm, alt, raw[:1].isupper()))
    for tok in toks:
        tok.sent_start = is_sentence_start(text, tok.start)
    return toks


def is_sentence_start(text: str, pos: int) -> bool:
    """True when nothing but markup, bullets or sentence punctuation precedes ``pos`` in its sentence."""
    i = pos - 1
    while i >= 0:
        ch = text[i]
        if ch == "\n":
            return True
        if ch.isspace() or ch in "*_\"'“”‘’«»#>-–—•([{`~":
            i -= 1
            continue
        if ch in ".!?:;":  # also "1." list markers
            word = re.search(r"(\w+)$", text[:i]) if ch == "." else None
            return not (word is not None and word.group(1).lower() in ABBREVIATIONS)
        return False
    return True


def gap_breaks(text: str, left: Token, right: Token) -> bool:
    """Whether the characters between two tokens end a title (sentence punctuation, markup, newline)."""
    if left.end == right.start and left.start == right.start:
        return False  # parts of one token
    gap = text[left.end : right.start]
    if not gap:
        return False
    if _SENTENCE_GAP_RE.search(gap + " "):
        if gap.startswith(".") and (left.norm in ABBREVIATIONS or len(left.norm) == 1):
            return "\n" in gap
        return True
    return False


def strip_wrappers(text: str) -> str:
    """``text`` without surrounding quotes, markup and trailing punctuation (``'  *The Matrix*. '``)."""
    text = text.strip()
    for _ in range(3):
        stripped = text.strip(_WRAPPERS).strip().rstrip(".,;:!?").strip()
        if stripped == text:
            break
        text = stripped
    return text


def digit_tokens(key: str) -> frozenset[str]:
    """Sequel / number tokens of a normalised key ("toy story 3" -> {"3"})."""
    return frozenset(t for t in key.split() if t.isdigit())


def loose_key(key: str) -> str:
    """A normalised key without its small words ("lord of the rings" -> "lord rings")."""
    return " ".join(t for t in key.split() if t not in SMALL_WORDS)
