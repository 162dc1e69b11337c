"""Catalog data quality: where the sources disagree on a REDIAL movie's year or genres, or list one film twice,
decide by the agreement of the sources in ``../shared/data`` and record every choice.

- **Year**: the REDIAL name's year (REDIAL's ``movies.json`` copies it) is replaced when at least two other
  records of the same film -- the linked MovieLens movie, its TMDB release date (``movielens_movies_tmdb.csv``),
  the ``combined_metadata.csv`` row of the same film -- agree on another year within
  :data:`MAX_YEAR_SHIFT` years and none agrees with the name ("Street Fighter (1992)" -> 1994: MovieLens and
  combined_metadata say 1994). One dissenting record alone leaves the year as it is (recorded as unresolved).
- **Genres**: the curated lists (IMDb via ``id2info.json``, TMDB via ``movies.json``) are merged as before (the
  other sources decide when the two are disjoint), then a *kind* genre (:data:`KIND_GENRES`: documentary,
  animation, TV film, short) that only one source gives while two or more others (``combined_metadata.csv``,
  MovieLens, TMDB via ``movielens_movies_tmdb.csv`` included) list genres without it is dropped: "Spirited
  Away" was a documentary by ``movies.json`` alone against four sources. Topical genres that one source adds
  (a "thriller" TMDB sees and IMDb does not) are kept: sources differ in how many genres they list, not
  whether they are right. When ``movies.json`` is the only source, its genres are those of a record verifiably
  about another film of the same title (a ``combined_metadata.csv`` row of another year) and the INSPIRED KG
  gives disjoint genres for the item, the KG's are taken: "It (1990)" was "comedy", the genres of It (1927);
  it is now drama, mystery, thriller, horror. (Without the KG the ``movies.json`` genres stay: a REDIAL name
  with a wrong year, "The Wizard of Oz (1950)", often means the film ``movies.json`` describes.)
- **Duplicates**: REDIAL lists some films under several ids ("The Matrix" and "The Matrix (1999)", "Heat (1995)"
  and "Heat (1996)", both Michael Mann's film). Items sharing an IMDb or MovieLens id, with compatible titles
  and years, form a group; all stay in the catalog (each REDIAL id still maps to its item, and every title
  grounds), and every member but one -- the most mentioned, then the lowest id -- gets ``duplicate_of`` the
  kept one. :class:`tools.catalog.Catalog` treats a group as twins, so the ranker shows one entry per film.
  The group's entries share their running time, country and source tags (so their qualifiers agree).

:class:`QualityLog` collects the choices; the build writes them to ``quality.json`` beside the catalog.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tools.data.matching import title_similarity, years_compatible

#: The largest year correction the agreement of other records may make.
MAX_YEAR_SHIFT = 3

#: Genre sources (in priority order).
GENRE_SOURCES = ("imdb", "tmdb", "combined", "movielens", "tmdb_csv")
#: Genres that say what kind of film it is rather than what it is about: a film is a documentary (an animated
#: film, a TV film, a short) or it is not, so one source alone against the others is a mistake of that source.
KIND_GENRES = ("documentary", "animation", "tv-movie", "short")


@dataclass
class QualityLog:
    """The data-quality choices of one build: resolved conflicts and the ones left as they are."""

    years: list[dict[str, Any]] = field(default_factory=list)
    years_unresolved: list[dict[str, Any]] = field(default_factory=list)
    genres: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many choices of each kind (for the manifest)."""
        return {
            "years_resolved": len(self.years),
            "years_unresolved": len(self.years_unresolved),
            "genres_resolved": len(self.genres),
            "duplicate_groups": len(self.duplicates),
            "duplicate_items": sum(len(d["duplicates"]) for d in self.duplicates),
        }

    def as_dict(self) -> dict[str, Any]:
        """Everything, sorted by item id (deterministic)."""
        return {
            "counts": self.counts(),
            "years": sorted(self.years, key=lambda r: r["id"]),
            "years_unresolved": sorted(self.years_unresolved, key=lambda r: r["id"]),
            "genres": sorted(self.genres, key=lambda r: r["id"]),
            "duplicates": sorted(self.duplicates, key=lambda r: r["kept"]),
        }


def resolve_year(current: int | None, evidence: dict[str, int | None]) -> tuple[int | None, str | None]:
    """The year to keep and why (None: nothing to change). ``evidence`` maps other records of the same film
    (``movielens``, ``tmdb_csv``, ``combined``) to their years."""
    years = {src: y for src, y in evidence.items() if y is not None}
    if current is None or not years:
        return current, None
    if any(y == current for y in years.values()):
        return current, None
    votes = Counter(years.values())
    best, n = max(sorted(votes.items()), key=lambda kv: kv[1])
    if n >= 2 and abs(best - current) <= MAX_YEAR_SHIFT:
        agreeing = sorted(src for src, y in years.items() if y == best)
        return best, "agreement of " + ", ".join(agreeing)
    return current, "unresolved"


def lone_kind_genres(by_source: dict[str, list[str]]) -> list[str]:
    """The genres of :data:`KIND_GENRES` that only one source gives while two or more other sources list
    genres without it: "documentary" on Spirited Away (``movies.json`` alone, against four sources)."""
    present = [gs for src in GENRE_SOURCES if (gs := by_source.get(src))]
    if len(present) < 3:
        return []
    votes: Counter[str] = Counter(g for gs in present for g in dict.fromkeys(gs))
    return [g for g in KIND_GENRES if votes.get(g) == 1]


def group_duplicates(items: list[Any], log: QualityLog) -> None:
    """Mark every item that repeats another film (same IMDb or MovieLens id, compatible title and year) with
    ``duplicate_of`` the group's kept item (most REDIAL train-dialog mentions, then lowest id)."""
    parent: dict[int, int] = {}

    def find(i: int) -> int:
        while parent.get(i, i) != i:
            i = parent[i]
        return i

    by_key: dict[tuple[str, object], list[Any]] = {}
    for it in items:
        for key in (("imdb", it.imdb_id), ("ml", it.movielens_id)):
            if key[1]:
                by_key.setdefault(key, []).append(it)
    for members in by_key.values():
        head = members[0]
        for other in members[1:]:
            same_title = title_similarity(head.title, other.title, head.year == other.year) >= 1
            if same_title and years_compatible(head.year, other.year):
                a, b = find(head.id), find(other.id)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    involved = set(parent) | {find(i) for i in parent}
    groups: dict[int, list[Any]] = {}
    for it in items:
        if it.id in involved:
            groups.setdefault(find(it.id), []).append(it)
    for members in groups.values():
        if len(members) < 2:
            continue
        kept = min(members, key=lambda d: (-d.mentions, d.id))
        ordered = [kept, *(m for m in members if m is not kept)]
        terms = list(dict.fromkeys(t for m in ordered for t in m.terms))
        for attr in ("runtime", "country"):  # facts of the film, whichever entry's records held them
            value = next((getattr(m, attr) for m in ordered if getattr(m, attr)), None)
            for m in ordered:
                if not getattr(m, attr):
                    setattr(m, attr, value)
        for it in members:
            it.terms = terms
            it.duplicate_of = None if it is kept else kept.id
        log.duplicates.append(
            {
                "kept": kept.id,
                "title": kept.title,
                "year": kept.year,
                "duplicates": sorted(it.id for it in members if it is not kept),
                "redial_ids": sorted(it.redial_id for it in members if it.redial_id is not None),
            }
        )
