"""What the offline parser derives from the catalog (:class:`ParserTables`): its vocabulary, typo repair and the
catalog's newest year, with the everyday words of the dialogue films' plots and keywords."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from agent.parsers.cues import CUE_WORDS
from agent.parsers.typos import TypoFixer
from agent.parsers.vocab import Vocabulary
from tools.catalog import Catalog
from tools.catalog_cache import code_digest
from tools.grounding.lexicon import common_words
from tools.titles import fold


@dataclass
class ParserTables:
    """What the parser derives from the catalog (its vocabulary, typo repair and newest year): about a second
    to build for 64k films, so a start-up copy is kept in the home's models directory (:meth:`build`)."""

    vocab: Vocabulary
    typos: TypoFixer
    current_year: int

    @classmethod
    def build(cls, catalog: Catalog) -> ParserTables:
        """Derive the tables from ``catalog``."""
        years = [it.year for it in catalog.items.values() if it.year]
        vocab = Vocabulary(catalog, _lowercase_words(catalog))
        typos = TypoFixer(vocab.words, vocab.people, common_words() | CUE_WORDS | _catalog_words(catalog))
        return cls(vocab, typos, max(years) if years else 2020)

    @staticmethod
    def code_digest() -> str:
        """A hash of the code the tables come from (a start-up copy made by other code is never used)."""
        here = Path(__file__).resolve().parent
        return code_digest(
            *sorted(here.glob("*.py")),
            here.parents[1] / "tools" / "qualifiers.py",
            here.parents[1] / "tools" / "grounding" / "lexicon.py",
        )


def _catalog_words(catalog: Catalog, min_count: int = 3) -> set[str]:
    """Ordinary words of the catalog's plots and keywords (seen at least ``min_count`` times): words the typo
    repair must leave alone ("boring" is not "boxing")."""
    counts: Counter[str] = Counter()
    for it in catalog.items.values():
        if it.origin != "movielens":  # the dialogue films' words; the 56k MovieLens-only films add little
            counts.update(fold(" ".join([it.plot, *it.keywords])).split())
    return {w for w, n in counts.items() if n >= min_count}


def _lowercase_words(catalog: Catalog, min_count: int = 3) -> set[str]:
    """Words the catalog's plots write in lower case (at least ``min_count`` times): everyday words such as
    "wise", never a surname such as "Spielberg"."""
    counts: Counter[str] = Counter(
        w
        for it in catalog.items.values()
        if it.plot and it.origin != "movielens"
        for w in re.findall(r"\b[a-z]+\b", it.plot.replace("'", ""))
    )
    return {w for w, n in counts.items() if n >= min_count}
