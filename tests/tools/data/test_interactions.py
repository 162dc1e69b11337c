"""Training interactions (tools/data/interactions.py): the seeker's answers and summing duplicate pairs."""

from __future__ import annotations

import csv
import io

from tests.tools.data.excerpts import REDIAL_PARTIAL
from tools.data.interactions import InteractionTable, seeker_liked


def test_seeker_liked_prefers_the_seekers_answer() -> None:
    dialog = REDIAL_PARTIAL[0]
    assert seeker_liked(dialog, "80067")  # initiator liked=1, respondent "did not say"
    assert not seeker_liked(dialog, "82894")  # initiator liked=0
    assert not seeker_liked(REDIAL_PARTIAL[1], "106233")
    assert not seeker_liked({"initiatorQuestions": [], "respondentQuestions": []}, "1")


def test_interaction_table_sums_duplicates() -> None:
    table = InteractionTable()
    table.add("ml:1", 3, 1.0, "movielens", "rating")
    table.add("ml:1", 3, 0.5, "movielens", "rating")
    table.add("redial:1", 3, 1.0, "redial", "mention")
    rows = list(csv.DictReader(io.StringIO(table.to_csv().decode())))
    assert rows == [
        {"user": "ml:1", "item_id": "3", "weight": "1.5", "source": "movielens", "kind": "rating"},
        {"user": "redial:1", "item_id": "3", "weight": "1", "source": "redial", "kind": "mention"},
    ]
