"""Training interactions for the collaborative models: ``user,item_id,weight,source,kind`` rows from the REDIAL
and INSPIRED *training* dialogs and the MovieLens ml-latest-small ratings (>= 3.5 stars)."""

from __future__ import annotations

import csv
import io
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from tools.data.catalog_build import Draft, catalog_index, rank_key
from tools.data.normalise import int_or_none, parse_title_year
from tools.data.sources import Sources, inspired_train_dialogs, redial_train_dialogs

log = logging.getLogger(__name__)

ML_MIN_RATING = 3.5
ML_RATINGS = "movielens/ml-latest-small/ratings.csv"


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


@dataclass
class CollectedInteractions:
    """Every training interaction of the build, the per-source statistics and the MovieLens ratings read."""

    table: InteractionTable
    redial_stats: dict[str, int]
    inspired_stats: dict[str, int]
    ml_stats: dict[str, int]
    ml_ratings: list[dict[str, str]]


def collect_interactions(src: Sources, drafts: list[Draft]) -> CollectedInteractions:
    """Map the dialogs' and raters' movies onto the catalog items and collect their interactions."""
    by_redial = {d.redial_id: d.id for d in drafts if d.redial_id is not None}
    by_movielens: dict[int, int] = {}
    for d in sorted(drafts, key=rank_key):
        # films only MovieLens lists get no ratings: the collaborative models keep the dialogue films' size
        # (EASE's solve is cubic); those films are recommended by their content and found by name
        if d.movielens_id is not None and d.origin != "movielens":
            by_movielens.setdefault(d.movielens_id, d.id)
    train = inspired_train_dialogs(src)
    title_lookup = _inspired_title_lookup(train, drafts)

    table = InteractionTable()
    log.info("collecting interactions")
    redial_stats = redial_interactions(src, table, by_redial)
    inspired_stats = inspired_interactions(train, table, title_lookup)
    ml_rows = src.csv(ML_RATINGS, ["userId", "movieId", "rating"])
    try:
        ml_stats = movielens_interactions(ml_rows, table, by_movielens)
    except ValueError as exc:
        raise src.corrupt(ML_RATINGS, exc) from exc
    return CollectedInteractions(table, redial_stats, inspired_stats, ml_stats, ml_rows)


def _inspired_title_lookup(train: list[tuple[int, list[str]]], drafts: list[Draft]) -> dict[str, int]:
    """Raw INSPIRED train title -> the id of the item it names (titles naming none are left out)."""
    index = catalog_index(drafts)
    title_lookup: dict[str, int] = {}
    for _, titles in train:
        for raw in titles:
            if raw not in title_lookup:
                title, year = parse_title_year(raw)
                hit = index.lookup(title, year, rank=rank_key) if title else None
                if hit is not None:
                    title_lookup[raw] = hit.id
    return title_lookup


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
    stats = {"dialogs": 0, "duplicates": 0, "unmapped_mentions": 0}
    for user, dialog in redial_train_dialogs(src, stats):
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
