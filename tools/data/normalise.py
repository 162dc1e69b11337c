"""Cleaning and normalisation of the raw datasets' values: text, titles and years, genres (onto
:data:`tools.genres.GENRES`), ids, plots and keywords (title matching is in :mod:`tools.data.matching`)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from tools.genres import canonical_genre
from tools.text import cut_at_sentence
from tools.titles import fold, move_article, split_year

MAX_PLOT_CHARS = 600
MAX_KEYWORDS = 15

_INSPIRED_YEAR_RE = re.compile(r"^(?P<title>.*?)\s*\(\s*(?P<year>(?:18|19|20)\d\d)?\s*(?:film)?\s*\)?\s*$")
_ML_PAREN_RE = re.compile(r"\s*\(([^()]*)\)\s*$")
_AKA_RE = re.compile(r"^(?:a\.k\.a\.|aka)\s+", re.IGNORECASE)
_SPACE_RE = re.compile(r"\s+")


def clean_text(text: str | None) -> str:
    """Collapse runs of whitespace; ``None`` gives ``""``."""
    return _SPACE_RE.sub(" ", text or "").strip()


def display_title(raw: str) -> str:
    """A display title: URL escapes decoded (``%3F`` -> ``?``), whitespace collapsed, article in front."""
    text = clean_text(unquote(raw)) if "%" in raw else clean_text(raw)
    return move_article(text)


def parse_title_year(raw: str) -> tuple[str, int | None]:
    """Split a dataset title into a display title and a year.

    Handles the clean ``"Heat (1995)"`` form and the broken forms found in INSPIRED
    (``"Outbreak (1995"``, ``"The Witch (2015 film)"``, ``"Rose Red ()"``).
    """
    text = clean_text(unquote(raw)) if "%" in raw else clean_text(raw)
    base, year = split_year(text)
    if year is None:
        match = _INSPIRED_YEAR_RE.match(text)
        if match and match.group("title") and (match.group("year") or text.endswith("()")):
            base = match.group("title")
            year = int(match.group("year")) if match.group("year") else None
    return move_article(clean_text(base)), year


def parse_year(value: Any) -> int | None:
    """A plausible release year from ``"1995"``, ``1995.0``, ``"1995-11-22"``; otherwise None."""
    if value is None:
        return None
    text = str(value).strip()
    match = re.match(r"^((?:18|19|20)\d\d)(?:\.0+)?(?:-\d\d-\d\d)?$", text)
    if not match:
        return None
    year = int(match.group(1))
    return year if 1870 <= year <= 2035 else None


def normalize_genre(raw: str) -> str | None:
    """Map a source genre label onto the fixed vocabulary (``"Science Fiction"`` -> ``"sci-fi"``), or None."""
    key = clean_text(raw).lower().replace("_", " ")
    if not key:
        return None
    return canonical_genre(key)


def normalize_genres(raw: Iterable[str]) -> list[str]:
    """Normalise and de-duplicate genre labels, keeping the first occurrence's order."""
    out: list[str] = []
    for label in raw:
        genre = normalize_genre(label)
        if genre and genre not in out:
            out.append(genre)
    return out


def split_list(text: str | None, sep: str) -> list[str]:
    """Split ``"a, b, c"`` on ``sep``, dropping blanks and duplicates (order kept)."""
    out: list[str] = []
    for part in (text or "").split(sep):
        value = clean_text(part)
        if value and value not in out:
            out.append(value)
    return out


def truncate_plot(text: str, limit: int = MAX_PLOT_CHARS) -> str:
    """Shorten a plot to at most ``limit`` characters, at a real sentence end (:mod:`tools.text`: not at the
    dot of "Col." or "U.S.") when one is close enough, else at a word with "…"."""
    return cut_at_sentence(clean_text(text), limit)


def merge_keywords(*groups: Iterable[str], limit: int = MAX_KEYWORDS) -> list[str]:
    """Lower-cased, de-duplicated keywords from several sources in priority order, at most ``limit``."""
    out: list[str] = []
    seen: set[str] = set()
    for group in groups:
        for raw in group:
            kw = clean_text(raw).lower()
            key = normalize_genre(kw) or fold(kw).replace(" ", "")  # "sci fi" = "scifi" = "science fiction"
            if kw and key and key not in seen:
                seen.add(key)
                out.append(kw)
                if len(out) >= limit:
                    return out
    return out


def imdb_str(value: Any) -> str | None:
    """``114709`` / ``"0114709"`` / ``"tt0114709"`` -> ``"tt0114709"``; None when not a number."""
    text = str(value or "").strip().lower().removeprefix("tt")
    text = text.split(".")[0]
    if not text.isdigit() or int(text) == 0:
        return None
    return f"tt{int(text):07d}"


def int_or_none(value: Any) -> int | None:
    """``"862"`` / ``862.0`` -> ``862``; blanks and junk -> None."""
    try:
        number = int(float(str(value).strip()))
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def ml_title_parts(raw: str) -> tuple[str, list[str], int | None]:
    """Parse a MovieLens title: ``"City of Lost Children, The (Cité des enfants perdus, La) (1995)"`` ->
    ``("The City of Lost Children", ["La Cité des enfants perdus"], 1995)``; ``a.k.a.`` parts become aliases."""
    base, year = split_year(clean_text(raw))
    aliases: list[str] = []
    while True:
        match = _ML_PAREN_RE.search(base)
        if not match or match.start() == 0:
            break
        inner = clean_text(_AKA_RE.sub("", match.group(1)))
        if inner:
            aliases.insert(0, move_article(inner))
        base = base[: match.start()].strip()
    return move_article(base), aliases, year


def dialog_text_key(messages: list[dict[str, Any]]) -> str:
    """A hash of a dialog's text that survives merging consecutive messages (used to de-duplicate dialogs)."""
    text = " ".join(clean_text(str(m.get("text", ""))) for m in messages)
    return hashlib.sha1(clean_text(text).encode("utf-8")).hexdigest()[:16]
