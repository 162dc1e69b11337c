"""Title normalisation and alias generation, shared by the data build, the catalog store and grounding.

A title is folded to lower-case ASCII without punctuation, leading articles are moved ("Matrix, The" and
"The Matrix" both become "matrix"), and a trailing "(1999)" year is split off (a bare "1999" on request).
"""

from __future__ import annotations

import re
import unicodedata

_YEAR_RE = re.compile(r"\s*[\(\[]\s*((?:18|19|20)\d\d)\s*(?:[-–]\s*(?:\d{2,4})?\s*)?[\)\]]\s*$")
_BARE_YEAR_RE = re.compile(r"^(.*\S)\s*[,\-–]?\s+((?:18|19|20)\d\d)$")
_SUBTITLE_SPLIT_RE = re.compile(r"\s*(?::|\s[-–—]\s)\s*")
_TRAILING_ARTICLE_RE = re.compile(r",\s*(the|a|an|les|la|le|l'|el|il|die|der|das)\s*$", re.IGNORECASE)
_LEADING_ARTICLE_RE = re.compile(r"^(the|a|an)\s+", re.IGNORECASE)
_NON_ALNUM_RE = re.compile(r"[^a-z0-9]+")
#: Roman sequel numerals and the digits they are keyed as ("alien iii" -> "alien 3").
ROMAN_NUMERALS = {"ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8"}


def straighten_apostrophes(text: str) -> str:
    """Straighten typographic apostrophes so "Schindler’s" folds like "Schindler's"."""
    return text.replace("’", "'").replace("‘", "'").replace("`", "'").replace("´", "'")


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


def split_bare_year(title: str) -> tuple[str, int | None]:
    """Split a bare trailing year off: ``"Heat 1995"`` -> ``("Heat", 1995)``.

    A comma or dash before the year stays on the head (``"Heat, 1995"`` -> ``("Heat,", 1995)``; folding drops
    it). Titles without one give ``(title, None)``. The number may belong to the title ("Blade Runner 2049"),
    so callers decide whether to believe it.
    """
    match = _BARE_YEAR_RE.match(title)
    if not match:
        return title, None
    return match.group(1).strip(), int(match.group(2))


def subtitle_parts(title: str) -> list[str]:
    """The two parts around the first colon or spaced dash of a title (its year dropped), or ``[]``.

    ``"Star Wars: The Last Jedi (2017)"`` -> ``["Star Wars", "The Last Jedi"]``.
    """
    base, _ = split_year(title)
    parts = _SUBTITLE_SPLIT_RE.split(base, maxsplit=1)
    return parts if len(parts) == 2 else []


def move_article(title: str) -> str:
    """Turn ``"Matrix, The"`` into ``"The Matrix"``; other titles are returned unchanged."""
    match = _TRAILING_ARTICLE_RE.search(title)
    if not match:
        return title
    return f"{match.group(1)} {title[: match.start()].strip()}"


def plain_title(title: str) -> str:
    """The title without its year, article in front: ``"Matrix, The (1999)"`` -> ``"The Matrix"``."""
    base, _ = split_year(title)
    return move_article(base)


def fold_title(title: str) -> str:
    """The folded title, no year, article in front: ``"Matrix, The (1999)"`` -> ``"the matrix"``."""
    return fold(plain_title(title))


def normalize_title(title: str) -> str:
    """The key used for exact alias matching: folded, article-free, year-free, roman numerals as digits."""
    base = _LEADING_ARTICLE_RE.sub("", fold_title(title))
    words = [ROMAN_NUMERALS.get(w, w) for w in base.split()]
    return " ".join(words)


def title_aliases(title: str, year: int | None, extra: list[str] | None = None) -> set[str]:
    """Every normalised key under which an item with this title and year should be found.

    Each name (the title and every extra alias) gives its key ("Star Wars: Episode IV - A New Hope" ->
    "star wars episode 4 a new hope") and, with a year, the key with a ``" <year>"`` suffix.
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
