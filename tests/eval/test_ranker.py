"""The learned ranker's training folds (eval/ranker_data.py) and its committed record (data/ranker.json)."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import pytest

from eval.ranker_data import build_folds
from eval.ranker_train import ABLATION, GRID
from eval.tune import objective
from tools.learned_ranker import FEATURES, MODEL_FILE, RECORD_FILE, LearnedRanker

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
#: (seeker, recommender) of the synthetic REDIAL train dialogs: three pairs that talk among themselves, a bridge
PAIRS = [("a", "b"), ("b", "a"), ("a", "b"), ("c", "d"), ("d", "c"), ("e", "f"), ("f", "e"), ("a", "c")]


def _shared(tmp_path: Path) -> Path:
    shared = tmp_path / "shared"
    (shared / "redial" / "ievalm").mkdir(parents=True)
    (shared / "inspired" / "unicrs").mkdir(parents=True)
    template = json.loads(
        (FIXTURES / "redial_train_excerpt.jsonl").read_text(encoding="utf-8").splitlines()[0]
    )
    lines = []
    for n, (seeker, recommender) in enumerate(PAIRS):
        record = json.loads(json.dumps(template))
        record.update(conversationId=str(1000 + n), initiatorWorkerId=seeker, respondentWorkerId=recommender)
        record["messages"][0]["text"] = f"dialog {n}: {record['messages'][0]['text']}"
        lines.append(json.dumps(record))
    (shared / "redial" / "train_data_partial.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (shared / "redial" / "ievalm" / "valid_data.jsonl").write_text("", encoding="utf-8")
    shutil.copyfile(
        FIXTURES / "inspired_unicrs_train_excerpt.jsonl", shared / "inspired/unicrs/train_data_dbpedia.jsonl"
    )
    return shared


def test_folds_share_no_worker_and_are_reproducible(tmp_path: Path) -> None:
    shared, packaged = _shared(tmp_path), tmp_path / "packaged"
    packaged.mkdir()
    for name in ("catalog.jsonl.gz", "interactions.csv.gz"):
        shutil.copyfile(REPO / "data" / name, packaged / name)
    work = tmp_path / "work"
    assert (
        build_folds(shared, work, 3, fold_dialogs=2, dev_dialogs=2, only=set(), packaged_data=packaged) == []
    )
    folds = [json.loads((work / f"fold{k}" / "fold.json").read_text(encoding="utf-8")) for k in range(3)]
    workers = [set(f["workers"]) for f in folds]
    assert all(workers) and not (
        workers[0] & workers[1] or workers[0] & workers[2] or workers[1] & workers[2]
    )
    for fold, held in zip(folds, workers, strict=True):  # a fold's dialogs are between its own workers only
        pairs = {PAIRS[int(i) - 1000] for i in fold["ids"]}
        assert pairs and all(s in held and r in held for s, r in pairs)
    assert "1007" not in {i for f in folds for i in f["ids"]}  # the bridging dialog pairs two folds' workers
    shutil.rmtree(work / "fold1")
    build_folds(shared, work, 3, fold_dialogs=2, dev_dialogs=2, only=set(), packaged_data=packaged)
    again = json.loads((work / "fold1" / "fold.json").read_text(encoding="utf-8"))
    assert again == folds[1]


# ------------------------------------------------------------------------ the committed record

RECORD = json.loads((REPO / "data" / RECORD_FILE).read_text(encoding="utf-8"))


def test_the_shipped_model_is_the_one_its_record_describes() -> None:
    assert RECORD["command"].startswith("python -m eval.ranker_train ")
    assert RECORD["features"] == list(FEATURES)
    ranker = LearnedRanker.load([REPO / "data"])
    assert ranker is not None and ranker.depth == RECORD["depth"]
    assert ranker.booster.num_feature() == len(FEATURES)
    assert ranker.booster.num_trees() == RECORD["params"]["rounds"]
    assert (REPO / "data" / MODEL_FILE).stat().st_size < 1_000_000


def test_the_grid_choice_and_the_profile_that_uses_it() -> None:
    assert RECORD["grid"] == json.loads(json.dumps(GRID))
    tried = RECORD["tried"]
    assert len(tried) == math.prod(len(values) for values in GRID.values())
    best = max(tried, key=objective)
    assert {k: RECORD["params"][k] for k in GRID} == best["params"]
    learned, fused = RECORD["dev"]["learned"], RECORD["dev"]["fused"]
    assert learned == {k: v for k, v in best.items() if k != "params"}
    assert objective(learned) > objective(fused)  # turned on because it beat the fused ranking on dev
    settings = [row["setting"] for row in RECORD["ablation"]]
    assert settings[:2] == ["fused ranking (no model)", "learned, every feature"]
    assert settings[2:] == [f"without {name}" for name in ABLATION]
    weights = json.loads((REPO / "data" / "fusion_weights.json").read_text(encoding="utf-8"))
    on = {
        name
        for name, profile in weights.items()
        if isinstance(profile, dict) and profile.get("learned_ranker")
    }
    assert on == {RECORD["profile"]}  # the features are computed under that profile's weights


def test_the_folds_are_worker_disjoint_train_dialogs() -> None:
    folds = RECORD["folds"]
    assert folds[0]["fold"] == 0 and len(folds) >= 2
    workers = [set(f["workers"]) for f in folds]
    ids = [set(f["dialog_ids"]) for f in folds]
    for j in range(len(folds)):
        assert len(ids[j]) == folds[j]["dialogs"] > 0
        for k in range(j):
            assert not workers[j] & workers[k] and not ids[j] & ids[k]
    root = Path(os.environ.get("CRSAGENT_SHARED_DATA", REPO.parent / "shared" / "data"))
    if not (root / "redial" / "test_data.jsonl").is_file():
        pytest.skip("needs ../shared/data (REDIAL test and train files); absent in a user's clone")

    def conversation_ids(rel: str) -> set[str]:
        with open(root / rel, encoding="utf-8") as fh:
            return {str(json.loads(line).get("conversationId")) for line in fh if line.strip()}

    train = conversation_ids("redial/train_data_partial.jsonl") | conversation_ids(
        "redial/ievalm/valid_data.jsonl"
    )
    test = conversation_ids("redial/test_data.jsonl")
    every = set().union(*ids)
    assert every <= train and not every & test
