"""Matching titles across datasets: title similarity, year tolerance and an index of normalised titles."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rapidfuzz import fuzz

from tools.titles import normalize_title


def title_similarity(a: str, b: str, same_year: bool = False) -> int:
    """2 when the normalised titles are equal, 1 when they clearly overlap, 0 otherwise.

    Titles whose numbers differ ("Home Alone" / "Home Alone 2") do not overlap unless ``same_year``
    ("John Wick: Chapter 2" / "John Wick: Chapter Two", both 2017).
    """
    na, nb = normalize_title(a), normalize_title(b)
    if not na or not nb:
        return 0
    if na == nb:
        return 2
    if not same_year and {w for w in na.split() if w.isdigit()} != {w for w in nb.split() if w.isdigit()}:
        return 0
    if fuzz.token_set_ratio(na, nb) >= 85 or fuzz.ratio(na, nb) >= 80:
        return 1
    return 0


def years_compatible(a: int | None, b: int | None, tolerance: int = 1) -> bool:
    """True when either year is unknown or they differ by at most ``tolerance``."""
    return a is None or b is None or abs(a - b) <= tolerance


class TitleIndex:
    """Normalised title -> entries, looked up with a year tolerance."""

    def __init__(self) -> None:
        self._keys: dict[str, list[tuple[int | None, Any]]] = defaultdict(list)

    def add(self, title: str, year: int | None, value: Any) -> None:
        """Index ``value`` under the normalised ``title``."""
        key = normalize_title(title)
        if key and not any(y == year and (v is value or v == value) for y, v in self._keys[key]):
            self._keys[key].append((year, value))

    def lookup(self, title: str, year: int | None, rank: Any = None) -> Any:
        """The best entry for ``title`` and ``year``: exact year first, then ±1, then unknown years.

        Without a year only an unambiguous key (or the top of ``rank``) is returned. ``rank(value)`` orders
        ties (smaller is better); without it the first indexed entry wins.
        """
        entries = self._keys.get(normalize_title(title), [])
        if not entries:
            return None
        order = rank if rank else (lambda v: 0)
        if year is None:
            distinct = {v if isinstance(v, int | str) else id(v) for _, v in entries}
            if len(distinct) == 1 or rank:
                return min((v for _, v in entries), key=order)
            return None
        for tol in (0, 1):
            hits = [v for y, v in entries if y is not None and abs(y - year) <= tol]
            if hits:
                return min(hits, key=order)
        hits = [v for y, v in entries if y is None]
        return min(hits, key=order) if hits else None
