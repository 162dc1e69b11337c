"""Reading the raw datasets under ``../shared/data``: :class:`Sources` (paths, checksums, parse errors) and
one reader per source (MovieLens + TMDB, the REDIAL movie files, INSPIRED's KG, train and dev titles)."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.data.matching import TitleIndex
from tools.data.normalise import (
    clean_text,
    dialog_text_key,
    imdb_str,
    int_or_none,
    ml_title_parts,
    normalize_genres,
    parse_year,
    split_list,
)

#: Plausible feature running times in minutes (TMDB lists 0 for unknown, and some shorts and serials).
MIN_RUNTIME, MAX_RUNTIME = 20, 600

#: The REDIAL movie list (REDIAL id, name with year). Its third column, ``nbMentions``, counts mentions over
#: the whole of REDIAL, test split included, so it is never read: not as a prior, a score or a tie-break (the
#: tie-break among same-title items counts mentions in the REDIAL *train* dialogs instead,
#: :func:`redial_train_mention_counts`).
REDIAL_MOVIES = "redial/movies_with_mentions.csv"
#: The REDIAL train dialogs (a partial copy of the official train split, and iEvaLM's re-formatted copy of
#: more of it); the official test split is never read by the build.
REDIAL_TRAIN_FILES = ("redial/train_data_partial.jsonl", "redial/ievalm/valid_data.jsonl")
#: The INSPIRED train dialogs (UniCRS format).
INSPIRED_TRAIN_FILE = "inspired/unicrs/train_data_dbpedia.jsonl"


class DataBuildError(ValueError):
    """A source file is missing or unparsable (the message names the file and the fix)."""


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
    tmdb_year: int | None = None
    runtime: int | None = None
    small_tags: list[str] = field(default_factory=list)


@dataclass
class MovieLens:
    """The MovieLens movies by id, IMDb id -> MovieLens id, and a title index of MovieLens ids."""

    movies: dict[int, MLMovie]
    imdb_to_ml: dict[str, int]
    title_index: TitleIndex


def read_movielens(src: Sources) -> MovieLens:
    """ml-25m movies + keywords + links, the TMDB file (overview, cast, keywords, release year, runtime) and
    the ml-latest-small user tags: id -> movie, imdb -> ML id, and a title index."""
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
    tmdb_cols = [
        "movieId",
        "tmdb_id",
        "tmdb_title",
        "tmdb_overview",
        "tmdb_genres",
        "tmdb_top_cast",
        "tmdb_keywords",
        "tmdb_release_date",
        "tmdb_runtime",
    ]
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
        movie.tmdb_year = parse_year((row["tmdb_release_date"] or "")[:4])
        runtime = int_or_none(row["tmdb_runtime"])
        movie.runtime = runtime if runtime is not None and MIN_RUNTIME <= runtime <= MAX_RUNTIME else None
    rel_tags = "movielens/ml-latest-small/tags.csv"
    for row in src.csv(rel_tags, ["userId", "movieId", "tag"]):
        mid = int_or_none(row["movieId"])
        tag = clean_text(row["tag"])
        if mid in movies and tag and tag.lower() not in (t.lower() for t in movies[mid].small_tags):
            movies[mid].small_tags.append(tag)
    index = TitleIndex()
    for mid in sorted(movies):
        movie = movies[mid]
        for name in (movie.title, *movie.aliases, movie.tmdb_title):
            if name:
                index.add(name, movie.year, mid)
    return MovieLens(movies, imdb_to_ml, index)


@dataclass
class RedialMetadata:
    """The REDIAL movie list (``rows``) and its side files: IMDb-derived ``id2info.json``, TMDB ``movies.json``
    (``tmdb``), ``combined_metadata.csv`` and ``movies_rating_data.csv`` (``ratings``), the last two keyed by
    REDIAL id."""

    rows: list[dict[str, str]]
    id2info: dict[str, Any]
    tmdb: dict[str, Any]
    combined: dict[int | None, dict[str, str]]
    ratings: dict[int | None, dict[str, str]]
    info_by_imdb: dict[str, dict[str, Any]]


def read_redial_metadata(src: Sources) -> RedialMetadata:
    """The REDIAL movie list and side files; ``info_by_imdb`` is the first ``id2info.json`` record per IMDb id."""
    redial_rows = src.csv(REDIAL_MOVIES, ["movieId", "movieName"])
    id2info = src.json("redial/id2info.json")
    tmdb_info = src.json("redial/movies.json")
    if not isinstance(id2info, dict) or not isinstance(tmdb_info, dict):
        raise src.corrupt("redial/id2info.json", "expected JSON objects keyed by REDIAL id")
    combined = {
        int_or_none(r["databaseId"]): r
        for r in src.csv(
            "redial/combined_metadata.csv",
            [
                "databaseId",
                "title",
                "imdbID",
                "genres",
                "directors",
                "actors",
                "movielensID",
                "year",
                "country",
            ],
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
    return RedialMetadata(redial_rows, id2info, tmdb_info, combined, rating_rows, info_by_imdb)


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
        raise src.corrupt(
            "inspired/cfcrs/kg.json", "expected JSON objects in entity2id/entity2type/relation2id/kg"
        )
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


def redial_train_dialogs(
    src: Sources, stats: dict[str, int] | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The REDIAL train dialogs of :data:`REDIAL_TRAIN_FILES`, de-duplicated (a dialog of both files, by
    conversationId or by its text, comes once): (user key ``redial:<conversationId>``, dialog). ``stats``
    counts ``dialogs`` and ``duplicates``."""
    seen_ids: set[str] = set()
    seen_text: set[str] = set()
    for rel in REDIAL_TRAIN_FILES:
        for lineno, dialog in src.jsonl(rel):
            if not isinstance(dialog, dict) or not isinstance(dialog.get("messages"), list):
                raise src.corrupt(rel, f"line {lineno}: expected a dialog object with messages")
            conv = clean_text(str(dialog.get("conversationId") or ""))
            text_key = dialog_text_key(dialog["messages"])
            if (conv and conv in seen_ids) or text_key in seen_text:
                if stats is not None:
                    stats["duplicates"] = stats.get("duplicates", 0) + 1
                continue
            if conv:
                seen_ids.add(conv)
            seen_text.add(text_key)
            if stats is not None:
                stats["dialogs"] = stats.get("dialogs", 0) + 1
            yield f"redial:{conv or text_key}", dialog


def redial_train_mention_counts(src: Sources) -> dict[int, int]:
    """REDIAL id -> the number of REDIAL train dialogs that mention it (the same-title tie-break; unlike
    ``nbMentions`` of the movie list, it holds nothing of the test split)."""
    counts: dict[int, int] = {}
    for _, dialog in redial_train_dialogs(src):
        mentions = dialog.get("movieMentions")
        for movie_id in mentions if isinstance(mentions, dict) else ():
            rid = int_or_none(movie_id)
            if rid is not None:
                counts[rid] = counts.get(rid, 0) + 1
    return counts


def inspired_train_dialogs(src: Sources) -> list[tuple[int, list[str]]]:
    """INSPIRED train (UniCRS format): (line number, movie titles in order of mention) per dialog."""
    rel = INSPIRED_TRAIN_FILE
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
