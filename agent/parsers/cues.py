"""Stance cues inside one clause: which words make a target wanted, ruled out or toned down, and whether
the user states a lasting taste ("I love …", "I hate …", "I never …") or a request for now.

Text here is folded (:func:`tools.titles.fold`: lower case, no apostrophes, punctuation as spaces).
The stance of a target is the last cue before it in its clause; a few cues after a target ("horror is not
my thing") apply backwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Polarity = Literal["+", "-", "less", "0"]


@dataclass(frozen=True)
class Cue:
    """A cue found in a clause: where it ends, its polarity and whether it states a lasting taste.
    ``weak`` cues ("with", "something", "a good") only carry a stance when nothing stronger comes first;
    ``fresh`` cues ("and a", "plus", "also") start a new wish."""

    start: int
    end: int
    polarity: Polarity
    lasting: bool
    weak: bool = False
    fresh: bool = False


def _alt(*words: str) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_LASTING_NEG = _alt(
    "hate",
    "hated",
    "despise",
    "detest",
    "loathe",
    "dislike",
    "cant stand",
    "cannot stand",
    "can not stand",
    "dont like",
    "do not like",
    "dont really like",
    "dont enjoy",
    "do not enjoy",
    "dont love",
    "dont care for",
    "not a fan of",
    "not a big fan of",
    "not really a fan of",
    "not a huge fan of",
    "not much of a fan of",
    "no fan of",
    "not into",
    "not really into",
    "never watch",
    "cant get into",
    "cannot get into",
    "can not get into",
    "im done with",
    "i am done with",
    "done with",
    "draw the line at",
    "always skip",
    "always avoid",
    "not up for",
    "least favorite",
    "least favourite",
    "never want",
    "never wanna",
    "never ever",
    "never",
    "not big on",
    "cant do",
    "cant handle",
    "cant deal with",
    "allergic to",
    "dont think i could handle",
    "couldnt handle",
    "could not handle",
    "cant take",
    "avoid",
    "stay away from",
    "steer clear of",
)
_ONEOFF_NEG = _alt(
    "no",
    "not",
    "without",
    "except",
    "anything but",
    "other than",
    "instead of",
    "skip",
    "nothing",
    "none",
    "nor",
    "dont want",
    "do not want",
    "dont need",
    "no more",
    "tired of",
    "sick of",
    "not in the mood for",
    "not in the mood",
    "rather not",
    "wouldnt want",
    "not looking for",
    "isnt",
    "arent",
    "wasnt",
    "free of",
    "minus",
    "spare me",
    "lay off",
    "not feeling",
    "no need for",
    "hates",
    "dislikes",
    "rather avoid",
    "not today",
    "enough of",
    "had enough of",
    "the last thing i want is",
    "last thing i need is",
    "dont give me",
    "do not give me",
    "dont show me",
    "no more of",
    "arent",
)
_LESS = _alt(
    "not too",
    "not so",
    "not very",
    "not overly",
    "nothing too",
    "isnt too",
    "not that",
    "a bit less",
    "less",
    "not super",
    "without too much",
    "not a lot of",
    "not much",
    "light on",
    "low on",
    "easy on",
    "not too much",
    "isnt very",
    "not excessively",
    "nothing overly",
    "not terribly",
    "not crazy",
    "anything too",
    "arent too",
    "arent very",
    "not as",
    "wasnt too",
    "anything overly",
)
_LASTING_POS = _alt(
    "love",
    "adore",
    "enjoy",
    "enjoys",
    "i like",
    "i really like",
    "i also like",
    "we like",
    "i do like",
    "i usually like",
    "i generally like",
    "i mostly like",
    "i kinda like",
    "fan of",
    "big fan",
    "im into",
    "i am into",
    "really into",
    "favorite",
    "favourite",
    "favorites",
    "favourites",
    "cant get enough of",
    "always",
    "obsessed with",
    "i dig",
    "a sucker for",
    "soft spot for",
    "i prefer",
    "i like",
)
_ONEOFF_POS = _alt(
    "want",
    "wanna",
    "looking for",
    "in the mood for",
    "feel like",
    "id like",
    "i would like",
    "would like",
    "need",
    "give me",
    "show me",
    "recommend",
    "suggest",
    "find me",
    "how about",
    "with",
    "starring",
    "featuring",
    "by",
    "directed by",
    "could go for",
    "craving",
    "up for",
    "fancy",
    "open to",
    "ok with",
    "fine with",
    "wouldnt mind",
    "dont mind",
    "prefer",
    "maybe",
    "something",
    "some",
    "a good",
    "any",
    "and a",
    "and an",
    "and some",
    "and something",
    "and maybe",
    "and also",
    "plus",
    "also",
    "hoping for",
    "loves",
    "adores",
    "and im",
    "and i am",
    "just",
    "just a",
    "and we",
    "and i",
    "and my",
    "and our",
)
_WEAK = frozenset(
    {"with", "starring", "featuring", "by", "directed by", "something", "some", "any", "maybe", "a good"}
    | {"and a", "and an", "and some", "and something", "and maybe", "and also", "plus", "also"}
    | {"and we", "and i", "and my", "and our", "and im", "and i am", "just", "just a"}
)
_FRESH = frozenset(
    {"and a", "and an", "and some", "and something", "and maybe", "and also", "plus", "also"}
    | {"and we", "and i", "and my", "and our", "and im", "and i am", "just", "just a", "instead"}
)
_CUE = re.compile(
    rf"\b(?:(?P<lneg>{_LASTING_NEG})|(?P<less>{_LESS})|(?P<neg>{_ONEOFF_NEG})|(?P<lpos>{_LASTING_POS})|"
    rf"(?P<pos>{_ONEOFF_POS}))\b"
)
#: "horror is not my thing", "gore isn't for me": applies to the targets before it
_AFTER_NEG_STRICT = re.compile(
    r"^\W*(?:\w+ ){0,2}?(?:is|are|s)? ?(?:not|isnt|arent|never) (?:really )?(?:for me|my thing|my cup of tea|my jam|my style)\b"
    r"|^\W*(?:\w+ ){0,2}?(?:is|are|s) (?:so |really |just |pretty )?(?:boring|overrated|awful|terrible|the worst|stupid|dumb)\b"
    r"|^\W*(?:\w+ ){0,2}?(?:i )?(?:hate|cant stand|dislike)\b"
    r"|^\W*(?:\w+ ){0,2}?(?:is|are) my least favou?rite\b|^\W*(?:\w+ ){0,1}?absolutely never\b"
)
_AFTER_POS = re.compile(
    r"^\W*(?:movies |films |flicks )?(?:fan|fanatic|lover|nut|buff|junkie|addict|fiend)\b"
    r"|^\W*(?:\w+ ){0,6}?i (?:really |absolutely )?(?:love|adore|like|enjoy)\b(?! to)"
    r"|^\W*(?:\w+ ){0,2}?(?:is|are) my (?:favou?rite|jam|thing|comfort food|comfort watch)\b"
)
_AFTER_ZERO = re.compile(r"^\W*(?:\w+ ){0,1}?(?:is|are|s|would be) (?:fine|okay|ok|alright|all right)\b")
_AFTER_INSTEAD = re.compile(r"^\W*(?:\w+ ){0,1}?instead\b")
#: the clause is about now, not a lasting taste
_NOW = re.compile(r"\b(tonight|today|right now|this time|this evening|for now|at the moment|this weekend)\b")


#: every word of the cue lists, plus contractions as folded ("arent"): words the typo repair leaves alone
CUE_WORDS: frozenset[str] = frozenset(
    " ".join([_LASTING_NEG, _ONEOFF_NEG, _LESS, _LASTING_POS, _ONEOFF_POS]).replace("|", " ").split()
) | frozenset(
    [
        "arent",
        "isnt",
        "wasnt",
        "werent",
        "dont",
        "doesnt",
        "didnt",
        "cant",
        "couldnt",
        "wouldnt",
        "shouldnt",
        "wont",
        "ive",
        "im",
        "id",
        "youre",
        "theyre",
        "thats",
        "whats",
        "hes",
        "shes",
        "lets",
        "theres",
        "havent",
        "hasnt",
        "hadnt",
        "ill",
        "youll",
        "boring",
    ]
)


def said_for_now(clause: str, start: int, end: int | None = None) -> bool:
    """Whether the words before a target (``start``), or right after it up to the next "and" or comma
    (``end``: the target's end), make it a request for now ("avoid horror this evening")."""
    window = clause[:start]
    if end is not None:
        window += " " + re.split(r",| and ", clause[end:], maxsplit=1)[0]
    return bool(_NOW.search(window))


def find_cues(clause: str) -> list[Cue]:
    """Every cue of a folded clause, left to right."""
    out: list[Cue] = []
    for m in _CUE.finditer(clause):
        kind = m.lastgroup or "pos"
        polarity: Polarity = "-" if kind in ("lneg", "neg") else "less" if kind == "less" else "+"
        lasting = kind in ("lneg", "lpos")
        if kind == "lpos" and re.search(r"\b(?:would|id|wd)\s*$", clause[: m.start()]):
            lasting = False  # "I'd like", "I would love": a request
        word = m.group(0)
        if word in ("dont mind", "wouldnt mind"):
            polarity, lasting = "0", False  # "I don't mind violence": no wish either way
        out.append(
            Cue(
                m.start(),
                m.end(),
                polarity,
                lasting,
                weak=kind == "pos" and word in _WEAK,
                fresh=word in _FRESH,
            )
        )
    return out


def stance_at(clause: str, cues: list[Cue], start: int, end: int, targets: list[int]) -> Cue | None:
    """The cue governing a target at ``clause[start:end]``: the last cue before it, or a cue right after it
    that points back ("horror is not my thing"); None when nothing marks it (a plain request).

    A weak cue right after a stronger one belongs to it ("I hate movies with gore", "I love a good scary
    movie") unless another target sits between them ("no horror with Tom Hanks"). ``targets`` are the
    start offsets of every target in the clause."""
    after = clause[end:]
    if _AFTER_NEG_STRICT.search(after):
        return Cue(end, end, "-", lasting=True)
    if _AFTER_ZERO.search(after):  # "a drama is okay", "I don't mind violence": no wish either way
        return Cue(end, end, "0", lasting=False)
    if _AFTER_INSTEAD.search(after):  # "not Tom Cruise, Matt Damon instead"
        return Cue(end, end, "+", lasting=False)
    before = [c for c in cues if c.end <= start]
    if not before or (before[-1].fresh and before[-1].weak):
        if _AFTER_POS.search(after):  # "I'm a huge sci-fi fan", "fantasy on the other hand I love"
            return Cue(end, end, "+", lasting=True)
        if not before:
            return None
    last = before[-1]
    if not last.weak or last.fresh:
        return last
    for earlier in reversed(before[:-1]):
        if any(earlier.end <= t < last.start for t in targets):
            break
        if not earlier.weak:
            return earlier
    return last
