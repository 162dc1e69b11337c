"""The catalog pipeline: REDIAL movies linked to MovieLens / TMDB / IMDb records, then the INSPIRED movies.

Order of the catalog: all REDIAL movies first (ids 1..6924 in ascending REDIAL id order), then the INSPIRED
movies not already present (sorted by title), enriched from MovieLens and TMDB.

Identity of a REDIAL movie: its REDIAL name and year. The side files (``id2info.json``, ``combined_metadata.csv``,
``movies_rating_data.csv``) were joined by their authors partly by title, and some rows describe another film
with the same name (a remake, a different year). Every link is therefore checked against the REDIAL title and year
before it is used, and id links (IMDb, MovieLens ids) are preferred to title matching.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tools.data.matching import TitleIndex, title_similarity, years_compatible
from tools.data.normalise import (
    MAX_KEYWORDS,
    clean_text,
    imdb_str,
    int_or_none,
    merge_keywords,
    normalize_genres,
    parse_title_year,
    parse_year,
    split_list,
    truncate_plot,
)
from tools.data.qualifier_map import qualifiers_for
from tools.data.quality import QualityLog, group_duplicates, lone_kind_genres, resolve_year
from tools.data.sources import (
    REDIAL_MOVIES,
    KGMovie,
    MLMovie,
    MovieLens,
    RedialMetadata,
    Sources,
    inspired_train_dialogs,
    read_inspired_kg,
    read_movielens,
    read_redial_metadata,
    redial_train_mention_counts,
)
from tools.titles import fold, normalize_title, split_year

MAX_ALIASES = 6
MAX_PEOPLE = 5
MIN_RATINGS_FOR_MEAN = 5

#: Build statistics (counters), reported in the manifest's ``details.catalog``.
Stats = dict[str, Any]


@dataclass
class Draft:
    """A catalog item under construction."""

    title: str
    year: int | None
    redial_id: int | None = None
    mentions: int = 0  # REDIAL train dialogs that mention it: the same-title tie-break (rank_key)
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
    terms: list[str] = field(default_factory=list)  # every source keyword / tag, for the qualifiers
    runtime: int | None = None
    country: str | None = None
    duplicate_of: int | None = None
    suspect: dict[str, list[str]] | None = None  # genre sources, when movies.json may describe another film
    listed: bool = (
        True  # may be recommended unprompted (False: a MovieLens-only film with too little metadata)
    )
    origin: str = "redial"  # the source that put it in the catalog: redial, inspired or movielens

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
            "qualifiers": qualifiers_for([*self.keywords, *self.terms]),
            "runtime": self.runtime,
            "country": self.country,
            "duplicate_of": self.duplicate_of,
            "origin": self.origin,
            **({} if self.listed else {"listed": False}),
        }


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
            score = (
                max(title_similarity(title, n, same_year) for n in names if n)
                if normalize_title(title)
                else 1
            )
            # Same title: release years in the sources drift by up to two years; otherwise allow one.
            ok = score >= 1 and years_compatible(year, movie.year, tolerance=2 if score == 2 else 1)
        accepted[source] = accepted.get(source, False) or ok
        if ok and movie is not None and (best is None or (-score, order) < (best[0], best[1])):
            best = (-score, order, mid)
    return (best[2] if best else None), accepted


def build_catalog(src: Sources, log: QualityLog | None = None) -> tuple[list[Draft], dict[str, Any]]:
    """Read every catalog source and return the items (ids assigned) plus build statistics; the data-quality
    choices (:mod:`tools.data.quality`) go to ``log``."""
    log = log if log is not None else QualityLog()
    ml = read_movielens(src)
    stats: Stats = defaultdict(int)
    redial = read_redial_metadata(src)
    drafts = redial_drafts(src, redial, ml, stats, log)
    train_mentions = redial_train_mention_counts(src)
    for draft in drafts:  # the same-title tie-break (rank_key): train-dialog mentions, never nbMentions
        draft.mentions = train_mentions.get(draft.redial_id or 0, 0)
    stats["redial_items"] = len(drafts)
    add_inspired_items(src, drafts, ml, redial.info_by_imdb, stats, log)
    add_movielens_items(drafts, ml, stats)
    group_duplicates(drafts, log)
    stats.update(log.counts())
    return drafts, dict(stats)


# --------------------------------------------------------------------------- REDIAL movies


def redial_drafts(
    src: Sources, redial: RedialMetadata, ml: MovieLens, stats: Stats, log: QualityLog
) -> list[Draft]:
    """One item per REDIAL movie, numbered 1.. in ascending REDIAL id order."""
    drafts: list[Draft] = []
    seen_ids: set[int] = set()
    for row in redial.rows:
        rid = int_or_none(row["movieId"])
        if rid is None:
            raise src.corrupt(REDIAL_MOVIES, f"bad movieId {row['movieId']!r}")
        if rid in seen_ids:
            raise src.corrupt(REDIAL_MOVIES, f"duplicate movieId {rid}")
        seen_ids.add(rid)
        drafts.append(_redial_draft(rid, row, redial, ml, stats, log))
    drafts.sort(key=lambda d: d.redial_id or 0)
    by_redial: dict[int, int] = {}
    for number, draft in enumerate(drafts, 1):
        draft.id = number
        by_redial[draft.redial_id or 0] = number
    for rec in (*log.years, *log.years_unresolved, *log.genres):  # recorded under the REDIAL id until now
        rec["id"] = by_redial.get(rec["redial_id"], 0)
    return drafts


@dataclass
class _Links:
    """The validated links of one REDIAL movie to its side-file records and to MovieLens."""

    info: dict[str, Any] | None  # its id2info.json record (IMDb-derived)
    info_imdb: str | None
    info_trusted: bool
    comb: dict[str, str] | None  # its combined_metadata.csv row
    comb_ok: bool
    comb_same: bool  # the combined_metadata row is this film (validated, or its ids agree with the links)
    rating_row: dict[str, str] | None  # its movies_rating_data.csv row, None when it describes another film
    ml_id: int | None
    ml: MLMovie | None


def _redial_draft(
    rid: int, row: dict[str, str], redial: RedialMetadata, ml: MovieLens, stats: Stats, log: QualityLog
) -> Draft:
    """The item of one REDIAL movie: its name and year, then the metadata of the records validated for it."""
    raw_name = clean_text(row["movieName"])
    title, name_year = parse_title_year(raw_name)
    tmdb = redial.tmdb.get(str(rid))
    tmdb = tmdb if isinstance(tmdb, dict) else None
    year = _redial_year(name_year, tmdb)
    draft = Draft(title=title or raw_name, year=year, redial_id=rid)
    raw_base = clean_text(split_year(raw_name)[0])
    if raw_base != draft.title:
        draft.add_alias(raw_base)

    links = _link_redial(rid, title, year, redial, ml, stats)
    _apply_links(draft, raw_name, links, redial.info_by_imdb, stats)
    _resolve_year(draft, links, log)
    _merge_genres(draft, tmdb, links, stats, log)
    _popularity_and_rating(draft, tmdb, links.rating_row)
    if links.ml is not None:
        _enrich_from_movielens(draft, links.ml)
    if links.comb_same and links.comb is not None:
        draft.country = clean_text(links.comb.get("country")) or None
    return draft


def _resolve_year(draft: Draft, links: _Links, log: QualityLog) -> None:
    """Correct the REDIAL year when other records of the film agree on another one (:mod:`tools.data.quality`)."""
    evidence: dict[str, int | None] = {}
    if links.ml is not None:
        evidence["movielens"] = links.ml.year
        evidence["tmdb_csv"] = links.ml.tmdb_year
    if links.comb_same and links.comb is not None:
        evidence["combined"] = parse_year(links.comb["year"])
    year, why = resolve_year(draft.year, evidence)
    if why is None:
        return
    rec = {
        "redial_id": draft.redial_id,
        "title": draft.title,
        "year": draft.year,
        "sources": {k: v for k, v in sorted(evidence.items()) if v is not None},
    }
    if why == "unresolved":
        log.years_unresolved.append(rec)
        return
    log.years.append({**rec, "chosen": year, "why": why})
    draft.year = year


def _link_redial(
    rid: int, title: str, year: int | None, redial: RedialMetadata, ml: MovieLens, stats: Stats
) -> _Links:
    """Check the side-file records of a REDIAL movie against its title and year and pick its MovieLens movie."""
    info = redial.id2info.get(str(rid)) if isinstance(redial.id2info.get(str(rid)), dict) else None
    comb = redial.combined.get(rid)
    rating_row = redial.ratings.get(rid)

    # MovieLens identity: validated candidates from id links, then title matching.
    candidates: list[tuple[str, int]] = []
    info_imdb = imdb_str(info.get("imdb_id")) if info else None
    if info_imdb and info_imdb in ml.imdb_to_ml:
        candidates.append(("id2info", ml.imdb_to_ml[info_imdb]))
    if rating_row and int_or_none(rating_row["movieId"]):
        candidates.append(("rating_data", int_or_none(rating_row["movieId"]) or 0))
    comb_year = parse_year(comb["year"]) if comb else None
    comb_ok = (
        comb is not None and years_compatible(year, comb_year) and title_similarity(title, comb["title"]) >= 1
    )
    if comb is not None and comb_ok:
        if int_or_none(comb["movielensID"]):
            candidates.append(("combined", int_or_none(comb["movielensID"]) or 0))
        comb_imdb = imdb_str(comb["imdbID"])
        if comb_imdb in ml.imdb_to_ml:
            candidates.append(("combined_imdb", ml.imdb_to_ml[comb_imdb]))
    title_hit = ml.title_index.lookup(title, year)
    if title_hit is not None:
        candidates.append(("title", title_hit))
    ml_id, accepted = _pick_movielens(title, year, candidates, ml.movies)
    # id2info describes the film of its imdb_id; trust it unless that film is verifiably another one.
    info_trusted = info is not None and (
        not info_imdb or info_imdb not in ml.imdb_to_ml or accepted.get("id2info", False)
    )
    if info is not None and not info_trusted:
        stats["redial_id2info_rejected"] += 1
    if comb is not None and not comb_ok:
        stats["redial_combined_rejected"] += 1
    if info_trusted and info_imdb in ml.imdb_to_ml:
        ml_id = ml.imdb_to_ml[info_imdb]
    if rating_row and int_or_none(rating_row["movieId"]) != ml_id:
        rating_row = None  # its mean rating belongs to another film
    movie = ml.movies.get(ml_id) if ml_id is not None else None
    comb_same = comb is not None and (
        comb_ok
        or (ml_id is not None and int_or_none(comb["movielensID"]) == ml_id)
        or (movie is not None and movie.imdb_id is not None and imdb_str(comb["imdbID"]) == movie.imdb_id)
    )
    return _Links(info, info_imdb, info_trusted, comb, comb_ok, comb_same, rating_row, ml_id, movie)


def _apply_links(
    draft: Draft, raw_name: str, links: _Links, info_by_imdb: dict[str, dict[str, Any]], stats: Stats
) -> None:
    """Ids, title, year, plot and people from the linked MovieLens movie and the trusted side-file records."""
    ml, info, comb = links.ml, links.info, links.comb
    draft.movielens_id = links.ml_id
    if ml is not None and not normalize_title(draft.title):
        draft.title = ml.title
        draft.add_alias(raw_name)
    if ml is not None:
        draft.imdb_id = ml.imdb_id
        draft.tmdb_id = ml.tmdb_id
        if draft.year is None:
            draft.year = ml.year
    if links.info_trusted and info is not None:
        draft.imdb_id = links.info_imdb or draft.imdb_id
        _apply_info(draft, info)
    else:
        if links.comb_ok and comb is not None and draft.imdb_id is None:
            draft.imdb_id = imdb_str(comb["imdbID"])
        # The right film's record may sit under another REDIAL id (duplicates): join on the IMDb id.
        other = info_by_imdb.get(draft.imdb_id or "")
        if other is not None:
            _apply_info(draft, other)
            stats["redial_id2info_by_imdb"] += 1
    if links.comb_ok and comb is not None:
        draft.directors = draft.directors or split_list(comb["directors"], ",")
        draft.stars = draft.stars or split_list(comb["actors"], ",")


def _merge_genres(
    draft: Draft, tmdb: dict[str, Any] | None, links: _Links, stats: Stats, log: QualityLog
) -> None:
    """Genres: the curated per-item sources first (IMDb via id2info, TMDB via movies.json), then the rest; a
    kind genre only one source gives against the others is dropped (:mod:`tools.data.quality`)."""
    ml, comb = links.ml, links.comb
    imdb_genres = list(draft.genres)
    tmdb_genres = normalize_genres(
        g.get("name", "") for g in (tmdb or {}).get("genres") or [] if isinstance(g, dict)
    )
    comb_genres = normalize_genres(comb["genres"].split("|")) if links.comb_same and comb else []
    by_source = {
        "imdb": imdb_genres,
        "tmdb": tmdb_genres,
        "combined": comb_genres,
        "movielens": list(ml.genres) if ml else [],
        "tmdb_csv": list(ml.tmdb_genres) if ml else [],
    }
    tier2 = normalize_genres([*comb_genres, *by_source["movielens"], *by_source["tmdb_csv"]])
    if imdb_genres and tmdb_genres and not set(imdb_genres) & set(tmdb_genres):
        # Disjoint: one of the two records is probably another film; let the other sources decide.
        imdb_ok, tmdb_ok = bool(set(tier2) & set(imdb_genres)), bool(set(tier2) & set(tmdb_genres))
        if imdb_ok != tmdb_ok:
            stats["redial_genre_conflicts_resolved"] += 1
            imdb_genres, tmdb_genres = (imdb_genres, []) if imdb_ok else ([], tmdb_genres)
    if tmdb_genres and not imdb_genres and not tier2 and comb is not None and not links.comb_same:
        other = set(normalize_genres(comb["genres"].split("|")))
        if set(tmdb_genres) <= other and title_similarity(draft.title, comb["title"]) >= 1:
            # movies.json alone, with the genres of another film of this title (It (1927) for It (1990)):
            # the INSPIRED KG replaces them when it disagrees (_apply_kg)
            draft.suspect = {**by_source, "other_film": sorted(other)}
    genres = normalize_genres([*imdb_genres, *tmdb_genres]) or tier2
    lone = [g for g in lone_kind_genres(by_source) if g in genres]
    if lone:
        genres = [g for g in genres if g not in lone] or [g for g in tier2 if g not in lone]
        _log_genres(log, draft, by_source, genres, f"{', '.join(lone)}: one source against two or more")
    draft.genres = genres


def _log_genres(
    log: QualityLog, draft: Draft, by_source: dict[str, list[str]], kept: list[str], why: str
) -> None:
    log.genres.append(
        {
            "id": draft.id,
            "redial_id": draft.redial_id,
            "title": draft.title,
            "year": draft.year,
            "sources": {k: v for k, v in by_source.items() if v},
            "chosen": kept,
            "why": why,
        }
    )


def _popularity_and_rating(
    draft: Draft, tmdb: dict[str, Any] | None, rating_row: dict[str, str] | None
) -> None:
    """TMDB popularity and vote rating; the rating falls back to the MovieLens mean rating x 2."""
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


# --------------------------------------------------------------------------- INSPIRED movies


def add_inspired_items(
    src: Sources,
    drafts: list[Draft],
    ml: MovieLens,
    info_by_imdb: dict[str, dict[str, Any]],
    stats: Stats,
    log: QualityLog | None = None,
) -> None:
    """INSPIRED train movies: matched to the items so far or appended as new items (ids after REDIAL, in sorted
    title order); the KG's people and genres fill the items that lack them. The KG (built over every INSPIRED
    split) only enriches items that exist anyway, and the dev split's titles are left out: whether the films of
    held-out dialogues are in the catalog is part of what the evaluation measures."""
    kg = read_inspired_kg(src)
    train = inspired_train_dialogs(src)
    train_titles: set[str] = set()
    for _, titles in train:
        train_titles.update(titles)
    raw_titles = train_titles | set(kg)
    inspired_map = _match_inspired_titles(raw_titles, drafts, ml, info_by_imdb, stats, creatable=train_titles)
    log = log if log is not None else QualityLog()
    _apply_kg(kg, inspired_map, stats, log)
    stats["inspired_titles"] = len(raw_titles)
    stats["inspired_titles_matched_to_redial"] = sum(
        1 for d in inspired_map.values() if d.redial_id is not None
    )


def _match_inspired_titles(
    raw_titles: set[str],
    drafts: list[Draft],
    ml: MovieLens,
    info_by_imdb: dict[str, dict[str, Any]],
    stats: Stats,
    creatable: set[str],
) -> dict[str, Draft]:
    """Raw INSPIRED title -> its item; ``creatable`` titles matching no item become new items (appended to
    ``drafts``), the others are left out."""
    parsed = sorted(
        {(t, *parse_title_year(t)) for t in raw_titles if parse_title_year(t)[0]},
        key=lambda x: (fold(x[1]), x[2] or 0, x[1], x[0]),
    )
    index = catalog_index(drafts)
    inspired_map: dict[str, Draft] = {}
    for raw, title, year in parsed:
        hit = index.lookup(title, year, rank=rank_key)
        if hit is None and raw not in creatable:
            continue
        if hit is None:
            hit = Draft(title=title, year=year, id=len(drafts) + 1, origin="inspired")
            drafts.append(hit)
            for name in (hit.title, *hit.aliases):
                index.add(name, hit.year, hit)
            _enrich_inspired(hit, ml, info_by_imdb)
            stats["inspired_new_items"] += 1
        elif title != hit.title:
            hit.add_alias(title)
        inspired_map[raw] = hit
    return inspired_map


def _apply_kg(kg: dict[str, KGMovie], inspired_map: dict[str, Draft], stats: Stats, log: QualityLog) -> None:
    """KG people/genres: for INSPIRED items and REDIAL items that lack them."""
    for raw in sorted(kg):
        target = inspired_map.get(raw)
        if target is None:
            continue
        movie = kg[raw]
        if not target.stars and not target.directors:
            target.stars, target.directors = list(movie.stars), list(movie.directors)
            if target.redial_id is not None and (movie.stars or movie.directors):
                stats["redial_people_from_kg"] += 1
        if movie.genres and target.suspect and not set(target.genres) & set(movie.genres):
            _log_genres(
                log,
                target,
                {**target.suspect, "inspired_kg": list(movie.genres)},
                list(movie.genres),
                "movies.json lists the genres of another film of this title; the INSPIRED KG disagrees",
            )
            target.genres = []
        if not target.genres and movie.genres:
            target.genres = list(movie.genres)
            if target.redial_id is not None:
                stats["redial_genres_from_kg"] += 1


# --------------------------------------------------------------------------- the rest of MovieLens

#: A MovieLens-only film is recommended unprompted when it has a year, a genre and this many keywords (or a
#: plot): enough to match a request and to give a true reason. Every other one is only groundable.
MIN_KEYWORDS_LISTED = 3


def add_movielens_items(drafts: list[Draft], ml: MovieLens, stats: Stats) -> None:
    """Every ml-25m film that no item so far is: appended in MovieLens id order (ids after INSPIRED's), so
    that any film a person names can be grounded. A film already present under its MovieLens id, or under
    the same title and year (±1), is skipped; ``listed`` is set by :data:`MIN_KEYWORDS_LISTED`."""
    linked = {d.movielens_id for d in drafts if d.movielens_id is not None}
    index = catalog_index(drafts)
    for mid in sorted(ml.movies):
        movie = ml.movies[mid]
        if mid in linked or not movie.title:
            continue
        if movie.year is not None and index.lookup(movie.title, movie.year, rank=rank_key) is not None:
            stats["movielens_matched_by_title"] += 1
            continue
        draft = Draft(
            title=movie.title,
            year=movie.year,
            id=len(drafts) + 1,
            movielens_id=mid,
            imdb_id=movie.imdb_id,
            tmdb_id=movie.tmdb_id,
            genres=list(movie.genres),
            origin="movielens",
        )
        _enrich_from_movielens(draft, movie)
        draft.listed = (
            draft.year is not None
            and bool(draft.genres)
            and (len(draft.keywords) >= MIN_KEYWORDS_LISTED or bool(draft.plot))
        )
        drafts.append(draft)
        stats["movielens_new_items"] += 1
        stats["movielens_new_listed"] += int(draft.listed)


# --------------------------------------------------------------------------- shared steps


def rank_key(draft: Draft) -> tuple[int, int]:
    """Tie-break among same-title items: the REDIAL movie mentioned in the most REDIAL *train* dialogs, then
    the lowest id. It decides which of two same-title items takes a MovieLens id's ratings and an INSPIRED
    title's mentions, so it must hold nothing of a test split: REDIAL's own ``nbMentions`` (which counts the
    test dialogs too) is not used."""
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
    draft.terms = list(dict.fromkeys([*draft.terms, *ml.tags, *ml.tmdb_keywords, *ml.small_tags]))
    draft.runtime = draft.runtime or ml.runtime
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


def _enrich_inspired(draft: Draft, ml: MovieLens, info_by_imdb: dict[str, dict[str, Any]]) -> None:
    """Link a new INSPIRED item to MovieLens by title and year (±1) and copy its metadata."""
    if draft.year is None:
        return
    ml_id = ml.title_index.lookup(draft.title, draft.year)
    if ml_id is None:
        return
    movie = ml.movies[ml_id]
    draft.movielens_id = ml_id
    draft.imdb_id = movie.imdb_id
    draft.tmdb_id = movie.tmdb_id
    info = info_by_imdb.get(movie.imdb_id or "")
    if info is not None:
        _apply_info(draft, info)
    _enrich_from_movielens(draft, movie)


def catalog_index(drafts: Iterable[Draft]) -> TitleIndex:
    """A title index over items (title and aliases, with the item's year)."""
    index = TitleIndex()
    for draft in drafts:
        for name in (draft.title, *draft.aliases):
            index.add(name, draft.year, draft)
    return index


def fill_ratings_from_movielens(records: list[dict[str, Any]], ml_rows: list[dict[str, str]]) -> None:
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
