"""How well known each catalog item is, so an ambiguous title ("Parasite", "It", "Heat") means the film
people mean, and a close call is asked about instead of decided silently.

``notability = log1p(TMDB popularity) + log1p(interactions)``: TMDB's popularity (0 where TMDB had no
figure) and the item's count of training interactions in the shipped data (REDIAL mentions and likes,
INSPIRED mentions, MovieLens ratings), both taken over the item's *duplicate group* (catalog entries that
share a TMDB, IMDb or MovieLens id: one film listed twice), plus a recency nudge of at most 0.016 that only
breaks ties (two films with no figure at all: the newer one is the likelier meaning). Nothing here reads
test dialogs.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tools.catalog import Catalog, Interaction, InteractionRow, Item

#: Two same-title items whose notability differs by less than this (log scale: a factor of ~2.7 in
#: popularity x interactions) are a close call: the grounder returns the best and names the other.
CLOSE_MARGIN = 1.0
_RECENCY_SCALE = 1e-4


def interaction_counts(interactions: Iterable[Interaction]) -> Counter[int]:
    """How many training interactions each item has (all sources, unweighted)."""
    return Counter(i.item_id for i in interactions)


def interaction_counts_from_db(engine: Engine) -> dict[int, int]:
    """:func:`interaction_counts` of the interactions in the database, with one ``GROUP BY`` query."""
    with Session(engine) as session:
        rows = session.execute(
            select(InteractionRow.item_id, func.count()).group_by(InteractionRow.item_id)
        ).all()
    return {int(item_id): int(n) for item_id, n in rows}


def duplicate_groups(items: Iterable[Item]) -> dict[int, int]:
    """Each item's duplicate group (a representative id): entries sharing a TMDB, IMDb or MovieLens id."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first: dict[tuple[str, object], int] = {}
    for item in items:
        parent.setdefault(item.id, item.id)
        for key in (("tmdb", item.tmdb_id), ("imdb", item.imdb_id), ("ml", item.movielens_id)):
            if key[1] is None or key[1] == "":
                continue
            other = first.setdefault(key, item.id)
            if other != item.id:
                a, b = find(other), find(item.id)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return {i: find(i) for i in parent}


def notability_scores(
    catalog: Catalog, counts: Mapping[int, float] | None = None
) -> tuple[dict[int, float], dict[int, int]]:
    """Every item's notability (see the module docstring) and its duplicate group."""
    counts = counts or {}
    groups = duplicate_groups(catalog.items.values())
    pop: dict[int, float] = {}
    n: dict[int, float] = {}
    year: dict[int, int] = {}
    for item in catalog.items.values():
        g = groups[item.id]
        pop[g] = max(pop.get(g, 0.0), max(item.popularity, 0.0))
        n[g] = n.get(g, 0.0) + max(float(counts.get(item.id, 0)), 0.0)
        if item.year is not None:
            year[g] = min(year.get(g, item.year), item.year)
    scores = {}
    for item_id, g in groups.items():
        recency = max(year.get(g, 1880) - 1880, 0) * _RECENCY_SCALE
        scores[item_id] = math.log1p(pop[g]) + math.log1p(n[g]) + recency
    return scores, groups


#: The share of the catalog, by notability, that counts as better known (a one-word title with a typo
#: is repaired only to one of those: "incepton", "jumangi", but not "robery" to Robbery (2015)).
NOTABLE_SHARE = 0.3


def notable_threshold(scores: Iterable[float]) -> float:
    """The lowest notability among the best-known :data:`NOTABLE_SHARE` of the items (0 for none)."""
    ordered = sorted(scores, reverse=True)
    if not ordered:
        return 0.0
    return ordered[max(int(len(ordered) * NOTABLE_SHARE) - 1, 0)]
