"""The lexical stages of grounding: a title string parsed into a query, then matched exactly or fuzzily.

- ``exact``: the normalised alias key (:func:`tools.titles.normalize_title`: folded, article-free, roman
  numerals as digits), then the same key without spaces ("spiderman" = "Spider-Man"), then without small
  words ("lord rings"), then a subtitle alone ("The Last Jedi"). Years are honoured: with a year the item
  of that year wins (one year off is tolerated, two or three cost score, more is no match); without a
  year the best-known item of that title wins (:mod:`tools.grounding.notability`; an exact article match,
  "Heat" vs "The Heat", counts 1.5x, 3x when the query has the article), and the other films of that title
  that are nearly as well known come with it as ``alternatives``.
- ``fuzzy``: rapidfuzz over every alias key, as given and with sorted tokens (token_sort_ratio), with a
  length-dependent edit budget, a sequel-number check ("Matrix 5" is not "Matrix") and the year check.

A mistyped leading "The" ("Teh Holiday") is tried as a fuzzy-scored exact match. Thresholds were calibrated
on ``tests/tools/grounding/grounding_cases.jsonl``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from tools.catalog import Catalog, Item
from tools.grounding.index import TitleIndex
from tools.grounding.lexicon import ARTICLES, common_words
from tools.grounding.matches import ItemMatch, item_match
from tools.grounding.notability import CLOSE_MARGIN
from tools.grounding.tokenizer import digit_tokens, loose_key, strip_wrappers
from tools.titles import (
    fold,
    move_article,
    normalize_title,
    split_bare_year,
    split_year,
    straighten_apostrophes,
)

#: Year difference accepted at full score; up to ``YEAR_SLACK`` is accepted at a lower score.
YEAR_TOLERANCE = 1
YEAR_SLACK = 3
#: Calibrated thresholds (see the module docstring).
FUZZY_MIN_RATIO = 80.0
FUZZY_SPLIT_MIN_RATIO = 90.0
#: Scores of the stages (multiplied by the year factor); ``fuzzy`` also scales with the similarity.
SCORE_EXACT = 1.0
SCORE_COMPACT = 0.98
SCORE_LOOSE = 0.95
SCORE_SUBTITLE = 0.9
SCORE_FUZZY = 0.95
_YEAR_NEAR = 0.9  # two or three years off
_YEAR_UNKNOWN = 0.85  # the query has a year, the item has none
_ARTICLE_BONUS = 1.5  # the query's words equal the item's title ("Heat" for "Heat", not "The Heat")
_ARTICLE_BONUS_STRONG = 3.0  # ... including a leading article the query wrote ("The Boy", not "Boy")
_ALIAS_BONUS = 1.2  # the query's words equal one of the item's aliases
_MAX_ALTERNATIVES = 3
_FUZZY_MEMO_SIZE = 4096


@dataclass(frozen=True, slots=True)
class Picked:
    """The item :meth:`LexicalMatcher.pick` chose, its year factor, and the close alternatives."""

    item: Item
    factor: float
    alternatives: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Query:
    """A title string parsed for lookup."""

    key: str  # normalize_title form
    surface: str  # folded, article kept
    year: int | None
    digits: frozenset[str]
    display: str  # title text without the year (for embeddings)


def year_factor(item_year: int | None, year: int | None) -> float:
    """Score factor for an item's year against the query's (0 = incompatible)."""
    if year is None:
        return 1.0
    if item_year is None:
        return _YEAR_UNKNOWN
    diff = abs(item_year - year)
    if diff <= YEAR_TOLERANCE:
        return 1.0
    if diff <= YEAR_SLACK:
        return _YEAR_NEAR
    return 0.0


class LexicalMatcher:
    """Parses title strings and matches them to catalog items by their keys: exact, then fuzzy."""

    def __init__(self, catalog: Catalog, index: TitleIndex) -> None:
        self.catalog = catalog
        self.index = index
        # the fuzzy stage scans ~19k keys (about a millisecond); replies repeat the same quoted words on
        # every line they check, so its answers are remembered (bounded; a dict is safe under the GIL)
        self._fuzzy_memo: dict[Query, ItemMatch | None] = {}

    def parse(self, title: str, bare_year: bool = True) -> Query | None:
        """Split a title into its key, surface form and year ("(1999)", or a bare trailing "1999").

        A bare year is split off only when the whole text is no key ("Blade Runner 2049" stays whole).
        """
        text = strip_wrappers(straighten_apostrophes(title))
        if not text:
            return None
        base, year = split_year(text)
        base = strip_wrappers(base)
        key = normalize_title(base)
        if bare_year and year is None and key not in self.index.keys:
            head, head_year = split_bare_year(base)
            if head_year is not None:
                head_key = normalize_title(head)
                if head_key:
                    base, year, key = head, head_year, head_key
        if not key:
            return None
        return Query(key, fold(move_article(base)), year, digit_tokens(key), move_article(base))

    def match(self, q: Query) -> ItemMatch | None:
        """The exact match of ``q``, else with a mistyped leading "The" fixed, else the fuzzy match."""
        found = self.exact(q)
        if found is not None:
            return found
        alt = _article_typo_variant(q)
        if alt is not None:
            found = self.exact(alt)
            if found is not None:  # a one-letter slip in "The": as good as a fuzzy match
                return ItemMatch(
                    found.item_id,
                    found.title,
                    found.year,
                    round(found.score * SCORE_FUZZY, 4),
                    "fuzzy",
                    found.alternatives,
                )
        return self.fuzzy(q) or (self.fuzzy(alt) if alt is not None else None)

    def pick(self, ids: Iterable[int], year: int | None, surface: str) -> Picked | None:
        """The best item among same-title candidates, with its year factor and the close alternatives.

        Year first (exact, then within tolerance), then notability (:mod:`tools.grounding.notability`),
        raised when the query's words equal the item's own title (x1.5; x3 with the query's leading
        article) or one of its aliases (x1.2), then metadata completeness (duplicates), then the lower id.
        Without a year in the query, other films of the title whose notability is within
        :data:`CLOSE_MARGIN` of the best are its ``alternatives`` (best first; duplicates and twins of the
        pick left out): the reply may ask which one was meant. With a year, the year decides.
        """
        index = self.index
        ranked: list[tuple[tuple[float, int, float, int, int], Item, float, float]] = []
        for item_id in dict.fromkeys(ids):
            item = self.catalog.items.get(item_id)
            if item is None:
                continue
            factor = year_factor(item.year, year)
            if factor <= 0.0:
                continue
            same_year = int(year is not None and item.year == year)
            bonus = 1.0
            if surface == index.title_surface.get(item.id):
                bonus = _ARTICLE_BONUS_STRONG if surface.split(" ", 1)[0] in ARTICLES else _ARTICLE_BONUS
            elif surface in index.surfaces.get(item.id, ()):
                bonus = _ALIAS_BONUS
            fame = index.notability.get(item.id, 0.0) + math.log(bonus)
            completeness = bool(item.plot) + bool(item.genres) + bool(item.directors or item.stars)
            ranked.append(((factor, same_year, fame, completeness, -item.id), item, factor, fame))
        if not ranked:
            return None
        ranked.sort(key=lambda r: r[0], reverse=True)
        _, best, factor, best_fame = ranked[0]
        alternatives: list[int] = []
        if year is None:
            seen = {index.groups.get(best.id, best.id), *self.catalog.twins.get(best.id, ())}
            for _, item, _, fame in ranked[1:]:
                group = index.groups.get(item.id, item.id)
                if group in seen or item.id in seen:
                    continue
                seen.add(group)
                if best_fame - fame < CLOSE_MARGIN and len(alternatives) < _MAX_ALTERNATIVES:
                    alternatives.append(item.id)
        return Picked(best, factor, tuple(alternatives))

    def exact(self, q: Query) -> ItemMatch | None:
        """The item under ``q``'s key, its compact, loose or subtitle form (in that order), or None."""
        index = self.index
        for table, key, score in (
            (index.keys, q.key, SCORE_EXACT),
            (index.compact, q.key.replace(" ", ""), SCORE_COMPACT),
            (index.loose, loose_key(q.key), SCORE_LOOSE),
            (index.subtitles, q.key, SCORE_SUBTITLE),
        ):
            ids = table.get(key)
            if not ids:
                continue
            picked = self.pick(ids, q.year, q.surface)
            if picked:
                return item_match(picked.item, score * picked.factor, "exact", picked.alternatives)
            if table is index.keys:
                return None  # the title exists, but not with that year
        return None

    def fuzzy(self, q: Query) -> ItemMatch | None:
        """The closest key within the edit budget whose sequel numbers and year agree, or None."""
        if len(q.key) < 5:
            return None
        if q in self._fuzzy_memo:
            return self._fuzzy_memo[q]
        found = self._fuzzy(q)
        if len(self._fuzzy_memo) >= _FUZZY_MEMO_SIZE:
            self._fuzzy_memo.clear()
        self._fuzzy_memo[q] = found
        return found

    def _fuzzy(self, q: Query) -> ItemMatch | None:
        index = self.index
        sorted_key = " ".join(sorted(q.key.split()))
        scores: dict[int, float] = {}
        for query, choices in ((q.key, index.choices), (sorted_key, index.choices_sorted)):
            for _, score, idx in process.extract(
                query, choices, scorer=fuzz.ratio, processor=None, limit=8, score_cutoff=FUZZY_MIN_RATIO
            ):
                scores[idx] = max(scores.get(idx, 0.0), float(score))
        best: tuple[tuple[float, float], Item, float, tuple[int, ...]] | None = None
        for idx, ratio in scores.items():
            key = index.choices[idx]
            if digit_tokens(key) != q.digits:
                continue
            budget = _allowed_edits(min(len(key), len(q.key)))
            dist = min(
                OSA.distance(q.key, key, score_cutoff=budget + 1),
                OSA.distance(sorted_key, index.choices_sorted[idx], score_cutoff=budget + 1),
            )
            if idx >= index.n_exact_choices:
                budget = min(budget, 1)  # a subtitle alone is already a loose match
            if dist > budget or not _tokens_align(q.key, key):
                continue
            ids = index.keys.get(key) or index.subtitles.get(key, ())
            picked = self.pick(ids, q.year, q.surface)
            if not picked:
                continue
            item, factor = picked.item, picked.factor
            weight = 1.0 if idx < index.n_exact_choices else SCORE_SUBTITLE
            score = SCORE_FUZZY * (ratio / 100.0) * factor * weight
            rank = (score, index.notability.get(item.id, 0.0))
            if best is None or rank > best[0]:
                best = (rank, item, score, picked.alternatives)
        if best is None:
            return None
        return item_match(best[1], best[2], "fuzzy", best[3])


