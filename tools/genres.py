"""The one genre vocabulary of crsagent: the catalog's genres and the words that name them.

- :data:`GENRES`: the 23 genres an item of the catalog can carry (``crsagent data build`` maps every source's
  genre onto them and drops the rest). The hard filter, the LLM parser's prompt and its validation, the
  simulators and the benchmarks all use this tuple; a test checks that every genre of the shipped catalog is
  in it.
- :data:`GENRE_SYNONYMS`: other spellings of these genres in the raw datasets (MovieLens, TMDB, IMDb).
- :data:`GENRE_WORDS`: how people name a genre in a chat ("scary" -> horror, "romcom" -> romance); the rule
  parser reads these (folded text), memory uses them to recognise genre facts.
"""

from __future__ import annotations

GENRES: tuple[str, ...] = (
    "action", "adventure", "animation", "biography", "comedy", "crime", "documentary", "drama", "family",
    "fantasy", "film-noir", "history", "horror", "music", "mystery", "romance", "sci-fi", "short", "sport",
    "thriller", "tv-movie", "war", "western",
)  # fmt: skip

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

# word (folded) -> genre of GENRES
GENRE_WORDS: dict[str, str] = {
    "horror": "horror", "horrors": "horror", "scary": "horror", "slasher": "horror", "slashers": "horror",
    "creepy": "horror", "spooky": "horror",
    "comedy": "comedy", "comedies": "comedy", "funny": "comedy", "hilarious": "comedy", "laugh": "comedy",
    "romcom": "romance", "rom com": "romance", "romance": "romance", "romantic": "romance", "love story": "romance",
    "sci fi": "sci-fi", "scifi": "sci-fi", "science fiction": "sci-fi",
    "action": "action", "thriller": "thriller", "thrillers": "thriller", "suspense": "thriller", "suspenseful": "thriller",
    "animated": "animation", "animation": "animation", "cartoon": "animation", "cartoons": "animation", "pixar": "animation",
    "anime": "animation", "documentary": "documentary", "documentaries": "documentary", "docs": "documentary",
    "drama": "drama", "dramas": "drama", "dramatic": "drama", "family": "family", "kids": "family", "children": "family",
    "fantasy": "fantasy", "mystery": "mystery", "mysteries": "mystery", "whodunit": "mystery",
    "crime": "crime", "war": "war", "western": "western",
    "westerns": "western", "cowboy": "western", "musical": "music", "musicals": "music", "adventure": "adventure",
    "adventures": "adventure", "biopic": "biography", "biography": "biography",
    "historical": "history", "history": "history", "period piece": "history", "sports": "sport", "sport": "sport",
    "noir": "crime",
}  # fmt: skip


def canonical_genre(label: str) -> str | None:
    """A source's cleaned, lower-case genre label as a genre of :data:`GENRES` ("science fiction" -> "sci-fi"),
    or None when it names none of them."""
    if label in GENRES:
        return label
    label = GENRE_SYNONYMS.get(label, label)
    if label in GENRES:
        return label
    dashed = label.replace(" ", "-")
    return dashed if dashed in GENRES else None
