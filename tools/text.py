"""Sentence splitting for catalog text (plots): real sentence ends, not the dot of "Col." or "U.S.".

A sentence ends at ``.``, ``!`` or ``?`` (and any closing quotes or brackets after it) followed by white space
and a word that starts like a sentence (a capital letter, a digit or an opening quote). A dot does not end a
sentence after a known abbreviation (:data:`ABBREVIATIONS`: titles and ranks such as "Col.", "Dr.", "Gen.",
"Lt.", "Mr.", "St.", "Jr.", months, "vs."), after a single letter (initials "J. R. R. Tolkien") or after a word
with inner dots ("U.S.", "L.A.", "e.g.").
"""

from __future__ import annotations

import re

#: Words whose trailing dot ends no sentence (lower case, without the dot).
ABBREVIATIONS: frozenset[str] = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "messrs",
        "dr",
        "prof",
        "rev",
        "fr",
        "sr",
        "jr",
        "st",
        "mt",
        "ft",
        "col",
        "gen",
        "lt",
        "sgt",
        "capt",
        "cpt",
        "maj",
        "cmdr",
        "adm",
        "brig",
        "cpl",
        "pvt",
        "gov",
        "sen",
        "rep",
        "pres",
        "supt",
        "insp",
        "det",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "vs",
        "etc",
        "al",
        "approx",
        "inc",
        "ltd",
        "co",
        "corp",
        "bros",
        "no",
        "nos",
        "vol",
        "vols",
        "ch",
        "pp",
        "fig",
        "ed",
        "eds",
        "dept",
        "univ",
        "ave",
        "blvd",
        "rd",
    ]
)

_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_WORD_BEFORE = re.compile(r"([A-Za-z.]+)\.$")


def _ends_sentence(text: str, end: int) -> bool:
    """Whether the punctuation run ending at ``end`` (exclusive) closes a sentence."""
    punct = text[:end].rstrip("\"'”’)]")
    if not punct.endswith("."):
        return True  # ! or ?
    match = _WORD_BEFORE.search(punct)
    if match is None:
        return True
    word = match.group(1)
    if "." in word.strip("."):
        return False  # U.S., L.A., e.g.
    bare = word.strip(".")
    if len(bare) == 1 and bare.isalpha():
        return False  # an initial
    return bare.lower() not in ABBREVIATIONS


def sentence_ends(text: str) -> list[int]:
    """The offsets just after each sentence end in ``text`` (the last sentence's end is not included)."""
    return [m.end() for m in _END.finditer(text) if _ends_sentence(text, m.end())]


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, stripped, in order."""
    text = text.strip()
    out: list[str] = []
    start = 0
    for end in sentence_ends(text):
        out.append(text[start:end].strip())
        start = end
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` ("" for empty text)."""
    parts = split_sentences(text)
    return parts[0] if parts else ""


def cut_at_sentence(text: str, limit: int, min_share: float = 0.5, ellipsis: str = "…") -> str:
    """``text`` if it fits in ``limit`` characters, else its longest run of whole sentences that fits (when it
    keeps at least ``min_share`` of the limit), else cut at a word boundary with ``ellipsis``."""
    text = text.strip()
    if len(text) <= limit:
        return text
    best = 0
    for end in sentence_ends(text):
        if end > limit:
            break
        best = end
    if best >= limit * min_share:
        return text[:best].rstrip()
    room = max(limit - len(ellipsis), 1)
    head = text[:room]
    space = head.rfind(" ")
    if space > 0:
        head = head[:space]
    return head.rstrip(",;:- ") + ellipsis
