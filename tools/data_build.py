"""Build the shipped movie catalog and training interactions from the raw datasets in ``../shared/data``.

``build_data(source, out)`` reads REDIAL, INSPIRED (train, dev and its small KG), MovieLens and TMDB files
(see each ``PROVENANCE.md``) and writes, reproducibly (sorted output, gzip with ``mtime=0``):

- ``catalog.jsonl.gz``: one movie per line. All REDIAL movies first (ids 1..6924 in ascending REDIAL id order),
  then the INSPIRED movies not already present (sorted by title), enriched from MovieLens and TMDB.
- ``interactions.csv.gz``: ``user,item_id,weight,source,kind`` from REDIAL and INSPIRED *training* dialogs and
  MovieLens ml-latest-small ratings (>= 3.5 stars).
- ``manifest.json``: sha256 of every source file read, counts and coverage, the generation command.
- ``NOTICE.md``: sources, licenses and attribution.

Identity of a REDIAL movie: its REDIAL name and year. The side files (``id2info.json``, ``combined_metadata.csv``,
``movies_rating_data.csv``) were joined by their authors partly by title, and some rows describe another film
with the same name (a remake, a different year). Every link is therefore checked against the REDIAL title and year
before it is used, and id links (IMDb, MovieLens ids) are preferred to title matching.

Test splits are never read here (not ``redial/test_data.jsonl``, no INSPIRED test file).

Run: ``python -m tools.data_build --source ../shared/data --out data``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import logging
import os
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from rapidfuzz import fuzz

from tools.titles import fold, move_article, normalize_title, split_year

log = logging.getLogger(__name__)

GENERATION_COMMAND = "python -m tools.data_build --source ../shared/data --out data"
CATALOG_FILE = "catalog.jsonl.gz"
INTERACTIONS_FILE = "interactions.csv.gz"
MANIFEST_FILE = "manifest.json"
NOTICE_FILE = "NOTICE.md"
OUTPUT_FILES = (CATALOG_FILE, INTERACTIONS_FILE, MANIFEST_FILE, NOTICE_FILE)

MAX_PLOT_CHARS = 600
MAX_KEYWORDS = 15
MAX_ALIASES = 6
MAX_PEOPLE = 5
MIN_RATINGS_FOR_MEAN = 5
ML_MIN_RATING = 3.5

# The fixed genre vocabulary (23 genres) and the synonyms mapped onto it; anything else is dropped.
GENRES: frozenset[str] = frozenset(
    {
        "action", "adventure", "animation", "biography", "comedy", "crime", "documentary", "drama", "family",
        "fantasy", "film-noir", "history", "horror", "music", "mystery", "romance", "sci-fi", "short", "sport",
        "thriller", "tv-movie", "war", "western",
    }
)
GENRE_SYNONYMS: dict[str, str] = {
    "science fiction": "sci-fi",
    "sci fi": "sci-fi",
    "scifi": "sci-fi",
    "children": "family",
    "childrens": "family",
    "children's": "family",
    "kids": "family",
    "musical": "music",
    "film noir": "film-noir",
    "noir": "film-noir",
    "tv movie": "tv-movie",
    "sports": "sport",
    "biopic": "biography",
    "animated": "animation",
    "romantic": "romance",
    "historical": "history",
    "documentaries": "documentary",
}

_INSPIRED_YEAR_RE = re.compile(r"^(?P<title>.*?)\s*\(\s*(?P<year>(?:18|19|20)\d\d)?\s*(?:film)?\s*\)?\s*$")
_ML_PAREN_RE = re.compile(r"\s*\(([^()]*)\)\s*$")
_AKA_RE = re.compile(r"^(?:a\.k\.a\.|aka)\s+", re.IGNORECASE)
_SPACE_RE = re.compile(r"\s+")


class DataBuildError(ValueError):
    """A source file is missing or unparsable (the message names the file and the fix)."""


# --------------------------------------------------------------------------- small parsing helpers


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
    if key in GENRES:
        return key
    key = GENRE_SYNONYMS.get(key, key)
    if key in GENRES:
        return key
    dashed = key.replace(" ", "-")
    return dashed if dashed in GENRES else None


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
    """Shorten a plot to at most ``limit`` characters, at a sentence end when one is close enough."""
    text = clean_text(text)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = cut.rfind(". ")
    if end >= limit // 2:
        return cut[: end + 1]
    space = cut[: limit - 1].rfind(" ")
    return cut[: space if space > 0 else limit - 1].rstrip(",;: ") + "…"


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


def title_similarity(a: str, b: str, same_year: bool = False) -> int:
    """2 when the normalised titles are equal, 1 when they clearly overlap, 0 otherwise.

    Titles whose numbers differ ("Home Alone" / "Home Alone 2") do not overlap unless ``same_year``
    ("John Wick: Chapter 2" / "John Wick: Chapter Two", both 2017).
    """
    na, nb = normalize_title(a), normalize_title(b)
    if not na or not nb:
        return 0
    if na == nb:
        return 2
    if not same_year and {w for w in na.split() if w.isdigit()} != {w for w in nb.split() if w.isdigit()}:
        return 0
    if fuzz.token_set_ratio(na, nb) >= 85 or fuzz.ratio(na, nb) >= 80:
        return 1
    return 0


def years_compatible(a: int | None, b: int | None, tolerance: int = 1) -> bool:
    """True when either year is unknown or they differ by at most ``tolerance``."""
    return a is None or b is None or abs(a - b) <= tolerance


def dialog_text_key(messages: list[dict[str, Any]]) -> str:
    """A hash of a dialog's text that survives merging consecutive messages (used to de-duplicate dialogs)."""
    text = " ".join(clean_text(str(m.get("text", ""))) for m in messages)
    return hashlib.sha1(clean_text(text).encode("utf-8")).hexdigest()[:16]


# --------------------------------------------------------------------------- source files


