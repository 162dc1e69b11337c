"""The offline evaluation protocol (eval/offline.py, eval/evaluator.py, eval/gold.py), its outputs, resumability and the ``eval`` command.

Unit tests drive the protocol with a recording stub service (no models); integration tests use the real
built home (tests/conftest.py) on the tiny real-format fixtures; one end-to-end test runs the command (in this
process, typer's CliRunner) on three REDIAL dialogs from ../shared/data.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from eval.datasets import load_inspired_tsv, load_redial
from eval.evaluator import BASELINES, DialogEvaluator, evaluate_dialog
from eval.gold import EvalError, GoldMapper, dataset_universe, split_path
from eval.metrics import METRIC_KEYS
from eval.offline import EvalOptions, _prepare_out, run_eval, summarize
from tools.ranking import FusionWeights
from ui.cli.main import app

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REDIAL_TRAIN = FIXTURES / "redial_train_excerpt.jsonl"
REDIAL_IEVALM = FIXTURES / "redial_ievalm_excerpt.jsonl"
INSPIRED_TSV = FIXTURES / "inspired_dev_excerpt.tsv"
REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("CRSAGENT_SHARED_DATA", REPO.parent / "shared" / "data"))

SUMMARY_KEYS = {
    "dataset",
    "split",
    "protocol",
    "n_dialogs",
    "n_samples",
    "catalog_size",
    "unmapped_gold_rate",
    "full",
    "dedup",
    "baselines",
    "ungrounded_rate",
    "latency_ms",
    "llm",
}


def _check_summary(summary: dict[str, Any]) -> None:
    assert set(summary) == SUMMARY_KEYS
    for block in (summary["full"], summary["dedup"], *summary["baselines"].values()):
        assert set(block) == set(METRIC_KEYS)
        assert all(0.0 <= v <= 1.0 for v in block.values())
        assert block["recall@1"] <= block["recall@10"] <= block["recall@50"]
    assert set(summary["baselines"]) == set(BASELINES)
    assert set(summary["latency_ms"]) == {"p50", "p95"}
    assert summary["latency_ms"]["p50"] <= summary["latency_ms"]["p95"]
    assert 0.0 <= summary["unmapped_gold_rate"] <= 1.0
    assert summary["ungrounded_rate"] == 0.0


# --------------------------------------------------------------------------------- a recording stub service


class _StubService:
    """Records every run_turn call; a user turn ranks ``ranking`` and shows its first two items."""

    def __init__(self, ranking: list[int]) -> None:
        self.calls: list[dict[str, Any]] = []
        self.ranking = ranking
        self.toolkit = SimpleNamespace(catalog={i: None for i in range(1000)})
        self.context = SimpleNamespace(
            popularity={i: 1.0 / (1 + i) for i in range(1000)}, recommenders={}, weights=FusionWeights()
        )

    def run_turn(self, state: Any, message: str, *, role: str = "user", universe: Any = None) -> Any:
        state = dict(state or {})
        self.calls.append({"message": message, "role": role, "universe": universe, "state_in": state})
        if role == "assistant":
            return {
                **state,
                "history": [*state.get("history", []), {"role": "assistant", "content": message}],
            }, None
        new = {
            **state,
            "shown": [{"id": self.ranking[0]}],
            "shown_ever": [self.ranking[0]],
            "history": [
                *state.get("history", []),
                {"role": "user", "content": message},
                {"role": "assistant", "content": "reply"},
            ],
        }
        result = SimpleNamespace(
            ranking=list(self.ranking),
            latency_ms=12.5,
            llm_calls=0,
            fallbacks=0,
            items=[{"id": self.ranking[0]}, {"id": self.ranking[1]}],
        )
        return new, result


def _stub_evaluator(dialogs: list[Any], ranking: list[int], gold_ids: dict[Any, Any]) -> DialogEvaluator:
    stub = _StubService(ranking)
    return DialogEvaluator(None, "redial", list(range(1000)), gold_ids, runner=stub)  # type: ignore[arg-type]


def test_protocol_feeds_turns_in_order_and_resets_shown() -> None:
    dialog = load_redial(REDIAL_TRAIN)[1]  # 14479: R S R S R S R S
    keys = {
        ("83552", "Jumanji", 2017): 5,
        ("114341", "Baywatch", 2017): 7,
        ("138881", "Tooth Fairy", 2004): 900,
        ("194001", "Walking Tall", 2004): 3,
        ("108273", "The Game Plan", 2007): None,
    }
    ev = _stub_evaluator([dialog], [7, 3, 1, 2] + list(range(10, 60)), keys)
    result = evaluate_dialog(ev, dialog)
    stub: _StubService = ev.runner  # type: ignore[assignment]
    assert [c["role"] for c in stub.calls] == ["assistant", "user"] * 4
    assert [c["message"] for c in stub.calls] == [u.text for u in dialog.utterances]
    assert all(c["universe"] == list(range(1000)) for c in stub.calls if c["role"] == "user")
    for call in stub.calls[1:]:  # what the agent showed is never carried into the next turn
        assert call["state_in"].get("shown", []) == [] and call["state_in"].get("shown_ever", []) == []
        assert all(h["content"] != "reply" for h in call["state_in"].get("history", []))
    # turn 2: Baywatch, Tooth Fairy; turn 4: Walking Tall (mentioned by the seeker before), The Game Plan
    got = [
        (s["turn_index"], s["gold"]["title"], s["gold_id"], s["gold_in_context"], s["ranks"]["agent"])
        for s in result.samples
    ]
    assert got == [
        (2, "Baywatch", 7, False, 1),
        (2, "Tooth Fairy", 900, False, None),
        (4, "Walking Tall", 3, True, 2),
        (4, "The Game Plan", None, False, None),  # unmapped: kept, a miss
    ]
    assert result.user_turns == 4 and result.latencies_ms == [12.5, 12.5]
    assert result.shown == 8 and result.ungrounded == 0
    # baselines on the same samples: the context before turn 4 is Jumanji, Baywatch, Tooth Fairy, Walking Tall
    assert result.samples[2]["ranks"]["repeat_context"] == 1  # Walking Tall, the most recent mention
    assert result.samples[0]["ranks"]["repeat_context"] is None
    assert result.samples[0]["ranks"]["popularity"] == 8  # popularity ranks ids 0, 1, 2, ... here
    assert result.samples[2]["ranks"]["popularity"] == 4


def test_summarize_schema_and_dedup() -> None:
    samples = [
        {
            "dialog_id": "a",
            "gold_id": 1,
            "in_universe": True,
            "gold_in_context": False,
            "ranks": {"agent": 1, "popularity": None, "repeat_context": None, "cf_only": 20},
        },
        {
            "dialog_id": "a",
            "gold_id": 2,
            "in_universe": True,
            "gold_in_context": True,
            "ranks": {"agent": 12, "popularity": 3, "repeat_context": 1, "cf_only": None},
        },
        {
            "dialog_id": "b",
            "gold_id": None,
            "in_universe": False,
            "gold_in_context": False,
            "ranks": {"agent": None, "popularity": None, "repeat_context": None, "cf_only": None},
        },
    ]
    dialogs = [
        {"dialog_id": "a", "latencies_ms": [10.0, 30.0], "shown": 10, "ungrounded": 0},
        {"dialog_id": "b", "latencies_ms": [20.0], "shown": 5, "ungrounded": 0},
    ]
    summary, details = summarize(
        samples, dialogs, dataset="redial", split="dev", catalog_size=6924, llm="offline"
    )
    _check_summary(summary)
    assert summary["n_samples"] == 3 and summary["n_dialogs"] == 2 and summary["catalog_size"] == 6924
    assert summary["unmapped_gold_rate"] == pytest.approx(0.3333, abs=1e-4)
    assert summary["full"]["recall@1"] == pytest.approx(1 / 3, abs=1e-4)
    assert summary["full"]["recall@50"] == pytest.approx(2 / 3, abs=1e-4)
    assert summary["full"]["mrr@50"] == pytest.approx((1 + 1 / 12) / 3, abs=1e-4)
    assert summary["dedup"]["recall@1"] == 0.5 and summary["dedup"]["recall@10"] == 0.5
    assert summary["baselines"]["repeat_context"]["recall@1"] == pytest.approx(1 / 3, abs=1e-4)
    assert summary["latency_ms"] == {"p50": 20.0, "p95": 29.0}
    assert details["counts"]["n_samples_dedup"] == 2
    assert details["agent"]["full"]["recall_curve"][0] == pytest.approx(1 / 3, abs=1e-4)
    assert len(details["agent"]["full"]["recall_curve"]) == 50


def test_split_path_errors(tmp_path: Path) -> None:
    (tmp_path / "dev_data.jsonl").write_text("", encoding="utf-8")
    assert split_path("redial", tmp_path, "dev") == tmp_path / "dev_data.jsonl"
    with pytest.raises(EvalError, match="unknown split 'test'.*available: dev"):
        split_path("redial", tmp_path, "test")
    with pytest.raises(EvalError, match="data dir .* not found"):
        split_path("redial", tmp_path / "missing", "dev")
    with pytest.raises(EvalError, match="unknown dataset"):
        split_path("movielens", tmp_path, "dev")


def test_prepare_out_refuses_a_different_run(tmp_path: Path) -> None:
    assert _prepare_out(tmp_path, {"dataset": "redial", "split": "dev"}, fresh=False) == set()
    (tmp_path / "dialogs.jsonl").write_text(json.dumps({"dialog_id": "x"}) + "\n", encoding="utf-8")
    (tmp_path / "samples.jsonl").write_text(
        json.dumps({"dialog_id": "x"}) + "\n" + json.dumps({"dialog_id": "torn"}) + '\n{"dialog_',
        encoding="utf-8",
    )
    assert _prepare_out(tmp_path, {"dataset": "redial", "split": "dev"}, fresh=False) == {"x"}
    kept = (tmp_path / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["dialog_id"] for line in kept] == ["x"]  # unfinished dialogs' samples dropped
    with pytest.raises(EvalError, match="differs in: split"):
        _prepare_out(tmp_path, {"dataset": "redial", "split": "test"}, fresh=False)
    assert _prepare_out(tmp_path, {"dataset": "redial", "split": "test"}, fresh=True) == set()


def test_cli_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["eval", "redial", "--data-dir", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "data dir" in result.output and "not found" in result.output
    (tmp_path / "test_data.jsonl").write_text("", encoding="utf-8")
    result = runner.invoke(app, ["eval", "redial", "--data-dir", str(tmp_path), "--split", "validation"])
    assert result.exit_code == 2 and "unknown split 'validation'" in result.output
    result = runner.invoke(app, ["eval", "movielens", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "unknown dataset" in result.output
    result = runner.invoke(app, ["eval", "redial", "--data-dir", str(tmp_path), "--workers", "0"])
    assert result.exit_code == 2 and "--workers" in result.output


# ------------------------------------------------------------------------------- with the real built home


@pytest.fixture(scope="module")
def redial_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A REDIAL data dir whose ``train`` split is the two official-format fixture dialogs + the iEvaLM one."""
    d = tmp_path_factory.mktemp("redial-fixture")
    text = REDIAL_TRAIN.read_text(encoding="utf-8") + REDIAL_IEVALM.read_text(encoding="utf-8")
    (d / "train_data.jsonl").write_text(text, encoding="utf-8")
    return d


