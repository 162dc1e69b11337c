"""Title normalisation and alias generation, shared by the data build, the catalog store and grounding.

A title is folded to lower-case ASCII without punctuation, leading articles are moved ("Matrix, The" and
"The Matrix" both become "matrix"), and a trailing "(1999)" year is split off.
"""

from __future__ import annotations

import re
import unicodedata

_YEAR_RE = re.compile(r"\s*[\(\[]\s*((?:18|19|20)\d\d)\s*(?:[-–]\s*(?:\d{2,4})?\s*)?[\)\]]\s*$")
_BARE_YEAR_RE = re.compile(r"\s+((?:19|20)\d\d)\s*$")
_TRAILING_ARTICLE_RE = re.compile(r",\s*(the|a|an|les|la|le|l'|el|il|die|der|das)\s*$", re.IGNORECASE)
_LEADING_ARTICLE_RE = re.compile(r"^(the|a|an)\s+", re.IGNORECASE)
_NON_ALNUM_RE = re.compile(r"[^a-z0-9]+")
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8"}


def fold(text: str) -> str:
    """Lower-case, strip accents and turn every run of non-alphanumerics into one space."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace("&", " and ").replace("'", "")
    return _NON_ALNUM_RE.sub(" ", text).strip()


def split_year(title: str) -> tuple[str, int | None]:
    """Split ``"Heat (1995)"`` into ``("Heat", 1995)``; titles without a year give ``(title, None)``."""
    title = title.strip()
    match = _YEAR_RE.search(title)
    if match:
        return title[: match.start()].strip(), int(match.group(1))
    return title, None


def move_article(title: str) -> str:
    """Turn ``"Matrix, The"`` into ``"The Matrix"``; other titles are returned unchanged."""
    match = _TRAILING_ARTICLE_RE.search(title)
    if not match:
        return title
    return f"{match.group(1)} {title[: match.start()].strip()}"


def normalize_title(title: str) -> str:
    """The key used for exact alias matching: folded, article-free, year-free."""
    base, _ = split_year(title)
    base = fold(move_article(base))
    base = _LEADING_ARTICLE_RE.sub("", base)
    words = [_ROMAN.get(w, w) for w in base.split()]
    return " ".join(words)


def title_aliases(title: str, year: int | None, extra: list[str] | None = None) -> set[str]:
    """Every normalised key under which an item with this title and year should be found.

    Keys without a year and with a ``" <year>"`` suffix are produced, plus the part before a colon
    for subtitled titles ("Star Wars: Episode IV - A New Hope" -> "star wars episode 4 a new hope").
    """
    names = [title, *(extra or [])]
    keys: set[str] = set()
    for name in names:
        key = normalize_title(name)
        if not key:
            continue
        keys.add(key)
        if year:
            keys.add(f"{key} {year}")
    return keys