class Sources:
    """Resolves source files under the data directory and remembers the sha256 of every file read."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.read: dict[str, str] = {}

    def path(self, rel: str) -> Path:
        """The path of ``rel``; raises :class:`DataBuildError` when it does not exist."""
        path = self.root / rel
        if not path.is_file():
            raise DataBuildError(
                f"missing source file {path}: copy the datasets into {self.root} as listed in its PROVENANCE.md files"
            )
        if rel not in self.read:
            self.read[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        return path

    def corrupt(self, rel: str, exc: BaseException | str) -> DataBuildError:
        """The error for an unparsable file."""
        reason = clean_text(str(exc))[:200]
        return DataBuildError(
            f"corrupt source file {self.root / rel} ({reason}): re-copy it from the source named in PROVENANCE.md"
        )

    def json(self, rel: str) -> Any:
        """Parse a JSON file."""
        path = self.path(rel)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise self.corrupt(rel, exc) from exc

    def jsonl(self, rel: str) -> Iterator[tuple[int, Any]]:
        """Parse a JSON-lines file: (1-based line number, value) for every non-blank line."""
        path = self.path(rel)
        try:
            with open(path, encoding="utf-8") as fh:
                lines = fh.readlines()
        except UnicodeDecodeError as exc:
            raise self.corrupt(rel, exc) from exc
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except ValueError as exc:
                raise self.corrupt(rel, f"line {lineno}: {exc}") from exc

    def csv(self, rel: str, required: Iterable[str], delimiter: str = ",") -> list[dict[str, str]]:
        """Parse a CSV/TSV file with a header; the ``required`` columns must be present."""
        path = self.path(rel)
        limit = csv.field_size_limit()
        csv.field_size_limit(1 << 27)
        try:
            with open(path, encoding="utf-8", newline="") as fh:
                reader = csv.DictReader(fh, delimiter=delimiter)
                missing = [c for c in required if c not in (reader.fieldnames or [])]
                if missing:
                    raise self.corrupt(rel, f"missing column(s) {', '.join(missing)}")
                return list(reader)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise self.corrupt(rel, exc) from exc
        finally:
            csv.field_size_limit(limit)


# --------------------------------------------------------------------------- intermediate records


@dataclass
class MLMovie:
    """One MovieLens (ml-25m) movie with the TMDB extras where known."""

    movielens_id: int
    title: str
    aliases: list[str]
    year: int | None
    genres: list[str]
    tags: list[str]
    imdb_id: str | None = None
    tmdb_id: int | None = None
    plot: str = ""
    cast: list[str] = field(default_factory=list)
    tmdb_keywords: list[str] = field(default_factory=list)
    tmdb_genres: list[str] = field(default_factory=list)
    tmdb_title: str = ""


@dataclass
class Draft:
    """A catalog item under construction."""

    title: str
    year: int | None
    redial_id: int | None = None
    mentions: int = 0
    genres: list[str] = field(default_factory=list)
    directors: list[str] = field(default_factory=list)
    writers: list[str] = field(default_factory=list)
    stars: list[str] = field(default_factory=list)
    plot: str = ""
    keywords: list[str] = field(default_factory=list)
    popularity: float = 0.0
    rating: float | None = None
    imdb_id: str | None = None
    movielens_id: int | None = None
    tmdb_id: int | None = None
    aliases: list[str] = field(default_factory=list)
    id: int = 0

    def add_alias(self, alias: str | None) -> None:
        """Add an alternative title unless it repeats the title or another alias (case-insensitively)."""
        alias = clean_text(alias)
        if not normalize_title(alias) or len(self.aliases) >= MAX_ALIASES:
            return
        known = {self.title.casefold(), *(a.casefold() for a in self.aliases)}
        if alias.casefold() not in known:
            self.aliases.append(alias)

    def record(self) -> dict[str, Any]:
        """The catalog line, fields in the documented order."""
        return {
            "id": self.id,
            "title": self.title,
            "year": self.year,
            "genres": self.genres,
            "directors": self.directors[:MAX_PEOPLE],
            "writers": self.writers[:MAX_PEOPLE],
            "stars": self.stars[:MAX_PEOPLE],
            "plot": truncate_plot(self.plot),
            "keywords": self.keywords[:MAX_KEYWORDS],
            "popularity": round(float(self.popularity), 3),
            "rating": None if self.rating is None else round(float(self.rating), 2),
            "redial_id": self.redial_id,
            "imdb_id": self.imdb_id,
            "movielens_id": self.movielens_id,
            "tmdb_id": self.tmdb_id,
            "aliases": self.aliases,
        }


class TitleIndex:
    """Normalised title -> entries, looked up with a year tolerance."""

    def __init__(self) -> None:
        self._keys: dict[str, list[tuple[int | None, Any]]] = defaultdict(list)

    def add(self, title: str, year: int | None, value: Any) -> None:
        """Index ``value`` under the normalised ``title``."""
        key = normalize_title(title)
        if key and not any(y == year and (v is value or v == value) for y, v in self._keys[key]):
            self._keys[key].append((year, value))

    def lookup(self, title: str, year: int | None, rank: Any = None) -> Any:
        """The best entry for ``title`` and ``year``: exact year first, then ±1, then unknown years.

        Without a year only an unambiguous key (or the top of ``rank``) is returned. ``rank(value)`` orders
        ties (smaller is better); without it the first indexed entry wins.
        """
        entries = self._keys.get(normalize_title(title), [])
        if not entries:
            return None
        order = rank if rank else (lambda v: 0)
        if year is None:
            distinct = {v if isinstance(v, int | str) else id(v) for _, v in entries}
            if len(distinct) == 1 or rank:
                return min((v for _, v in entries), key=order)
            return None
        for tol in (0, 1):
            hits = [v for y, v in entries if y is not None and abs(y - year) <= tol]
            if hits:
                return min(hits, key=order)
        hits = [v for y, v in entries if y is None]
        return min(hits, key=order) if hits else None


# --------------------------------------------------------------------------- readers


def read_movielens(src: Sources) -> tuple[dict[int, MLMovie], dict[str, int], TitleIndex]:
    """ml-25m movies + keywords + links and the TMDB file: id -> movie, imdb -> ML id, and a title index."""
    movies: dict[int, MLMovie] = {}
    rel = "movielens/ml-25m/movies_w_keywords.csv"
    for row in src.csv(rel, ["movieId", "title", "genres", "keyword"]):
        mid = int_or_none(row["movieId"])
        if mid is None:
            raise src.corrupt(rel, f"bad movieId {row['movieId']!r}")
        title, aliases, year = ml_title_parts(row["title"])
        movies[mid] = MLMovie(
            movielens_id=mid,
            title=title,
            aliases=aliases,
            year=year,
            genres=normalize_genres(row["genres"].split("|")),
            tags=split_list(row["keyword"], "|"),
        )
    imdb_to_ml: dict[str, int] = {}
    for row in src.csv("movielens/ml-25m/links.csv", ["movieId", "imdbId", "tmdbId"]):
        mid = int_or_none(row["movieId"])
        if mid in movies:
            movie = movies[mid]
            movie.imdb_id = imdb_str(row["imdbId"])
            movie.tmdb_id = int_or_none(row["tmdbId"])
            if movie.imdb_id:
                imdb_to_ml.setdefault(movie.imdb_id, mid)
    tmdb_cols = ["movieId", "tmdb_id", "tmdb_title", "tmdb_overview", "tmdb_genres", "tmdb_top_cast", "tmdb_keywords"]
    for row in src.csv("tmdb/movielens_movies_tmdb.csv", tmdb_cols):
        mid = int_or_none(row["movieId"])
        if mid not in movies:
            continue
        movie = movies[mid]
        movie.tmdb_id = movie.tmdb_id or int_or_none(row["tmdb_id"])
        movie.tmdb_title = clean_text(row["tmdb_title"])
        movie.plot = clean_text(row["tmdb_overview"])
        movie.cast = split_list(row["tmdb_top_cast"], ",")
        movie.tmdb_keywords = split_list(row["tmdb_keywords"], ",")
        movie.tmdb_genres = normalize_genres(split_list(row["tmdb_genres"], ","))
    index = TitleIndex()
    for mid in sorted(movies):
        movie = movies[mid]
        for name in (movie.title, *movie.aliases, movie.tmdb_title):
            if name:
                index.add(name, movie.year, mid)
    return movies, imdb_to_ml, index


@dataclass
class KGMovie:
    """People and genres of one INSPIRED KG movie."""

    stars: list[str] = field(default_factory=list)
    directors: list[str] = field(default_factory=list)
    genres: list[str] = field(default_factory=list)


def read_inspired_kg(src: Sources) -> dict[str, KGMovie]:
    """INSPIRED KG (CFCRS format): raw movie name ``"Title (Year)"`` -> stars, directors, genres."""
    entity2id = src.json("inspired/cfcrs/entity2id.json")
    entity2type = src.json("inspired/cfcrs/entity2type.json")
    relation2id = src.json("inspired/cfcrs/relation2id.json")
    kg = src.json("inspired/cfcrs/kg.json")
    if not all(isinstance(x, dict) for x in (entity2id, entity2type, relation2id, kg)):
        raise src.corrupt("inspired/cfcrs/kg.json", "expected JSON objects in entity2id/entity2type/relation2id/kg")
    try:
        names = {int(i): str(name) for name, i in entity2id.items()}
        rel_star, rel_dir, rel_genre = (int(relation2id[k]) for k in ("star", "director", "genre"))
        movies: dict[str, KGMovie] = {}
        for head, edges in kg.items():
            name = names.get(int(head), "")
            if entity2type.get(name) != "movie" or not name:
                continue
            movie = movies.setdefault(name, KGMovie())
            for rel, tail in edges:
                tail_name = names.get(int(tail), "")
                if not tail_name:
                    continue
                if rel == rel_star and tail_name not in movie.stars:
                    movie.stars.append(tail_name)
                elif rel == rel_dir and tail_name not in movie.directors:
                    movie.directors.append(tail_name)
                elif rel == rel_genre:
                    movie.genres = normalize_genres([*movie.genres, tail_name])
        for name, kind in entity2type.items():
            if kind == "movie" and name:
                movies.setdefault(name, KGMovie())
    except (KeyError, TypeError, ValueError) as exc:
        raise src.corrupt("inspired/cfcrs/kg.json", exc) from exc
    return movies


def inspired_train_dialogs(src: Sources) -> list[tuple[int, list[str]]]:
    """INSPIRED train (UniCRS format): (line number, movie titles in order of mention) per dialog."""
    rel = "inspired/unicrs/train_data_dbpedia.jsonl"
    out: list[tuple[int, list[str]]] = []
    for lineno, turns in src.jsonl(rel):
        if not isinstance(turns, list):
            raise src.corrupt(rel, f"line {lineno}: expected a list of turns")
        titles: list[str] = []
        try:
            for turn in turns:
                for title in turn.get("movie") or []:
                    if clean_text(title) and title not in titles:
                        titles.append(title)
        except (AttributeError, TypeError) as exc:
            raise src.corrupt(rel, f"line {lineno}: {exc}") from exc
        out.append((lineno, titles))
    return out


def inspired_dev_titles(src: Sources) -> list[str]:
    """Distinct movie titles of INSPIRED dev (``dev.tsv`` ``movies`` column and the CFCRS copy)."""
    titles: set[str] = set()
    for row in src.csv("inspired/dev.tsv", ["dialog_id", "movies"], delimiter="\t"):
        titles.update(t for t in (clean_text(x) for x in (row["movies"] or "").split(";")) if t)
    rel = "inspired/cfcrs/valid_data.jsonl"
    for lineno, dialog in src.jsonl(rel):
        try:
            for turn in dialog["dialog"]:
                titles.update(t for t in (clean_text(x) for x in turn.get("movie") or []) if t)
        except (KeyError, TypeError, AttributeError) as exc:
            raise src.corrupt(rel, f"line {lineno}: {exc}") from exc
    return sorted(titles)


# --------------------------------------------------------------------------- catalog


def _redial_year(name_year: int | None, tmdb: dict[str, Any] | None) -> int | None:
    if name_year is not None:
        return name_year
    return parse_year(tmdb.get("year")) if tmdb else None


def _pick_movielens(
    title: str,
    year: int | None,
    candidates: list[tuple[str, int]],
    movies: dict[int, MLMovie],
) -> tuple[int | None, dict[str, bool]]:
    """The best validated MovieLens id among (source, id) candidates, and which sources were acceptable.

    A candidate is acceptable when its year is compatible (±1) and its title matches (exactly or clearly
    overlapping, MovieLens alternative titles included). Ties go to the earlier source in ``candidates``.
    """
    best: tuple[int, int, int] | None = None
    accepted: dict[str, bool] = {}
    for order, (source, mid) in enumerate(candidates):
        movie = movies.get(mid)
        ok = False
        score = 0
        if movie is not None:
            names = [movie.title, *movie.aliases, movie.tmdb_title]
            same_year = year is not None and year == movie.year
            # A REDIAL name without a title (" (2015)") cannot contradict the link: the year must do.
            score = max(title_similarity(title, n, same_year) for n in names if n) if normalize_title(title) else 1
            # Same title: release years in the sources drift by up to two years; otherwise allow one.
            ok = score >= 1 and years_compatible(year, movie.year, tolerance=2 if score == 2 else 1)
        accepted[source] = accepted.get(source, False) or ok
        if ok and movie is not None and (best is None or (-score, order) < (best[0], best[1])):
            best = (-score, order, mid)
    return (best[2] if best else None), accepted


def build_catalog(src: Sources) -> tuple[list[Draft], dict[str, Any]]:
    """Read every catalog source and return the items (ids assigned) plus build statistics."""
    ml_movies, imdb_to_ml, ml_index = read_movielens(src)
    stats: dict[str, Any] = defaultdict(int)

    rel = "redial/movies_with_mentions.csv"
    redial_rows = src.csv(rel, ["movieId", "movieName", "nbMentions"])
    id2info = src.json("redial/id2info.json")
    tmdb_info = src.json("redial/movies.json")
    if not isinstance(id2info, dict) or not isinstance(tmdb_info, dict):
        raise src.corrupt("redial/id2info.json", "expected JSON objects keyed by REDIAL id")
    combined = {
        int_or_none(r["databaseId"]): r
        for r in src.csv(
            "redial/combined_metadata.csv",
            ["databaseId", "title", "imdbID", "genres", "directors", "actors", "movielensID", "year"],
        )
    }
    rating_rows = {
        int_or_none(r["databaseId"]): r
        for r in src.csv("redial/movies_rating_data.csv", ["movieId", "rating_mean", "databaseId", "title"])
    }

    info_by_imdb: dict[str, dict[str, Any]] = {}
    for key in sorted(id2info, key=lambda k: int_or_none(k) or 0):
        rec = id2info[key]
        imdb = imdb_str(rec.get("imdb_id")) if isinstance(rec, dict) else None
        if imdb:
            info_by_imdb.setdefault(imdb, rec)

    drafts: list[Draft] = []
    seen_ids: set[int] = set()
    for row in redial_rows:
        rid = int_or_none(row["movieId"])
        if rid is None:
            raise src.corrupt(rel, f"bad movieId {row['movieId']!r}")
        if rid in seen_ids:
            raise src.corrupt(rel, f"duplicate movieId {rid}")
        seen_ids.add(rid)
        raw_name = clean_text(row["movieName"])
        title, name_year = parse_title_year(raw_name)
        tmdb = tmdb_info.get(str(rid))
        tmdb = tmdb if isinstance(tmdb, dict) else None
        year = _redial_year(name_year, tmdb)
        draft = Draft(title=title or raw_name, year=year, redial_id=rid, mentions=int_or_none(row["nbMentions"]) or 0)
        raw_base = clean_text(split_year(raw_name)[0])
        if raw_base != draft.title:
            draft.add_alias(raw_base)

        info = id2info.get(str(rid)) if isinstance(id2info.get(str(rid)), dict) else None
        comb = combined.get(rid)
        rating_row = rating_rows.get(rid)

        # MovieLens identity: validated candidates from id links, then title matching.
        candidates: list[tuple[str, int]] = []
        info_imdb = imdb_str(info.get("imdb_id")) if info else None
        if info_imdb and info_imdb in imdb_to_ml:
            candidates.append(("id2info", imdb_to_ml[info_imdb]))
        if rating_row and int_or_none(rating_row["movieId"]):
            candidates.append(("rating_data", int_or_none(rating_row["movieId"]) or 0))
        comb_year = parse_year(comb["year"]) if comb else None
        comb_ok = comb is not None and years_compatible(year, comb_year) and title_similarity(title, comb["title"]) >= 1
        if comb is not None and comb_ok:
            if int_or_none(comb["movielensID"]):
                candidates.append(("combined", int_or_none(comb["movielensID"]) or 0))
            comb_imdb = imdb_str(comb["imdbID"])
            if comb_imdb in imdb_to_ml:
                candidates.append(("combined_imdb", imdb_to_ml[comb_imdb]))
        title_hit = ml_index.lookup(title, year)
        if title_hit is not None:
            candidates.append(("title", title_hit))
        ml_id, accepted = _pick_movielens(title, year, candidates, ml_movies)
        # id2info describes the film of its imdb_id; trust it unless that film is verifiably another one.
        info_trusted = info is not None and (not info_imdb or info_imdb not in imdb_to_ml or accepted.get("id2info", False))
        if info is not None and not info_trusted:
            stats["redial_id2info_rejected"] += 1
        if comb is not None and not comb_ok:
            stats["redial_combined_rejected"] += 1
        if info_trusted and info_imdb in imdb_to_ml:
            ml_id = imdb_to_ml[info_imdb]
        if rating_row and int_or_none(rating_row["movieId"]) != ml_id:
            rating_row = None  # its mean rating belongs to another film
        ml = ml_movies.get(ml_id) if ml_id is not None else None

        draft.movielens_id = ml_id
        if ml is not None and not normalize_title(draft.title):
            draft.title = ml.title
            draft.add_alias(raw_name)
        if ml is not None:
            draft.imdb_id = ml.imdb_id
            draft.tmdb_id = ml.tmdb_id
            if draft.year is None:
                draft.year = ml.year
        if info_trusted and info is not None:
            draft.imdb_id = info_imdb or draft.imdb_id
            _apply_info(draft, info)
        else:
            if comb_ok and comb is not None and draft.imdb_id is None:
                draft.imdb_id = imdb_str(comb["imdbID"])
            # The right film's record may sit under another REDIAL id (duplicates): join on the IMDb id.
            other = info_by_imdb.get(draft.imdb_id or "")
            if other is not None:
                _apply_info(draft, other)
                stats["redial_id2info_by_imdb"] += 1
        if comb_ok and comb is not None:
            draft.directors = draft.directors or split_list(comb["directors"], ",")
            draft.stars = draft.stars or split_list(comb["actors"], ",")

        # Genres: the curated per-item sources first (IMDb via id2info, TMDB via movies.json), then the rest.
        imdb_genres = list(draft.genres)
        tmdb_genres = normalize_genres(g.get("name", "") for g in (tmdb or {}).get("genres") or [] if isinstance(g, dict))
        tier2 = normalize_genres(
            [*(comb["genres"].split("|") if comb_ok and comb else []), *(ml.genres if ml else []), *(ml.tmdb_genres if ml else [])]
        )
        if imdb_genres and tmdb_genres and not set(imdb_genres) & set(tmdb_genres):
            # Disjoint: one of the two records is probably another film; let the other sources decide.
            imdb_ok, tmdb_ok = bool(set(tier2) & set(imdb_genres)), bool(set(tier2) & set(tmdb_genres))
            if imdb_ok != tmdb_ok:
                stats["redial_genre_conflicts_resolved"] += 1
                imdb_genres, tmdb_genres = (imdb_genres, []) if imdb_ok else ([], tmdb_genres)
        draft.genres = normalize_genres([*imdb_genres, *tmdb_genres]) or tier2

        if tmdb is not None:
            pop = tmdb.get("populatity", tmdb.get("popularity"))
            draft.popularity = float(pop) if isinstance(pop, int | float) and pop >= 0 else 0.0
            vote = tmdb.get("rating")
            if isinstance(vote, int | float) and 0 < vote <= 10:
                draft.rating = float(vote)
        if draft.rating is None and rating_row is not None:
            try:
                mean = float(rating_row["rating_mean"])
            except ValueError:
                mean = 0.0
            if 0 < mean <= 5:
                draft.rating = mean * 2
        if ml is not None:
            _enrich_from_movielens(draft, ml)
        drafts.append(draft)

    drafts.sort(key=lambda d: d.redial_id or 0)
    for number, draft in enumerate(drafts, 1):
        draft.id = number
    stats["redial_items"] = len(drafts)

    # INSPIRED movies: train, dev and KG titles; new ones get ids after REDIAL, in sorted title order.
    kg = read_inspired_kg(src)
    train = inspired_train_dialogs(src)
    raw_titles: set[str] = set(kg)
    for _, titles in train:
        raw_titles.update(titles)
    raw_titles.update(inspired_dev_titles(src))
    parsed = sorted(
        {(t, *parse_title_year(t)) for t in raw_titles if parse_title_year(t)[0]},
        key=lambda x: (fold(x[1]), x[2] or 0, x[1], x[0]),
    )
    index = catalog_index(drafts)
    inspired_map: dict[str, Draft] = {}
    for raw, title, year in parsed:
        hit = index.lookup(title, year, rank=_rank_key)
        if hit is None:
            hit = Draft(title=title, year=year, id=len(drafts) + 1)
            drafts.append(hit)
            for name in (hit.title, *hit.aliases):
                index.add(name, hit.year, hit)
            _enrich_inspired(hit, ml_index, ml_movies, info_by_imdb)
            stats["inspired_new_items"] += 1
        elif title != hit.title:
            hit.add_alias(title)
        inspired_map[raw] = hit
    # KG people/genres: for INSPIRED items and REDIAL items that lack them.
    for raw in sorted(kg):
        target = inspired_map.get(raw)
        if target is None:
            continue
        movie = kg[raw]
        if not target.stars and not target.directors:
            target.stars, target.directors = list(movie.stars), list(movie.directors)
            if target.redial_id is not None and (movie.stars or movie.directors):
                stats["redial_people_from_kg"] += 1
        if not target.genres and movie.genres:
            target.genres = list(movie.genres)
            if target.redial_id is not None:
                stats["redial_genres_from_kg"] += 1
    stats["inspired_titles"] = len(raw_titles)
    stats["inspired_titles_matched_to_redial"] = sum(1 for d in inspired_map.values() if d.redial_id is not None)
    return drafts, dict(stats)


def _rank_key(draft: Draft) -> tuple[int, int]:
    """Tie-break among same-title items: the most-mentioned REDIAL movie, then the lowest id."""
    return (-draft.mentions, draft.id)


def _enrich_from_movielens(draft: Draft, ml: MLMovie) -> None:
    """Fill plot / stars / genres / keywords / aliases from the matched MovieLens + TMDB record."""
    if not draft.plot and ml.plot:
        draft.plot = ml.plot
    if not draft.stars and ml.cast:
        draft.stars = list(ml.cast)
    if not draft.genres:
        draft.genres = normalize_genres([*ml.genres, *ml.tmdb_genres])
    draft.keywords = merge_keywords(draft.keywords, ml.tags, ml.tmdb_keywords)
    draft.tmdb_id = draft.tmdb_id or ml.tmdb_id
    for alias in (ml.title, *ml.aliases, ml.tmdb_title):
        draft.add_alias(alias)


def _apply_info(draft: Draft, info: dict[str, Any]) -> None:
    """Copy plot, people and genres of an ``id2info.json`` record (IMDb-derived) into the draft."""
    def names(key: str) -> list[str]:
        values = info.get(key) or []
        return [clean_text(x) for x in values if isinstance(x, str) and clean_text(x)]

    draft.plot = clean_text(info.get("plot")) or draft.plot
    draft.directors = names("director") or draft.directors
    draft.writers = names("writer") or draft.writers
    draft.stars = names("star") or draft.stars
    draft.genres = normalize_genres([*names("genre"), *draft.genres])


def _enrich_inspired(
    draft: Draft, ml_index: TitleIndex, ml_movies: dict[int, MLMovie], info_by_imdb: dict[str, dict[str, Any]]
) -> None:
    """Link a new INSPIRED item to MovieLens by title and year (±1) and copy its metadata."""
    if draft.year is None:
        return
    ml_id = ml_index.lookup(draft.title, draft.year)
    if ml_id is None:
        return
    ml = ml_movies[ml_id]
    draft.movielens_id = ml_id
    draft.imdb_id = ml.imdb_id
    draft.tmdb_id = ml.tmdb_id
    info = info_by_imdb.get(ml.imdb_id or "")
    if info is not None:
        _apply_info(draft, info)
    _enrich_from_movielens(draft, ml)


def catalog_index(drafts: Iterable[Draft]) -> TitleIndex:
    """A title index over items (title and aliases, with the item's year)."""
    index = TitleIndex()
    for draft in drafts:
        for name in (draft.title, *draft.aliases):
            index.add(name, draft.year, draft)
    return index


# --------------------------------------------------------------------------- interactions


@dataclass
class InteractionTable:
    """(user, item) -> weight and kind, summing duplicates."""

    rows: dict[tuple[str, int], list[Any]] = field(default_factory=dict)

    _KIND_RANK = {"mention": 0, "rating": 1, "like": 2}

    def add(self, user: str, item_id: int, weight: float, source: str, kind: str) -> None:
        """Add one interaction; a repeated pair sums the weight and keeps the strongest kind."""
        key = (user, item_id)
        row = self.rows.get(key)
        if row is None:
            self.rows[key] = [weight, source, kind]
            return
        row[0] += weight
        if self._KIND_RANK.get(kind, 0) > self._KIND_RANK.get(row[2], 0):
            row[2] = kind

    def counts(self) -> dict[str, int]:
        """Rows per source."""
        out: dict[str, int] = defaultdict(int)
        for _, source, _ in self.rows.values():
            out[source] += 1
        return dict(sorted(out.items()))

    def to_csv(self) -> bytes:
        """The CSV bytes, sorted by user then item id."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["user", "item_id", "weight", "source", "kind"])
        for (user, item_id), (weight, source, kind) in sorted(self.rows.items()):
            writer.writerow([user, item_id, f"{round(weight, 3):g}", source, kind])
        return buf.getvalue().encode("utf-8")


def seeker_liked(dialog: dict[str, Any], movie_id: str) -> bool:
    """Whether the seeker liked the movie: the seeker's own answer, else the recommender's answer about them."""
    for key in ("initiatorQuestions", "respondentQuestions"):
        answers = dialog.get(key)
        if isinstance(answers, dict) and isinstance(answers.get(movie_id), dict):
            liked = answers[movie_id].get("liked")
            if liked in (0, 1):
                return liked == 1
    return False


def redial_interactions(src: Sources, table: InteractionTable, by_redial: dict[int, int]) -> dict[str, int]:
    """REDIAL train dialogs (partial train file + iEvaLM copy, de-duplicated) -> mention / like interactions."""
    seen_ids: set[str] = set()
    seen_text: set[str] = set()
    stats = {"dialogs": 0, "duplicates": 0, "unmapped_mentions": 0}
    for rel in ("redial/train_data_partial.jsonl", "redial/ievalm/valid_data.jsonl"):
        for lineno, dialog in src.jsonl(rel):
            if not isinstance(dialog, dict) or not isinstance(dialog.get("messages"), list):
                raise src.corrupt(rel, f"line {lineno}: expected a dialog object with messages")
            conv = clean_text(str(dialog.get("conversationId") or ""))
            text_key = dialog_text_key(dialog["messages"])
            if (conv and conv in seen_ids) or text_key in seen_text:
                stats["duplicates"] += 1
                continue
            if conv:
                seen_ids.add(conv)
            seen_text.add(text_key)
            stats["dialogs"] += 1
            user = f"redial:{conv or text_key}"
            mentions = dialog.get("movieMentions") or {}
            for movie_id in sorted(mentions, key=str) if isinstance(mentions, dict) else []:
                item = by_redial.get(int_or_none(movie_id) or -1)
                if item is None:
                    stats["unmapped_mentions"] += 1
                    continue
                liked = seeker_liked(dialog, str(movie_id))
                table.add(user, item, 2.0 if liked else 1.0, "redial", "like" if liked else "mention")
    return stats


def inspired_interactions(
    train: list[tuple[int, list[str]]], table: InteractionTable, lookup: dict[str, int]
) -> dict[str, int]:
    """INSPIRED train dialogs -> one mention per distinct movie per dialog."""
    stats = {"dialogs": 0, "unmapped_mentions": 0}
    for lineno, titles in train:
        stats["dialogs"] += 1
        for title in titles:
            item = lookup.get(title)
            if item is None:
                stats["unmapped_mentions"] += 1
                continue
            table.add(f"inspired:{lineno}", item, 1.0, "inspired", "mention")
    return stats


def movielens_interactions(
    rows: list[dict[str, str]], table: InteractionTable, by_movielens: dict[int, int]
) -> dict[str, int]:
    """ml-latest-small ratings >= 3.5 -> weight rating - 3.0, for movies in the catalog."""
    stats = {"ratings": 0, "kept": 0, "unmapped": 0}
    for row in rows:
        stats["ratings"] += 1
        rating = float(row["rating"])
        if rating < ML_MIN_RATING:
            continue
        item = by_movielens.get(int_or_none(row["movieId"]) or -1)
        if item is None:
            stats["unmapped"] += 1
            continue
        stats["kept"] += 1
        table.add(f"ml:{row['userId']}", item, rating - 3.0, "movielens", "rating")
    return stats


# --------------------------------------------------------------------------- output


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip (no file name, mtime 0)."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return buf.getvalue()


def catalog_bytes(records: list[dict[str, Any]]) -> bytes:
    """The catalog as JSON lines (one compact object per line, in the given order)."""
    lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records]
    return ("\n".join(lines) + "\n").encode("utf-8")


def coverage(records: list[dict[str, Any]]) -> dict[str, float]:
    """Share of items with genres / plot / people / keywords / each id."""
    n = max(len(records), 1)

    def share(pred: Any) -> float:
        return round(sum(1 for r in records if pred(r)) / n, 4)

    return {
        "genres": share(lambda r: r["genres"]),
        "plot": share(lambda r: r["plot"]),
        "people": share(lambda r: r["directors"] or r["writers"] or r["stars"]),
        "keywords": share(lambda r: r["keywords"]),
        "year": share(lambda r: r["year"] is not None),
        "imdb_id": share(lambda r: r["imdb_id"]),
        "movielens_id": share(lambda r: r["movielens_id"] is not None),
        "tmdb_id": share(lambda r: r["tmdb_id"] is not None),
    }


NOTICE_TEXT = """\
# Data notice — `data/` of crsagent

The files in this folder (`catalog.jsonl.gz`, `interactions.csv.gz`, `manifest.json`) are **derived** from the
public datasets below by `tools/data_build.py` (`{command}`). They are shipped for research and
non-commercial use only: several sources forbid commercial use. The project's own Apache-2.0 license covers the
code, not this data. `manifest.json` lists the sha256 of every source file read.

## Sources, licenses and attribution

- **ReDial** (Li et al., 2018) — movie list, train dialogs (movie mentions and seeker "liked" answers), and the
  movie metadata files distributed with it. License: **CC BY 4.0** (https://redialdata.github.io/website/).
  Changes: titles cleaned, movies re-numbered, dialogs reduced to (dialog, movie, weight) rows.
  Cite: Raymond Li, Samira Ebrahimi Kahou, Hannes Schulz, Vincent Michalski, Laurent Charlin, Chris Pal.
  "Towards Deep Conversational Recommendations". NeurIPS 2018.
- **INSPIRED** (Hayati et al., 2020; github.com/sweetpeach/Inspired) — movie titles of the train and dev dialogs,
  train-dialog movie mentions, and the small movie/person/genre KG of the CFCRS copy. **No license is stated** by the
  dataset; used for research with citation: Shirley Anugrah Hayati, Dongyeop Kang, Qingxiaoyang Zhu, Weiyan Shi,
  Zhou Yu. "INSPIRED: Toward Sociable Recommendation Dialog Systems". EMNLP 2020. The INSPIRED test split is not used.
  INSPIRED2 (GPL-3.0) is **not** used.
- **Processed copies** from the MIT-licensed repositories iEvaLM-CRS (github.com/RUCAIBox/iEvaLM-CRS: `id2info.json`,
  REDIAL `valid_data.jsonl`), CFCRS (github.com/wxl1999/CFCRS: INSPIRED KG and dev) and UniCRS
  (github.com/wxl1999/UniCRS: INSPIRED train format). Copyright (c) their authors, MIT License.
- **MovieLens** (GroupLens Research, University of Minnesota) — ml-25m movie list, genres, user-tag keywords and
  links; ml-latest-small ratings. Used under the **MovieLens usage license**: research use, no endorsement by the
  University of Minnesota or GroupLens, redistribution (including transformations) under the same terms, and
  **no commercial or revenue-bearing use without permission**. Cite: F. Maxwell Harper and Joseph A. Konstan. 2015.
  "The MovieLens Datasets: History and Context". ACM Transactions on Interactive Intelligent Systems 5(4):19.
  The keyword column of `movies_w_keywords.csv` was added by iai-group/UserSimCRS (Apache-2.0).
- **TMDB** — popularity, vote ratings, genres (REDIAL `movies.json`), overviews, cast and keywords
  (`movielens_movies_tmdb.csv`). This product uses the TMDB API but is not endorsed or certified by TMDB.
  TMDB terms of use apply (attribution; non-commercial use).
- **IMDb-derived fields** — plots, genres, directors, writers and stars of `id2info.json` and
  `combined_metadata.csv` (github.com/ahtsham58/CRB-CRS) come from IMDb. IMDb data is for personal and
  non-commercial use only.
- **Wikipedia / DBpedia** movie links in the INSPIRED train format are not shipped.

## Fields and where they come from

- `title`, `year`, `redial_id`: ReDial movie list (year from TMDB when the name has none) or INSPIRED titles.
- `plot`, `directors`, `writers`, `stars`, `genres`: IMDb via `id2info.json`; otherwise TMDB (`movies.json`,
  `movielens_movies_tmdb.csv`), `combined_metadata.csv`, MovieLens genres, or the INSPIRED KG.
- `keywords`: MovieLens user tags, then TMDB keywords. `popularity`, `rating`: TMDB (rating falls back to the
  MovieLens mean rating x 2).
- `imdb_id`, `movielens_id`, `tmdb_id`: MovieLens `links.csv` and `id2info.json`.
- `interactions.csv.gz`: ReDial train dialogs (`redial:<conversationId>`), INSPIRED train dialogs
  (`inspired:<line>`), MovieLens ml-latest-small ratings >= 3.5 (`ml:<userId>`, weight = rating - 3).
"""


def build_data(source: Path, out: Path) -> dict[str, Any]:
    """Build ``catalog.jsonl.gz``, ``interactions.csv.gz``, ``manifest.json`` and ``NOTICE.md`` into ``out``.

    Reads the raw datasets under ``source`` (``../shared/data``). Outputs are written to a temporary directory
    and moved into ``out`` only when every file was produced. Returns the manifest (a dict).
    Raises :class:`DataBuildError` naming the file when a source file is missing or unparsable.
    """
    source, out = Path(source), Path(out)
    if not source.is_dir():
        raise DataBuildError(f"missing source directory {source}: pass --source pointing at ../shared/data")
    src = Sources(source)
    log.info("building catalog from %s", source)
    drafts, stats = build_catalog(src)
    records = [d.record() for d in sorted(drafts, key=lambda d: d.id)]

    # Lookups for interactions.
    by_redial = {d.redial_id: d.id for d in drafts if d.redial_id is not None}
    by_movielens: dict[int, int] = {}
    for d in sorted(drafts, key=_rank_key):
        if d.movielens_id is not None:
            by_movielens.setdefault(d.movielens_id, d.id)
    index = catalog_index(drafts)
    train = inspired_train_dialogs(src)
    title_lookup: dict[str, int] = {}
    for _, titles in train:
        for raw in titles:
            if raw not in title_lookup:
                title, year = parse_title_year(raw)
                hit = index.lookup(title, year, rank=_rank_key) if title else None
                if hit is not None:
                    title_lookup[raw] = hit.id

    table = InteractionTable()
    log.info("collecting interactions")
    redial_stats = redial_interactions(src, table, by_redial)
    inspired_stats = inspired_interactions(train, table, title_lookup)
    ml_rows = src.csv("movielens/ml-latest-small/ratings.csv", ["userId", "movieId", "rating"])
    try:
        ml_stats = movielens_interactions(ml_rows, table, by_movielens)
    except ValueError as exc:
        raise src.corrupt("movielens/ml-latest-small/ratings.csv", exc) from exc
    _fill_ratings_from_movielens(records, ml_rows)

    catalog_gz = gzip_bytes(catalog_bytes(records))
    interactions_gz = gzip_bytes(table.to_csv())
    n_redial = sum(1 for r in records if r["redial_id"] is not None)
    manifest: dict[str, Any] = {
        "generated_by": "tools/data_build.py",
        "command": GENERATION_COMMAND,
        "files": {
            CATALOG_FILE: {"sha256": hashlib.sha256(catalog_gz).hexdigest(), "bytes": len(catalog_gz)},
            INTERACTIONS_FILE: {"sha256": hashlib.sha256(interactions_gz).hexdigest(), "bytes": len(interactions_gz)},
        },
        "items": {"total": len(records), "redial": n_redial, "inspired_only": len(records) - n_redial},
        "interactions": {"total": len(table.rows), "by_source": table.counts()},
        "coverage": coverage(records),
        "details": {
            "catalog": dict(sorted(stats.items())),
            "redial_dialogs": redial_stats,
            "inspired_dialogs": inspired_stats,
            "movielens_ratings": ml_stats,
        },
        "sources": {rel: src.read[rel] for rel in sorted(src.read)},
    }
    manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=False, ensure_ascii=False) + "\n").encode("utf-8")
    notice_bytes = NOTICE_TEXT.format(command=GENERATION_COMMAND).encode("utf-8")
    _write_atomically(
        out,
        {CATALOG_FILE: catalog_gz, INTERACTIONS_FILE: interactions_gz, MANIFEST_FILE: manifest_bytes, NOTICE_FILE: notice_bytes},
    )
    log.info(
        "wrote %d items and %d interactions to %s (coverage %s)",
        len(records), len(table.rows), out, manifest["coverage"],
    )
    return manifest


def _fill_ratings_from_movielens(records: list[dict[str, Any]], ml_rows: list[dict[str, str]]) -> None:
    """Items without a rating get the ml-latest-small mean x 2 when at least five ratings exist."""
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in ml_rows:
        mid = int_or_none(row["movieId"])
        if mid is not None:
            acc = sums[mid]
            acc[0] += float(row["rating"])
            acc[1] += 1
    for rec in records:
        mid = rec["movielens_id"]
        if rec["rating"] is None and mid in sums and sums[mid][1] >= MIN_RATINGS_FOR_MEAN:
            rec["rating"] = round(sums[mid][0] / sums[mid][1] * 2, 2)


def _write_atomically(out: Path, files: dict[str, bytes]) -> None:
    """Write every file into a temporary directory beside ``out``, then move them into place."""
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".data_build-", dir=out.parent))
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        for name in files:
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: ``python -m tools.data_build --source ../shared/data --out data``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("../shared/data"), help="raw datasets directory")
    parser.add_argument("--out", type=Path, default=Path("data"), help="output directory")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        manifest = build_data(args.source, args.out)
    except DataBuildError as exc:
        log.error("%s", exc)
        return 1
    log.info("items: %s; interactions: %s", manifest["items"], manifest["interactions"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