def test_gold_mapping_and_universe(service: Any, redial_dir: Path) -> None:
    catalog = service.toolkit.catalog
    mapper = GoldMapper(catalog, service.context.grounder)
    dialogs = load_redial(redial_dir / "train_data.jsonl")
    universe = dataset_universe("redial", catalog, mapper, redial_dir, dialogs)
    assert len(universe) == sum(1 for it in catalog.items.values() if it.redial_id is not None) == 6924
    for dialog in dialogs:
        for utt in dialog.utterances:
            for ref in utt.movies:  # REDIAL golds map by the REDIAL movie id
                item = catalog.get(mapper.map(ref))
                assert item is not None and item.redial_id == int(ref.source_id)
    inspired = load_inspired_tsv(INSPIRED_TSV)
    mapped = {ref.label: mapper.map(ref) for d in inspired for u in d.utterances for ref in u.movies}
    assert mapped and all(v is not None for v in mapped.values())
    interstellar = catalog.get(mapped["Interstellar (2014)"])
    assert interstellar is not None and (interstellar.title, interstellar.year) == ("Interstellar", 2014)
    amadeus = catalog.get(mapped["Amadeus (1984)"])
    assert amadeus is not None and (amadeus.title, amadeus.year) == ("Amadeus", 1984)
    inspired_universe = dataset_universe("inspired", catalog, mapper, FIXTURES, inspired)
    assert set(inspired_universe) == set(mapped.values())


