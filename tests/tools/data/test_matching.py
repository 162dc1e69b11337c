"""Title matching across datasets (tools/data/matching.py)."""

from __future__ import annotations

from tools.data.matching import TitleIndex, title_similarity


def test_title_similarity_and_index() -> None:
    assert title_similarity("The Matrix", "Matrix, The") == 2
    assert title_similarity("Home Alone", "Home Alone 2: Lost in New York") == 0
    assert title_similarity("John Wick: Chapter 2", "John Wick: Chapter Two", same_year=True) == 1
    assert title_similarity("The Mask", "Halloween 4: The Return of Michael Myers") == 0
    index = TitleIndex()
    index.add("Toy Story", 1995, "a")
    index.add("The Mummy", 1932, "b")
    index.add("The Mummy", 1999, "c")
    assert index.lookup("Toy Story", 1996) == "a"  # ±1 tolerated
    assert index.lookup("Toy Story", 1998) is None
    assert index.lookup("Mummy, The", 1999) == "c"
    assert index.lookup("Toy Story", None) == "a"
    assert index.lookup("The Mummy", None) is None  # ambiguous without a year
