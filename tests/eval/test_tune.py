"""The tuning script (eval/tune.py): its worker-disjoint REDIAL dev split, and the committed record of the
tuning (data/fusion_tuning.json): the shipped weights are its choice, and only train/dev splits are named."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from eval.recommenders_dev import hash_bucket
from eval.tune import (
    DEV_BUCKET,
    DEV_SOURCES,
    GRID,
    INSPIRED_BUCKETS,
    DevSetup,
    audit_record,
    objective,
    worker_holdout,
    write_audit,
)
from tools.ranking import FusionWeights

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


# ------------------------------------------------------------------------ the committed tuning record

REPO = Path(__file__).resolve().parents[2]
RECORD = REPO / "data" / "fusion_tuning.json"
WEIGHTS = REPO / "data" / "fusion_weights.json"
#: a file name of a test split (``test_data.jsonl``, ``test.tsv``, ``.../test/...``)
TEST_SPLIT = re.compile(r"(^|[/_])test")


def _shared() -> Path:
    root = Path(os.environ.get("CRSAGENT_SHARED_DATA", REPO.parent / "shared" / "data"))
    if not (root / "redial" / "test_data.jsonl").is_file():
        pytest.skip("needs ../shared/data (REDIAL test and train files); absent in a user's clone")
    return root


def test_tuning_record_chose_the_shipped_weights() -> None:
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    weights = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    assert record["command"].startswith("python -m eval.tune ") and "--audit" in record["command"]
    assert record["grid"] == json.loads(json.dumps(GRID))
    assert set(record["datasets"]) == {"redial", "inspired"}
    for dataset, res in record["datasets"].items():
        shipped = {
            k: v for k, v in weights[dataset].items() if k != "learned_ranker"
        }  # see test_ranker_record
        assert res["chosen"] == shipped, dataset  # the shipped profile is the tuner's choice
        tried = res["tried"]
        keys = [json.dumps(t["weights"], sort_keys=True) for t in tried]
        assert keys == sorted(set(keys))  # every setting once, in a stable order
        recorded = set(
            tried[0]["weights"]
        )  # fields added to FusionWeights after the record keep their defaults
        chosen = {
            k: v for k, v in FusionWeights.model_validate(res["chosen"]).model_dump().items() if k in recorded
        }
        rows = [t for t in tried if t["weights"] == chosen]
        assert len(rows) == 1 and rows[0]["metrics"] == res["chosen_metrics"]
        assert rows[0]["objective"] == max(t["objective"] for t in tried)
        for row in tried:
            assert row["objective"] == round(objective(row["metrics"]), 4)


def test_tuning_record_names_only_train_and_dev_splits() -> None:
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    assert not TEST_SPLIT.search(record["command"])
    for dataset, res in record["datasets"].items():
        files = res["dev_split"]["carved_from_train_files"]
        assert files == list(DEV_SOURCES[dataset])
        assert not [f for f in files if TEST_SPLIT.search(f)]
        assert "test" not in res["dev_split"]["description"].replace("untouched", "")
    for files in DEV_SOURCES.values():  # the tuner's own constants: train files only
        assert all("train" in f or f == "redial/ievalm/valid_data.jsonl" for f in files)


@pytest.mark.shared_data
def test_tuning_dev_dialogs_are_train_dialogs() -> None:
    root = _shared()
    record = json.loads(RECORD.read_text(encoding="utf-8"))

    def ids(rel: str) -> set[str]:
        with open(root / rel, encoding="utf-8") as fh:
            return {str(json.loads(line).get("conversationId")) for line in fh if line.strip()}

    redial = record["datasets"]["redial"]["dev_split"]
    dev_ids = set(redial["dialog_ids"])
    assert len(dev_ids) == redial["n_dialogs"] > 0
    assert not dev_ids & ids("redial/test_data.jsonl")
    assert dev_ids <= ids("redial/train_data_partial.jsonl") | ids("redial/ievalm/valid_data.jsonl")
    inspired = record["datasets"]["inspired"]["dev_split"]
    with open(root / "inspired/unicrs/train_data_dbpedia.jsonl", encoding="utf-8") as fh:
        n_train = sum(1 for _ in fh)
    lines = inspired["train_file_lines"]
    assert len(lines) == inspired["n_dialogs"] > 0 and min(lines) >= 1 and max(lines) <= n_train
    assert all(hash_bucket(f"inspired:{n}", INSPIRED_BUCKETS) == DEV_BUCKET for n in lines)


def test_audit_record_is_deterministic(tmp_path: Path) -> None:
    setup = DevSetup(tmp_path, tmp_path, tmp_path, 2, 1, 5, redial_ids=["12", "345"], inspired_lines=[7])
    start = FusionWeights().model_dump()
    other = FusionWeights(semantic=0.25).model_dump()
    m1 = {"full_r@1": 0.1, "full_r@10": 0.2, "full_r@50": 0.3, "dedup_r@10": 0.2}
    m2 = {"full_r@1": 0.1, "full_r@10": 0.3, "full_r@50": 0.3, "dedup_r@10": 0.2}
    trail = [{"weights": start, **m1}, {"weights": other, **m2}, {"weights": start, **m1}]
    res: dict[str, Any] = {
        "set": "REDIAL train dialogs of held-out workers",
        "n_dialogs": 2,
        "n_samples": 9,
        "start": start,
        "best": {"semantic": 0.25},
        "best_metrics": m2,
        "trail": trail,
    }
    paths = [tmp_path / "a.json", tmp_path / "b.json"]
    write_audit(paths[0], audit_record("python -m eval.tune --audit x", {}, setup, {"redial": res}, GRID))
    res["trail"] = trail[::-1]
    write_audit(paths[1], audit_record("python -m eval.tune --audit x", {}, setup, {"redial": res}, GRID))
    assert paths[0].read_bytes() == paths[1].read_bytes()
    tried = json.loads(paths[0].read_text())["datasets"]["redial"]["tried"]
    assert len(tried) == 2 and [t["objective"] for t in tried] == [0.65, 0.55]  # semantic 0.25 sorts first
    assert json.loads(paths[0].read_text())["datasets"]["redial"]["dev_split"]["dialog_ids"] == ["12", "345"]