def test_run_eval_on_fixture_then_resume(
    service: Any, settings: Any, redial_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    opts = EvalOptions(
        dataset="redial",
        data_dir=redial_dir,
        split="train",
        out=out,
        progress=False,
        weights_profile="redial",
    )
    seen: list[str] = []
    summary = run_eval(opts, settings, runner=service.runner, on_dialog=lambda r: seen.append(r.dialog_id))
    _check_summary(summary)
    assert seen == ["6556", "14479", "16162"]
    # hand-checked: 6556 turn 4 gives 4 samples; 14479 turns 2 and 4 give 2 + 2 (Walking Tall repeated);
    # 16162 turns 2 and 4 give 2 + 2. Jumanji opens 14479 without context: no sample.
    assert summary["n_dialogs"] == 3 and summary["n_samples"] == 12 and summary["unmapped_gold_rate"] == 0.0
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(samples) == 12 and sum(s["gold_in_context"] for s in samples) == 1
    assert all(len(s["top10"]) == 10 for s in samples)
    assert summary["catalog_size"] == 6924
    for name in ("summary.json", "details.json", "report.md", "recall_at_k.png", "baselines.png", "run.json"):
        assert (out / name).is_file(), name
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "ReFICR" in report and "count as misses" in report and "dedup" in report
    # resume: a second run finds every dialog done and evaluates nothing
    seen.clear()
    again = run_eval(opts, settings, runner=service.runner, on_dialog=lambda r: seen.append(r.dialog_id))
    assert seen == [] and again == summary
    assert len((out / "samples.jsonl").read_text(encoding="utf-8").splitlines()) == 12


def test_run_eval_inspired_fixture(service: Any, settings: Any, tmp_path: Path) -> None:
    data = tmp_path / "inspired"
    data.mkdir()
    shutil.copyfile(
        INSPIRED_TSV, data / "dev.tsv"
    )  # no unicrs/ train file here: universe = the split's movies
    opts = EvalOptions(
        dataset="inspired",
        data_dir=data,
        split="dev",
        out=tmp_path / "out",
        progress=False,
        whole_catalog=True,
    )
    summary = run_eval(opts, settings, runner=service.runner)
    _check_summary(summary)
    # hand-checked: Pokemon, Pokemon again (in context), Despicable Me 2; Amadeus, Interstellar,
    # The Original + Dune, Interstellar again (in context)
    assert summary["n_dialogs"] == 2 and summary["n_samples"] == 8
    samples = [
        json.loads(line)
        for line in (tmp_path / "out" / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert sum(s["gold_in_context"] for s in samples) == 2
    assert summary["catalog_size"] == len({s["gold_id"] for s in samples if s["gold_id"] is not None})
    assert all(s["in_universe"] for s in samples if s["gold_id"] is not None)
    # --whole-catalog: a second ranking per predicting turn over every catalog item, reported in report.md
    assert all("agent_whole" in s["ranks"] for s in samples)
    details = json.loads((tmp_path / "out" / "details.json").read_text(encoding="utf-8"))
    whole = details["whole_catalog"]["full"]["metrics"]
    assert set(whole) == set(METRIC_KEYS) and whole["recall@10"] <= whole["recall@50"]
    assert "ours, full, whole catalog" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


@pytest.mark.shared_data
def test_eval_command_end_to_end(built_home: Path, tmp_path: Path) -> None:
    if not (SHARED_DATA / "redial" / "test_data.jsonl").is_file():
        pytest.skip("needs ../shared/data")
    out = tmp_path / "e2e"
    env = {
        "CRSAGENT_HOME": str(built_home),
        "CRSAGENT_LLM": "offline",
        "HF_HUB_OFFLINE": "1",
        "DATABASE_URL": None,
        "CHROMA_URL": None,
    }
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "redial",
            "--data-dir",
            str(SHARED_DATA / "redial"),
            "--split",
            "test",
            "--limit",
            "3",
            "--out",
            str(out),
            "--json",
        ],
        env=env,
    )
    assert result.exit_code == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary == json.loads((out / "summary.json").read_text(encoding="utf-8"))
    _check_summary(summary)
    assert summary["dataset"] == "redial" and summary["split"] == "test" and summary["n_dialogs"] == 3
    assert summary["n_samples"] > 0 and summary["catalog_size"] == 6924 and summary["llm"] == "offline"
    assert summary["latency_ms"]["p50"] > 0
    shutil.rmtree(out)
