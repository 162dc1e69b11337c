"""``Grounder``'s entry points: bad inputs, id lookup, ``ground_many``."""

from __future__ import annotations

import pytest

from tests.tools.grounding.small_catalog import title_year
from tools.grounding import Grounder


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "x" * 301, "(1999)", "***", "Inception " * 40])
def test_empty_and_huge_inputs_are_none(grounder: Grounder, query: str) -> None:
    assert grounder.ground(query) is None


def test_non_string_input_is_none(grounder: Grounder) -> None:
    assert grounder.ground(None) is None  # type: ignore[arg-type]
    assert grounder.find_titles(None) == []  # type: ignore[arg-type]


def test_id_lookup(grounder: Grounder) -> None:
    match = grounder.ground("#22")
    assert match is not None and match.method == "id" and match.title == "Inception"
    assert grounder.ground("id:9999") is None


def test_ground_many_keeps_order(grounder: Grounder) -> None:
    got = grounder.ground_many(["Heat", "nothing like this exists", "Heat", "Up"])
    assert [title_year(m) for m in got] == [("Heat", 1995), None, ("Heat", 1995), ("Up", 2009)]