def _article_typo_variant(q: Query) -> Query | None:
    """The query without a mistyped leading "The" ("Teh Holiday", "thr cell"), if it has one."""
    first, _, rest = q.key.partition(" ")
    if not rest or first == "the" or first in common_words() or not 2 <= len(first) <= 4:
        return None
    if OSA.distance(first, "the") > 1:
        return None
    return Query(rest, f"the {rest}", q.year, digit_tokens(rest), q.display.split(" ", 1)[-1])


def _allowed_edits(length: int) -> int:
    """Edit budget of the fuzzy stage for a key this long (optimal string alignment: a swap is one edit)."""
    if length <= 4:
        return 0
    if length <= 8:
        return 1
    if length <= 14:
        return 2
    if length <= 24:
        return 3
    return 4


def _token_edits(length: int) -> int:
    """Edit budget of one word: a different short word ("moon" / "man") is no typo."""
    if length <= 5:
        return 1
    return 2


def _tokens_align(query: str, key: str) -> bool:
    """Word-level check of a fuzzy candidate.

    With as many words in the same order, each word is within its own edit budget (two-letter words
    only in longer titles); with the words reordered, at most one edit in all; with a different word
    count, the strings must be very close.
    """
    qt, kt = query.split(), key.split()
    if len(qt) != len(kt):
        return fuzz.ratio(query, key) >= FUZZY_SPLIT_MIN_RATIO
    in_order = True
    for x, y in zip(qt, kt, strict=True):
        if x == y:
            continue
        budget = _token_edits(len(y)) if len(y) > 2 or len(query) >= 10 else 0
        if x[:1] != y[:1]:
            budget = min(budget, 1)  # typos seldom hit a word's first letter
        if OSA.distance(x, y, score_cutoff=budget + 1) > budget:
            in_order = False
            break
    if in_order:
        return True
    edits = 0
    for x, y in zip(sorted(qt), sorted(kt), strict=True):
        edits += OSA.distance(x, y, score_cutoff=2)
        if edits > 1:
            return False
    return True
