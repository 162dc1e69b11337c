"""The worker-disjoint REDIAL dev split of the tuning script."""

from __future__ import annotations

from eval.tune import worker_holdout

#: two groups of workers that talk among themselves, bridged by one dialog (a, c)
PAIRS = [("a", "b"), ("b", "a"), ("a", "b"), ("c", "d"), ("d", "e"), ("e", "c"), ("d", "c"), ("a", "c")]


def _split(workers: set[str]) -> tuple[int, int]:
    inside = sum(x in workers and y in workers for x, y in PAIRS)
    mixed = sum((x in workers) != (y in workers) for x, y in PAIRS)
    return inside, mixed


def test_holds_out_a_group_that_talks_among_itself() -> None:
    workers = worker_holdout(PAIRS, target=3)
    assert workers == {"c", "d", "e"}
    assert _split(workers) == (4, 1)  # only the bridging dialog is lost to both sides


def test_grows_until_the_target_and_is_deterministic() -> None:
    assert _split(worker_holdout(PAIRS, target=5))[0] >= 5
    assert worker_holdout(list(reversed(PAIRS)), target=5) == worker_holdout(PAIRS, target=5)
    assert worker_holdout(PAIRS, target=100) == {"a", "b", "c", "d", "e"}  # never loops past every worker
