"""Simulated users (eval/simulators.py, eval/simulate.py) and the ``simulate`` command.

Unit tests use catalog items read straight from the shipped ``data/catalog.jsonl.gz`` (no database) and stub
services; one integration test runs the attribute simulator end to end on five REDIAL test targets through
the real agent; one runs the LLM simulator on two dialogues against the local test LLM server.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from eval.datasets import Dialog, MovieRef, Utterance
from eval.simulate import (
    SUMMARY_KEYS,
    SimError,
    SimOptions,
    Target,
    build_targets,
    run_simulation,
    simulate_dialogue,
    summarize,
)
from eval.simulators import (
    AttributeSimulator,
    LeakFilter,
    LLMSimulator,
    TargetProfile,
    split_sentences,
)
from tools.catalog import Item
from tools.settings import PACKAGED_DATA_DIR

SUMMARY_SCHEMA = {*SUMMARY_KEYS, "latency_ms"}


@pytest.fixture(scope="module")
def catalog_items() -> list[Item]:
    """Every item of the shipped catalog (read from the data file, no database)."""
    with gzip.open(PACKAGED_DATA_DIR / "catalog.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [Item.from_record(json.loads(line)) for line in fh if line.strip()]


def _shown(item: Item) -> dict[str, Any]:
    return {"id": item.id, "title": item.title, "year": item.year, "genres": list(item.genres)}


def _check_summary(summary: dict[str, Any]) -> None:
    assert set(summary) == SUMMARY_SCHEMA
    for key in ("success_rate", "first_turn_success_rate", "recall@50_final", "leak_rate", "ungrounded_rate"):
        assert 0.0 <= summary[key] <= 1.0, key
    assert summary["first_turn_success_rate"] <= summary["success_rate"]
    assert set(summary["latency_ms"]) == {"p50", "p95"}
    assert summary["latency_ms"]["p50"] <= summary["latency_ms"]["p95"]


# ------------------------------------------------------------------------------------------- leak filter


def test_leak_filter_basics() -> None:
    flt = LeakFilter("The Matrix", 1999)
    assert flt.leaks("I want something like the matrix please")
    assert flt.leaks("Maybe The Matrx (1999)?")  # fuzzy
    assert not flt.leaks("I like sci-fi from the 90s.")
    assert not flt.leaks("Yes!")  # a sentence shorter than the title is compared whole, not partially
    text, n, leaked = flt.apply("I love sci-fi. Something like The Matrix. With Keanu Reeves!")
    assert (n, leaked) == (3, 1) and "Matrix" not in text
    short = LeakFilter("Up", 2009)
    assert short.leaks("I loved Up so much") and not short.leaks("Something upbeat, please.")


@settings(max_examples=60, deadline=None)
@given(
    title=st.sampled_from(
        ["The Matrix", "Up", "Heat", "Avengers: Infinity War", "Crazy, Stupid, Love.", "Se7en"]
    ),
    prefix=st.text(alphabet="abcdefghij klmnop", max_size=25),
    suffix=st.text(alphabet="qrstuvwxyz ", max_size=25),
)
def test_leak_filter_removes_any_sentence_naming_the_title(title: str, prefix: str, suffix: str) -> None:
    flt = LeakFilter(title, 2000)
    text, _, leaked = flt.apply(f"I like dramas. {prefix} {title} {suffix}")
    assert leaked >= 1
    assert not any(flt.leaks(s) for s in split_sentences(text))


# ------------------------------------------------------------------------------- the attribute simulator


def test_attribute_simulator_never_leaks_over_200_targets(catalog_items: list[Item]) -> None:
    rng = random.Random(7)
    targets = rng.sample(catalog_items, 200)
    # titles most likely to collide with generated text: short or common-word ones
    targets += [it for it in catalog_items if len(it.title) <= 4][:40]
    total_sentences = 0
    for item in targets:
        profile = TargetProfile.from_item(item)
        seed = f"Hi! I loved {item.title} ({item.year}). Something like {item.title} please."
        sim = AttributeSimulator(profile, seed, seed=3)
        flt = LeakFilter(item.title, item.year)
        outputs = [sim.opening()]
        for _ in range(6):
            shown = [_shown(other) for other in rng.sample(catalog_items, 5) if other.id != item.id]
            outputs.append(sim.respond(shown, "Here are some picks"))
        outputs.append(sim.respond([_shown(catalog_items[0]), _shown(item)], ""))
        assert outputs[-1].accept
        for turn in outputs:
            sentences = split_sentences(turn.text)
            total_sentences += len(sentences)
            assert not [s for s in sentences if flt.leaks(s)], (item.title, turn.text)
            assert item.title.lower() not in turn.text.lower() or len(item.title) <= 4, (
                item.title,
                turn.text,
            )
    assert total_sentences > 1000


def test_attribute_simulator_is_deterministic_and_seed_varies_phrasing(catalog_items: list[Item]) -> None:
    items = [it for it in catalog_items if it.directors and it.stars and len(it.genres) >= 2][:30]
    others = [_shown(it) for it in catalog_items[1000:1005]]

    def run(seed: int) -> list[str]:
        texts = []
        for item in items:
            sim = AttributeSimulator(TargetProfile.from_item(item), "", seed=seed)
            texts += [sim.opening().text, sim.respond(others).text, sim.respond(others).text]
        return texts

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_attribute_simulator_accepts_by_position_and_rejects_with_reasons(catalog_items: list[Item]) -> None:
    target = next(
        it
        for it in catalog_items
        if it.year and 1990 <= it.year < 2000 and "horror" not in it.genres and it.directors and it.stars
    )
    sim = AttributeSimulator(TargetProfile.from_item(target), "", seed=0)
    opening = sim.opening()
    assert opening.text and opening.volunteered  # no seed: an opener from one attribute
    new = [{"id": -i, "title": f"X{i}", "year": 2015, "genres": ["horror"]} for i in range(1, 6)]
    turn = sim.respond(new)
    assert not turn.accept and "90s" in turn.text and ("recent" in turn.text or "new" in turn.text)
    horror = [{"id": -i, "title": f"X{i}", "year": 1995, "genres": ["horror"]} for i in range(1, 6)]
    turn = sim.respond(horror)
    assert "horror" in turn.text and not turn.accept
    assert len(turn.volunteered) == 2  # the reason and one new attribute
    shown = [*horror[:2], _shown(target)]
    turn = sim.respond(shown)
    assert turn.accept and "third" in turn.text and target.title not in turn.text


# ------------------------------------------------------------------------------------- the LLM simulator


class _FakeLLM:
    def __init__(self, answers: list[str | None]) -> None:
        self.answers = answers
        self.prompts: list[list[dict[str, str]]] = []

    def chat(self, messages: list[dict[str, str]], **_: Any) -> str | None:
        self.prompts.append(messages)
        return self.answers.pop(0) if self.answers else None


def test_llm_simulator_filters_leaks_and_falls_back(catalog_items: list[Item]) -> None:
    target = (
        next(it for it in catalog_items if it.title == "Titanic")
        if any(it.title == "Titanic" for it in catalog_items)
        else catalog_items[0]
    )
    client = _FakeLLM(
        [f"Sounds fun. Is it {target.title}? I want something romantic.", None, f"{target.title}!"]
    )
    sim = LLMSimulator(TargetProfile.from_item(target), "", client=client, seed=0)  # type: ignore[arg-type]
    first = sim.opening()
    assert first.leaked == 1 and first.llm_calls == 1 and not first.fallback
    assert target.title not in first.text and "romantic" in first.text
    prompt = json.dumps(client.prompts[0])
    assert target.title not in prompt  # the persona holds attributes only
    second = sim.respond([{"id": -1, "title": "X", "year": 2000, "genres": []}], "Try X (2000).")
    assert second.fallback and second.text  # the LLM failed: the attribute utterance instead
    third = sim.respond([{"id": -1, "title": "X", "year": 2000, "genres": []}], "Try X (2000).")
    assert third.fallback and third.leaked >= 1 and target.title not in third.text  # all leaked: fallback
    accept = sim.respond([_shown(target)], "")
    assert accept.accept and len(client.prompts) == 3  # acceptance needs no LLM call


# ---------------------------------------------------------------------------------------------- metrics


def _record(
    success_turn: int | None,
    *,
    rank: int | None = 1,
    leaked: int = 0,
    sentences: int = 4,
    shown: int = 10,
    bad: int = 0,
    turns: int = 2,
    how: str = "liked",
) -> dict[str, Any]:
    return {
        "dialog_id": str(success_turn),
        "success": success_turn is not None,
        "success_turn": success_turn,
        "agent_turns": turns,
        "final_rank": rank,
        "latencies_ms": [10.0] * turns,
        "sim_sentences": sentences,
        "sim_leaked": leaked,
        "shown": shown,
        "ungrounded_items": bad,
        "reply_titles": 0,
        "ungrounded_titles": 0,
        "agent_llm_calls": turns,
        "target": {"how": how},
    }


def test_summarize_on_hand_made_transcripts() -> None:
    records = [
        _record(1, turns=1),
        _record(3, turns=3),
        _record(None, rank=None, leaked=2, turns=5, bad=1),
        _record(5, rank=40, turns=5),
    ]
    summary, details = summarize(records, max_turns=5)
    _check_summary(summary)
    assert summary["n_dialogues"] == 4
    assert summary["success_rate"] == 0.75
    assert summary["first_turn_success_rate"] == 0.25
    assert summary["avg_turns"] == pytest.approx((1 + 3 + 6 + 5) / 4)
    assert summary["recall@50_final"] == 0.75
    assert summary["leak_rate"] == pytest.approx(2 / 16)
    assert summary["ungrounded_rate"] == pytest.approx(1 / 40)
    assert summary["llm_calls_per_turn"] == 1.0
    assert details["success_by_turn"] == [0.25, 0.25, 0.5, 0.5, 0.75]
    assert details["counts"]["dialogues_with_leak"] == 1
    assert details["recall@10_final"] == 0.5
    # a success after the turn limit is a failure
    late, _ = summarize([_record(4)], max_turns=3)
    assert late["success_rate"] == 0.0 and late["avg_turns"] == 4.0
    empty, _ = summarize([], max_turns=5)
    _check_summary(empty)


# ------------------------------------------------------------------------------ targets and the dialogue


def _dialog() -> Dialog:
    heat, ronin, jaws = (
        MovieRef("Heat", 1995, "1"),
        MovieRef("Ronin", 1998, "2"),
        MovieRef("Jaws", 1975, "3"),
    )
    return Dialog(
        dialog_id="d1",
        dataset="redial",
        liked=frozenset({"2", "3"}),
        utterances=(
            Utterance("seeker", "Hi there! I love crime movies. I loved Jaws (1975) as a kid.", (jaws,)),
            Utterance("recommender", "Have you seen Heat (1995)?", (heat,)),
            Utterance("seeker", "Yes, great. Ronin is on my list though.", (ronin,)),
            Utterance("recommender", "Then watch Ronin (1998)!", (ronin,)),
        ),
    )


def test_build_targets_prefers_liked_suggested_and_cleans_the_seed() -> None:
    items = {10: Item(10, "Heat", 1995), 20: Item(20, "Ronin", 1998), 30: Item(30, "Jaws", 1975)}
    mapper = SimpleNamespace(map=lambda ref: {"1": 10, "2": 20, "3": 30}[ref.source_id])
    catalog = SimpleNamespace(items=items)
    (target,) = build_targets([_dialog()], mapper, catalog)  # type: ignore[arg-type]
    assert (target.item_id, target.how) == (20, "liked+suggested")
    # the seeker named the target in utterance 3, so the seed is utterance 1 only; Jaws is not the target
    assert target.seed_text == "Hi there! I love crime movies. I loved Jaws (1975) as a kid."
    assert build_targets([_dialog()], mapper, catalog, universe=[10, 30]) == []  # type: ignore[arg-type]


class _StubService:
    """Shows 5 filler items per turn, and the target from the ``hit_turn``-th user turn on."""

    def __init__(self, target: Item, hit_turn: int | None) -> None:
        self.target, self.hit_turn, self.messages = target, hit_turn, []
        fillers = [Item(100 + i, f"Filler {i}", 2001, ("comedy",)) for i in range(5)]
        items = {it.id: it for it in [target, *fillers]}
        self.fillers = fillers
        self.toolkit = SimpleNamespace(catalog=SimpleNamespace(items=items, with_twins=lambda ids: set(ids)))
        self.context = SimpleNamespace(grounder=None)

    def run_turn(self, state: Any, message: str, *, role: str = "user", universe: Any = None) -> Any:
        self.messages.append(message)
        turn = len(self.messages)
        shown = [self.target, *self.fillers[:4]] if self.hit_turn and turn >= self.hit_turn else self.fillers
        items = [{"id": it.id, "title": it.title, "year": it.year, "genres": list(it.genres)} for it in shown]
        result = SimpleNamespace(
            items=items,
            reply="Here you go.",
            ranking=[it.id for it in shown],
            llm_calls=0,
            latency_ms=5.0,
            error=None,
            state={},
        )
        return {"turn": turn}, result


def test_simulate_dialogue_transcript_and_turn_counting() -> None:
    target = Item(
        1, "Some Target Movie", 1994, ("drama", "crime"), ("Jane Director",), (), ("Ann Star", "Bob Star")
    )
    svc = _StubService(target, hit_turn=3)
    rec = simulate_dialogue(
        svc, Target("d", 1, MovieRef("Some Target Movie", 1994), "", "liked"), max_turns=5
    )  # type: ignore[arg-type]
    assert rec["success"] and rec["success_turn"] == 3 and rec["turns"] == 3 and len(svc.messages) == 3
    roles = [t["role"] for t in rec["transcript"]]
    assert roles == ["user", "assistant"] * 3 + ["user"]
    assert rec["transcript"][-1]["accept"] and rec["transcript"][-2]["target_position"] == 1
    assert all("Target" not in t["text"] for t in rec["transcript"] if t["role"] == "user")
    assert rec["final_rank"] == 1 and rec["sim_leaked"] == 0
    miss = simulate_dialogue(
        _StubService(target, None), Target("d", 1, MovieRef("X", None), "", "liked"), max_turns=2
    )  # type: ignore[arg-type]
    assert (
        not miss["success"] and miss["turns"] == 3 and miss["agent_turns"] == 2 and miss["final_rank"] is None
    )


def test_options_and_cli_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    with pytest.raises(SimError):
        SimOptions(dataset="movielens", data_dir=tmp_path).check()
    with pytest.raises(SimError):
        SimOptions(dataset="redial", data_dir=tmp_path, max_turns=0).check()
    from ui.cli.main import app

    runner = CliRunner()
    for args in (
        ["simulate", "--dataset", "imdb", "--data-dir", str(tmp_path)],
        ["simulate", "--dataset", "redial", "--data-dir", str(tmp_path / "missing")],
        ["simulate", "--dataset", "redial", "--data-dir", str(tmp_path), "--simulator", "gpt"],
        ["simulate", "--dataset", "redial", "--data-dir", str(tmp_path), "--max-turns", "0"],
        ["simulate", "--dataset", "redial", "--data-dir", str(tmp_path), "--split", "nope"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert len(result.output.strip().splitlines()) == 1, result.output


# -------------------------------------------------------------------------------------------- end to end


@pytest.mark.shared_data
@pytest.mark.slow
def test_attribute_simulation_end_to_end_and_resume(
    service: Any, settings: Any, shared_data: Path, tmp_path: Path
) -> None:
    opts = SimOptions(dataset="redial", data_dir=shared_data / "redial", n=5, out=tmp_path / "sim")
    seen: list[str] = []
    summary = run_simulation(
        opts, settings, runner=service.runner, on_dialogue=lambda r: seen.append(r["dialog_id"])
    )
    _check_summary(summary)
    assert summary["n_dialogues"] == 5 and len(seen) == 5
    assert summary["leak_rate"] == 0.0 and summary["ungrounded_rate"] == 0.0
    out = opts.out
    for name in ("summary.json", "details.json", "report.md", "success_by_turn.png", "run.json"):
        assert (out / name).is_file(), name
    assert "0.536" in (out / "report.md").read_text() and "0.85" in (out / "report.md").read_text()
    files = sorted((out / "dialogues").glob("*.json"))
    assert len(files) == 5
    rec = json.loads(files[0].read_text())
    assert rec["transcript"][0]["role"] == "user" and "shown" in rec["transcript"][1]
    assert all(
        {"id", "title"} <= set(s) for t in rec["transcript"] if t["role"] == "assistant" for s in t["shown"]
    )
    again = run_simulation(
        opts, settings, runner=service.runner, on_dialogue=lambda r: seen.append(r["dialog_id"])
    )
    assert again == summary and len(seen) == 5  # resumed: nothing redone
    with pytest.raises(SimError):
        run_simulation(
            SimOptions(dataset="redial", data_dir=shared_data / "redial", n=5, out=out, max_turns=3),
            settings,
            runner=service.runner,
        )


@pytest.mark.llm
@pytest.mark.slow
@pytest.mark.shared_data
def test_llm_simulator_end_to_end(
    service: Any, settings: Any, shared_data: Path, llm_server: Any, tmp_path: Path
) -> None:
    sim_settings = settings.model_copy(
        update={"sim_base_url": llm_server.base_url, "sim_model": llm_server.model}
    )
    opts = SimOptions(
        dataset="redial",
        data_dir=shared_data / "redial",
        simulator="llm",
        n=2,
        max_turns=2,
        out=tmp_path / "llm",
    )
    summary = run_simulation(opts, sim_settings, runner=service.runner)
    _check_summary(summary)
    assert summary["n_dialogues"] == 2
    details = json.loads((opts.out / "details.json").read_text())
    counts = details["counts"]
    assert counts["post_filter_leaks"] == 0
    # the dialogues may all succeed on the seed turn (no LLM needed): ask the simulator directly once more
    target = service.toolkit.catalog.items[
        json.loads(next((opts.out / "dialogues").glob("*.json")).read_text())["target"]["id"]
    ]
    sim = LLMSimulator(
        TargetProfile.from_item(target), "", client=LLMSimulator.client_from_settings(sim_settings)
    )
    turn = sim.respond(
        [{"id": -1, "title": "Cats", "year": 2019, "genres": ["music"]}], "How about Cats (2019)?"
    )
    assert turn.llm_calls == 1 and turn.text.strip()
    assert not any(LeakFilter(target.title, target.year).leaks(s) for s in split_sentences(turn.text))
    for path in (opts.out / "dialogues").glob("*.json"):
        rec = json.loads(path.read_text())
        flt = LeakFilter(rec["target"]["title"], rec["target"]["year"])
        for turn in rec["transcript"]:
            if turn["role"] == "user":
                assert not any(flt.leaks(s) for s in split_sentences(turn["text"]))


def test_attribute_simulator_relaxes_constraints_the_target_lacks(catalog_items: list[Item]) -> None:
    target = next(it for it in catalog_items if it.genres and "comedy" not in it.genres and it.directors)
    sim = AttributeSimulator(TargetProfile.from_item(target), "", seed=0)
    sim.opening()
    own = target.directors[0]
    reply = (
        "I couldn't find a movie in the catalog that fits all of that (no movie in the catalog matches comedy, "
        f"{target.genres[0]}, with Stephen King, with {own}). Could you relax one of the constraints?"
    )
    turn = sim.respond([], reply)
    assert "no comedy" in turn.text and "Stephen King" in turn.text and not turn.accept
    assert f"no {target.genres[0]}" not in turn.text and f"no {own}" not in turn.text
