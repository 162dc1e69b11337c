"""Feedback on the items of the previous reply, referred to by position ("the second one", "#2", "1 and 3",
"the first two", "all of these") or by pronoun ("seen it", "nah, not that one")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.parsers.patterns import FEEDBACK_SPLIT, NEG_TITLE, ORDINALS, SEEN_TITLE, UNSEEN_TITLE
from agent.state import Sentiment
from tools.titles import fold

_POSITION = re.compile(
    r"(?<![\w#])(?:the )?(?P<word>first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th|top|"
    r"number (?:one|two|three|four|five|[1-5])|#[1-5])(?: one| movie| film| pick| suggestion)?(?!\w)"
)
_OTHERS = re.compile(r"\b(?:the|all the) (?:others|rest)\b")
_NEG_EXTRA = re.compile(r"\b(bores? me|(?:dont|doesnt|do not|does not) do it for me|not for me|meh)\b")
_NUMBERS = re.compile(r"(?<![\w#.])([1-5])(?:,? (?:and|&) ([1-5]))?(?![\w.])")
_FIRST_N = re.compile(r"\b(?:the )?(first|last) (two|three|four|2|3|4)\b")
_PRONOUN = re.compile(r"\b(that one|this one|that|this|it)\b")
_ALL = re.compile(
    r"\b(?:all of (?:them|these|those|em)|all (?:these|those|of em)|them all|every one of them)\b"
)
_NONE = re.compile(r"\b(?:none of (?:them|these|those|em)|not (?:these|those))\b")
_SEEN_ALL = re.compile(r"\b(?:seen|watched|saw) (?:them|those|these|all|em)\b")
_LIKE = re.compile(
    r"\b((?:sounds?|looks?) (?:good|great|interesting|fun|cool|nice|perfect)|like|liked|love|loved|enjoyed|"
    r"perfect|yes|interested|ill watch|watch that|favou?rites?|great|awesome|amazing|for sure|definitely|"
    r"has my name on it|put (?:that|it) on|ill (?:take|go with|try)|great picks?|my pick)\b"
)
_OPINION = re.compile(
    r"\b(liked|loved|enjoyed|favou?rite|great|awesome|amazing|boring|awful|terrible|hated)\b"
)
_SAW_NUMBERS = re.compile(r"\b(seen|saw|watched|like|liked|love|loved|hate|hated|dislike|disliked)\b")
_ORDINAL_NUMBER = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


@dataclass(frozen=True)
class Feedback:
    """A stance on the shown item at ``position`` (1-based), with the words it came from."""

    position: int
    sentiment: Sentiment
    text: str


def sentiment_of(clause: str) -> Sentiment | None:
    """The stance a clause takes on the item it refers to; None when it takes none. An opinion beats "seen"
    ("watched it yesterday and loved it" is a like); "I haven't seen it" is no stance unless interest follows."""
    folded = fold(clause)
    if UNSEEN_TITLE.search(folded):
        return "like" if _LIKE.search(clause) else None
    seen = SEEN_TITLE.search(clause)
    if seen and _OPINION.search(clause[seen.end() :]):
        return "dislike" if NEG_TITLE.search(clause[seen.end() :]) else "like"
    if seen:
        return "seen"
    if NEG_TITLE.search(clause) or _NEG_EXTRA.search(clause):
        return "dislike"
    if _LIKE.search(clause):
        return "like"
    return None


def _position(word: str, n_shown: int) -> int:
    if word.startswith("#"):
        return int(word[1:])
    if word.startswith("number "):
        n = word.split()[1]
        return int(n) if n.isdigit() else _ORDINAL_NUMBER.get(n, 0)
    pos = ORDINALS.get(word, 0)
    return n_shown if pos == -1 else pos


def _clause_with(low: str, fragment: str) -> str:
    return next((c for c in FEEDBACK_SPLIT.split(low) if fragment in c), low)


def read_feedback(low: str, n_shown: int, skip: str = "", pronouns: bool = True) -> list[Feedback]:
    """Feedback in a lower-cased message (apostrophes removed) on ``n_shown`` shown items. ``skip`` is a
    fragment that refers to an item without a stance ("more like the second one"); without ``pronouns`` a
    bare "it" / "that one" is no feedback (the message named a film: 'Have you seen "Greta"? I liked it')."""
    if n_shown <= 0:
        return []
    found: dict[int, Feedback] = {}

    def add(positions: list[int], sentiment: Sentiment | None, text: str) -> None:
        for p in positions:
            if sentiment is not None and 1 <= p <= n_shown and p not in found:
                found[p] = Feedback(p, sentiment, text.strip())

    everyone = list(range(1, n_shown + 1))
    if m := _NONE.search(low):
        add(everyone, "dislike", m.group(0))
    if m := _SEEN_ALL.search(low):
        add(everyone, sentiment_of(_clause_with(low, m.group(0))) or "seen", m.group(0))
    if m := _ALL.search(low):
        add(everyone, sentiment_of(_clause_with(low, m.group(0))), m.group(0))
    if m := _FIRST_N.search(low):
        n = min(_ORDINAL_NUMBER.get(m.group(2)) or int(m.group(2)), n_shown)
        positions = (
            list(range(1, n + 1)) if m.group(1) == "first" else list(range(n_shown - n + 1, n_shown + 1))
        )
        add(positions, sentiment_of(_clause_with(low, m.group(0))), m.group(0))
    explicit = [
        m
        for m in _POSITION.finditer(low)
        if not (skip and m.group(0).replace("#", "") in skip) and not _FIRST_N.match(low, m.start())
    ]
    others = _OTHERS.search(low)
    for m in explicit:
        clause = _clause_with(low, m.group(0))
        sentence = next((s for s in re.split(r"[.;!?]", low) if m.group(0) in s), low)
        refs = sum(1 for other in explicit if other.group(0) in sentence) + bool(
            others and others.group(0) in sentence
        )
        sentiment = sentiment_of(sentence if refs == 1 else clause)  # "watched the first one and loved it"
        unseen = bool(UNSEEN_TITLE.search(fold(clause)))  # "I haven't seen the first one": no stance
        if sentiment is None and refs > 1 and not others and not unseen:
            sentiment = sentiment_of(sentence)  # "the second and fourth don't do it for me"
        if sentiment is None and len(explicit) == 1:
            sentiment = sentiment_of(low)  # "yes! the third one, perfect"
        add([_position(m.group("word"), n_shown)], sentiment, clause)
    if others:  # "the others look meh", "I've seen the rest"
        named = {_position(m.group("word"), n_shown) for m in explicit}
        rest = [p for p in everyone if p not in named]
        add(rest, sentiment_of(_clause_with(low, others.group(0))), others.group(0))
    if not explicit and not found and _SAW_NUMBERS.search(low) and not re.search(r"\b\d{2,}\b", low):
        for m in _NUMBERS.finditer(low):  # "I've seen 1 and 3 already"
            add([int(g) for g in m.groups() if g], sentiment_of(low), m.group(0))
    if pronouns and not found and not explicit:
        for m in _PRONOUN.finditer(low):
            if skip and m.group(0) in skip:
                continue
            clause = _clause_with(low, m.group(0))
            add([1], sentiment_of(clause), clause)
            break
    return [found[p] for p in sorted(found)]
