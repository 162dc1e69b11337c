"""The mapping from the sources' keywords and tags onto the qualifier vocabulary (:mod:`tools.qualifiers`).

Sources (see ``tools/data/sources.py``): MovieLens ml-25m ``movies_w_keywords.csv`` ``keyword`` (top user tags),
ml-latest-small ``tags.csv`` ``tag``, TMDB ``movielens_movies_tmdb.csv`` ``tmdb_keywords``, and the items'
catalog ``keywords`` (drawn from the first and the third).

A source term matches a qualifier when its *normal form* equals one of the qualifier's terms' normal forms.
The normal form (:func:`normal_term`, :func:`tools.titles.fold`) folds case and accents, reads ``&`` as "and",
drops apostrophes, turns every other non-alphanumeric run into one space: ``"Twists & Turns"`` -> ``"twists and turns"``,
``"adapted from:book"`` -> ``"adapted from book"``, ``"super-hero"`` -> ``"super hero"``. A term with a
parenthesised tail also matches without it: ``"oscar (best picture)"`` -> ``"oscar"``,
``"central intelligence agency (cia)"`` -> ``"central intelligence agency"``. Matching is exact (no
substrings): ``"musical"`` is not ``"music"`` unless listed, ``"dark comedy"`` is not ``"dark"``.

The terms of a qualifier are the user words of its vocabulary entry (what a user says is what taggers wrote)
minus :data:`NOT_FROM_SOURCES`, plus the source-only terms of :data:`SOURCE_TERMS` (the frequent tags and
keywords of the catalog's films that mean the qualifier, read from the sources' term counts).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from tools.qualifiers import QUALIFIERS
from tools.titles import fold

#: Source terms that mean a qualifier, beyond its user words. Keys are qualifier names.
SOURCE_TERMS: dict[str, tuple[str, ...]] = {
    "gore": (
        "splatter",
        "gory",
        "gore",
        "body horror",
        "torture",
        "torture porn",
        "dismemberment",
        "decapitation",
        "slasher",
        "bloody violence",
        "extreme violence",
        "cannibal",
        "cannibalism",
    ),
    "violence": (
        "graphic violence",
        "extreme violence",
        "ultraviolence",
        "bloody violence",
        "splatter",
        "gory",
        "gunfight",
        "shootout",
        "massacre",
        "torture",
        "sadism",
        "violent",
    ),
    "sex": (
        "nudity",
        "male nudity",
        "female nudity",
        "nudity full frontal",
        "nudity topless",
        "sexuality",
        "sexual",
        "sex scene",
        "erotic",
        "erotica",
        "eroticism",
        "pornography",
        "softcore",
        "explicit sex",
        "sexual content",
    ),
    "scary": (
        "eerie",
        "chilling",
        "very scary",
        "scary movies",
        "suspenseful horror",
    ),
    "dark": (
        "melancholic",
        "melancholy",
        "tragic",
        "tragedy",
        "downbeat",
        "somber",
        "sombre",
        "depressing",
        "distressing",
        "bleak",
        "dark fantasy",
        "dark themes",
        "harsh",
        "nihilism",
    ),
    "feel-good": (
        "feel good",
        "feel good movie",
        "heartwarming",
        "heart warming",
        "uplifting",
        "inspirational",
        "inspiring",
        "optimistic",
        "hopeful",
        "joyful",
        "comforting",
        "celebratory",
        "happy ending",
        "good feel",
    ),
    "twist": (
        "twist ending",
        "plot twist",
        "twists and turns",
        "twists turns",
        "surprise ending",
        "unexpected ending",
    ),
    "mind-bending": (
        "mindfuck",
        "mind fuck",
        "surrealism",
        "psychedelic",
        "thought provoking",
        "nonlinear",
        "non linear",
        "nonlinear timeline",
        "non linear timeline",
        "dreamlike",
        "hallucinatory",
        "complicated",
        "complex",
        "alternate reality",
    ),
    "slow": ("slow moving", "meditative", "contemplative"),
    "time-travel": ("time traveler", "time paradox", "time travel paradox"),
    "heist": ("bank heist", "heist movie", "jewel heist", "burglary", "thief", "thieves", "art theft"),
    "music": (
        "musical",
        "rock",
        "rock band",
        "rock music",
        "rock n roll",
        "punk",
        "punk rock",
        "classical music",
        "composer",
        "opera",
        "rapper",
        "rap",
        "singing",
        "songwriter",
        "pianist",
        "guitarist",
        "orchestra",
        "music industry",
        "music band",
        "jazz musician",
    ),
    "true-story": (
        "based on true story",
        "based on true events",
        "true events",
        "based on real events",
        "biography",
        "biographical",
        "biopic",
    ),
    "based-on-book": (
        "based on book",
        "based on novel",
        "based on novel or book",
        "adapted from book",
        "literary adaptation",
        "based on children's book",
        "based on short story",
        "based on a short story",
    ),
    "superhero": (
        "super hero",
        "marvel cinematic universe",
        "mcu",
        "dc extended universe",
        "superpowers",
    ),
    "christmas": ("santa claus", "christmas movie", "christmas eve", "christmas party"),
    "sports": (
        "sport",
        "ice hockey",
        "american football",
        "golf",
        "tennis",
        "wrestling",
        "surfing",
        "car racing",
        "olympics",
        "boxer",
        "sports team",
    ),
    "space": ("spacecraft", "space opera", "space station", "space marine", "space exploration", "mars"),
    "zombies": ("zombie apocalypse", "living dead"),
    "vampires": ("vampire hunter",),
    "ghosts": ("ghost story", "poltergeist", "supernatural horror"),
    "aliens": ("alien contact", "first contact", "alien life form", "alien planet"),
    "robots": ("cyborgs", "killer robot", "humanoid robot", "a i"),
    "dystopia": ("dystopic future", "post apocalyptic future", "totalitarian regime", "cyberpunk"),
    "coming-of-age": ("teens", "teen movie", "adolescence", "teenage girl", "teenage boy", "puberty"),
    "revenge": ("revenge plot",),
    "serial-killer": ("serial murder",),
    "animals": ("talking animals", "talking animal", "animal movie", "pets", "pet", "talking dog"),
    "world-war": (
        "holocaust",
        "nazi germany",
        "d day",
        "normandy",
        "pearl harbor",
        "world war one",
        "first world war",
        "second world war",
    ),
    "martial-arts": ("wuxia", "kickboxing", "taekwondo", "judo"),
    "road-trip": ("cross country", "road movie"),
    "spy": ("spying", "central intelligence agency", "mi6", "kgb", "007", "james bond", "double agent"),
    "gangster": ("drug cartel", "yakuza", "triad", "crime boss", "mafia boss", "gang", "gangs"),
    "prison": ("prison escape", "prisoner", "death row", "penitentiary", "prison guard"),
    "courtroom": ("court", "court case", "legal thriller", "courtroom drama", "jury", "attorney"),
    "disaster": ("disaster movie", "disaster film", "tornado", "hurricane", "flood", "meteor", "asteroid"),
    "dinosaurs": ("tyrannosaurus rex", "t rex"),
    "magic": ("magician", "witchcraft", "sorcerer", "magic spell"),
    "politics": (
        "usa president",
        "us president",
        "world politics",
        "political thriller",
        "political satire",
        "presidential election",
        "senator",
        "political corruption",
    ),
    "cult": ("cult classic", "cult film"),
    "award-winning": (
        "oscar",
        "oscar winner",
        "academy award winner",
        "golden palm",
        "palme d'or",
        "best picture",
    ),
}

#: User words of the vocabulary that are too loose as source terms (a tag "heavy" or "happy" is no mood).
NOT_FROM_SOURCES: frozenset[str] = frozenset({"heavy", "happy", "explicit", "long", "from a book"})

_PAREN_TAIL = re.compile(r"\s*\([^()]*\)\s*$")


def normal_term(text: str) -> str:
    """The normal form of a keyword, tag or mapping term (see the module docstring)."""
    return fold(text) if text else ""


def term_forms(text: str) -> tuple[str, ...]:
    """The normal forms under which a source term is looked up: itself, and without a parenthesised tail."""
    forms = [normal_term(text)]
    stripped = _PAREN_TAIL.sub("", text)
    if stripped != text:
        forms.append(normal_term(stripped))
    return tuple(dict.fromkeys(f for f in forms if f))


@cache
def term_table() -> dict[str, tuple[str, ...]]:
    """Normal form of a source term -> the qualifier names it means (vocabulary order)."""
    table: dict[str, list[str]] = {}
    for q in QUALIFIERS:
        words = [w for w in q.words if w not in NOT_FROM_SOURCES]
        for term in (*words, *SOURCE_TERMS.get(q.name, ())):
            key = normal_term(term)
            if key and q.name not in table.setdefault(key, []):
                table[key].append(q.name)
    return {k: tuple(v) for k, v in sorted(table.items())}


def qualifiers_for(terms: Iterable[str]) -> list[str]:
    """The qualifier names the given source keywords and tags mean, in vocabulary order."""
    table = term_table()
    found: set[str] = set()
    for term in terms:
        for form in term_forms(term):
            found.update(table.get(form, ()))
    return [q.name for q in QUALIFIERS if q.name in found]


def mapping_rows() -> list[tuple[str, str]]:
    """The whole mapping as (normal source term, qualifier) rows, for documentation and ``catalog check``."""
    return [(term, name) for term, names in term_table().items() for name in names]
