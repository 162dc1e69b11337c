"""``crsagent catalog check``: the data-quality state of a catalog -- what the build resolved (its
``quality.json``, :mod:`tools.data.quality`) and the conflicts that remain, with counts.

Remaining conflicts are found in the catalog itself:

- ``unlisted``: items with neither a year nor a genre (never recommended unprompted; they stay groundable).
- ``same_title_year``: entries with the same title and year not linked as one film (``duplicate_of``); they are
  twins for the ranker, but they may be two films or one film the build could not link by id.
- ``kind_genre_mix``: a documentary also tagged with a fiction genre (animation, horror, sci-fi, ...), the
  pattern of the "Spirited Away, documentary" mistake.
- ``same_popularity``: different, unlinked entries of one title with the same TMDB popularity (REDIAL's TMDB
  side file gave both the record of one film: "Heat (1995)" / "Heat (1996)" before the fix).
- ``plot_cut``: plots that end in the middle of a sentence without "…".
- ``years_unresolved``: REDIAL years that one other record contradicts (from ``quality.json``).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from tools.catalog import Catalog, Item
from tools.qualifiers import QUALIFIERS
from tools.titles import normalize_title

QUALITY_FILE = "quality.json"
#: Genres a documentary should not carry next to it (fiction kinds).
FICTION_GENRES = frozenset(
    {"animation", "horror", "sci-fi", "fantasy", "western", "thriller", "action", "romance"}
)
#: How many examples each remaining-conflict list shows.
MAX_EXAMPLES = 25
_SENTENCE_END = (".", "!", "?", "…", '"', "'", "”", ")")


def read_quality(data_dir: Path) -> dict[str, Any] | None:
    """The build's ``quality.json`` in ``data_dir`` (None when absent or unreadable)."""
    path = Path(data_dir) / QUALITY_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _brief(item: Item) -> dict[str, Any]:
    return {"id": item.id, "title": item.display, "redial_id": item.redial_id}


def _conflict(found: list[Any]) -> dict[str, Any]:
    return {"count": len(found), "examples": found[:MAX_EXAMPLES]}


def check_catalog(items: list[Item], quality: dict[str, Any] | None = None) -> dict[str, Any]:
    """Counts, coverage and the remaining conflicts of a catalog (see the module docstring)."""
    catalog = Catalog.from_items(items)
    n = max(len(items), 1)
    by_id = catalog.items

    def film(i: int) -> int:
        it = by_id[i]
        return it.duplicate_of if it.duplicate_of is not None else i

    groups: dict[tuple[str, int | None], list[Item]] = {}
    for it in items:
        groups.setdefault((normalize_title(it.title), it.year), []).append(it)
    same_title_year = [
        [_brief(it) for it in group]
        for group in groups.values()
        if len(group) > 1 and len({film(it.id) for it in group}) > 1
    ]
    by_title: dict[str, list[Item]] = {}
    for it in items:
        by_title.setdefault(normalize_title(it.title), []).append(it)
    same_popularity = []
    for group in by_title.values():
        seen: dict[float, list[Item]] = {}
        for it in group:
            if it.popularity > 1:
                seen.setdefault(it.popularity, []).append(it)
        for same in seen.values():
            if len({film(it.id) for it in same}) > 1:
                same_popularity.append([_brief(it) for it in same])
    kind_mix = [
        {**_brief(it), "genres": list(it.genres)}
        for it in items
        if "documentary" in it.genres and FICTION_GENRES & set(it.genres)
    ]
    plot_cut = [_brief(it) for it in items if it.plot and not it.plot.rstrip().endswith(_SENTENCE_END)]
    unlisted = [_brief(it) for it in items if not it.listed]
    unresolved = list((quality or {}).get("years_unresolved") or [])
    qualifier_counts = Counter(q for it in items for q in it.qualifiers)
    remaining = {
        "unlisted": _conflict(unlisted),
        "same_title_year": _conflict(same_title_year),
        "kind_genre_mix": _conflict(kind_mix),
        "same_popularity": _conflict(same_popularity),
        "plot_cut": _conflict(plot_cut),
        "years_unresolved": _conflict(unresolved),
    }
    return {
        "items": len(items),
        "coverage": {
            "qualifiers": round(sum(1 for it in items if it.qualifiers) / n, 4),
            "tagged": round(sum(1 for it in items if it.tagged) / n, 4),
            "runtime": round(sum(1 for it in items if it.runtime) / n, 4),
            "country": round(sum(1 for it in items if it.country) / n, 4),
            "year": round(sum(1 for it in items if it.year) / n, 4),
            "genres": round(sum(1 for it in items if it.genres) / n, 4),
        },
        "counts": {
            "with_qualifiers": sum(1 for it in items if it.qualifiers),
            "with_runtime": sum(1 for it in items if it.runtime),
            "with_country": sum(1 for it in items if it.country),
            "unlisted": len(unlisted),
            "duplicate_entries": sum(1 for it in items if it.duplicate_of is not None),
            "twin_groups": len({tuple(sorted((i, *t))) for i, t in catalog.twins.items()}),
        },
        "qualifiers": {q.name: qualifier_counts.get(q.name, 0) for q in QUALIFIERS},
        "resolved": (quality or {}).get("counts", {}),
        "remaining": remaining,
        "remaining_total": sum(v["count"] for v in remaining.values()),
    }
