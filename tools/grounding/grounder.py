"""The grounder: maps one title string to the catalog item it names, and finds the titles inside a text.

:meth:`Grounder.ground` tries up to four stages, each stricter about what it accepts than the one before
it is about what it proposes: ``id`` (``"#123"`` / ``"id:123"``), then the lexical stages ``exact`` and
``fuzzy`` (:mod:`tools.grounding.matcher`), then ``embedding`` (:mod:`tools.grounding.embedding_stage`).
:meth:`Grounder.find_titles` delegates to :class:`tools.grounding.finder.TitleFinder`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from tools.catalog import Catalog
from tools.embeddings import Embedder
from tools.grounding.embedding_stage import EmbeddingStage
from tools.grounding.finder import TitleFinder
from tools.grounding.index import TitleIndex
from tools.grounding.matcher import LexicalMatcher
from tools.grounding.matches import ItemMatch, Mention, item_match
from tools.titles import split_year, straighten_apostrophes

log = logging.getLogger(__name__)

#: Inputs longer than this are not titles: ``ground`` returns None without looking.
MAX_TITLE_CHARS = 300
_ID_RE = re.compile(r"^\s*(?:#|id\s*[:=]\s*|item\s*[:#]?\s*)(\d{1,12})\s*$", re.IGNORECASE)


class Grounder:
    """Maps titles (and titles inside text) to catalog items; see :mod:`tools.grounding`.

    Construction indexes the catalog's alias keys (seconds for 64k items; ``index`` passes a ready one) and loads the title
    embeddings when ``cache_dir`` already holds them; otherwise they are computed on the first query that
    reaches the embedding stage and saved there. ``interaction_counts`` (item id -> training interactions,
    see :func:`tools.grounding.notability.interaction_counts_from_db`) tells well-known films from obscure
    ones of the same title; without it only the catalog's popularity and years do. Thread-safe for
    concurrent readers.
    """

    def __init__(
        self,
        catalog: Catalog,
        embedder: Embedder | None = None,
        cache_dir: Path | None = None,
        interaction_counts: Mapping[int, float] | None = None,
        index: TitleIndex | None = None,
    ) -> None:
        started = time.perf_counter()
        self.catalog = catalog
        self.embedder = embedder
        self.cache_dir = cache_dir
        index = index if index is not None else TitleIndex(catalog, interaction_counts)
        self._matcher = LexicalMatcher(catalog, index)
        self._finder = TitleFinder(index, self._matcher)
        self._embedding = EmbeddingStage(catalog, embedder, cache_dir) if embedder is not None else None
        log.debug(
            "grounder over %d items built in %.0f ms", len(catalog), (time.perf_counter() - started) * 1000
        )

    def ground(self, title: str) -> ItemMatch | None:
        """The catalog item that ``title`` names ("Dune (1984)", "matrx", "Godfather Part II"), or None.

        Never raises: empty, whitespace-only and over-long (> 300 characters) inputs give None.
        """
        if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE_CHARS:
            return None
        try:
            by_id = self._ground_id(title)
            if by_id is not None:
                return by_id
            query = self._matcher.parse(title)
            if query is None:
                return None
            found = self._matcher.match(query)
            if (
                found is None
                and query.year is not None
                and split_year(straighten_apostrophes(title).strip())[1] is None
            ):
                # the trailing number may be part of the title ("Blaade Runner 2049")
                whole = self._matcher.parse(title, bare_year=False)
                found = self._matcher.match(whole) if whole is not None else None
            if found is None and self._embedding is not None:
                found = self._embedding.match(query)
            return found
        except Exception:  # grounding must never break a turn
            log.exception("grounding failed for %r", title[:80])
            return None

    def ground_many(self, titles: Sequence[str]) -> list[ItemMatch | None]:
        """:meth:`ground` for each title, in order (repeated titles are grounded once)."""
        memo: dict[str, ItemMatch | None] = {}
        out: list[ItemMatch | None] = []
        for title in titles:
            key = title if isinstance(title, str) else ""
            if key not in memo:
                memo[key] = self.ground(key)
            out.append(memo[key])
        return out

    def find_titles(self, text: str) -> list[Mention]:
        """Every catalog title mentioned in ``text``, grounded, non-overlapping (longest wins), in order."""
        if not isinstance(text, str) or not text.strip():
            return []
        try:
            return self._finder.find(text)
        except Exception:
            log.exception("find_titles failed on a %d-character text", len(text))
            return []

    def warm(self) -> None:
        """Compute (or load) the title embeddings now instead of on the first embedding lookup."""
        if self._embedding is not None:
            self._embedding.title_vectors()

    def _ground_id(self, title: str) -> ItemMatch | None:
        m = _ID_RE.match(title)
        if not m:
            return None
        item = self.catalog.items.get(int(m.group(1)))
        return item_match(item, 1.0, "id") if item else None
