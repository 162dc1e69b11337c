"""The standardized REDIAL protocol (eval/standardized.py) on two real REDIAL train dialogs, counted by hand.

Fixture ``redial_standardized_excerpt.jsonl`` (see fixtures/README.md): dialogs 17527 and 3114. Messages are
0-based; R = recommender, S = seeker.

17527: R R S S | R "How about @120726" | R "What about @120726" | S ... @88141 | R "@115691 ... @199385" |
R "@154857 and @181609" | S ... @166817 | R "@181302 . I agree about @166817" | S | R.
Instances (message: gold, earlier?): 4: 120726; 5: 120726 (earlier, by the recommender in message 4, same
merged block); 7: 115691, 199385; 8: 154857, 181609; 10: 166817 (earlier, by the seeker), 181302
(``movieMentions`` order). Full: 5 instances, 8 mentions; dedup: 4 instances (5 dropped), 6 mentions.

3114: S | R | S | R "@190024" | S S "@76940" | R (no movie) R "@175843" | S S "@173253" |
R "... @173253" R "my @175843 suggestion". Instances: 3: 190024; 7: 175843; 10: 173253 (earlier, by the
seeker); 11: 175843 (earlier, by the recommender). Full: 4 instances, 4 mentions; dedup: 2 and 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eval.datasets import iter_samples, load_redial
from eval.evaluator import BASELINES, evaluate_dialog
from eval.offline import summarize
from eval.report import render_report
from eval.standardized import PUBLISHED, iter_instances, standardized_metrics, summarize_standardized
from tests.eval.test_offline import _stub_evaluator

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "redial_standardized_excerpt.jsonl"

#: catalog ids of the fixture's movies (181302 stays unmapped: a miss wherever it is gold)
GOLD_IDS: dict[tuple[str, str, int | None], int | None] = {
    ("120726", "We Were Soldiers", 2002): 1,
    ("115691", "The Patriot", 2000): 2,
    ("199385", "Black Hawk Down", 2002): 3,
    ("154857", "Speed", 1994): 4,
    ("88141", "Saving Private Ryan", 1998): 5,
    ("181609", "Safe Haven", 2013): 6,
    ("166817", "Speed 2: Cruise Control", 1997): 7,
    ("181302", "Windtalkers", 2002): None,
    ("190024", "Labyrinth", 1986): 10,
    ("175843", "The Lord of the Rings", None): 11,
    ("173253", "Stardust", 2007): 12,
    ("76940", "Harry Potter and the Goblet of Fire", 2005): 13,
}
#: 17527: 120726 at rank 1, 166817 at 2, 154857 at 3, 115691 at 20; 199385 and 181609 absent
RANKING_17527 = [1, 7, 4, *range(100, 116), 2, *range(200, 230)]
#: 3114: 173253 at rank 1, 175843 at 5; 190024 absent
RANKING_3114 = [12, 100, 101, 102, 11, *range(300, 345)]


@pytest.fixture(scope="module")
def dialogs() -> dict[str, Any]:
    return {d.dialog_id: d for d in load_redial(FIXTURE)}


def test_instances_follow_the_script(dialogs: dict[str, Any]) -> None:
    got = {
        dialog_id: [
            (i.message_index, [m.source_id for m in i.gold], list(i.earlier)) for i in iter_instances(dialog)
        ]
        for dialog_id, dialog in dialogs.items()
    }
    assert got == {
        "17527": [
            (4, ["120726"], [False]),
            (5, ["120726"], [True]),  # earlier by the recommender, in the same merged block
            (7, ["115691", "199385"], [False, False]),
            (8, ["154857", "181609"], [False, False]),
            (10, ["166817", "181302"], [True, False]),  # 166817 earlier by the seeker
        ],
        "3114": [
            (3, ["190024"], [False]),
            (7, ["175843"], [False]),
            (10, ["173253"], [True]),  # earlier by the seeker
            (11, ["175843"], [True]),  # earlier by the recommender, in another block
        ],
    }
    instances = [i for d in dialogs.values() for i in iter_instances(d)]
    dedup = [i for i in instances if i.fresh]
    assert (len(instances), sum(len(i.gold) for i in instances)) == (9, 12)
    assert (len(dedup), sum(len(i.fresh) for i in dedup)) == (6, 8)
    # the classic protocol on the same dialogs: merged turns, one sample per distinct movie
    samples = list(iter_samples(dialogs.values()))
    assert (len(samples), sum(not s.gold_in_context for s in samples)) == (11, 8)
    # the seeker's own form: liked == 1 / seen == 1 (initiatorQuestions)
    d = dialogs["17527"]
    assert d.form_liked == {"120726", "154857", "88141"}
    assert d.form_seen == {"166817", "115691", "199385", "154857", "120726"}


def _records(dialogs: dict[str, Any]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for dialog_id, ranking in (("17527", RANKING_17527), ("3114", RANKING_3114)):
        ev = _stub_evaluator([], ranking, GOLD_IDS)
        ev.standardized = True
        result = evaluate_dialog(ev, dialogs[dialog_id])
        records += result.instances
    return records


def test_standardized_metrics_by_hand(dialogs: dict[str, Any]) -> None:
    records = _records(dialogs)
    assert [(r["dialog_id"], r["message_index"]) for r in records] == [
        ("17527", 4),
        ("17527", 5),
        ("17527", 7),
        ("17527", 8),
        ("17527", 10),
        ("3114", 3),
        ("3114", 7),
        ("3114", 10),
        ("3114", 11),
    ]
    ranks = {(r["message_index"], g["source_id"]): g["ranks"]["agent"] for r in records for g in r["golds"]}
    assert ranks[(5, "120726")] == 1 and ranks[(7, "115691")] == 20 and ranks[(10, "181302")] is None
    rewards = {g["source_id"]: g["reward"] for r in records for g in r["golds"]}
    assert rewards["120726"] == 1.0 and rewards["115691"] == 0.5 and rewards["181609"] == 0.0

    full = standardized_metrics(records, "agent", "full")
    # hits over 12 mentions: @1 120726 twice + 173253; @10 adds 154857, 166817, 175843 twice; @50 adds 115691
    assert full["metrics"] == {
        "recall@1": 0.25,
        "recall@10": round(7 / 12, 4),
        "recall@50": round(8 / 12, 4),
        "sr": 1.0,  # 17527: liked 120726 at top 1; 3114: liked 173253 at top 1 (message 10)
        "rdl": round((2 / 13 + 1 / 12) / 2, 4),  # 2 liked in 13 messages, 1 liked in 12 messages
        "rdl_instances": 0.325,  # (2 liked / 5 instances + 1 liked / 4 instances) / 2
    }
    assert (full["n_instances"], full["n_mentions"], full["n_dialogs"]) == (9, 12, 2)
    dedup = standardized_metrics(records, "agent", "dedup")
    # 8 fresh mentions: @1 120726 (message 4); @10 adds 154857, 175843 (message 7); @50 adds 115691
    assert dedup["metrics"] == {
        "recall@1": 0.125,
        "recall@10": 0.375,
        "recall@50": 0.5,
        "sr": 0.5,  # 3114's only top-1 hit (173253) was mentioned earlier
        "rdl": round((1 / 13 + 0) / 2, 4),
        "rdl_instances": 0.125,  # (1 liked / 4 instances + 0) / 2
    }
    assert (dedup["n_instances"], dedup["n_mentions"], dedup["n_dialogs"]) == (6, 8, 2)
    for block in (full, dedup):
        for key, (lo, hi) in block["ci95"].items():
            assert lo <= block["metrics"][key] + 1e-9 and block["metrics"][key] <= hi + 1e-9, key
    # repeat_context ranks the context's movies, most recent first: message 11's 175843 (named in message 7)
    # is at rank 2 behind 173253; message 5's repeat is inside one merged block, so it misses
    assert ranks[(11, "175843")] == 5
    repeat = {
        (r["message_index"], g["source_id"]): g["ranks"]["repeat_context"]
        for r in records
        for g in r["golds"]
    }
    assert repeat[(11, "175843")] == 2 and repeat[(10, "166817")] == 1 and repeat[(5, "120726")] is None


def test_summary_and_report_carry_both_protocols(dialogs: dict[str, Any]) -> None:
    records = _records(dialogs)
    samples: list[dict[str, Any]] = []
    for dialog_id, ranking in (("17527", RANKING_17527), ("3114", RANKING_3114)):
        samples += evaluate_dialog(_stub_evaluator([], ranking, GOLD_IDS), dialogs[dialog_id]).samples
    dialog_recs = [{"dialog_id": d, "latencies_ms": [1.0], "shown": 2, "ungrounded": 0} for d in dialogs]
    summary, details = summarize(
        samples,
        dialog_recs,
        dataset="redial",
        split="dev",
        catalog_size=1000,
        llm="offline",
        instances=records,
    )
    assert summary["protocol"] == "standardized"
    std = summary["standardized"]
    assert std["full"]["recall@1"] == 0.25 and std["dedup"]["sr"] == 0.5
    assert std["n_instances"] == {"full": 9, "dedup": 6}
    assert set(std["baselines"]) == set(BASELINES)
    # classic on the same rankings: 11 samples (merged turns; 120726 once), 8 dedup
    assert summary["n_samples"] == 11 and details["counts"]["n_samples_dedup"] == 8
    assert summary["full"]["recall@1"] == round(2 / 11, 4)  # 120726 (17527) and 173253 (3114)
    report = render_report(summary, details)
    assert "## Standardized protocol (Kostric & Balog, SIGIR '26)" in report
    assert "CIs over dialogues" in report
    assert "| ReFICR | standardized (published) | 0.049 | 0.270 | 0.507 | 0.018 | 0.213 | 0.465 |" in report
    assert (
        "| **ours** | standardized | 0.250 | 0.583 | 0.667 | 0.125 | 0.375 | 0.500 | 1.000 | 0.119 | 0.325 |"
        in report
    )
    classic, _ = summarize(
        samples, dialog_recs, dataset="redial", split="dev", catalog_size=1000, llm="offline"
    )
    assert classic["protocol"] == "classic" and "standardized" not in classic


def test_published_table_is_complete() -> None:
    assert list(PUBLISHED) == ["KBRD", "KGSF", "UniCRS", "ECR", "MESE", "PECRS", "ReFICR", "naive repeat"]
    assert PUBLISHED["UniCRS"]["dedup"]["recall@10"] == 0.180
    assert PUBLISHED["naive repeat"]["dedup"] == {
        "recall@1": 0.0,
        "recall@10": 0.0,
        "recall@50": 0.0,
        "sr": 0.0,
        "rdl": 0.0,
    }


def test_summarize_standardized_empty() -> None:
    summary, details = summarize_standardized([], ("agent",))
    assert summary["full"] == {
        "recall@1": 0.0,
        "recall@10": 0.0,
        "recall@50": 0.0,
        "sr": 0.0,
        "rdl": 0.0,
        "rdl_instances": 0.0,
    }
    assert details["agent"]["dedup"]["ci95"]["recall@1"] == [0.0, 0.0]
