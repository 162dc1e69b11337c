"""What grounding returns: the item a title was grounded to, and a title found inside a text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tools.catalog import Item

MatchMethod = Literal["exact", "fuzzy", "embedding", "id"]


@dataclass(frozen=True, slots=True)
class ItemMatch:
    """A catalog item that a title was grounded to, with the stage that found it and its score (0..1].

    ``alternatives``: other catalog items the same words could mean (same title, other years) whose
    notability is close to this one's, best first; empty when the choice is clear or a year decided it.
    A reply can ask "Did you mean Parasite (2019) or Parasite (1982)?".
    """

    item_id: int
    title: str
    year: int | None
    score: float
    method: MatchMethod
    alternatives: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Mention:
    """A title found inside free text: ``text == source[start:end]``, grounded to ``match``."""

    start: int
    end: int
    text: str
    match: ItemMatch


def item_match(
    item: Item, score: float, method: MatchMethod, alternatives: tuple[int, ...] = ()
) -> ItemMatch:
    """The match of ``item`` found by ``method``, its score rounded to four decimals."""
    return ItemMatch(item.id, item.title, item.year, round(float(score), 4), method, tuple(alternatives))
